import t from 'tap';
import { tcpFrame } from '../capture/packet-builder.js';
import { FlowHarness, TcpTalk, flowConfig, udpAt } from '../../test/support/flow-packets.js';
import { FlowTable } from './flow-table.js';

/** handshake at t, t+0.01, t+0.02 */
function handshake(talk: TcpTalk, t0 = 0): TcpTalk {
  return talk.seg(t0, 'c', 'S').seg(t0 + 0.01, 's', 'SA').seg(t0 + 0.02, 'c', 'A');
}

t.test('cap: least-recently-seen flows are evicted and counted', async (t) => {
  const h = new FlowHarness({ maxFlows: 10, emergencyThreshold: 1, emergencyRecovery: 0.5 });
  for (let i = 0; i < 12; i++) udpAt(h, i * 0.1, '10.99.0.2', '10.99.0.1', 1000 + i, 53);
  udpAt(h, 1.25, '10.99.0.2', '10.99.0.1', 1002, 53); // touch port 1002: now the most recent
  udpAt(h, 1.3, '10.99.0.2', '10.99.0.1', 2000, 53);
  t.equal(h.table.stats.active, 10);
  t.equal(h.table.stats.evicted, 3);
  t.same(h.records.map((r) => r.srcPort), [1000, 1001, 1003], 'oldest first, the touched flow survives');
  t.ok(h.records.every((r) => r.endReason === 'evicted'));
  t.equal(h.table.stats.byEndReason.evicted, 3);
});

t.test('emergency mode: shorter timeouts above the threshold until below recovery', async (t) => {
  const h = new FlowHarness({ maxFlows: 100, emergencyThreshold: 0.5, emergencyRecovery: 0.2 });
  for (let i = 0; i < 40; i++) udpAt(h, 0, '10.99.0.2', '10.99.0.1', 1000 + i, 123);
  t.equal(h.table.stats.emergency, false);
  for (let i = 0; i < 20; i++) udpAt(h, 1, '10.99.0.3', '10.99.0.1', 1000 + i, 123);
  t.equal(h.table.stats.emergency, true);
  t.equal(h.table.stats.emergencyEntered, 1);
  h.advance(5);
  t.equal(h.records.length, 0, 'within the shortened UDP timeout (60 × 0.1 = 6 s)');
  h.advance(6.5);
  t.equal(h.records.length, 40, 'the older flows expire on the emergency timeout');
  t.equal(h.table.stats.emergency, true, '20 flows are not below 20 % of 100');
  h.advance(7.5);
  t.equal(h.table.stats.active, 0);
  t.equal(h.table.stats.emergency, false);
  t.equal(h.table.stats.emergencyEntered, 1);
});

t.test('invalid config is refused at construction', async (t) => {
  t.throws(() => new FlowTable(flowConfig({ emergencyRecovery: 0.95 }), () => {}), /emergencyRecovery/);
  t.throws(() => new FlowTable(flowConfig({ maxFlows: 0 }), () => {}), /maxFlows/);
  t.throws(() => new FlowTable(flowConfig({ timeouts: { udp: -1 } }), () => {}), /udp/);
});

/** a bare SYN from `src`:`sp` to 10.99.0.1:80 at `s` seconds */
function synAt(h: FlowHarness, s: number, src: string, sp: number, flags = 'S'): void {
  h.feed(tcpFrame({ src, dst: '10.99.0.1', sport: sp, dport: 80, flags, seq: 7 }), s);
}

