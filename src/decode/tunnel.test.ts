import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import {
  ayiya, erspan, ethernet, EtherType, geneve, gre, GreProto, gtpu, ipFrame, ipPacket, ipv6, IpProto, ppp, tcp, teredo, udp,
  udpFrame, vxlan, wlanData,
} from '../capture/packet-builder.js';
import { ipToString } from './addr.js';
import { type Packet, Tunnel } from './packet.js';

const O4 = { src: '198.51.100.1', dst: '198.51.100.2' };
const O6 = { src: '2001:db8::1', dst: '2001:db8::2' };
const I4 = { src: '10.1.0.1', dst: '10.1.0.2' };
const I6 = { src: 'fd00:1::1', dst: 'fd00:1::2' };

const innerTcp = (a: { src: string; dst: string } = I4) =>
  ipPacket({ ...a, proto: IpProto.TCP, payload: tcp({ ...a, sport: 40000, dport: 443, flags: 'S' }) });
const innerEth = (a: { src: string; dst: string } = I4) =>
  ethernet({ src: '02:00:00:00:aa:01', dst: '02:00:00:00:aa:02', etherType: a.src.includes(':') ? EtherType.IPV6 : EtherType.IPV4, payload: innerTcp(a) });
const overUdp = (dport: number, payload: Buffer, outer = O4) => udpFrame({ ...outer, sport: 50000, dport, payload });

/** The innermost packet's addresses and ports as text. */
const tuple = (p: Packet) => `${ipToString(p.srcAddr, p.ipVersion as 4 | 6)}:${p.srcPort} > ${ipToString(p.dstAddr, p.ipVersion as 4 | 6)}:${p.dstPort}`;

