import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { icmpFrame, udpFrame } from '../capture/packet-builder.js';

t.test('ICMP echo and destination unreachable', async (t) => {
  const echo = decodeFrame(icmpFrame({ src: '10.99.0.2', dst: '10.99.0.1', id: 9, seq: 3, payload: Buffer.alloc(56) }));
  t.same(echo.events, []);
  t.same([echo.pkt.ipProto, echo.pkt.l4, echo.pkt.icmpType, echo.pkt.icmpCode, echo.pkt.payloadLen], [1, true, 8, 0, 56]);
  t.same([echo.pkt.srcPort, echo.pkt.dstPort], [0, 0]);
  const quoted = udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40000, dport: 33434, payload: 'probe' }).subarray(14);
  const unreach = decodeFrame(icmpFrame({ src: '10.99.0.1', dst: '10.99.0.2', type: 3, code: 3, quoted }));
  t.same([unreach.pkt.icmpType, unreach.pkt.icmpCode, unreach.pkt.payloadCaptured], [3, 3, 28]);
  t.equal(unreach.pkt.dstPort, 0, 'the quoted header does not set ports');
});

t.test('ICMP malformation', async (t) => {
  const d = decodeFrame(icmpFrame({ src: '10.99.0.2', dst: '10.99.0.1' }).subarray(0, 14 + 20 + 7), 1, { wirelen: 42 });
  t.same(d.events, ['decoder.icmpv4.pkt_too_small']);
  t.same([d.pkt.ipVersion, d.pkt.l4, d.pkt.icmpType], [4, false, -1]);
});
