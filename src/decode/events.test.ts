import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import {
  arpFrame, ayiya, dhcpMessage, dnsResponse, erspan, ethernet, EtherType, geneve, gre, GreProto, gtpu, httpRequest, icmpFrame,
  ipFrame, ipPacket, ipv4, ipv6, IpProto, nullLoopback, sllV1, sllV2, tcpFrame, teredo, tlsClientHello, udp, udpFrame, vxlan, type Ipv6Ext,
  fragments,
  fabricPath, PppProto, pppLink, radiotap, vnTag, Wlan, wlanData, wlanFrame,
} from '../capture/packet-builder.js';
import { DECODE_EVENTS, DecodeStats, type DecodeEvent } from './events.js';
import { DEFAULT_REASSEMBLY_CONFIG, FragmentReassembler, type ReassemblyConfig } from './reassembly.js';
import { LinkType } from './packet.js';

const S4 = '10.99.0.2';
const D4 = '10.99.0.1';
const S6 = 'fd00:99::2';
const D6 = 'fd00:99::1';
const udp4 = () => udpFrame({ src: S4, dst: D4, sport: 1000, dport: 2000, payload: 'x' });
const tcp4 = (o: object = {}) => tcpFrame({ src: S4, dst: D4, sport: 1000, dport: 80, ...o });
const v4 = (o: object) => ethernet({ etherType: EtherType.IPV4, payload: ipv4({ src: S4, dst: D4, proto: IpProto.UDP, payload: udp({ src: S4, dst: D4, sport: 1, dport: 2 }), ...o }) });
const v6 = (o: object) => ethernet({ etherType: EtherType.IPV6, payload: ipv6({ src: S6, dst: D6, proto: IpProto.UDP, payload: udp({ src: S6, dst: D6, sport: 1, dport: 2 }), ...o }) });
const dnsUdp = (payload: Buffer) => udpFrame({ src: S4, dst: D4, sport: 53, dport: 40000, payload });
const dnsHand = (rest: number[]) => dnsUdp(Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1, ...rest]));
const tls = (edit: (b: Buffer) => void) => {
  const b = Buffer.from(tlsClientHello({ sni: 'e.example' }));
  edit(b);
  return tcp4({ flags: 'PA', payload: b });
};
const cut = (f: Buffer, n: number) => f.subarray(0, n);
// tunnels: an inner UDP packet, over GRE in IPv4 or a UDP port
const innerUdp = () => ipPacket({ src: '192.0.2.1', dst: '192.0.2.2', proto: IpProto.UDP, payload: udp({ src: '192.0.2.1', dst: '192.0.2.2', sport: 7, dport: 9, payload: 'in' }) });
const innerEth = () => ethernet({ etherType: EtherType.IPV4, payload: innerUdp() });
const gre4 = (payload: Buffer) => ipFrame({ src: S4, dst: D4, proto: IpProto.GRE, payload });
const greV1 = (o: object) => gre4(gre({ version: 1, proto: GreProto.PPP, payload: Buffer.from([0xff, 3, 0, 0x21, ...innerUdp()]), ...o }));
const onPort = (dport: number, payload: Buffer) => udpFrame({ src: S4, dst: D4, sport: 40000, dport, payload });
const mplsOver = (labelBytes: Buffer) => ethernet({ etherType: 0x8847, payload: labelBytes });
const bos = (n: number) => {
  const b = Buffer.alloc(4 * n);
  b[4 * n - 2] = 1;
  return b;
};
const wlan = (o: object = {}) => wlanData({ src: '02:00:00:00:00:05', dst: '02:00:00:00:00:06', toDs: true, payload: innerUdp(), ...o });
const pppoe = (code: number, len: number, proto: number) => {
  const h = Buffer.from([0x11, code, 0, 1, len >> 8, len & 0xff, proto >> 8, proto & 0xff]);
  return ethernet({ etherType: 0x8864, payload: Buffer.concat([h, Buffer.alloc(20)]) });
};

