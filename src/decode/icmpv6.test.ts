import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { icmpFrame, udpFrame } from '../capture/packet-builder.js';

t.test('ICMPv6 echo, unreachable and neighbour solicitation', async (t) => {
  const echo = decodeFrame(icmpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1', id: 1, seq: 1, payload: Buffer.alloc(8) }));
  t.same(echo.events, []);
  t.same([echo.pkt.ipProto, echo.pkt.l4, echo.pkt.icmpType, echo.pkt.payloadLen], [58, true, 128, 8]);
  const quoted = udpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 1, dport: 2 }).subarray(14);
  const un = decodeFrame(icmpFrame({ src: 'fd00:99::1', dst: 'fd00:99::2', type: 1, code: 4, quoted }));
  t.same([un.pkt.icmpType, un.pkt.icmpCode, un.pkt.payloadCaptured], [1, 4, 48]);
  const ns = decodeFrame(icmpFrame({ src: 'fe80::2', dst: 'ff02::1:ff00:1', type: 135, rest: 0, payload: Buffer.alloc(16), ttl: 255 }));
  t.same([ns.pkt.icmpType, ns.pkt.ttl], [135, 255]);
});

t.test('ICMPv6 malformation', async (t) => {
  const d = decodeFrame(icmpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1' }).subarray(0, 14 + 40 + 4), 1, { wirelen: 62 });
  t.same(d.events, ['decoder.icmpv6.pkt_too_small']);
  t.same([d.pkt.ipVersion, d.pkt.l4], [6, false]);
});
