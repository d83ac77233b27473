import t from 'tap';
import { join } from 'node:path';
import { Bus } from '../bus.js';
import { parseIpv4, parseMac } from '../decode/addr.js';
import type { DhcpInfo, DnsAnswer } from '../decode/packet.js';
import { Store } from '../store/db.js';
import { flowRecord } from '../../test/support/flow-records.js';
import { DeviceInventory, MAX_ADDRESSES, type InventoryConfig } from './devices.js';
import { isLocallyAdministered, vendorOf } from './oui.js';
import type { DeviceEvent } from './types.js';

const T0 = 1_700_000_000_000_000;
const PI = 'b8:27:eb:12:34:56';
/** a per-network random MAC as phones use (locally administered bit set) */
const PHONE = 'da:a1:19:6b:0c:01';

function setup(store: Store | null = null, caps: Partial<InventoryConfig['trust']> = {}) {
  const bus = new Bus((m) => {
    throw new Error(m);
  });
  const inv = new DeviceInventory(bus, store, { homeNets: ['192.168.1.0/24', 'fe80::/10'], trust: { maxDevices: 100, maxRemoteHosts: 100, ...caps } });
  const news: DeviceEvent[] = [];
  const updates: DeviceEvent[] = [];
  bus.on('device.new', (e) => news.push(e));
  bus.on('device.update', (e) => updates.push(e));
  const arp = (mac: string, ip: string, ts = T0) =>
    bus.emit('arp', { tsUs: ts, vlan: 0, srcMac: parseMac(mac)!, dstMac: 0xffffffffffff, arp: { op: 1, senderMac: parseMac(mac)!, senderIp: ip === '' ? 0 : parseIpv4(ip)!, targetMac: 0, targetIp: parseIpv4('192.168.1.1')! } });
  const meta = (mac: string, srcIp: string, dstIp: string, ts: number) => ({ tsUs: ts, vlan: 0, srcMac: parseMac(mac)!, dstMac: 0xffffffffffff, srcIp, dstIp });
  const dhcp = (mac: string, d: Partial<DhcpInfo>, ts = T0) =>
    bus.emit('dhcp', {
      ...meta(mac, '0.0.0.0', '255.255.255.255', ts),
      dhcp: { messageType: 3, op: 1, xid: 1, clientMac: parseMac(mac)!, clientIp: '', yourIp: '', requestedIp: null, hostname: null, vendorClass: null, paramRequestList: null, clientId: null, ...d },
    });
  const dns = (mac: string, srcIp: string, mdns: boolean, qname: string, answers: DnsAnswer[], ts = T0) =>
    bus.emit('dns', { ...meta(mac, srcIp, '192.168.1.50', ts), dns: { id: 1, response: true, opcode: 0, rcode: 0, qname, qtype: 1, qclass: 1, answers, mdns } });
  return { bus, inv, news, updates, arp, dhcp, dns };
}

t.test('a new device is announced once; a new address is an update', async (t) => {
  const { inv, news, updates, arp } = setup();
  arp(PI, '192.168.1.10');
  arp(PI, '192.168.1.10', T0 + 1000);
  t.equal(news.length, 1);
  t.same(news[0], { tsUs: T0, mac: PI, ips: ['192.168.1.10'], hostname: null, vendor: 'Raspberry Pi Foundation', randomMac: false });
  t.equal(updates.length, 0, 'seeing it again changes nothing worth announcing');
  arp(PI, '192.168.1.11', T0 + 2000);
  t.equal(updates.length, 1);
  t.same(updates[0]!.ips, ['192.168.1.11', '192.168.1.10'], 'most recent first');
  t.equal(inv.macForIp('192.168.1.11'), PI);
  t.equal(inv.get(PI)!.lastSeenUs, T0 + 2000);
  // not devices: outside homeNets, group MACs
  arp('00:11:22:33:44:55', '10.0.0.7');
  arp('01:00:5e:00:00:fb', '192.168.1.99');
  t.equal(news.length, 1);
});

