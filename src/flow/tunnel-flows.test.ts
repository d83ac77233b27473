import t from 'tap';
import {
  ethernet, EtherType, gre, GreProto, ipFrame, ipPacket, IpProto, tcp, tcpFrame, udp, udpFrame, vxlan,
} from '../capture/packet-builder.js';
import { Decapsulator, decodePacket } from '../decode/decode.js';
import { DecodeStats } from '../decode/events.js';
import { LinkType, Packet } from '../decode/packet.js';
import { flowEvent } from '../store/eve.js';
import { connRow, CONN_LOG } from '../zeek/logs.js';
import { zeekUid } from '../zeek/uid.js';
import type { FlowRecord } from './flow-record.js';
import { DEFAULT_FLOW_CONFIG, FlowTable } from './flow-table.js';
import { addWithTunnels } from './tunnel-flows.js';

const T0 = 1_700_000_000_000_000;
const O = { src: '198.51.100.1', dst: '198.51.100.2' };
const C = '10.1.0.1';
const S = '10.1.0.2';

/** The inner TCP segment from client (c2s) or server as an IP packet. */
const seg = (c2s: boolean, flags: string) =>
  ipPacket({ src: c2s ? C : S, dst: c2s ? S : C, proto: IpProto.TCP, payload: tcp({ src: c2s ? C : S, dst: c2s ? S : C, sport: c2s ? 40000 : 443, dport: c2s ? 443 : 40000, flags }) });
const handshake: [boolean, string][] = [[true, 'S'], [false, 'SA'], [true, 'A'], [true, 'FA'], [false, 'FA'], [true, 'A']];

function run(frames: Buffer[], decap: Decapsulator | null = new Decapsulator(4)): { recs: FlowRecord[]; stats: DecodeStats } {
  const recs: FlowRecord[] = [];
  const table = new FlowTable({ ...DEFAULT_FLOW_CONFIG, maxFlows: 1000 }, (r) => recs.push(r));
  const pkt = new Packet();
  const stats = new DecodeStats();
  frames.forEach((f, i) => {
    pkt.reset();
    pkt.buf = f;
    pkt.bufOffset = 0;
    pkt.caplen = f.length;
    pkt.wirelen = f.length;
    pkt.linkType = LinkType.ETHERNET;
    pkt.tsUs = T0 + i * 1000;
    if (decodePacket(pkt, stats) && pkt.ipVersion !== 0) addWithTunnels(table, pkt, decap, stats);
  });
  table.flush('shutdown');
  return { recs: recs.sort((a, b) => a.flowId - b.flowId), stats };
}

const greFrame = (inner: Buffer, c2s = true) =>
  ipFrame({ src: c2s ? O.src : O.dst, dst: c2s ? O.dst : O.src, proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, key: 9, payload: inner }) });

t.test('a GRE tunnel: the outer flow, and the inner connection with the outer as its parent', async (t) => {
  const { recs, stats } = run(handshake.map(([c2s, f]) => greFrame(seg(c2s, f), c2s)));
  t.same(stats.toJSON().events, {});
  t.equal(recs.length, 2);
  const [outer, inner] = recs as [FlowRecord, FlowRecord];
  t.match(outer, { proto: 47, srcIp: O.src, dstIp: O.dst, pktsToServer: 4, pktsToClient: 2 });
  t.equal(outer.tunnel, undefined, 'the outer flow is on the wire');
  t.match(inner, { proto: 6, srcIp: C, srcPort: 40000, dstIp: S, dstPort: 443, connState: 'SF', pktsToServer: 4, pktsToClient: 2 });
  t.same(inner.vlan, []);
  t.equal(inner.srcMac, null, 'IP in GRE has no MACs');
  const tun = inner.tunnel!;
  t.match(tun, { type: 'gre', depth: 1, key: 9 });
  t.equal(tun.parents.length, 1);
  t.match(tun.parents[0], { flowId: outer.flowId, communityId: outer.communityId, startUs: outer.startUs, segment: 0, srcIp: O.src, dstIp: O.dst, proto: 47, protoName: 'GRE' });
  t.same(tun.root, tun.parents[0], 'the only parent is the root');
  t.equal(zeekUid(tun.parents[0]!), zeekUid(outer), "the parent's uid is the outer flow's conn.log uid");
  // the inner bytes are the inner packet's (no outer headers)
  const innerLen = seg(true, 'S').length;
  t.equal(inner.pktLenToServer.min, innerLen);
  t.equal(inner.ipBytesToServer, 4 * innerLen);
});

t.test('the same 5-tuple inside and outside a tunnel are two flows', async (t) => {
  const plain = (c2s: boolean, f: string) => tcpFrame({ src: c2s ? C : S, dst: c2s ? S : C, sport: c2s ? 40000 : 443, dport: c2s ? 443 : 40000, flags: f });
  const frames = [greFrame(seg(true, 'S')), plain(true, 'S'), greFrame(seg(false, 'SA'), false), plain(false, 'SA')];
  const { recs } = run(frames);
  const tcpRecs = recs.filter((r) => r.proto === 6);
  t.equal(tcpRecs.length, 2);
  t.same(tcpRecs.map((r) => r.tunnel !== undefined).sort(), [false, true]);
  for (const r of tcpRecs) t.equal(r.pktsToServer + r.pktsToClient, 2, 'each has its own two packets');
});

