import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { arp, EtherType, ipPacket, IpProto, llcSnap, radiotap, udp, Wlan, wlanData, wlanFrame } from '../capture/packet-builder.js';
import { macToString } from './addr.js';
import { LinkType } from './packet.js';

const STA = '02:00:00:00:00:05';
const HOST = '02:00:00:00:00:06';
const AP = '02:00:00:00:0a:01';
const v4 = ipPacket({ src: '10.99.0.2', dst: '10.99.0.1', proto: IpProto.UDP, payload: udp({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, payload: 'wifi' }) });
const W = LinkType.IEEE802_11;
const R = LinkType.IEEE802_11_RADIOTAP;
const macs = (d: ReturnType<typeof decodeFrame>) => [macToString(d.pkt.srcMac), macToString(d.pkt.dstMac)];

t.test('data frames: the address fields the DS flags name are source and destination', async (t) => {
  const cases: [string, object][] = [
    ['neither flag (ad hoc, inside one BSS)', {}],
    ['To-DS (station to access point)', { toDs: true }],
    ['From-DS (access point to station)', { fromDs: true }],
    ['both (wireless distribution system, four addresses)', { toDs: true, fromDs: true }],
  ];
  for (const [what, o] of cases) {
    const d = decodeFrame(wlanData({ src: STA, dst: HOST, bssid: AP, payload: v4, ...o }), W);
    t.same([d.ok, d.events, d.pkt.etherType, d.pkt.dstPort, d.pkt.payloadCaptured], [true, [], 0x0800, 2, 4], what);
    t.same(macs(d), [STA, HOST], `${what}: MACs`);
  }
});

t.test('QoS data, +HTC, A-MSDU', async (t) => {
  const q = decodeFrame(wlanData({ src: STA, dst: HOST, fromDs: true, qos: true, tid: 5, payload: v4 }), W);
  t.same([q.events, q.pkt.dstPort], [[], 2], 'QoS control skipped');
  const h = decodeFrame(wlanData({ src: STA, dst: HOST, toDs: true, qos: true, order: true, payload: v4 }), W);
  t.same([h.events, h.pkt.dstPort], [[], 2], 'the HT control field of a QoS frame with the Order bit skipped');
  const sub = (src: string, sport: number) => ({ src, dst: HOST, etherType: EtherType.IPV4, payload: ipPacket({ src: '10.99.0.7', dst: '10.99.0.1', proto: IpProto.UDP, payload: udp({ src: '10.99.0.7', dst: '10.99.0.1', sport, dport: 9 }) }) });
  const one = decodeFrame(wlanData({ src: AP, dst: AP, fromDs: true, qos: true, amsdu: [sub(STA, 7)] }), W);
  t.same([one.events, one.pkt.srcPort, ...macs(one)], [[], 7, STA, HOST], 'a single-subframe A-MSDU: the subframe addresses');
  const two = decodeFrame(wlanData({ src: AP, dst: AP, fromDs: true, qos: true, amsdu: [sub(STA, 7), sub(AP, 8)] }), W);
  t.same([two.events, two.pkt.srcPort, two.pkt.payloadCaptured], [['decoder.ieee80211.amsdu_partial'], 7, 0], 'the first subframe only, cut at its length');
  const lie = wlanData({ src: AP, dst: AP, fromDs: true, qos: true, amsdu: [sub(STA, 7)] });
  lie.writeUInt16BE(500, 26 + 12);
  t.same(decodeFrame(lie, W).events, ['decoder.ieee80211.pkt_too_small'], 'a subframe longer than the frame');
});

