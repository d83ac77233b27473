import t from 'tap';
import type { BusEvents } from '../bus.js';
import { parseIpv4, parseMac } from '../decode/addr.js';
import { flowRecord } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { ArpScanDetector } from './arp-scan.js';
import { ArpSpoofDetector } from './arp-spoof.js';
import { resolveDetectorConfig, type DetectorConfigInput } from './config.js';

const T0 = 1_700_000_000_000_000;

function arp(atS: number, op: number, senderMac: string, senderIp: string, targetIp: string): BusEvents['arp'] {
  const sm = parseMac(senderMac)!;
  return {
    tsUs: T0 + Math.round(atS * 1e6),
    vlan: 0,
    srcMac: sm,
    dstMac: op === 1 ? 0xffffffffffff : 0x020000000001,
    arp: { op, senderMac: sm, senderIp: parseIpv4(senderIp)!, targetMac: 0, targetIp: parseIpv4(targetIp)! },
  };
}

function both(patch: DetectorConfigInput = {}) {
  const alerts: Alert[] = [];
  const cfg = resolveDetectorConfig(patch);
  const scan = new ArpScanDetector(cfg, (a) => alerts.push(a));
  const spoof = new ArpSpoofDetector(cfg, (a) => alerts.push(a));
  return {
    alerts,
    spoof,
    feed: (e: BusEvents['arp']) => {
      scan.onArp(e);
      spoof.onArp(e);
    },
  };
}

const ATTACKER = '02:00:00:00:00:66';
const GW_MAC = '02:00:00:00:00:01';

t.test('ARP sweep of a /24 is one scan.arp alert', async (t) => {
  const d = both();
  for (let i = 1; i < 255; i++) d.feed(arp(i * 0.02, 1, ATTACKER, '10.99.0.66', `10.99.0.${i}`));
  t.equal(d.alerts.length, 1);
  const a = d.alerts[0]!;
  t.equal(a.kind, 'scan.arp');
  t.equal(a.srcIp, '10.99.0.66');
  t.equal(a.srcMac, ATTACKER);
  t.equal(a.targets.length, 20);
});

t.test('a router refreshing a few neighbours, conflict probes and announcements are not scans', async (t) => {
  const d = both();
  for (let round = 0; round < 20; round++) for (let i = 2; i < 30; i++) d.feed(arp(round * 120 + i, 1, GW_MAC, '10.99.0.1', `10.99.0.${i}`));
  for (let i = 1; i < 255; i++) d.feed(arp(5000 + i * 0.01, 1, ATTACKER, '0.0.0.0', `10.99.0.${i}`));
  t.same(d.alerts, []);
});

t.test('an IP whose fresh binding moves to another MAC: arp.spoof; the gateway is severity 1', async (t) => {
  const d = both();
  d.spoof.onFlow(flowRecord({ srcIp: '10.99.0.2', dstIp: '203.0.113.5', dstMac: GW_MAC }));
  d.feed(arp(0, 2, GW_MAC, '10.99.0.1', '10.99.0.2'));
  d.feed(arp(1, 1, ATTACKER, '10.99.0.66', '10.99.0.2'));
  d.feed(arp(10, 2, ATTACKER, '10.99.0.1', '10.99.0.2'));
  t.equal(d.alerts.length, 1);
  const a = d.alerts[0]!;
  t.equal(a.kind, 'arp.spoof');
  t.equal(a.srcIp, '10.99.0.66', 'named by the address the attacker MAC owns');
  t.equal(a.srcMac, ATTACKER);
  t.same(a.targets, ['10.99.0.1']);
  t.equal(a.severity, 1);
  t.match(a.signature, /Gateway 10\.99\.0\.1 MAC changed/);
  // poisoning repeated every second stays one alert
  for (let i = 11; i < 100; i++) d.feed(arp(i, 2, i % 2 ? ATTACKER : GW_MAC, '10.99.0.1', '10.99.0.2'));
  t.equal(d.alerts.length, 1);
});

t.test('configured gateway; an old binding may change (DHCP reuse, a new card); two stations taking turns may not', async (t) => {
  const d = both({ arp: { gatewayIps: ['10.99.0.254'] } });
  d.feed(arp(0, 2, '02:00:00:00:00:20', '10.99.0.20', '10.99.0.1'));
  d.feed(arp(3600, 2, '02:00:00:00:00:21', '10.99.0.20', '10.99.0.1'));
  t.equal(d.alerts.length, 0, 'stale binding');
  d.feed(arp(3601, 2, '02:00:00:00:00:20', '10.99.0.20', '10.99.0.1'));
  t.equal(d.alerts.length, 0, 'a fresh binding that moves once, to a MAC with no other address: a device that changed its card');
  d.feed(arp(3602, 2, '02:00:00:00:00:21', '10.99.0.20', '10.99.0.1'));
  t.equal(d.alerts.length, 1, 'both MACs still answer for it');
  t.equal(d.alerts[0]!.severity, 1);
  t.match(d.alerts[0]!.signature, /10\.99\.0\.20 claimed by 02:00:00:00:00:21 while 02:00:00:00:00:20 still answers/);
});

t.test('a man in the middle answering for the gateway and for the victim is named, whoever answers first', async (t) => {
  const VICTIM = '02:00:00:00:00:02';
  // the poisoning starts before the appliance saw anyone: the first bindings it learns are the attacker's
  const d = both();
  d.spoof.onFlow(flowRecord({ srcIp: '10.99.0.2', dstIp: '203.0.113.5', dstMac: GW_MAC }));
  d.feed(arp(0, 1, ATTACKER, '10.99.0.66', '10.99.0.1'));
  for (let i = 1; i < 10; i++) {
    d.feed(arp(i, 2, ATTACKER, '10.99.0.1', '10.99.0.2'));
    d.feed(arp(i + 0.1, 2, ATTACKER, '10.99.0.2', '10.99.0.1'));
  }
  t.equal(d.alerts.length, 0, 'one claimant per address so far');
  // then the real owners answer for themselves
  d.feed(arp(12, 2, GW_MAC, '10.99.0.1', '10.99.0.66'));
  d.feed(arp(13, 1, VICTIM, '10.99.0.2', '10.99.0.1'));
  t.equal(d.alerts.length, 2, 'one alert per contested address');
  for (const a of d.alerts) {
    t.equal(a.kind, 'arp.spoof');
    t.equal(a.srcMac, ATTACKER, 'the poisoner, not the owner answering again');
    t.equal(a.srcIp, '10.99.0.66');
    t.equal(a.severity, 1);
  }
  t.match(d.alerts[0]!.signature, 'Gateway 10.99.0.1 MAC changed from 02:00:00:00:00:01 to 02:00:00:00:00:66');
  t.match(d.alerts[1]!.signature, 'ARP man in the middle: 02:00:00:00:00:66 claims 10.99.0.2 and 10.99.0.1');
  t.same(d.alerts[1]!.targets, ['10.99.0.2', '10.99.0.1']);
});

t.test('gratuitous ARP storm', async (t) => {
  const d = both();
  for (let i = 0; i < 3; i++) d.feed(arp(i, 2, '02:00:00:00:00:30', '10.99.0.30', '10.99.0.30'));
  t.equal(d.alerts.length, 0, 'a few announcements on link-up are normal');
  for (let i = 0; i < 50; i++) d.feed(arp(100 + i * 0.1, 2, ATTACKER, '10.99.0.77', '10.99.0.77'));
  t.equal(d.alerts.length, 1);
  t.match(d.alerts[0]!.signature, /Gratuitous ARP storm/);
});
