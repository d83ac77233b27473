import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, ipPacket, IpProto, udp, udpFrame } from '../capture/packet-builder.js';
import { macToString } from './addr.js';
import { MAX_MPLS_LABELS } from './mpls.js';

function labels(n: number, bottom = true): Buffer {
  const b = Buffer.alloc(4 * n);
  for (let i = 0; i < n; i++) {
    b.writeUInt32BE(((1000 + i) << 12) | 64, 4 * i); // label, TTL 64
    if (bottom && i === n - 1) b[4 * i + 2] |= 1;
  }
  return b;
}
const v4 = ipPacket({ src: '10.99.0.2', dst: '10.99.0.1', proto: IpProto.UDP, payload: udp({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 }) });
const v6 = ipPacket({ src: 'fd00:99::2', dst: 'fd00:99::1', proto: IpProto.UDP, payload: udp({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 3, dport: 4 }) });
const mpls = (payload: Buffer) => ethernet({ etherType: 0x8847, payload });

t.test('label stacks over IPv4, IPv6 and an Ethernet pseudowire', async (t) => {
  t.same([decodeFrame(mpls(Buffer.concat([labels(1), v4]))).pkt.dstPort], [2]);
  const two = decodeFrame(mpls(Buffer.concat([labels(2), v6])));
  t.same([two.events, two.pkt.ipVersion, two.pkt.dstPort], [[], 6, 4]);
  const inner = udpFrame({ srcMac: '02:00:00:00:99:01', src: '10.99.0.5', dst: '10.99.0.6', sport: 7, dport: 8 });
  const pw = decodeFrame(mpls(Buffer.concat([labels(1), Buffer.alloc(4), inner])));
  t.same([pw.events, pw.pkt.dstPort, macToString(pw.pkt.srcMac)], [[], 8, '02:00:00:00:99:01']);
  const max = decodeFrame(mpls(Buffer.concat([labels(MAX_MPLS_LABELS), v4])));
  t.same([max.events, max.pkt.dstPort], [[], 2]);
});

t.test('malformations', async (t) => {
  t.same(decodeFrame(mpls(labels(1).subarray(0, 3))).events, ['decoder.mpls.pkt_too_small']);
  t.same(decodeFrame(mpls(labels(1))).events, ['decoder.mpls.pkt_too_small'], 'nothing after the bottom label');
  t.same(decodeFrame(mpls(Buffer.concat([labels(MAX_MPLS_LABELS + 1), v4]))).events, ['decoder.mpls.too_many_labels']);
  t.same(decodeFrame(mpls(Buffer.concat([labels(1), Buffer.from([0x90, 0, 0, 0])]))).events, ['decoder.mpls.unknown_payload']);
});
