import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, EtherType, ip, ipv4, IpProto, udp, udpFrame } from '../capture/packet-builder.js';
import { Fragment } from './packet.js';

t.test('UDP header fields', async (t) => {
  const d = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 12345, dport: 9999, payload: 'hello' }));
  t.same(d.events, []);
  t.same([d.pkt.l4, d.pkt.srcPort, d.pkt.dstPort, d.pkt.payloadOffset, d.pkt.payloadLen, d.pkt.payloadCaptured], [true, 12345, 9999, 42, 5, 5]);
  t.same([d.pkt.tcpFlags, d.pkt.icmpType], [0, -1]);
  const v6 = decodeFrame(udpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 1, dport: 2, payload: Buffer.alloc(100) }));
  t.same([v6.pkt.l4, v6.pkt.payloadLen], [true, 100]);
});

t.test('UDP length shorter than the IP payload bounds the payload', async (t) => {
  const inner = udp({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, payload: 'abcdef', length: 10 });
  const d = decodeFrame(ethernet({ etherType: EtherType.IPV4, payload: ipv4({ src: '10.99.0.2', dst: '10.99.0.1', proto: IpProto.UDP, payload: inner }) }));
  t.same(d.events, []);
  t.same([d.pkt.payloadLen, d.pkt.payloadCaptured], [2, 2]);
});

t.test('malformations', async (t) => {
  const short = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 }).subarray(0, 14 + 20 + 7), 1, { wirelen: 42 });
  t.same(short.events, ['decoder.udp.pkt_too_small']);
  t.same([short.pkt.ipVersion, short.pkt.l4], [4, false]);
  const tooSmall = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, length: 7 }));
  t.same(tooSmall.events, ['decoder.udp.len_invalid']);
  t.equal(tooSmall.pkt.l4, false);
  const tooBig = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, payload: 'x', length: 100 }));
  t.same(tooBig.events, ['decoder.udp.len_invalid']);
  const snap = udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, payload: Buffer.alloc(500) });
  const cut = decodeFrame(snap.subarray(0, 60), 1, { wirelen: snap.length });
  t.same(cut.events, [], 'a snap-length cut keeps the declared length');
  t.same([cut.pkt.l4, cut.pkt.payloadLen, cut.pkt.payloadCaptured], [true, 500, 60 - 42]);
});

t.test('the first fragment of a datagram keeps its ports; its length covers the fragments to come', async (t) => {
  const whole = udp({ src: '10.99.0.2', dst: '10.99.0.3', sport: 5353, dport: 53, payload: Buffer.alloc(3000, 1) });
  const first = whole.subarray(0, 1480);
  const frame = ethernet({ etherType: 0x0800, payload: ipv4({ src: ip('10.99.0.2'), dst: ip('10.99.0.3'), proto: 17, payload: first, mf: true, id: 77 }) });
  const { pkt, stats } = decodeFrame(frame);
  t.equal(pkt.fragment, Fragment.FIRST);
  t.equal(pkt.l4, true);
  t.equal(pkt.srcPort, 5353);
  t.equal(pkt.dstPort, 53);
  t.equal(pkt.payloadLen, 1480 - 8, "this fragment's part of the payload");
  t.equal(stats.count('decoder.udp.len_invalid'), 0);
});
