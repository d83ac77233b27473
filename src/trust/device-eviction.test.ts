import t from 'tap';
import { Bus } from '../bus.js';
import { parseIpv4, parseMac } from '../decode/addr.js';
import { LruMap } from '../lru-map.js';
import { DeviceInventory } from './devices.js';
import { EVICT_LOOK, makeRoom, pickVictim, type Lifetime } from './device-eviction.js';

const T0 = 1_700_000_000_000_000;
const mac = (i: number) => `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

/** devices least recently seen first, each seen from `first` to `last` seconds */
function table(spans: [first: number, last: number][]): LruMap<string, Lifetime> {
  const m = new LruMap<string, Lifetime>(Number.MAX_SAFE_INTEGER);
  spans.forEach(([first, last], i) => m.set(mac(i), { firstSeenUs: T0 + first * 1e6, lastSeenUs: T0 + last * 1e6 }));
  return m;
}

t.test('the victim: a device seen once first, else the shortest-lived of the least recently seen few', async (t) => {
  t.equal(pickVictim(table([[0, 50], [1, 1], [2, 2]]))?.[0], mac(1), 'the first seen once, though not the least recently seen');
  t.equal(pickVictim(table([[0, 50], [1, 11], [2, 5], [3, 7]]))?.[0], mac(2), 'none seen once: the shortest-lived (3 s)');
  t.equal(pickVictim(table([[0, 10], [1, 11], [2, 12]]))?.[0], mac(0), 'a tie goes to the less recently seen');
  // a once-seen device past the window is not looked at: the cost per new MAC stays bounded
  const spans: [number, number][] = Array.from({ length: EVICT_LOOK }, (_, i) => [i, 100]);
  spans.push([EVICT_LOOK, EVICT_LOOK]);
  t.equal(pickVictim(table(spans))?.[0], mac(EVICT_LOOK - 1), `only the ${EVICT_LOOK} least recently seen are looked at`);
  t.equal(pickVictim(table(spans), EVICT_LOOK + 1)?.[0], mac(EVICT_LOOK), 'a wider look finds it');
  t.equal(pickVictim(table([])), undefined, 'no devices, no victim');
});

t.test('making room: victims leave until one more fits, each handed over once, counted', async (t) => {
  const m = table([[0, 40], [1, 1], [2, 30], [3, 3], [4, 20]]);
  const gone: string[] = [];
  t.equal(makeRoom(m, 10, (k) => gone.push(k)), 0, 'below the cap nothing goes');
  t.equal(makeRoom(m, 3, (k, d) => gone.push(`${k} ${(d.lastSeenUs - d.firstSeenUs) / 1e6}`)), 3);
  t.same(gone, [`${mac(1)} 0`, `${mac(3)} 0`, `${mac(4)} 16`], 'the two seen once, then the shortest-lived');
  t.equal(m.size, 2, 'room for one more under the cap of 3');
  t.same([...m.keys()], [mac(0), mac(2)]);
});

t.test('at the inventory cap, MACs seen once go before established devices', async (t) => {
  const bus = new Bus((msg) => {
    throw new Error(msg);
  });
  const inv = new DeviceInventory(bus, null, { homeNets: ['192.168.1.0/24'], trust: { maxDevices: 16, maxRemoteHosts: 16 } });
  const arp = (m: string, ip: string, ts: number) =>
    bus.emit('arp', { tsUs: ts, vlan: 0, srcMac: parseMac(m)!, dstMac: 0xffffffffffff, arp: { op: 1, senderMac: parseMac(m)!, senderIp: parseIpv4(ip)!, targetMac: 0, targetIp: parseIpv4('192.168.1.1')! } });
  // eight established devices, seen an hour apart, then not again: the least recently seen of all
  for (let i = 0; i < 8; i++) {
    arp(mac(i), `192.168.1.${10 + i}`, T0);
    arp(mac(i), `192.168.1.${10 + i}`, T0 + 3600e6);
  }
  for (let i = 0; i < 100; i++) arp(mac(1000 + i), `192.168.1.${100 + (i % 100)}`, T0 + 7200e6 + i);
  t.equal(inv.stats.devices, 16);
  t.equal(inv.stats.devicesEvicted, 92);
  for (let i = 0; i < 8; i++) t.ok(inv.get(mac(i)), `established device ${i} kept`);
  t.equal(inv.macForIp('192.168.1.10'), mac(0), 'with its address');
  t.equal(inv.get(mac(1000)), undefined, 'the first flood MAC went');
  t.ok(inv.get(mac(1099)), 'the newest flood MAC is held');
});