/** One frame (with link type and wire length) that triggers each event. The Record type keeps it complete. */
// fragments: a 200-byte UDP datagram (208 bytes of IP payload), cut by [off, end) specs; `s` is the packet time
const dgram4 = ipPacket({ src: S4, dst: D4, proto: IpProto.UDP, payload: udp({ src: S4, dst: D4, sport: 1, dport: 2, payload: Buffer.alloc(200, 1) }) });
const dgram6 = ipPacket({ src: S6, dst: D6, proto: IpProto.UDP, payload: udp({ src: S6, dst: D6, sport: 1, dport: 2, payload: Buffer.alloc(200, 1) }) });
const frag = (v: 4 | 6, off: number, end: number, o: { more?: boolean; id?: number } = {}) =>
  ethernet({ etherType: v === 4 ? EtherType.IPV4 : EtherType.IPV6, payload: fragments(v === 4 ? dgram4 : dgram6, [{ off, end, more: o.more }], { id: o.id ?? 7 })[0] });
interface Trigger {
  frame: Buffer;
  linkType?: number;
  wirelen?: number;
  tunnels?: number;
  /** with reassembly: frames decoded first, and the reassembler's bounds */
  before?: { frame: Buffer; s?: number }[];
  frags?: Partial<ReassemblyConfig>;
  /** packet time of `frame` in seconds */
  s?: number;
}
const fragTriggers = (v: 4 | 6): Record<string, () => Trigger> => ({
  [`decoder.ipv${v}.frag_overlap`]: () => ({ before: [{ frame: frag(v, 0, 104) }], frame: frag(v, 96, 208), frags: {} }),
  [`decoder.ipv${v}.frag_size_inconsistent`]: () => ({ before: [{ frame: frag(v, 104, 208) }], frame: frag(v, 104, 200, { more: false }), frags: {} }),
  [`decoder.ipv${v}.frag_too_small`]: () => ({ frame: frag(v, 0, 8), frags: {} }),
  [`decoder.ipv${v}.frag_too_many`]: () => ({ before: [{ frame: frag(v, 0, 8) }, { frame: frag(v, 8, 16) }], frame: frag(v, 16, 24), frags: { maxFragments: 2 } }),
  [`decoder.ipv${v}.frag_timeout`]: () => ({ before: [{ frame: frag(v, 0, 104), s: 0 }], frame: frag(v, 0, 104, { id: 8 }), s: 31, frags: {} }),
  [`decoder.ipv${v}.frag_evicted`]: () => ({ before: [{ frame: frag(v, 0, 104) }], frame: frag(v, 0, 104, { id: 8 }), frags: { maxDatagrams: 1 } }),
  [`decoder.ipv${v}.frag_ignored`]: () => ({ before: [{ frame: frag(v, 0, 104) }], frame: frag(v, 0, 104, { id: 8 }), frags: { maxPerSource: 1 } }),
});