t.test('every tunnel type gives its inner packet, the carrier keeping its own fields', async (t) => {
  const cases: { name: string; frame: Buffer; type: number; key: number; inner?: { src: string; dst: string }; outerProto: number; mac?: boolean }[] = [
    { name: '4in4', frame: ipFrame({ ...O4, proto: IpProto.IPIP, payload: innerTcp() }), type: Tunnel.IP, key: -1, outerProto: 4 },
    { name: '6in4', frame: ipFrame({ ...O4, proto: IpProto.IPV6, payload: innerTcp(I6) }), type: Tunnel.IP, key: -1, inner: I6, outerProto: 41 },
    { name: '4in6', frame: ipFrame({ ...O6, proto: IpProto.IPIP, payload: innerTcp() }), type: Tunnel.IP, key: -1, outerProto: 4 },
    { name: '6in6', frame: ipFrame({ ...O6, proto: IpProto.IPV6, payload: innerTcp(I6) }), type: Tunnel.IP, key: -1, inner: I6, outerProto: 41 },
    { name: 'GRE IPv4, key and sequence', frame: ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, key: 77, seq: 3, checksum: true, payload: innerTcp() }) }), type: Tunnel.GRE, key: 77, outerProto: 47 },
    { name: 'GRE IPv6 over IPv6', frame: ipFrame({ ...O6, proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV6, payload: innerTcp(I6) }) }), type: Tunnel.GRE, key: -1, inner: I6, outerProto: 47 },
    { name: 'GRE Ethernet (0x6558)', frame: ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.TEB, key: 1, payload: innerEth() }) }), type: Tunnel.GRE, key: 1, outerProto: 47, mac: true },
    { name: 'PPTP (GRE version 1)', frame: ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ version: 1, proto: GreProto.PPP, key: 0x1234, seq: 1, payload: ppp({ protocol: 0x21, payload: innerTcp() }) }) }), type: Tunnel.GRE, key: 0x1234, outerProto: 47 },
    { name: 'ERSPAN I', frame: ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.ERSPAN2, payload: innerEth() }) }), type: Tunnel.ERSPAN, key: -1, outerProto: 47, mac: true },
    { name: 'ERSPAN II', frame: ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.ERSPAN2, seq: 9, payload: erspan({ type: 2, session: 300, payload: innerEth() }) }) }), type: Tunnel.ERSPAN, key: 300, outerProto: 47, mac: true },
    { name: 'ERSPAN III with the platform subheader', frame: ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.ERSPAN3, seq: 9, payload: erspan({ type: 3, session: 5, platform: true, payload: innerEth() }) }) }), type: Tunnel.ERSPAN, key: 5, outerProto: 47, mac: true },
    { name: 'GRE in UDP (4754)', frame: overUdp(4754, gre({ proto: GreProto.IPV4, payload: innerTcp() })), type: Tunnel.GRE, key: -1, outerProto: 17 },
    { name: 'VXLAN', frame: overUdp(4789, vxlan({ vni: 0xabcdef, payload: innerEth() })), type: Tunnel.VXLAN, key: 0xabcdef, outerProto: 17, mac: true },
    { name: 'VXLAN over IPv6', frame: overUdp(4789, vxlan({ vni: 3, payload: innerEth(I6) }), O6), type: Tunnel.VXLAN, key: 3, inner: I6, outerProto: 17, mac: true },
    { name: 'Geneve Ethernet with options', frame: overUdp(6081, geneve({ vni: 42, options: Buffer.alloc(12, 7), payload: innerEth() })), type: Tunnel.GENEVE, key: 42, outerProto: 17, mac: true },
    { name: 'Geneve IPv6', frame: overUdp(6081, geneve({ vni: 43, proto: GreProto.IPV6, payload: innerTcp(I6) })), type: Tunnel.GENEVE, key: 43, inner: I6, outerProto: 17 },
    { name: 'GTP-U', frame: overUdp(2152, gtpu({ teid: 0xfeedbeef, payload: innerTcp() })), type: Tunnel.GTPV1, key: 0xfeedbeef, outerProto: 17 },
    { name: 'GTP-U with extension headers', frame: overUdp(2152, gtpu({ teid: 7, ext: [{ type: 0x85, content: Buffer.from([0, 9]) }, { type: 0x40, content: Buffer.from([1, 2, 3, 4, 5]) }], payload: innerTcp(I6) })), type: Tunnel.GTPV1, key: 7, inner: I6, outerProto: 17 },
    { name: 'AYIYA', frame: overUdp(5072, ayiya({ payload: innerTcp(I6), identity: Buffer.alloc(64, 1), signatureWords: 5 })), type: Tunnel.AYIYA, key: -1, inner: I6, outerProto: 17 },
    {
      name: 'Teredo with origin indication',
      frame: overUdp(3544, teredo({ origin: { port: 3544, addr: 0xc0000201 }, payload: innerTcp({ src: '2001:0:4136:e378::1', dst: '2001:db8::9' }) })),
      type: Tunnel.TEREDO, key: -1, inner: { src: '2001:0:4136:e378::1', dst: '2001:db8::9' }, outerProto: 17,
    },
    {
      name: 'Teredo on another port (a Teredo address at one end)',
      frame: overUdp(51000, teredo({ payload: innerTcp({ src: '2001:0:4136:e378::1', dst: '2001:db8::9' }) })),
      type: Tunnel.TEREDO, key: -1, inner: { src: '2001:0:4136:e378::1', dst: '2001:db8::9' }, outerProto: 17,
    },
  ];
  for (const c of cases) {
    const d = decodeFrame(c.frame, undefined, { tunnels: 4 });
    t.same(d.events, [], `${c.name}: no event`);
    t.equal(d.pkt.tunnel, c.type, `${c.name}: tunnel type`);
    t.equal(d.pkt.tunnelKey, c.key, `${c.name}: key`);
    t.equal(d.pkt.ipProto, c.outerProto, `${c.name}: the carrier is still the outer packet`);
    t.equal(d.pkt.depth, 0);
    t.equal(d.inner.length, 1, `${c.name}: one inner packet`);
    const inner = d.inner[0]!;
    const a = c.inner ?? I4;
    t.equal(tuple(inner), `${a.src}:40000 > ${a.dst}:443`, `${c.name}: inner 5-tuple`);
    t.equal(inner.ipProto, 6);
    t.equal(inner.tcpFlags, 2, `${c.name}: inner TCP decoded`);
    t.equal(inner.depth, 1);
    t.equal(inner.outer, d.pkt);
    t.equal(inner.tsUs, d.pkt.tsUs);
    t.equal(inner.srcMac >= 0, c.mac === true, `${c.name}: inner MAC only for Ethernet payloads`);
  }
});

