import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { tcpFrame, type TcpFrameOpts } from '../capture/packet-builder.js';
import { TcpFlag } from './packet.js';

const base: TcpFrameOpts = { src: '10.99.0.2', dst: '10.99.0.1', sport: 51000, dport: 443 };
const frame = (o: Partial<TcpFrameOpts> = {}) => tcpFrame({ ...base, ...o });

t.test('TCP header fields', async (t) => {
  const d = decodeFrame(frame({ flags: 'PA', seq: 0xfffffff0, ack: 0x80000001, window: 502, payload: 'GETX' }));
  t.same(d.events, []);
  const p = d.pkt;
  t.same([p.l4, p.srcPort, p.dstPort], [true, 51000, 443]);
  t.equal(p.tcpSeq, 0xfffffff0, 'sequence numbers are unsigned');
  t.equal(p.tcpAck, 0x80000001);
  t.equal(p.tcpFlags, TcpFlag.PSH | TcpFlag.ACK);
  t.equal(p.tcpWindow, 502);
  t.same([p.tcpMss, p.tcpWscale], [-1, -1]);
  t.same([p.payloadOffset, p.payloadLen, p.payloadCaptured], [54, 4, 4]);
  const all = decodeFrame(frame({ flags: 'FSRPAUEC' }));
  t.equal(all.pkt.tcpFlags, 0xff);
  const ns = Buffer.from(frame({ flags: 'S' }));
  ns[14 + 20 + 12] |= 1;
  t.equal(decodeFrame(ns).pkt.tcpFlags, 0x102, 'NS (ECN nonce) is bit 8');
});

t.test('options: MSS and window scale kept, others skipped', async (t) => {
  const syn = decodeFrame(frame({ flags: 'S', options: { mss: 1460, sackPermitted: true, timestamps: [123, 0], wscale: 7 } }));
  t.same(syn.events, []);
  t.same([syn.pkt.tcpMss, syn.pkt.tcpWscale], [1460, 7]);
  t.equal(syn.pkt.payloadCaptured, 0);
  const sack = decodeFrame(frame({ options: { timestamps: [1, 2], sack: [[100, 200]] }, payload: 'x' }));
  t.same(sack.events, []);
  t.same([sack.pkt.tcpMss, sack.pkt.payloadCaptured], [-1, 1]);
});

t.test('malformations', async (t) => {
  const ip = 14 + 20;
  const short = decodeFrame(frame().subarray(0, ip + 19), 1, { wirelen: 200 });
  t.same(short.events, ['decoder.tcp.pkt_too_small']);
  t.same([short.pkt.ipVersion, short.pkt.l4, short.pkt.srcPort], [4, false, 0], 'IP fields set, l4 false');
  const small = decodeFrame(frame({ dataOffset: 4 }));
  t.same(small.events, ['decoder.tcp.hlen_too_small']);
  t.equal(small.pkt.l4, false);
  const large = decodeFrame(frame({ dataOffset: 15, payload: 'abc' }));
  t.same(large.events, ['decoder.tcp.hlen_too_large']);
  t.equal(large.pkt.l4, false);

  const badLen = decodeFrame(frame({ options: { raw: Buffer.from([8, 40, 0, 0]) } }));
  t.same(badLen.events, ['decoder.tcp.opt_invalid_len'], 'length past the header');
  t.equal(badLen.pkt.l4, true, 'a bad option does not undo the header');
  t.same(decodeFrame(frame({ options: { raw: Buffer.from([1, 1, 1, 8]) } })).events, ['decoder.tcp.opt_invalid_len'], 'no room for the length byte');
  t.same(decodeFrame(frame({ options: { raw: Buffer.from([30, 1, 1, 1]) } })).events, ['decoder.tcp.opt_invalid_len'], 'length 1');
  t.same(decodeFrame(frame({ options: { raw: Buffer.from([2, 3, 5, 1]) } })).events, ['decoder.tcp.opt_invalid_len'], 'MSS of length 3');
  t.same(decodeFrame(frame({ options: { raw: Buffer.from([3, 4, 5, 1]) } })).events, ['decoder.tcp.opt_invalid_len'], 'wscale of length 4');
  const dup = decodeFrame(frame({ options: { mss: 1400, raw: Buffer.from([2, 4, 0x01, 0x00]) } }));
  t.same(dup.events, ['decoder.tcp.opt_duplicate']);
  t.equal(dup.pkt.tcpMss, 1400, 'the first MSS counts');
  const dupWs = decodeFrame(frame({ options: { wscale: 2, raw: Buffer.from([3, 3, 9, 0]) } }));
  t.same([dupWs.events, dupWs.pkt.tcpWscale], [['decoder.tcp.opt_duplicate'], 2]);
});