const TRIGGERS: Record<DecodeEvent, () => Trigger> = {
  ...(fragTriggers(4) as Record<DecodeEvent, () => Trigger>),
  ...(fragTriggers(6) as Record<DecodeEvent, () => Trigger>),
  'decoder.link.unsupported': () => ({ frame: udp4(), linkType: 147 }),
  'decoder.link.too_many_layers': () => {
    let f = udp4();
    for (let i = 0; i < 10; i++) f = ethernet({ etherType: 0x88e7, payload: Buffer.concat([Buffer.alloc(4), f]) });
    return { frame: f };
  },
  'decoder.ethernet.pkt_too_small': () => ({ frame: cut(udp4(), 10) }),
  'decoder.ethernet.unknown_ethertype': () => ({ frame: ethernet({ etherType: 0x88cc, payload: Buffer.alloc(40) }) }),
  'decoder.vlan.hlen_too_small': () => ({ frame: cut(udpFrame({ src: S4, dst: D4, sport: 1, dport: 2, vlan: 3 }), 15) }),
  'decoder.vlan.too_many_layers': () => ({ frame: udpFrame({ src: S4, dst: D4, sport: 1, dport: 2, vlan: [1, 2, 3] }) }),
  'decoder.pbb.pkt_too_small': () => ({ frame: ethernet({ etherType: 0x88e7, payload: Buffer.alloc(17) }) }),
  'decoder.sll.pkt_too_small': () => ({ frame: Buffer.alloc(10), linkType: LinkType.LINUX_SLL }),
  'decoder.sll2.pkt_too_small': () => ({ frame: cut(sllV2({ protocol: 0x800, payload: Buffer.alloc(0) }), 18), linkType: LinkType.LINUX_SLL2 }),
  'decoder.null.pkt_too_small': () => ({ frame: Buffer.alloc(3), linkType: LinkType.NULL }),
  'decoder.null.unsupported_family': () => ({ frame: nullLoopback({ family: 99, payload: Buffer.alloc(20) }), linkType: LinkType.NULL }),
  'decoder.raw.invalid_ip_version': () => ({ frame: Buffer.from([0x10, 0, 0, 0]), linkType: LinkType.RAW }),
  'decoder.pppoe.pkt_too_small': () => ({ frame: pppoe(0, 1, 0x21) }),
  'decoder.pppoe.wrong_code': () => ({ frame: pppoe(7, 22, 0x21) }),
  'decoder.pppoe.unsupported_proto': () => ({ frame: pppoe(0, 22, 0xc021) }),
  'decoder.mpls.pkt_too_small': () => ({ frame: mplsOver(Buffer.alloc(3)) }),
  'decoder.mpls.too_many_labels': () => ({ frame: mplsOver(Buffer.alloc(40)) }),
  'decoder.mpls.unknown_payload': () => ({ frame: mplsOver(Buffer.concat([bos(1), Buffer.from([0x80, 0, 0, 0])])) }),
  'decoder.fabricpath.pkt_too_small': () => ({ frame: ethernet({ etherType: 0x8903, payload: fabricPath({ frame: Buffer.alloc(13) }) }) }),
  'decoder.vntag.pkt_too_small': () => ({ frame: ethernet({ etherType: 0x8926, payload: Buffer.alloc(5) }) }),
  'decoder.ppp.pkt_too_small': () => ({ frame: Buffer.from([0xff, 0x03, 0x00]), linkType: LinkType.PPP }),
  'decoder.ppp.unsupported_proto': () => ({ frame: pppLink({ protocol: PppProto.LCP, payload: Buffer.alloc(10) }), linkType: LinkType.PPP }),
  'decoder.radiotap.pkt_too_small': () => ({ frame: Buffer.from([0, 0, 60, 0, 0, 0, 0, 0, 1, 2]), linkType: LinkType.IEEE802_11_RADIOTAP }),
  'decoder.ieee80211.pkt_too_small': () => ({ frame: cut(wlan(), 20), linkType: LinkType.IEEE802_11 }),
  'decoder.ieee80211.wrong_version': () => ({ frame: wlan({ version: 1 }), linkType: LinkType.IEEE802_11 }),
  'decoder.ieee80211.no_data': () => ({ frame: radiotap({ frame: wlanFrame({ type: Wlan.MGMT, subtype: Wlan.SUBTYPE_BEACON, rest: Buffer.alloc(40) }) }), linkType: LinkType.IEEE802_11_RADIOTAP }),
  'decoder.ieee80211.protected': () => ({ frame: wlan({ protectedFrame: true }), linkType: LinkType.IEEE802_11 }),
  'decoder.ieee80211.llc_not_snap': () => ({ frame: wlan({ body: Buffer.from([0x42, 0x42, 0x03, 0, 0, 0, 0, 0]) }), linkType: LinkType.IEEE802_11 }),
  'decoder.ieee80211.amsdu_partial': () => ({
    frame: wlan({ qos: true, amsdu: [0, 1].map(() => ({ src: '02:00:00:00:00:05', dst: '02:00:00:00:00:06', etherType: EtherType.IPV4, payload: innerUdp() })) }),
    linkType: LinkType.IEEE802_11,
  }),
  'decoder.arp.pkt_too_small': () => ({ frame: cut(arpFrame({ senderIp: S4, targetIp: D4 }), 30) }),
  'decoder.arp.unsupported': () => ({ frame: ethernet({ etherType: EtherType.ARP, payload: Buffer.from([0, 1, 0x86, 0xdd, 6, 16, 0, 1]) }) }),
  'decoder.ipv4.pkt_too_small': () => ({ frame: cut(udp4(), 30) }),
  'decoder.ipv4.wrong_ip_version': () => ({ frame: v4({ version: 7 }) }),
  'decoder.ipv4.hlen_too_small': () => ({ frame: v4({ headerLength: 12 }) }),
  'decoder.ipv4.hlen_too_large': () => ({ frame: cut(v4({ headerLength: 60 }), 14 + 30) }),
  'decoder.ipv4.iplen_smaller_than_hlen': () => ({ frame: v4({ totalLength: 10 }) }),
  'decoder.ipv4.trunc_pkt': () => ({ frame: v4({ totalLength: 1000 }) }),
  'decoder.ipv4.opt_invalid_len': () => ({ frame: v4({ options: Buffer.from([0x44, 0x50, 0, 0]) }) }),
  'decoder.ipv4.frag_pkt_too_large': () => ({ frame: v4({ fragOffset: 65528, mf: true }) }),
  'decoder.ipv6.pkt_too_small': () => ({ frame: cut(v6({}), 14 + 30) }),
  'decoder.ipv6.wrong_ip_version': () => {
    const f = Buffer.from(v6({}));
    f[14] = 0x70;
    return { frame: f };
  },
  'decoder.ipv6.trunc_pkt': () => ({ frame: v6({ payloadLength: 900 }) }),
  'decoder.ipv6.trunc_exthdr': () => ({ frame: cut(v6({ ext: [{ type: 'hop', options: Buffer.alloc(30) }] }), 14 + 40 + 12), wirelen: 200 }),
  'decoder.ipv6.exthdr_too_many': () => ({ frame: v6({ ext: new Array<Ipv6Ext>(12).fill({ type: 'dst' }) }) }),
  'decoder.ipv6.frag_pkt_too_large': () => ({ frame: v6({ ext: [{ type: 'fragment', offset: 65528, more: true }] }) }),
  'decoder.tcp.pkt_too_small': () => ({ frame: cut(tcp4(), 14 + 20 + 10), wirelen: 54 }),
  'decoder.tcp.hlen_too_small': () => ({ frame: tcp4({ dataOffset: 2 }) }),
  'decoder.tcp.hlen_too_large': () => ({ frame: tcp4({ dataOffset: 12 }) }),
  'decoder.tcp.opt_invalid_len': () => ({ frame: tcp4({ options: { raw: Buffer.from([2, 9, 0, 0]) } }) }),
  'decoder.tcp.opt_duplicate': () => ({ frame: tcp4({ options: { wscale: 1, raw: Buffer.from([3, 3, 1, 0]) } }) }),
  'decoder.udp.pkt_too_small': () => ({ frame: cut(udp4(), 14 + 20 + 4), wirelen: 100 }),
  'decoder.udp.len_invalid': () => ({ frame: udpFrame({ src: S4, dst: D4, sport: 1, dport: 2, length: 3 }) }),
  'decoder.icmpv4.pkt_too_small': () => ({ frame: cut(icmpFrame({ src: S4, dst: D4 }), 14 + 20 + 3), wirelen: 42 }),
  'decoder.icmpv6.pkt_too_small': () => ({ frame: cut(icmpFrame({ src: S6, dst: D6 }), 14 + 40 + 3), wirelen: 62 }),
  'decoder.tunnel.max_depth_exceeded': () => ({
    frame: gre4(gre({ proto: GreProto.IPV4, payload: ipPacket({ src: '192.0.2.7', dst: '192.0.2.8', proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, payload: innerUdp() }) }) })),
    tunnels: 1,
  }),
  'decoder.gre.pkt_too_small': () => ({ frame: gre4(Buffer.from([0, 0, 8])) }),
  'decoder.gre.wrong_version': () => ({ frame: gre4(gre({ proto: GreProto.IPV4, version: 2, payload: innerUdp() })) }),
  'decoder.gre.routing': () => ({ frame: gre4(gre({ proto: GreProto.IPV4, extraFlags: 0x4000, payload: innerUdp() })) }),
  'decoder.gre.version0_flags': () => ({ frame: gre4(gre({ proto: GreProto.IPV4, extraFlags: 0x0008, payload: innerUdp() })) }),
  'decoder.gre.version0_hdr_too_big': () => ({ frame: gre4(Buffer.from([0x20, 0, 8, 0])) }),
  'decoder.gre.version1_flags': () => ({ frame: greV1({ key: 1, extraFlags: 0x0010 }) }),
  'decoder.gre.version1_chksum': () => ({ frame: greV1({ key: 1, checksum: true }) }),
  'decoder.gre.version1_no_key': () => ({ frame: greV1({}) }),
  'decoder.gre.version1_wrong_protocol': () => ({ frame: greV1({ key: 1, proto: GreProto.IPV4 }) }),
  'decoder.erspan.pkt_too_small': () => ({ frame: gre4(gre({ proto: GreProto.ERSPAN2, seq: 1, payload: Buffer.alloc(4) })) }),
  'decoder.erspan.unsupported_version': () => ({ frame: gre4(gre({ proto: GreProto.ERSPAN2, seq: 1, payload: erspan({ type: 2, version: 2, payload: innerEth() }) })) }),
  'decoder.vxlan.pkt_too_small': () => ({ frame: onPort(4789, Buffer.alloc(10)) }),
  'decoder.vxlan.flags_invalid': () => ({ frame: onPort(4789, vxlan({ vni: 1, flags: 0, payload: innerEth() })) }),
  'decoder.geneve.pkt_too_small': () => ({ frame: onPort(6081, Buffer.alloc(4)) }),
  'decoder.geneve.wrong_version': () => ({ frame: onPort(6081, geneve({ vni: 1, version: 1, payload: innerEth() })) }),
  'decoder.geneve.unknown_payload_type': () => ({ frame: onPort(6081, geneve({ vni: 1, proto: 0x1234, payload: innerEth() })) }),
  // flags with the sequence word, a length that leaves no room for it
  'decoder.gtpu.pkt_too_small': () => ({ frame: onPort(2152, Buffer.from([0x32, 0xff, 0, 0, 0, 0, 0, 1])) }),
  'decoder.gtpu.ext_hdr_invalid': () => ({ frame: onPort(2152, Buffer.from([0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0])) }),
  'decoder.gtpu.unknown_payload': () => ({ frame: onPort(2152, gtpu({ teid: 1, payload: Buffer.from([0x50, 0, 0, 0]) })) }),
  'decoder.ayiya.pkt_too_small': () => ({ frame: onPort(5072, Buffer.alloc(4)) }),
  'decoder.dns.pkt_too_small': () => ({ frame: dnsUdp(Buffer.alloc(5)) }),
  'decoder.dns.name_loop': () => ({ frame: dnsHand([0xc0, 19]) }),
  'decoder.dns.name_too_long': () => {
    const labels: number[] = [];
    for (let i = 0; i < 4; i++) labels.push(63, ...new Array(63).fill(0x62));
    labels.push(10, ...new Array(10).fill(0x62), 0);
    return { frame: dnsHand(labels) };
  },
  'decoder.dns.label_invalid': () => ({ frame: dnsHand([0x80, 1]) }),
  'decoder.dns.trunc_rr': () => ({ frame: dnsHand([0xc0, 12, 0, 1]) }),
  'decoder.dns.too_many_answers': () => ({
    frame: dnsUdp(dnsResponse({ name: 'm.example', answers: Array.from({ length: 40 }, () => ({ name: 'm.example', type: 'A' as const, data: '10.99.0.9' })) })),
  }),
  'decoder.dhcp.pkt_too_small': () => ({ frame: udpFrame({ src: S4, dst: D4, sport: 68, dport: 67, payload: Buffer.alloc(100) }) }),
  'decoder.dhcp.bad_magic': () => ({ frame: udpFrame({ src: S4, dst: D4, sport: 68, dport: 67, payload: dhcpMessage({ clientMac: 2, noMagic: true }) }) }),
  'decoder.dhcp.opt_invalid_len': () => ({
    frame: udpFrame({ src: S4, dst: D4, sport: 68, dport: 67, payload: Buffer.concat([dhcpMessage({ clientMac: 2 }).subarray(0, 243), Buffer.from([60, 99, 1])]) }),
  }),
  'decoder.tls.record_invalid': () => ({ frame: tls((b) => b.writeUInt16BE(0, 3)) }),
  'decoder.tls.hello_truncated': () => ({ frame: cut(tls(() => {}), 54 + 60), wirelen: 400 }),
  'decoder.tls.hello_invalid': () => ({ frame: tls((b) => (b[5 + 4 + 34] = 40)) }),
  'decoder.http.request_line_invalid': () => ({ frame: tcp4({ flags: 'PA', payload: 'GET / HTTQ/1.1\r\n\r\n' }) }),
  'decoder.http.host_missing': () => ({ frame: tcp4({ flags: 'PA', payload: httpRequest({ host: null }) }) }),
};