t.test('cap: one-packet half-open flows are evicted before older conversations', async (t) => {
  const h = new FlowHarness({ maxFlows: 10, emergencyThreshold: 1, emergencyRecovery: 0.5 });
  // five conversations first (the least recently seen flows), then SYNs that fill the table
  for (let i = 0; i < 5; i++) udpAt(h, i * 0.1, '10.99.0.2', '10.99.0.1', 1000 + i, 53);
  handshake(new TcpTalk(h, { client: '10.99.0.3', server: '10.99.0.1', cport: 41000, sport: 22 }), 0.6);
  for (let i = 0; i < 10; i++) synAt(h, 1 + i * 0.01, `198.51.100.${i + 1}`, 2000 + i);
  t.equal(h.table.stats.active, 10);
  t.equal(h.table.stats.evicted, 6);
  t.equal(h.table.stats.evictedHalfOpen, 6, 'every victim was a half-open SYN');
  t.same(h.records.map((r) => r.srcIp), ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6'], 'the oldest SYNs go first');
  t.ok(h.records.every((r) => r.connState === 'S0' && r.endReason === 'evicted'));
  // a SYN answered by a SYN-ACK is still half-open; once the client ACKs it is a conversation
  const talk = new TcpTalk(h, { client: '10.99.0.4', server: '10.99.0.1', cport: 42000, sport: 443 });
  talk.seg(2, 'c', 'S').seg(2.01, 's', 'SA');
  t.equal(h.records.at(-1)!.srcIp, '198.51.100.7');
  talk.seg(2.02, 'c', 'A');
  synAt(h, 2.1, '198.51.100.99', 3000);
  t.notOk(h.records.some((r) => r.srcIp === '10.99.0.4'), 'the completed handshake was not evicted');
  const rest = h.flush().filter((r) => r.endReason === 'shutdown');
  t.equal(rest.filter((r) => r.protoName === 'UDP').length, 5, 'the five older UDP flows remain');
  t.same(rest.filter((r) => r.protoName === 'TCP' && r.connState !== 'S0').map((r) => r.srcIp).sort(), ['10.99.0.3', '10.99.0.4'], 'both TCP conversations remain');
});

t.test('half-open fold: folded flows export no record and are counted; others are never offered', async (t) => {
  const h = new FlowHarness();
  const offered: string[] = [];
  h.table.setHalfOpenFold({
    fold: (f) => {
      offered.push(`${f.orig[3] & 255}:${f.origPort}>${f.respPort} v${f.ipVersion} resp=${f.respPackets} mac=${f.origMac}`);
      return (f.orig[3] & 255) % 2 === 1; // fold the odd sources
    },
  });
  for (let i = 1; i <= 4; i++) synAt(h, 0, `198.51.100.${i}`, 2000 + i);
  synAt(h, 0, '198.51.100.5', 2005, 'SEC'); // ECN setup SYN: still a bare SYN
  // answered by SYN-ACK only: half-open (Sh)
  const sh = new TcpTalk(h, { client: '198.51.100.7', server: '10.99.0.1', cport: 2007, sport: 80 });
  sh.seg(0, 'c', 'S').seg(0.01, 's', 'SA').seg(1, 's', 'SA');
  // not half-open: refused (REJ), a SYN retried, a completed connection, a SYN with data
  new TcpTalk(h, { client: '198.51.100.9', server: '10.99.0.1', cport: 2009, sport: 80 }).seg(0, 'c', 'S').seg(0.01, 's', 'RA');
  new TcpTalk(h, { client: '198.51.100.11', server: '10.99.0.1', cport: 2011, sport: 80 }).seg(0, 'c', 'S').seg(1, 'c', 'S');
  handshake(new TcpTalk(h, { client: '198.51.100.13', server: '10.99.0.1', cport: 2013, sport: 80 }));
  h.feed(tcpFrame({ src: '198.51.100.15', dst: '10.99.0.1', sport: 2015, dport: 80, flags: 'S', payload: 'x' }), 0);
  const records = h.flush();
  t.same(offered.sort(), [
    '1:2001>80 v4 resp=0',
    '2:2002>80 v4 resp=0',
    '3:2003>80 v4 resp=0',
    '4:2004>80 v4 resp=0',
    '5:2005>80 v4 resp=0',
    '7:2007>80 v4 resp=2',
  ].map((s) => `${s} mac=${0x020000000002}`).sort(), 'exactly the one-packet half-open flows are offered');
  t.equal(h.table.stats.folded, 4, 'sources 1, 3, 5 and 7 folded');
  t.same(records.map((r) => r.srcIp).sort(), ['198.51.100.11', '198.51.100.13', '198.51.100.15', '198.51.100.2', '198.51.100.4', '198.51.100.9']);
  t.equal(h.table.stats.active, 0);
});

t.test('a sweep ends at most 512 flows; the next packets carry on, so no flow outlives its timeout by more than a few packets', async (t) => {
  const h = new FlowHarness();
  for (let i = 0; i < 2_000; i++) udpAt(h, i * 0.0001, `10.99.${1 + (i >> 8)}.${i & 255}`, '10.99.0.1', 1000 + (i % 60000), 53);
  h.advance(61);
  t.equal(h.records.length, 512, 'one sweep, one budget');
  t.ok(h.records.every((r) => r.endReason === 'idle'));
  for (let k = 0; k < 3; k++) udpAt(h, 61 + k * 0.001, '10.99.0.250', '10.99.0.1', 40000 + k, 53);
  t.equal(h.records.length, 2_000, 'three more packets sweep the other 1,488');
  t.equal(h.table.stats.active, 3, 'only the new flows are left');
});
