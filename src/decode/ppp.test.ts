import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ipPacket, IpProto, PppProto, pppLink, pppSerial, udp } from '../capture/packet-builder.js';
import { LinkType } from './packet.js';

const v4 = ipPacket({ src: '10.99.0.2', dst: '10.99.0.1', proto: IpProto.UDP, payload: udp({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 }) });
const v6 = ipPacket({ src: 'fd00:99::2', dst: 'fd00:99::1', proto: IpProto.UDP, payload: udp({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 3, dport: 4 }) });
/** one MPLS label, bottom of stack, then IPv4 */
const mpls = Buffer.concat([Buffer.from([0, 0x01, 0x01, 0x40]), v4]);

t.test('LINKTYPE_PPP with and without HDLC-like framing', async (t) => {
  for (const hdlc of [true, false]) {
    const a = decodeFrame(pppLink({ protocol: PppProto.IPV4, payload: v4, hdlc }), LinkType.PPP);
    t.same([a.ok, a.events, a.pkt.etherType, a.pkt.dstPort], [true, [], 0x0800, 2], `IPv4, hdlc ${hdlc}`);
    const b = decodeFrame(pppLink({ protocol: PppProto.IPV6, payload: v6, hdlc }), LinkType.PPP);
    t.same([b.events, b.pkt.ipVersion, b.pkt.dstPort], [[], 6, 4], `IPv6, hdlc ${hdlc}`);
  }
  const c = decodeFrame(pppLink({ protocol: PppProto.IPV4, payload: v4, compress: true }), LinkType.PPP);
  t.same([c.events, c.pkt.dstPort], [[], 2], 'a compressed 1-byte protocol field');
  const m = decodeFrame(pppLink({ protocol: PppProto.MPLS, payload: mpls }), LinkType.PPP);
  t.same([m.events, m.pkt.etherType, m.pkt.dstPort], [[], 0x0800, 2], 'MPLS over PPP');
  t.equal(decodeFrame(pppLink({ protocol: PppProto.IPV4, payload: v4 }), LinkType.PPP).pkt.srcMac, -1, 'PPP has no MACs');
});

t.test('PPP control protocols are counted, the link layer still decoded', async (t) => {
  for (const protocol of [PppProto.LCP, PppProto.IPCP]) {
    const d = decodeFrame(pppLink({ protocol, payload: Buffer.alloc(12) }), LinkType.PPP);
    t.same([d.ok, d.events, d.pkt.ipVersion], [true, ['decoder.ppp.unsupported_proto'], 0]);
  }
});

t.test('cut-off PPP headers are skipped', async (t) => {
  for (const frame of [Buffer.from([0xff, 0x03]), Buffer.from([0xff, 0x03, 0x00]), Buffer.from([0x00]), Buffer.alloc(0)]) {
    const d = decodeFrame(frame, LinkType.PPP);
    t.same([d.ok, d.events, d.stats.skipped], [false, ['decoder.ppp.pkt_too_small'], 1], frame.toString('hex'));
  }
  const s = decodeFrame(Buffer.from([0xff, 0x03, 0x00]), LinkType.PPP_SERIAL);
  t.same([s.ok, s.events], [false, ['decoder.ppp.pkt_too_small']]);
});

t.test('LINKTYPE_PPP_HDLC: PPP, and Cisco HDLC with an EtherType', async (t) => {
  const p = decodeFrame(pppSerial({ protocol: PppProto.IPV4, payload: v4 }), LinkType.PPP_SERIAL);
  t.same([p.events, p.pkt.etherType, p.pkt.dstPort], [[], 0x0800, 2]);
  const q = decodeFrame(pppSerial({ protocol: PppProto.IPV6, payload: v6 }), LinkType.PPP_SERIAL);
  t.same([q.events, q.pkt.dstPort], [[], 4]);
  const c = decodeFrame(pppSerial({ address: 0x0f, protocol: 0x0800, payload: v4 }), LinkType.PPP_SERIAL);
  t.same([c.events, c.pkt.etherType, c.pkt.dstPort], [[], 0x0800, 2], 'Cisco HDLC unicast');
  const b = decodeFrame(pppSerial({ address: 0x8f, protocol: 0x86dd, payload: v6 }), LinkType.PPP_SERIAL);
  t.same([b.events, b.pkt.dstPort], [[], 4], 'Cisco HDLC broadcast');
  const lcp = decodeFrame(pppSerial({ protocol: PppProto.LCP, payload: Buffer.alloc(8) }), LinkType.PPP_SERIAL);
  t.same([lcp.ok, lcp.events], [true, ['decoder.ppp.unsupported_proto']]);
  // as PPP, 0x0021 is IPv4; as Cisco HDLC it is an 802.3-style value below 0x0600, not an EtherType
  const odd = decodeFrame(pppSerial({ address: 0x0f, protocol: 0x0021, payload: v4 }), LinkType.PPP_SERIAL);
  t.same([odd.events, odd.pkt.ipVersion], [['decoder.ppp.unsupported_proto'], 0]);
});
