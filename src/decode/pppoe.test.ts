import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, ipPacket, IpProto, udp } from '../capture/packet-builder.js';

function session(ppp: number, payload: Buffer, code = 0, lenOverride?: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x11;
  h[1] = code;
  h.writeUInt16BE(0x1234, 2);
  h.writeUInt16BE(lenOverride ?? payload.length + 2, 4);
  h.writeUInt16BE(ppp, 6);
  return ethernet({ etherType: 0x8864, payload: Buffer.concat([h, payload]) });
}
const v4 = ipPacket({ src: '10.99.0.2', dst: '10.99.0.1', proto: IpProto.UDP, payload: udp({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 }) });
const v6 = ipPacket({ src: 'fd00:99::2', dst: 'fd00:99::1', proto: IpProto.UDP, payload: udp({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 3, dport: 4 }) });

t.test('PPPoE session carrying IPv4 and IPv6', async (t) => {
  const a = decodeFrame(session(0x0021, v4));
  t.same([a.events, a.pkt.etherType, a.pkt.dstPort], [[], 0x0800, 2]);
  const b = decodeFrame(session(0x0057, v6));
  t.same([b.events, b.pkt.ipVersion, b.pkt.dstPort], [[], 6, 4]);
  const padded = decodeFrame(Buffer.concat([session(0x0021, v4), Buffer.alloc(10)]));
  t.equal(padded.pkt.payloadCaptured, 0, 'Ethernet padding is cut at the PPPoE length');
  const disc = decodeFrame(ethernet({ etherType: 0x8863, payload: Buffer.alloc(20) }));
  t.same(disc.events, [], 'discovery is not an unknown EtherType');
});

t.test('malformations', async (t) => {
  t.same(decodeFrame(session(0x0021, v4).subarray(0, 14 + 7)).events, ['decoder.pppoe.pkt_too_small']);
  t.same(decodeFrame(session(0x0021, v4, 0, 1)).events, ['decoder.pppoe.pkt_too_small'], 'length below the PPP field');
  t.same(decodeFrame(session(0x0021, v4, 0x09)).events, ['decoder.pppoe.wrong_code']);
  const lcp = decodeFrame(session(0xc021, Buffer.alloc(10)));
  t.same([lcp.events, lcp.pkt.ipVersion], [['decoder.pppoe.unsupported_proto'], 0]);
});
