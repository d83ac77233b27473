import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, EtherType, ipv4, IpProto, tcp, tcpFrame, type Ipv4Opts } from '../capture/packet-builder.js';
import { Fragment } from './packet.js';
import { ipToString } from './addr.js';

const SRC = '10.99.0.2';
const DST = '10.99.0.1';
const seg = (payload = '') => tcp({ src: SRC, dst: DST, sport: 40000, dport: 80, flags: 'PA', payload });
const frame = (o: Partial<Ipv4Opts> = {}, trailer = Buffer.alloc(0)) =>
  ethernet({ etherType: EtherType.IPV4, payload: Buffer.concat([ipv4({ src: SRC, dst: DST, proto: IpProto.TCP, payload: seg('hello'), ...o }), trailer]) });

t.test('IPv4 header fields', async (t) => {
  const d = decodeFrame(frame({ ttl: 33, id: 0xbeef, df: true }));
  t.same(d.events, []);
  const p = d.pkt;
  t.equal(p.ipVersion, 4);
  t.same(Array.from(p.srcAddr), [0, 0, 0xffff, 0x0a630002], 'IPv4-mapped words');
  t.equal(ipToString(p.dstAddr, 4), DST);
  t.same([p.ipProto, p.ttl, p.ipId, p.ipLen, p.fragment], [6, 33, 0xbeef, 20 + 20 + 5, Fragment.NONE]);
  t.same([p.l4, p.payloadLen, p.payloadCaptured], [true, 5, 5]);
});

t.test('options and Ethernet padding', async (t) => {
  const ra = decodeFrame(frame({ options: Buffer.from([148, 4, 0, 0, 1]) })); // router alert, NOP, EOL padding
  t.same(ra.events, []);
  t.same([ra.pkt.dstPort, ra.pkt.payloadCaptured], [80, 5]);
  const padded = decodeFrame(frame({}, Buffer.alloc(12)));
  t.equal(padded.pkt.payloadCaptured, 5, 'padding after the IP packet is not payload');
  t.equal(padded.pkt.payloadLen, 5);
});

t.test('fragments are not reassembled', async (t) => {
  const first = decodeFrame(frame({ mf: true, id: 7 }));
  t.same([first.pkt.fragment, first.pkt.l4, first.pkt.dstPort], [Fragment.FIRST, true, 80]);
  const later = decodeFrame(frame({ fragOffset: 1480, id: 7 }));
  t.same([later.pkt.fragment, later.pkt.l4, later.pkt.dstPort, later.pkt.ipProto], [Fragment.LATER, false, 0, 6]);
  t.equal(ipToString(later.pkt.srcAddr, 4), SRC, 'IP fields are set for later fragments');
  t.same(later.events, []);
});

t.test('segmentation offload: total length 0', async (t) => {
  const d = decodeFrame(frame({ totalLength: 0 }));
  t.same(d.events, []);
  t.same([d.pkt.l4, d.pkt.payloadCaptured], [true, 5]);
});

t.test('snap-length cut is not a malformation; a lying length is', async (t) => {
  const full = tcpFrame({ src: SRC, dst: DST, sport: 1, dport: 443, payload: Buffer.alloc(1000) });
  const snap = decodeFrame(full.subarray(0, 96), 1, { wirelen: full.length });
  t.same(snap.events, []);
  t.same([snap.pkt.l4, snap.pkt.payloadLen, snap.pkt.payloadCaptured], [true, 1000, 96 - 54]);
  const lie = decodeFrame(frame({ totalLength: 200 }));
  t.same(lie.events, ['decoder.ipv4.trunc_pkt']);
  t.same([lie.pkt.ipVersion, lie.pkt.l4, lie.pkt.payloadLen, lie.pkt.payloadCaptured], [4, true, 200 - 40, 5]);
});

t.test('malformations', async (t) => {
  const cases: [string, Buffer, string][] = [
    ['19 bytes', frame().subarray(0, 14 + 19), 'decoder.ipv4.pkt_too_small'],
    ['version 5', frame({ version: 5 }), 'decoder.ipv4.wrong_ip_version'],
    ['IHL 4', frame({ headerLength: 16 }), 'decoder.ipv4.hlen_too_small'],
    ['IHL beyond the bytes', frame({ headerLength: 60 }).subarray(0, 14 + 40), 'decoder.ipv4.hlen_too_large'],
    ['total length < IHL', frame({ totalLength: 19 }), 'decoder.ipv4.iplen_smaller_than_hlen'],
  ];
  for (const [name, f, ev] of cases) {
    const d = decodeFrame(f);
    t.ok(d.ok, `${name}: the link layer decoded`);
    t.same(d.events, [ev], name);
    t.equal(d.pkt.ipVersion, 0, `${name}: no IP fields from a broken header`);
    t.equal(d.pkt.l4, false);
  }
  const opt = decodeFrame(frame({ options: Buffer.from([7, 9, 4, 0]) })); // record route claiming 9 bytes in 4
  t.same(opt.events, ['decoder.ipv4.opt_invalid_len']);
  t.equal(opt.pkt.dstPort, 80, 'a bad option does not stop decoding');
  const opt1 = decodeFrame(frame({ options: Buffer.from([1, 1, 1, 0x44]) })); // option kind in the last byte, no length
  t.same(opt1.events, ['decoder.ipv4.opt_invalid_len']);
  const opt0 = decodeFrame(frame({ options: Buffer.from([0x44, 1, 0, 0]) })); // length 1 < 2
  t.same(opt0.events, ['decoder.ipv4.opt_invalid_len']);
  const big = decodeFrame(frame({ fragOffset: 65528, mf: true }));
  t.same(big.events, ['decoder.ipv4.frag_pkt_too_large']);
  t.equal(big.pkt.fragment, Fragment.LATER);
});