t.test('every DECODE_EVENTS entry is triggered by a frame', async (t) => {
  t.equal(Object.keys(TRIGGERS).length, DECODE_EVENTS.length);
  for (const name of DECODE_EVENTS) {
    const trig = TRIGGERS[name]();
    const frags = trig.frags === undefined ? undefined : new FragmentReassembler({ ...DEFAULT_REASSEMBLY_CONFIG, ...trig.frags });
    const stats = new DecodeStats();
    for (const b of trig.before ?? []) decodeFrame(b.frame, trig.linkType, { frags, stats, tsUs: (b.s ?? 0) * 1e6 });
    const d = decodeFrame(trig.frame, trig.linkType, { wirelen: trig.wirelen, tunnels: trig.tunnels, frags, stats, tsUs: (trig.s ?? 0) * 1e6 });
    t.ok(d.stats.count(name) >= 1, `${name} (got ${JSON.stringify(d.events)})`);
  }
});

t.test('well-formed frames raise no event', async (t) => {
  const frames = [
    udp4(),
    tcp4({ flags: 'S', options: { mss: 1460, wscale: 7, sackPermitted: true, timestamps: [1, 0] } }),
    tcp4({ flags: 'PA', payload: tlsClientHello({ sni: 'ok.example' }) }),
    tcp4({ flags: 'PA', payload: httpRequest({ host: 'ok.example' }) }),
    dnsUdp(dnsResponse({ name: 'ok.example', answers: [{ name: 'ok.example', type: 'AAAA', data: '2001:db8::1' }] })),
    udpFrame({ src: S4, dst: D4, sport: 68, dport: 67, payload: dhcpMessage({ clientMac: 5, hostname: 'h', paramRequestList: [1, 3] }) }),
    icmpFrame({ src: S6, dst: D6 }),
    arpFrame({ senderIp: S4, targetIp: D4 }),
    gre4(gre({ proto: GreProto.IPV4, key: 5, seq: 1, checksum: true, payload: innerUdp() })),
    greV1({ key: 1, seq: 2, ack: 1 }),
    gre4(gre({ proto: GreProto.ERSPAN3, payload: erspan({ type: 3, session: 9, platform: true, payload: innerEth() }) })),
    onPort(4789, vxlan({ vni: 1, payload: innerEth() })),
    onPort(6081, geneve({ vni: 1, options: Buffer.alloc(8, 1), payload: innerEth() })),
    onPort(2152, gtpu({ teid: 1, ext: [{ type: 0x85, content: Buffer.from([0, 9]) }], payload: innerUdp() })),
    onPort(5072, ayiya({ payload: innerUdp() })),
    ethernet({ etherType: 0x8903, payload: fabricPath({ frame: udp4() }) }),
    ethernet({ etherType: 0x8926, payload: vnTag({ etherType: EtherType.VLAN, payload: udpFrame({ src: S4, dst: D4, sport: 1, dport: 2, vlan: 5 }).subarray(14) }) }),
    onPort(3544, teredo({ origin: { port: 1, addr: 2 }, payload: ipv6({ src: '2001:0:1::1', dst: S6, proto: 59, payload: Buffer.alloc(0) }) })),
  ];
  for (const f of frames) {
    const d = decodeFrame(f, LinkType.ETHERNET, { tunnels: 4 });
    t.same(d.events, []);
    t.ok(d.pkt.tunnel === 0 || d.inner.length === 1, 'a tunnel is decapsulated');
  }
  t.same(decodeFrame(sllV1({ protocol: 0x0806, payload: arpFrame({ senderIp: S4, targetIp: D4 }).subarray(14) }), LinkType.LINUX_SLL).events, []);
});