t.test('tunnels inside tunnels, down to the depth bound', async (t) => {
  // VXLAN in VXLAN in VXLAN …: `levels` tunnels around the TCP packet
  const nest = (levels: number): Buffer => {
    let frame = innerEth();
    for (let i = 0; i < levels; i++) {
      const payload = vxlan({ vni: i + 1, payload: frame });
      frame = i === levels - 1 ? overUdp(4789, payload) : ethernet({ etherType: EtherType.IPV4, payload: ipPacket({ src: `10.9.${i}.1`, dst: `10.9.${i}.2`, proto: IpProto.UDP, payload: udp({ src: `10.9.${i}.1`, dst: `10.9.${i}.2`, sport: 1000 + i, dport: 4789, payload }) }) });
    }
    return frame;
  };
  const four = decodeFrame(nest(4), undefined, { tunnels: 4 });
  t.equal(four.inner.length, 4, 'four levels with a bound of 4');
  t.same(four.events, []);
  t.equal(four.inner[3]!.depth, 4);
  t.equal(tuple(four.inner[3]!), `${I4.src}:40000 > ${I4.dst}:443`);
  t.same(four.inner.map((p) => p.tunnelKey), [3, 2, 1, -1], 'each level its own VNI (the innermost carries none)');

  const five = decodeFrame(nest(5), undefined, { tunnels: 4 });
  t.equal(five.inner.length, 4, 'the fifth is not unwrapped');
  t.same(five.events, ['decoder.tunnel.max_depth_exceeded']);
  t.equal(five.inner[3]!.tunnel, Tunnel.VXLAN, 'the deepest unwrapped packet still shows its tunnel');

  const one = decodeFrame(nest(2), undefined, { tunnels: 1 });
  t.equal(one.inner.length, 1);
  t.same(one.events, ['decoder.tunnel.max_depth_exceeded']);
});

t.test('malformed inner headers raise events and never throw', async (t) => {
  // GRE says IPv4, the inner header lies about its length
  const bad = innerTcp();
  bad[0] = 0x43; // IHL 3
  const d = decodeFrame(ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, payload: bad }) }), undefined, { tunnels: 4 });
  t.same(d.events, ['decoder.ipv4.hlen_too_small']);
  t.equal(d.inner.length, 1);
  t.equal(d.inner[0]!.ipVersion, 0, 'no inner IP');
  // 6in4 whose payload is IPv4
  const v = decodeFrame(ipFrame({ ...O4, proto: IpProto.IPV6, payload: innerTcp() }), undefined, { tunnels: 4 });
  t.same(v.events, ['decoder.ipv6.wrong_ip_version']);
  // every cut of a VXLAN and a GRE frame: events at most, never an exception
  const frames = [overUdp(4789, vxlan({ vni: 1, payload: innerEth() })), ipFrame({ ...O6, proto: IpProto.GRE, payload: gre({ proto: GreProto.ERSPAN3, payload: erspan({ type: 3, platform: true, payload: innerEth(I6) }) }) })];
  let cuts = 0;
  for (const f of frames) {
    for (let n = 0; n <= f.length; n++) {
      decodeFrame(f.subarray(0, n), undefined, { tunnels: 4 });
      decodeFrame(f.subarray(0, n), undefined, { tunnels: 4, wirelen: f.length });
      cuts++;
    }
  }
  t.ok(cuts > 100, `${cuts} cut frames decoded`);
});

