/**
 * The trust stage on the public captures in ../shared/pcaps, behind the real pipeline and detectors:
 * a real nmap SYN scan and a Mirai-style telnet sweep make their LAN source critical at once; a real smart
 * home's 11 hours build an inventory with vendors, DHCP names and fingerprints, and nobody's trust moves.
 */
import t, { type Test } from 'tap';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { DeviceInventory } from '../src/trust/devices.js';
import { TrustScorer } from '../src/trust/score.js';
import type { DeviceEvent, TrustChange } from '../src/trust/types.js';
import { sharedPcap, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';

async function replay(t: Test, path: string) {
  const config = loadConfig({ flags: { mode: 'replay' } });
  const pipeline = new Pipeline(config, createLogger('error'));
  const inventory = new DeviceInventory(pipeline.bus, null, config);
  const scorer = new TrustScorer(pipeline.bus, null, inventory, config);
  const changes: TrustChange[] = [];
  const news: DeviceEvent[] = [];
  pipeline.bus.on('trust.change', (c) => changes.push(c));
  pipeline.bus.on('device.new', (d) => news.push(d));
  await replayFile(path, pipeline.pkt, pipeline.handlePacket);
  await pipeline.shutdown();
  scorer.tick(pipeline.nowUs);
  t.same(Object.fromEntries(pipeline.bus.handlerErrors), {}, 'no handler threw');
  return { inventory, scorer, changes, news };
}

const cases: [file: string, mac: string, ip: string, text: RegExp][] = [
  ['attack/nmap-tcp-syn-scan.pcap', '00:1a:4b:6a:ce:fe', '192.168.1.10', /^\u2212\d+: port scan of 192\.168\.1\.\d+ \(\d+ ports\) at \d\d:\d\d$/],
  ['attack/mirai-style-telnet-scan.pcap', 'b8:27:eb:c7:e9:c9', '192.168.2.16', /^\u2212\d+: port scan of \d+ hosts on port (23|2323|8080|9527) at \d\d:\d\d$/],
];

for (const [file, mac, ip, text] of cases) {
  const path = sharedPcap(file);
  t.test(`${file}: the scanning LAN host becomes critical`, { skip: path === null ? SHARED_PCAPS_SKIP : false }, async (t) => {
    const { scorer, changes, inventory } = await replay(t, path!);
    const s = scorer.state(mac)!;
    t.equal(s.level, 'critical', `score ${s.score}`);
    const first = changes.find((c) => c.mac === mac)!;
    t.equal(first.level, 'critical', 'critical with the first alert');
    t.equal(first.ip, ip);
    t.match(first.explanation[0]!.text, text);
    t.equal(inventory.macForIp(ip), mac);
    t.ok(changes.every((c) => c.mac === mac), 'only the scanner is blamed');
  });
}

const home = sharedPcap('benign/madea-smarthome-11h.pcap');
t.test('a real smart home: inventory, and no trust change', { skip: home === null ? SHARED_PCAPS_SKIP : false }, async (t) => {
  const { inventory, changes, news } = await replay(t, home!);
  t.equal(changes.length, 0);
  t.equal(news.length, inventory.stats.devices, 'each device announced once');
  t.ok(inventory.stats.devices >= 10 && inventory.stats.devices <= 20, `${inventory.stats.devices} devices`);
  t.equal(inventory.stats.devicesEvicted, 0);
  const ring = inventory.get('90:48:6c:06:8f:74')!;
  t.match(ring, { vendor: 'Ring LLC', hostname: 'RingDoorbell-74', hostnameSource: 'dhcp', dhcpFingerprint: '1,3,28,6' });
  const pi = inventory.get('e4:5f:01:c3:64:86')!;
  t.match(pi, { vendor: 'Raspberry Pi Trading Ltd', hostname: 'raspberrypi', dhcpVendorClass: /^dhcpcd-/ });
  t.ok(inventory.addressesOf(pi.mac).some((a) => a.startsWith('fe80:')), 'IPv6 link-local address kept');
  const named = inventory.list().filter((d) => d.hostname !== null).length;
  t.ok(named >= 8, `${named} devices named by DHCP`);
  t.ok(inventory.stats.remoteHosts > 50);
  t.ok(inventory.list().some((d) => d.randomMac), 'a randomised MAC is flagged');
});