t.test('DecodeStats', async (t) => {
  const s = new DecodeStats();
  t.same(s.toJSON(), { decoded: 0, skipped: 0, events: {} });
  s.event('decoder.udp.len_invalid');
  s.event('decoder.ethernet.pkt_too_small');
  s.event('decoder.udp.len_invalid');
  s.decoded = 5;
  s.skipped = 1;
  const j = s.toJSON();
  t.same(j, { decoded: 5, skipped: 1, events: { 'decoder.ethernet.pkt_too_small': 1, 'decoder.udp.len_invalid': 2 } });
  t.same(Object.keys(j.events), ['decoder.ethernet.pkt_too_small', 'decoder.udp.len_invalid'], 'DECODE_EVENTS order, not insertion order');
  t.equal(s.count('decoder.udp.len_invalid'), 2);
  t.equal(s.totalEvents(), 3);
  const other = new DecodeStats();
  other.event('decoder.udp.len_invalid');
  other.decoded = 2;
  s.add(other);
  t.same([s.count('decoder.udp.len_invalid'), s.decoded], [3, 7]);
  s.reset();
  t.same(s.toJSON(), { decoded: 0, skipped: 0, events: {} });
  t.equal(new Set(DECODE_EVENTS).size, DECODE_EVENTS.length, 'no duplicate names');
  for (const e of DECODE_EVENTS) t.match(e, /^decoder\.[a-z0-9]+\.[a-z0-9_]+$/, e);
});