t.test('randomised MACs and vendors', async (t) => {
  const { news, arp } = setup();
  arp(PHONE, '192.168.1.30');
  t.equal(news[0]!.randomMac, true);
  t.equal(news[0]!.vendor, null, 'a random MAC has no vendor');
  t.equal(isLocallyAdministered(PI), false);
  t.equal(vendorOf('dc:a6:32:00:00:01'), 'Raspberry Pi Trading Ltd');
  t.equal(vendorOf('00:00:00:00:00:01'), 'XEROX CORPORATION');
  // an MA-S block (36-bit prefix) inside the IEEE's own MA-L is found by its longer prefix
  t.type(vendorOf('70:b3:d5:00:00:01'), 'string');
});

t.test('DHCP: hostname, fingerprint, vendor class, the assigned address', async (t) => {
  const { inv, updates, dhcp } = setup();
  dhcp(PHONE, { messageType: 1, hostname: 'Pixel-7', paramRequestList: [1, 3, 6, 15, 26, 28, 51, 58, 59, 43], vendorClass: 'android-dhcp-13' });
  const d = inv.get(PHONE)!;
  t.equal(d.hostname, 'Pixel-7');
  t.equal(d.hostnameSource, 'dhcp');
  t.equal(d.dhcpFingerprint, '1,3,6,15,26,28,51,58,59,43');
  t.equal(d.dhcpVendorClass, 'android-dhcp-13');
  t.equal(d.addresses.size, 0);
  // the server's ACK assigns the address
  dhcp(PHONE, { op: 2, messageType: 5, yourIp: '192.168.1.44' }, T0 + 5000);
  t.same(inv.addressesOf(PHONE), ['192.168.1.44']);
  t.equal(d.addresses.get('192.168.1.44')!.source, 'dhcp');
  t.equal(updates.at(-1)!.hostname, 'Pixel-7');
  // an OFFER is not an assignment
  dhcp(PHONE, { op: 2, messageType: 2, yourIp: '192.168.1.45' }, T0 + 6000);
  t.notOk(d.addresses.has('192.168.1.45'));
});

t.test('mDNS names a device; DNS answers name remote hosts', async (t) => {
  const { inv, dns, dhcp } = setup();
  dns(PI, '192.168.1.10', true, '', [{ name: 'octopi.local', type: 1, ttl: 120, data: '192.168.1.10' }]);
  t.equal(inv.get(PI)!.hostname, 'octopi');
  t.equal(inv.get(PI)!.hostnameSource, 'mdns');
  // a name announced for another address is not this device's
  dns(PHONE, '192.168.1.30', true, '', [{ name: 'printer.local', type: 1, ttl: 120, data: '192.168.1.99' }]);
  t.equal(inv.get(PHONE), undefined);
  // DHCP's name wins over mDNS
  dhcp(PI, { hostname: 'raspberrypi' });
  dns(PI, '192.168.1.10', true, '', [{ name: 'octopi.local', type: 1, ttl: 120, data: '192.168.1.10' }]);
  t.equal(inv.get(PI)!.hostname, 'raspberrypi');

  dns('00:11:22:33:44:55', '192.168.1.1', false, 'api.example.com', [
    { name: 'api.example.com', type: 5, ttl: 60, data: 'edge.cdn.example.net' },
    { name: 'edge.cdn.example.net', type: 1, ttl: 60, data: '93.184.216.34' },
    { name: 'edge.cdn.example.net', type: 28, ttl: 60, data: '2606:2800:220:1::1' },
  ]);
  t.same(inv.remoteHost('93.184.216.34')!.names, ['api.example.com', 'edge.cdn.example.net']);
  t.same(inv.remoteHost('2606:2800:220:1::1')!.names, ['api.example.com', 'edge.cdn.example.net']);
});