t.test('decapsulation off: the tunnel is its outer flow only', async (t) => {
  const { recs } = run(handshake.map(([c2s, f]) => greFrame(seg(c2s, f), c2s)), null);
  t.equal(recs.length, 1);
  t.equal(recs[0]!.proto, 47);
});

t.test('VXLAN: the two directions in two UDP flows are both parents; nested tunnels name their root', async (t) => {
  // each VTEP picks its own source port, so the directions are two outer flows (as Zeek's vxlan trace shows)
  const vx = (c2s: boolean, f: string) =>
    udpFrame({
      src: c2s ? O.src : O.dst, dst: c2s ? O.dst : O.src, sport: c2s ? 51111 : 52222, dport: 4789,
      payload: vxlan({ vni: 100, payload: ethernet({ etherType: EtherType.IPV4, src: c2s ? '02:00:00:00:00:0a' : '02:00:00:00:00:0b', dst: c2s ? '02:00:00:00:00:0b' : '02:00:00:00:00:0a', payload: seg(c2s, f) }) }),
    });
  const { recs } = run(handshake.map(([c2s, f]) => vx(c2s, f)));
  const inner = recs.find((r) => r.proto === 6)!;
  const outers = recs.filter((r) => r.proto === 17);
  t.equal(outers.length, 2);
  t.same(inner.tunnel!.parents.map((p) => p.flowId), outers.map((r) => r.flowId), 'both outer flows, first seen first');
  t.equal(inner.srcMac, '02:00:00:00:00:0a', "the inner frame's MACs");
  t.equal(inner.tunnel!.key, 100);

  // GRE inside VXLAN: the TCP flow's parent is the GRE flow, its root the VXLAN UDP flow
  const grePkt = (c2s: boolean, f: string) => ipPacket({ src: '172.16.0.1', dst: '172.16.0.2', proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, payload: seg(c2s, f) }) });
  const nested = handshake.map(([c2s, f]) => udpFrame({ ...O, sport: 51111, dport: 4789, payload: vxlan({ vni: 7, payload: ethernet({ etherType: EtherType.IPV4, payload: grePkt(c2s, f) }) }) }));
  const n = run(nested).recs;
  t.same(n.map((r) => [r.proto, r.tunnel?.depth ?? 0]), [[17, 0], [47, 1], [6, 2]]);
  const [udpRec, greRec, tcpRec] = n as [FlowRecord, FlowRecord, FlowRecord];
  t.equal(tcpRec.tunnel!.type, 'gre');
  t.same(tcpRec.tunnel!.parents.map((p) => p.flowId), [greRec.flowId]);
  t.equal(tcpRec.tunnel!.root.flowId, udpRec.flowId);
  t.equal(greRec.tunnel!.type, 'vxlan');

  // Zeek: tunnel_parents holds the immediate parents' uids; EVE: Suricata's tunnel object names the root
  const row = connRow(tcpRec, { uid: zeekUid(tcpRec), isLocal: null });
  t.same(row[CONN_LOG.fields.findIndex((f) => f.name === 'tunnel_parents')], [zeekUid(greRec)]);
  t.equal(connRow(udpRec, { uid: zeekUid(udpRec), isLocal: null })[CONN_LOG.fields.findIndex((f) => f.name === 'tunnel_parents')], null);
  const ev = flowEvent(tcpRec);
  t.same(ev.tunnel, { src_ip: O.src, src_port: 51111, dest_ip: O.dst, dest_port: 4789, proto: 'UDP', depth: 2 });
  t.same((ev.argus as Record<string, unknown>).tunnel, { type: 'gre', depth: 2, parents: [{ flow_id: greRec.flowId, community_id: greRec.communityId }] });
  t.equal(flowEvent(udpRec).tunnel, undefined);
});

t.test('an inner packet past the depth bound counts in its carrier only', async (t) => {
  const deep = udpFrame({ ...O, sport: 1, dport: 4789, payload: vxlan({ vni: 1, payload: ethernet({ etherType: EtherType.IPV4, payload: ipPacket({ src: C, dst: S, proto: IpProto.UDP, payload: udp({ src: C, dst: S, sport: 2, dport: 4789, payload: vxlan({ vni: 2, payload: ethernet({ etherType: EtherType.IPV4, payload: seg(true, 'S') }) }) }) }) }) }) });
  const one = run([deep], new Decapsulator(1));
  t.same(one.recs.map((r) => r.proto), [17, 17], 'the outer UDP flow and the first inner one');
  t.same(one.stats.toJSON().events, { 'decoder.tunnel.max_depth_exceeded': 1 });
  t.same(run([deep]).recs.map((r) => r.proto), [17, 17, 6]);
});