t.test('not tunnels: fragments, other payloads on tunnel ports, GTP control messages, PPTP control', async (t) => {
  const frag = decodeFrame(ethernet({ etherType: EtherType.IPV4, payload: (() => {
    const p = ipPacket({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, payload: innerTcp() }) });
    p[6] = 0x20; // more fragments
    p.writeUInt16BE(0xffff, 10); // a checksum nobody checks
    return p;
  })() }), undefined, { tunnels: 4 });
  t.equal(frag.pkt.tunnel, 0, 'a first fragment is not decapsulated (no reassembly)');
  t.equal(decodeFrame(overUdp(2152, gtpu({ teid: 1, msgType: 1, payload: Buffer.alloc(0) }))).pkt.tunnel, 0, 'GTP echo request');
  t.equal(decodeFrame(overUdp(3544, Buffer.from('not teredo at all, just some datagram of forty-odd bytes'))).pkt.tunnel, 0, 'other traffic on 3544');
  t.equal(decodeFrame(overUdp(51000, teredo({ payload: innerTcp({ src: 'fd00::1', dst: 'fd00::2' }) }))).pkt.tunnel, 0, 'IPv6 in UDP without a Teredo address elsewhere than 3544');
  t.equal(decodeFrame(overUdp(5072, ayiya({ payload: innerTcp(), opcode: 0 }))).pkt.tunnel, 0, 'AYIYA without the forward opcode');
  const lcp = ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ version: 1, proto: GreProto.PPP, key: 1, payload: ppp({ protocol: 0xc021, payload: Buffer.alloc(8) }) }) });
  t.equal(decodeFrame(lcp).pkt.tunnel, 0, 'PPTP carrying LCP');
  t.same(decodeFrame(lcp).events, []);
  const ipv6Bubble = ipv6({ src: '2001:0:1::1', dst: '2001:db8::1', proto: 59, payload: Buffer.alloc(0) });
  t.equal(decodeFrame(overUdp(3544, Buffer.concat([ipv6Bubble, Buffer.alloc(4)]))).pkt.tunnel, Tunnel.TEREDO, 'a Teredo bubble may have bytes after it');
});

t.test('Aruba WLAN in GRE: the 802.11 frame is decoded, its packet is the inner one', async (t) => {
  // trace tunnels/gre-aruba-amsdu.pcap (GRE protocol type 0x8240, a QoS data frame), as Zeek's GRE analyzer
  const frame = wlanData({ src: '02:00:00:00:0b:01', dst: '02:00:00:00:0b:02', fromDs: true, qos: true, payload: innerTcp() });
  for (const proto of [0x8200, 0x8240, 0x8300, 0x9000]) {
    const d = decodeFrame(ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto, payload: frame }) }), undefined, { tunnels: 4 });
    t.same(d.events, [], `0x${proto.toString(16)}: no event`);
    t.equal(d.pkt.tunnel, Tunnel.GRE);
    t.equal(tuple(d.inner[0]!), `${I4.src}:40000 > ${I4.dst}:443`, `0x${proto.toString(16)}: the TCP packet inside`);
  }
});

t.test('a GRE payload no decoder knows is left alone, without an event', async (t) => {
  // WCCP's redirect header (0x883e)
  const wccp = ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: 0x883e, payload: Buffer.alloc(40, 0x88) }) });
  const d = decodeFrame(wccp, undefined, { tunnels: 4 });
  t.same(d.events, []);
  t.equal(d.pkt.tunnel, Tunnel.GRE);
  t.equal(d.inner.length, 1);
  t.equal(d.inner[0]!.ipVersion, 0, 'nothing decoded inside');
  const mpls = Buffer.from([0, 0, 0x11, 64]); // one label, bottom of stack
  const overMpls = decodeFrame(ipFrame({ ...O4, proto: IpProto.GRE, payload: gre({ proto: GreProto.MPLS, payload: Buffer.concat([mpls, innerTcp()]) }) }), undefined, { tunnels: 4 });
  t.same(overMpls.events, []);
  t.equal(tuple(overMpls.inner[0]!), `${I4.src}:40000 > ${I4.dst}:443`, 'MPLS in GRE: the EtherType decoders take it');
});