t.test('flows: LAN endpoints become devices, remote ones remote hosts', async (t) => {
  const { bus, inv, news } = setup();
  bus.emit('flow.end', flowRecord({ srcIp: '192.168.1.10', srcMac: PI, dstIp: '203.0.113.5', dstMac: '00:11:22:33:44:55', endUs: T0 }));
  t.equal(news.length, 1);
  t.equal(inv.get('00:11:22:33:44:55'), undefined, "the router's MAC is not given a remote address");
  t.ok(inv.remoteHost('203.0.113.5'));
  t.equal(inv.get(PI)!.addresses.get('192.168.1.10')!.source, 'flow');
});

t.test('bounded tables evict the least recently seen and count', async (t) => {
  const { inv, arp, dns } = setup(null, { maxDevices: 16, maxRemoteHosts: 16 });
  for (let i = 0; i < 20; i++) arp(`02:00:00:00:00:${i.toString(16).padStart(2, '0')}`, `192.168.1.${100 + i}`, T0 + i);
  t.equal(inv.stats.devices, 16);
  t.equal(inv.stats.devicesEvicted, 4);
  t.equal(inv.get('02:00:00:00:00:00'), undefined);
  t.equal(inv.macForIp('192.168.1.100'), undefined, 'an evicted device takes its addresses along');
  t.equal(inv.macForIp('192.168.1.119'), '02:00:00:00:00:13');
  for (let i = 0; i < 20; i++) dns('00:11:22:33:44:55', '192.168.1.1', false, `h${i}.example.com`, [{ name: `h${i}.example.com`, type: 1, ttl: 60, data: `198.51.100.${i}` }]);
  t.equal(inv.stats.remoteHosts, 16);
  t.equal(inv.stats.remoteHostsEvicted, 4);
  // a router's MAC forwarding for many addresses keeps only the newest
  for (let i = 0; i < MAX_ADDRESSES + 3; i++) arp(PI, `192.168.1.${10 + i}`, T0 + 100 + i);
  t.equal(inv.get(PI)!.addresses.size, MAX_ADDRESSES);
  t.equal(inv.stats.addressesEvicted, 3);
});

t.test('devices persist through the store and are not announced again after a restart', async (t) => {
  const path = join(t.testdir(), 'argus.db');
  let store = Store.open({ path, log: () => {} });
  const a = setup(store);
  a.dhcp(PHONE, { hostname: 'Pixel-7', paramRequestList: [1, 3, 6], vendorClass: 'android-dhcp-13' });
  a.arp(PI, '192.168.1.10');
  for (let i = 1; i <= 100; i++) a.arp(PI, '192.168.1.10', T0 + i * 1_000_000); // 100 s of sightings
  t.ok(store.stats().depth < 20, `sightings are coalesced, not one write each (queue depth ${store.stats().depth})`);
  a.inv.close(T0 + 100_000_000);
  store.close();

  store = Store.open({ path, log: () => {} });
  const row = store.devices.get(PHONE)!;
  t.match(row, { hostname: 'Pixel-7', dhcpFingerprint: '1,3,6', dhcpVendorClass: 'android-dhcp-13' });
  t.equal(store.devices.get(PI)!.lastSeenUs, T0 + 100_000_000);
  t.equal(store.devices.get(PI)!.vendor, 'Raspberry Pi Foundation');
  t.same(store.devices.addresses(PI).map((x) => [x.ip, x.source]), [['192.168.1.10', 'arp']]);

  const b = setup(store);
  t.equal(b.inv.stats.devices, 2, 'reloaded');
  t.equal(b.inv.macForIp('192.168.1.10'), PI);
  b.arp(PI, '192.168.1.10', T0 + 200_000_000);
  b.dhcp(PHONE, { hostname: 'Pixel-7' }, T0 + 200_000_000);
  t.equal(b.news.length, 0, 'known devices are not new after a restart');
  t.equal(b.inv.get(PHONE)!.hostname, 'Pixel-7');
  store.close();
});
