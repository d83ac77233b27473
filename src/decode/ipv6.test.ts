import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, EtherType, ipv6, IpProto, tcp, udp, type Ipv6Ext, type Ipv6Opts } from '../capture/packet-builder.js';
import { Fragment } from './packet.js';
import { ipToString } from './addr.js';
import { MAX_EXT_HEADERS } from './ipv6.js';

const SRC = 'fd00:99::2';
const DST = 'fd00:99::1';
const seg = () => udp({ src: SRC, dst: DST, sport: 5000, dport: 6000, payload: 'abc' });
const frame = (o: Partial<Ipv6Opts> = {}) =>
  ethernet({ etherType: EtherType.IPV6, payload: ipv6({ src: SRC, dst: DST, proto: IpProto.UDP, payload: seg(), ...o }) });

t.test('IPv6 header fields', async (t) => {
  const d = decodeFrame(frame({ hopLimit: 255 }));
  t.same(d.events, []);
  const p = d.pkt;
  t.same([p.ipVersion, p.ipProto, p.ttl, p.ipLen], [6, 17, 255, 40 + 11]);
  t.equal(ipToString(p.srcAddr, 6), SRC);
  t.equal(ipToString(p.dstAddr, 6), DST);
  t.same([p.l4, p.srcPort, p.dstPort, p.payloadLen, p.payloadCaptured], [true, 5000, 6000, 3, 3]);
});

t.test('extension-header chain', async (t) => {
  const ext: Ipv6Ext[] = [{ type: 'hop', options: Buffer.from([5, 2, 0, 0]) }, { type: 'routing', routingType: 4, addresses: ['fd00:99::9'] }, { type: 'dst' }];
  const d = decodeFrame(frame({ ext }));
  t.same(d.events, []);
  t.same([d.pkt.ipProto, d.pkt.dstPort, d.pkt.payloadCaptured], [17, 6000, 3]);
  const ah = Buffer.alloc(16);
  ah[0] = IpProto.UDP;
  ah[1] = 2; // (2 + 2) * 4 = 16 bytes
  const withAh = decodeFrame(ethernet({ etherType: EtherType.IPV6, payload: ipv6({ src: SRC, dst: DST, proto: 51, payload: Buffer.concat([ah, seg()]) }) }));
  t.same([withAh.pkt.ipProto, withAh.pkt.dstPort], [17, 6000], 'AH length is in 4-byte units');
  const noNext = decodeFrame(frame({ proto: 59, payload: Buffer.alloc(0) }));
  t.same([noNext.pkt.ipProto, noNext.pkt.l4], [59, false]);
  t.same(noNext.events, []);
});

t.test('fragment header', async (t) => {
  const first = decodeFrame(frame({ ext: [{ type: 'fragment', offset: 0, more: true, id: 0xdeadbeef }] }));
  t.same([first.pkt.fragment, first.pkt.ipId, first.pkt.ipProto, first.pkt.dstPort], [Fragment.FIRST, 0xdeadbeef, 17, 6000]);
  const later = decodeFrame(frame({ ext: [{ type: 'fragment', offset: 1448, more: false, id: 1 }] }));
  t.same([later.pkt.fragment, later.pkt.l4, later.pkt.ipProto, later.pkt.dstPort], [Fragment.LATER, false, 17, 0]);
  const atomic = decodeFrame(frame({ ext: [{ type: 'fragment', offset: 0, more: false }] }));
  t.equal(atomic.pkt.fragment, Fragment.NONE, 'an atomic fragment (RFC 6946) is a whole packet');
  const big = decodeFrame(frame({ ext: [{ type: 'fragment', offset: 65528, more: true }] }));
  t.same(big.events, ['decoder.ipv6.frag_pkt_too_large']);
});

t.test('malformations', async (t) => {
  const short = decodeFrame(frame().subarray(0, 14 + 39));
  t.same(short.events, ['decoder.ipv6.pkt_too_small']);
  t.equal(short.pkt.ipVersion, 0);
  const v = Buffer.from(frame());
  v[14] = 0x40;
  t.same(decodeFrame(v).events, ['decoder.ipv6.wrong_ip_version']);
  const lie = decodeFrame(frame({ payloadLength: 500 }));
  t.same(lie.events, ['decoder.ipv6.trunc_pkt']);
  t.same([lie.pkt.ipVersion, lie.pkt.ipLen], [6, 540]);
  t.same([lie.pkt.l4, lie.pkt.payloadCaptured], [true, 3], 'the UDP header is whole and its length fits the declared payload');
  const cutExt = decodeFrame(frame({ ext: [{ type: 'hop' }, { type: 'dst', options: Buffer.alloc(20) }] }).subarray(0, 14 + 40 + 8 + 10));
  t.same(cutExt.events, ['decoder.ipv6.trunc_pkt', 'decoder.ipv6.trunc_exthdr'], 'cut without a snap length: the payload length lies too');
  const snapCut = decodeFrame(frame({ ext: [{ type: 'hop' }, { type: 'dst', options: Buffer.alloc(20) }] }).subarray(0, 14 + 40 + 8 + 10), 1, { wirelen: 200 });
  t.same(snapCut.events, ['decoder.ipv6.trunc_exthdr']);
  t.same([cutExt.pkt.ipVersion, cutExt.pkt.l4, cutExt.pkt.ipProto], [6, false, 60]);
  const noLen = decodeFrame(frame({ ext: [{ type: 'hop' }] }).subarray(0, 14 + 40 + 1), 1, { wirelen: 200 });
  t.same(noLen.events, ['decoder.ipv6.trunc_exthdr'], 'one byte of an extension header');
  const many = decodeFrame(frame({ ext: new Array<Ipv6Ext>(MAX_EXT_HEADERS + 1).fill({ type: 'dst' }) }));
  t.same(many.events, ['decoder.ipv6.exthdr_too_many']);
  t.equal(many.pkt.l4, false);
  const maxOk = decodeFrame(frame({ ext: new Array<Ipv6Ext>(MAX_EXT_HEADERS).fill({ type: 'dst' }) }));
  t.same([maxOk.events, maxOk.pkt.dstPort], [[], 6000], 'exactly MAX_EXT_HEADERS is fine');
  const tcpOver6 = decodeFrame(ethernet({ etherType: EtherType.IPV6, payload: ipv6({ src: SRC, dst: DST, proto: 6, payload: tcp({ src: SRC, dst: DST, sport: 1, dport: 2 }) }) }));
  t.equal(tcpOver6.pkt.tcpFlags, 0x10);
});