t.test('frames without a packet are counted, not errors', async (t) => {
  const beacon = decodeFrame(wlanFrame({ type: Wlan.MGMT, subtype: Wlan.SUBTYPE_BEACON, rest: Buffer.alloc(60) }), W);
  t.same([beacon.ok, beacon.events, beacon.stats.decoded], [true, ['decoder.ieee80211.no_data'], 1], 'beacon');
  const ack = decodeFrame(wlanFrame({ type: Wlan.CTRL, subtype: Wlan.SUBTYPE_ACK, rest: Buffer.alloc(6) }), W);
  t.same([ack.ok, ack.events], [true, ['decoder.ieee80211.no_data']], 'a 10-byte ACK');
  for (const subtype of [Wlan.SUBTYPE_NULL, Wlan.SUBTYPE_QOS_NULL]) {
    const n = decodeFrame(wlanFrame({ type: Wlan.DATA, subtype, flags: 1, rest: Buffer.alloc(24) }), W);
    t.same([n.ok, n.events], [true, ['decoder.ieee80211.no_data']], `null data subtype ${subtype}`);
  }
  for (const qos of [false, true]) {
    const p = decodeFrame(wlanData({ src: STA, dst: HOST, toDs: true, qos, protectedFrame: true, body: Buffer.alloc(40, 0x5a) }), W);
    t.same([p.ok, p.events, p.pkt.ipVersion, ...macs(p)], [true, ['decoder.ieee80211.protected'], 0, STA, HOST], `protected, qos ${qos}: addresses kept, body not read`);
  }
  const stp = decodeFrame(wlanData({ src: STA, dst: HOST, body: Buffer.from([0x42, 0x42, 0x03, 0, 0, 0, 0, 0, 0]) }), W);
  t.same([stp.ok, stp.events], [true, ['decoder.ieee80211.llc_not_snap']], 'plain LLC (spanning tree)');
  const bt = decodeFrame(wlanData({ src: STA, dst: HOST, body: llcSnap(EtherType.IPV4, v4, 0xf8) }), W);
  t.same([bt.events, bt.pkt.dstPort], [[], 2], '802.1H bridge-tunnel SNAP');
});

t.test('ARP over 802.11', async (t) => {
  const d = decodeFrame(wlanData({ src: STA, dst: 'ff:ff:ff:ff:ff:ff', toDs: true, etherType: EtherType.ARP, payload: arp({ op: 1, senderMac: STA, senderIp: '10.0.0.2', targetIp: '10.0.0.1' }) }), W);
  t.same([d.events, d.pkt.arp?.op, macToString(d.pkt.arp?.senderMac ?? 0)], [[], 1, STA]);
});

t.test('malformed 802.11 headers', async (t) => {
  const f = wlanData({ src: STA, dst: HOST, toDs: true, fromDs: true, qos: true, payload: v4 });
  for (const n of [9, 23, 29, 31]) {
    const d = decodeFrame(f.subarray(0, n), W);
    t.same([d.ok, d.events], [false, ['decoder.ieee80211.pkt_too_small']], `${n} bytes of a four-address QoS header`);
  }
  const snapCut = decodeFrame(f.subarray(0, 35), W);
  t.same([snapCut.ok, snapCut.events], [true, ['decoder.ieee80211.pkt_too_small']], 'the LLC/SNAP header cut off: the 802.11 header decoded');
  const v = decodeFrame(wlanData({ src: STA, dst: HOST, payload: v4, version: 2 }), W);
  t.same([v.ok, v.events], [false, ['decoder.ieee80211.wrong_version']]);
});

t.test('radiotap', async (t) => {
  const frame = wlanData({ src: STA, dst: HOST, fromDs: true, qos: true, payload: v4 });
  for (const o of [{}, { tsft: true }, { tsft: true, ext: true }, { flags: 0x02 }, { tsft: true, fcs: true }, { fcs: true, ext: true }]) {
    const d = decodeFrame(radiotap({ frame, ...o }), R);
    t.same([d.ok, d.events, d.pkt.dstPort, ...macs(d)], [true, [], 2, STA, HOST], JSON.stringify(o));
    t.equal(d.pkt.payloadCaptured, 4, `${JSON.stringify(o)}: the FCS is not payload`);
  }
  // a snap length that cut the frame before its FCS: nothing to cut
  const withFcs = radiotap({ frame, fcs: true });
  const cut = decodeFrame(withFcs.subarray(0, withFcs.length - 6), R, { wirelen: withFcs.length });
  t.same([cut.ok, cut.pkt.dstPort, cut.pkt.payloadCaptured], [true, 2, 2]);
  for (const bad of [Buffer.from([0, 0, 8, 0, 0, 0, 0]), Buffer.from([0, 0, 4, 0, 0, 0, 0, 0, 1]), Buffer.from([0, 0, 200, 0, 0, 0, 0, 0, 1])]) {
    const d = decodeFrame(bad, R);
    t.same([d.ok, d.events], [false, ['decoder.radiotap.pkt_too_small']], bad.toString('hex'));
  }
  const beacon = decodeFrame(radiotap({ frame: wlanFrame({ type: Wlan.MGMT, subtype: Wlan.SUBTYPE_BEACON, rest: Buffer.alloc(60) }), tsft: true, fcs: true }), R);
  t.same([beacon.ok, beacon.events], [true, ['decoder.ieee80211.no_data']]);
});
