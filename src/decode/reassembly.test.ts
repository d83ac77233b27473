import t from 'tap';
import {
  dnsResponse, ethernet, EtherType, fragmentEvenly, fragments, gtpu, ipPacket, IpProto, tcp, udp, udpFrame, type FragmentSpec,
} from '../capture/packet-builder.js';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { FlowHarness } from '../../test/support/flow-packets.js';
import { DecodeStats } from './events.js';
import { Fragment, LinkType } from './packet.js';
import { DEFAULT_REASSEMBLY_CONFIG, FragmentReassembler, type ReassemblyConfig } from './reassembly.js';

const S4 = '10.99.0.2';
const D4 = '10.99.0.1';
const S6 = 'fd00:99::2';
const D6 = 'fd00:99::1';

const eth = (ip: Buffer) => ethernet({ etherType: ip[0] >> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4, payload: ip });
const reassembler = (o: Partial<ReassemblyConfig> = {}) => new FragmentReassembler({ ...DEFAULT_REASSEMBLY_CONFIG, ...o });
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));
const udpDgram = (src: string, dst: string, n: number, dport = 9000) => ipPacket({ src, dst, proto: IpProto.UDP, payload: udp({ src, dst, sport: 40000, dport, payload: pattern(n) }) });
const tcpDgram = (src: string, dst: string, n: number) =>
  ipPacket({ src, dst, proto: IpProto.TCP, payload: tcp({ src, dst, sport: 40001, dport: 80, flags: 'PA', seq: 1000, ack: 1, payload: pattern(n) }) });

/** Decode `frames` in order with one reassembler, at 1 ms apart from `s0` seconds; returns every result. */
function decodeAll(frames: Buffer[], frags: FragmentReassembler, stats = new DecodeStats(), s0 = 0, tunnels?: number) {
  return frames.map((f, i) => decodeFrame(f, LinkType.ETHERNET, { frags, stats, tsUs: (s0 + i / 1000) * 1e6, tunnels }));
}

/** The IPv4 datagram with the fields reassembly rewrites (id, checksum) masked, for comparing with what was cut. */
function maskV4(ip: Buffer): Buffer {
  const b = Buffer.from(ip);
  b.fill(0, 4, 6);
  b.fill(0, 10, 12);
  return b;
}

t.test('IPv4 UDP in order: the last fragment is the whole datagram, ports and all', async (t) => {
  const dgram = udpDgram(S4, D4, 3000);
  const frames = fragmentEvenly(dgram, 1480, { id: 77 }).map(eth);
  t.equal(frames.length, 3);
  const frags = reassembler();
  const out = decodeAll(frames, frags);
  t.same(out.slice(0, 2).map((d) => d.pkt.fragment), [Fragment.HELD, Fragment.HELD], 'the first two are held');
  const last = out[2].pkt;
  t.equal(last.fragment, Fragment.NONE);
  t.ok(last.l4);
  t.same([last.srcPort, last.dstPort, last.ipProto, last.ipLen, last.payloadLen, last.payloadCaptured], [40000, 9000, 17, dgram.length, 3000, 3000]);
  t.same(maskV4(last.buf.subarray(14)), maskV4(dgram), 'the datagram, byte for byte');
  t.same(last.buf.subarray(0, 14), frames[2].subarray(0, 14), 'behind the link-layer header of the completing fragment');
  t.same([last.caplen, last.wirelen], [14 + dgram.length, 14 + dgram.length]);
  t.same(out[2].events, []);
  t.same([frags.datagrams, frags.bytes, frags.stats.reassembled, frags.stats.fragments], [0, 0, 1, 3], 'nothing held afterwards');
});

t.test('IPv4 TCP out of order, and a DNS answer too big for one packet', async (t) => {
  const dgram = tcpDgram(S4, D4, 4000);
  const frames = fragmentEvenly(dgram, 1000, { id: 5 }).map(eth).reverse();
  const out = decodeAll(frames, reassembler());
  t.same(out.slice(0, -1).map((d) => d.pkt.fragment), new Array(frames.length - 1).fill(Fragment.HELD));
  const p = out.at(-1)!.pkt;
  t.same([p.fragment, p.ipProto, p.srcPort, p.dstPort, p.tcpSeq, p.payloadLen], [Fragment.NONE, 6, 40001, 80, 1000, 4000]);

  const answers = Array.from({ length: 30 }, (_, i) => ({ name: 'big.example', type: 'AAAA' as const, data: `2001:db8::${i + 1}` }));
  const dns = ipPacket({ src: D4, dst: S4, proto: IpProto.UDP, payload: udp({ src: D4, dst: S4, sport: 53, dport: 40000, payload: dnsResponse({ name: 'big.example', type: 'AAAA', answers }) }) });
  t.ok(dns.length > 600);
  const dfr = fragmentEvenly(dns, 296, { id: 9 }).map(eth);
  t.ok(dfr.length >= 3);
  const dout = decodeAll([dfr[1]!, ...dfr.slice(2).reverse(), dfr[0]!], reassembler());
  const d = dout.at(-1)!.pkt;
  t.equal(d.dns?.answers.length, 30, 'the DNS message is parsed from the reassembled datagram');
  t.equal(d.dns?.qname, 'big.example');
});

t.test('IPv6 UDP and TCP, with a hop-by-hop header in front, in and out of order', async (t) => {
  for (const [name, dgram] of [
    ['udp', ipPacket({ src: S6, dst: D6, proto: IpProto.UDP, ext: [{ type: 'hop' }], payload: udp({ src: S6, dst: D6, sport: 40000, dport: 9000, payload: pattern(2500) }) })],
    ['tcp', tcpDgram(S6, D6, 2500)],
  ] as const) {
    for (const order of ['in', 'out'] as const) {
      let frames = fragmentEvenly(dgram, 1232, { id: 0xdeadbeef }).map(eth);
      if (order === 'out') frames = [frames[1]!, frames[2]!, frames[0]!];
      const frags = reassembler();
      const out = decodeAll(frames, frags);
      const p = out.at(-1)!.pkt;
      t.same(out.slice(0, -1).map((d) => d.pkt.fragment), [Fragment.HELD, Fragment.HELD], `${name} ${order}: held`);
      t.same([p.fragment, p.ipVersion, p.ipProto, p.ipLen, p.payloadLen, p.ipId], [Fragment.NONE, 6, name === 'udp' ? 17 : 6, dgram.length, 2500, 0xdeadbeef], `${name} ${order}`);
      t.same(p.buf.subarray(14), dgram, `${name} ${order}: the datagram without its fragment header, byte for byte`);
      t.same(out.at(-1)!.events, []);
      t.equal(frags.bytes, 0);
    }
  }
});

t.test('an atomic fragment (offset 0, no more) is a whole packet, never held', async (t) => {
  const ip = fragments(udpDgram(S6, D6, 100), [{ off: 0, end: 108 }])[0]!;
  const d = decodeFrame(eth(ip), LinkType.ETHERNET, { frags: reassembler() });
  t.same([d.pkt.fragment, d.pkt.dstPort, d.pkt.payloadLen], [Fragment.NONE, 9000, 100]);
});

t.test('overlaps: the bytes seen first win, whichever comes first, each overlap counted', async (t) => {
  const dgram = udpDgram(S4, D4, 200); // 208 bytes of IP payload
  const payload = dgram.subarray(20);
  const evil = (spec: FragmentSpec) => ({ ...spec, data: Buffer.alloc(spec.end - spec.off, 0xee) });
  // forward: the true first fragment, then one overlapping it with other bytes
  for (const specs of [
    [{ off: 0, end: 104 }, evil({ off: 96, end: 208 })],
    [evil({ off: 96, end: 208 }), { off: 0, end: 104 }],
  ]) {
    const stats = new DecodeStats();
    const out = decodeAll(fragments(dgram, specs, { id: 3 }).map(eth), reassembler(), stats);
    const p = out.at(-1)!.pkt;
    t.equal(stats.count('decoder.ipv4.frag_overlap'), 1);
    const got = p.buf.subarray(14 + 20);
    t.equal(got.length, 208);
    const firstSeen = specs[0]!;
    // bytes 96..104 come from whichever fragment came first
    const expect96 = 'data' in firstSeen ? Buffer.alloc(8, 0xee) : payload.subarray(96, 104);
    t.same(got.subarray(96, 104), expect96, `overlap region from the first seen (${'data' in firstSeen ? 'evil' : 'true'} one)`);
  }
  // an exact duplicate is an overlap too, and changes nothing
  const stats = new DecodeStats();
  const dup = fragments(dgram, [{ off: 0, end: 104 }, { off: 0, end: 104 }, { off: 104, end: 208 }], { id: 4 }).map(eth);
  const out = decodeAll(dup, reassembler(), stats);
  t.equal(stats.count('decoder.ipv4.frag_overlap'), 1);
  t.same(maskV4(out.at(-1)!.pkt.buf.subarray(14)), maskV4(dgram));
});

t.test('a missing piece: the datagram times out in packet time, counted, and nothing reaches a flow', async (t) => {
  const frags = reassembler({ timeoutSeconds: 30 });
  const h = new FlowHarness({}, frags);
  const pieces = fragmentEvenly(udpDgram(S4, D4, 3000), 1480, { id: 11 }).map(eth);
  h.feed(pieces[0]!, 0);
  h.feed(pieces[1]!, 0.01);
  t.same([frags.datagrams, frags.bytes > 2900], [1, true]);
  frags.expire(sec(29.9), h.decodeStats);
  t.equal(frags.datagrams, 1, 'not yet');
  frags.expire(sec(30.001), h.decodeStats);
  t.same([frags.datagrams, frags.bytes, frags.stats.timedOut, h.decodeStats.count('decoder.ipv4.frag_timeout')], [0, 0, 1, 1]);
  // the missing piece, late: it starts a datagram of its own that never completes
  h.feed(pieces[2]!, 31);
  t.equal(frags.datagrams, 1);
  // the next fragment after its timeout expires it on arrival, without a tick
  h.feed(eth(fragments(udpDgram(S4, D4, 100), [{ off: 0, end: 64 }], { id: 12 })[0]!), 62);
  t.equal(h.decodeStats.count('decoder.ipv4.frag_timeout'), 2);
  t.same(h.flush(), [], 'held fragments count in no flow');
});

t.test('flows: a reassembled datagram counts once, with the ports, in its own flow (Zeek conn.log semantics)', async (t) => {
  const frags = reassembler();
  const h = new FlowHarness({}, frags);
  const q = udpDgram(S4, D4, 3000, 5000);
  for (const [i, f] of fragmentEvenly(q, 1480, { id: 1 }).map(eth).entries()) h.feed(f, 0 + i * 0.001);
  const reply = ipPacket({ src: D4, dst: S4, proto: IpProto.UDP, payload: udp({ src: D4, dst: S4, sport: 5000, dport: 40000, payload: pattern(2000) }) });
  for (const [i, f] of fragmentEvenly(reply, 1480, { id: 2 }).map(eth).entries()) h.feed(f, 0.1 + i * 0.001);
  const recs = h.flush();
  t.equal(recs.length, 1, 'one flow, no port-0 flow of later fragments');
  const f = recs[0]!;
  t.same([f.srcPort, f.dstPort, f.pktsToServer, f.pktsToClient], [40000, 5000, 1, 1]);
  t.same([f.ipBytesToServer, f.ipBytesToClient], [q.length, reply.length], "Zeek's orig_ip_bytes: the reassembled IP length");
  t.same([f.payloadBytesToServer, f.payloadBytesToClient], [3000, 2000]);
  t.same([f.bytesToServer, f.bytesToClient], [14 + q.length, 14 + reply.length], 'link header + datagram, as Zeek and Suricata size the reassembled packet');

  // without reassembly, as before: each fragment a packet, later ones in a port-0 flow
  const old = new FlowHarness();
  for (const [i, f2] of fragmentEvenly(q, 1480, { id: 1 }).map(eth).entries()) old.feed(f2, i * 0.001);
  const orecs = old.flush();
  t.same(orecs.map((x) => [x.srcPort, x.dstPort, x.pktsToServer]).sort(), [[0, 0, 2], [40000, 5000, 1]]);
});

t.test('TCP handshake with a fragmented data segment: history and state as unfragmented', async (t) => {
  const run = (fragmented: boolean) => {
    const frags = reassembler();
    const h = new FlowHarness({}, frags);
    const seg = (o: { src: string; dst: string; sport: number; dport: number; flags: string; seq: number; ack: number; payload?: Buffer }) =>
      ipPacket({ src: o.src, dst: o.dst, proto: IpProto.TCP, payload: tcp(o) });
    const c = { src: S4, dst: D4, sport: 40001, dport: 80 };
    const s = { src: D4, dst: S4, sport: 80, dport: 40001 };
    h.feed(eth(seg({ ...c, flags: 'S', seq: 0, ack: 0 })), 0);
    h.feed(eth(seg({ ...s, flags: 'SA', seq: 0, ack: 1 })), 0.01);
    h.feed(eth(seg({ ...c, flags: 'A', seq: 1, ack: 1 })), 0.02);
    const data = seg({ ...c, flags: 'PA', seq: 1, ack: 1, payload: pattern(4000) });
    const pieces = fragmented ? fragmentEvenly(data, 1480, { id: 3 }).map(eth).reverse() : [eth(data)];
    for (const [i, f] of pieces.entries()) h.feed(f, 0.03 + i * 0.001);
    h.feed(eth(seg({ ...s, flags: 'A', seq: 1, ack: 4001 })), 0.05);
    h.feed(eth(seg({ ...c, flags: 'FA', seq: 4001, ack: 1 })), 0.06);
    h.feed(eth(seg({ ...s, flags: 'FA', seq: 1, ack: 4002 })), 0.07);
    h.feed(eth(seg({ ...c, flags: 'A', seq: 4002, ack: 2 })), 0.08);
    return h.flush().map((r) => [r.history, r.connState, r.pktsToServer, r.pktsToClient, r.payloadBytesToServer, r.ipBytesToServer]);
  };
  const whole = run(false);
  t.same(whole, [['ShADaFf', 'SF', 5, 3, 4000, 5 * 40 + 4000]]);
  t.same(run(true), whole, 'the same record');
});

t.test('caps: bytes, datagrams, per source, fragments per datagram, 65,535 bytes', async (t) => {
  await t.test('per source: a flooding source is refused, another one still reassembles', async (t) => {
    const frags = reassembler({ maxPerSource: 4 });
    const stats = new DecodeStats();
    const flood = Array.from({ length: 10 }, (_, i) => eth(fragments(udpDgram(S4, D4, 200), [{ off: 0, end: 104 }], { id: 100 + i })[0]!));
    decodeAll(flood, frags, stats);
    t.same([frags.datagrams, stats.count('decoder.ipv4.frag_ignored')], [4, 6]);
    const other = fragmentEvenly(udpDgram('10.99.0.3', D4, 200), 104, { id: 1 }).map(eth);
    const out = decodeAll(other, frags, stats);
    t.equal(out.at(-1)!.pkt.fragment, Fragment.NONE, 'the other source reassembles');
    t.equal(out.at(-1)!.pkt.dstPort, 9000);
  });
  await t.test('datagrams: the oldest is evicted', async (t) => {
    const frags = reassembler({ maxDatagrams: 3 });
    const stats = new DecodeStats();
    const firsts = [1, 2, 3, 4, 5].map((id) => fragmentEvenly(udpDgram(S4, D4, 200), 104, { id }).map(eth));
    decodeAll(firsts.map((f) => f[0]!), frags, stats);
    t.same([frags.datagrams, stats.count('decoder.ipv4.frag_evicted'), frags.stats.evicted], [3, 2, 2]);
    // 1 and 2 were evicted: their second halves only start new datagrams; 5's completes it
    t.equal(decodeAll([firsts[4]![1]!], frags, stats)[0]!.pkt.fragment, Fragment.NONE);
    t.equal(decodeAll([firsts[0]![1]!], frags, stats)[0]!.pkt.fragment, Fragment.HELD);
  });
  await t.test('bytes: never more held than maxBytes', async (t) => {
    const frags = reassembler({ maxBytes: 65535 });
    const stats = new DecodeStats();
    let peak = 0;
    for (let id = 0; id < 40; id++) {
      const f = fragments(udpDgram(S4, D4, 30000), [{ off: 0, end: 8000 }], { id })[0]!;
      decodeAll([eth(f)], frags, stats);
      peak = Math.max(peak, frags.bytes);
    }
    t.ok(peak <= 65535, `peak ${peak}`);
    t.ok(stats.count('decoder.ipv4.frag_evicted') >= 30);
    // a datagram of 64 KiB fits by itself: others make room for it
    const big = fragmentEvenly(udpDgram(S4, D4, 60000), 8000, { id: 999 }).map(eth);
    const out = decodeAll(big, frags, stats);
    t.equal(out.at(-1)!.pkt.fragment, Fragment.NONE, 'a 60 kB datagram still reassembles at the cap');
    t.equal(out.at(-1)!.pkt.payloadLen, 60000);
  });
  await t.test('fragments per datagram: a tiny-fragment flood ends the datagram and frees it', async (t) => {
    const frags = reassembler({ maxFragments: 16 });
    const stats = new DecodeStats();
    const tiny = fragmentEvenly(udpDgram(S4, D4, 400), 8, { id: 42 }).map(eth);
    t.equal(tiny.length, 51);
    const out = decodeAll(tiny, frags, stats);
    t.equal(stats.count('decoder.ipv4.frag_too_many'), 1);
    t.ok(stats.count('decoder.ipv4.frag_too_small') >= 16, 'every tiny non-last fragment counted');
    t.ok(out.every((d) => d.pkt.fragment === Fragment.HELD), 'never delivered');
    t.same([frags.bytes, frags.datagrams], [0, 1], 'its bytes freed; its entry swallows the rest until its timeout');
    frags.expire(31e6, stats);
    t.same([frags.datagrams, stats.count('decoder.ipv4.frag_timeout')], [0, 0], 'an ended datagram does not also time out');
  });
  await t.test('65,535 bytes: a datagram that would be longer is never built', async (t) => {
    const stats = new DecodeStats();
    const frags = reassembler();
    // fragment data up to offset 65,520 plus a 20-byte header: 65,540 bytes
    const base = ipPacket({ src: S4, dst: D4, proto: IpProto.UDP, payload: Buffer.alloc(8) });
    const specs = [
      { off: 0, end: 32760, data: Buffer.alloc(32760, 1), more: true },
      { off: 32760, end: 65520, data: Buffer.alloc(32760, 2), more: false },
    ];
    const out = decodeAll(fragments(base, specs, { id: 1 }).map(eth), frags, stats);
    t.equal(out.at(-1)!.pkt.fragment, Fragment.HELD);
    t.equal(stats.count('decoder.ipv4.frag_pkt_too_large'), 1);
    t.same([frags.datagrams, frags.bytes], [0, 0]);
    // and a fragment past 65,535 is dropped at once (IPv6 too)
    const s6 = new DecodeStats();
    const v6 = fragments(udpDgram(S6, D6, 100), [{ off: 65528, end: 65544, data: Buffer.alloc(16), more: true }])[0]!;
    const d = decodeFrame(eth(v6), LinkType.ETHERNET, { frags, stats: s6 });
    t.same([d.pkt.fragment, s6.count('decoder.ipv6.frag_pkt_too_large'), frags.datagrams], [Fragment.HELD, 1, 0]);
  });
});

t.test('size: a last fragment that disagrees, and data beyond the end, are counted and cut', async (t) => {
  const dgram = udpDgram(S4, D4, 200);
  const stats = new DecodeStats();
  const specs = [
    { off: 104, end: 216, more: true, data: Buffer.alloc(112, 5) }, // beyond the true end
    { off: 104, end: 208 }, // the last: fixes the size at 208, cuts the held data
    { off: 0, end: 104 },
  ];
  const out = decodeAll(fragments(dgram, specs, { id: 6 }).map(eth), reassembler(), stats);
  const p = out.at(-1)!.pkt;
  t.equal(p.fragment, Fragment.NONE);
  t.equal(p.ipLen, 228);
  t.ok(stats.count('decoder.ipv4.frag_size_inconsistent') >= 1);
  t.same(p.buf.subarray(14 + 20 + 104, 14 + 228), Buffer.alloc(104, 5), 'first wins for bytes 104..208 too');
});

t.test('a fragment the capture cut short is not reassembled: a first one decodes as far as it goes, a later one is dropped', async (t) => {
  const frames = fragmentEvenly(udpDgram(S4, D4, 3000), 1480, { id: 8 }).map(eth);
  const frags = reassembler();
  const first = decodeFrame(frames[0]!.subarray(0, 200), LinkType.ETHERNET, { frags, wirelen: frames[0]!.length });
  t.same([first.pkt.fragment, first.pkt.dstPort], [Fragment.FIRST, 9000]);
  const later = decodeFrame(frames[1]!.subarray(0, 200), LinkType.ETHERNET, { frags, wirelen: frames[1]!.length });
  t.equal(later.pkt.fragment, Fragment.HELD);
  t.equal(frags.datagrams, 0, 'nothing held');
});

t.test('keys: two VLANs, or a tunnel and its carrier, never mix', async (t) => {
  const dgram = udpDgram(S4, D4, 200);
  const [a, b] = fragmentEvenly(dgram, 104, { id: 1 });
  const frags = reassembler();
  decodeFrame(ethernet({ etherType: EtherType.IPV4, vlan: 10, payload: a! }), LinkType.ETHERNET, { frags });
  const other = decodeFrame(ethernet({ etherType: EtherType.IPV4, vlan: 20, payload: b! }), LinkType.ETHERNET, { frags });
  t.equal(other.pkt.fragment, Fragment.HELD);
  t.equal(frags.datagrams, 2);
  const same = decodeFrame(ethernet({ etherType: EtherType.IPV4, vlan: 10, payload: b! }), LinkType.ETHERNET, { frags });
  t.same([same.pkt.fragment, same.pkt.vlan, same.pkt.dstPort], [Fragment.NONE, 10, 9000]);
});

t.test('a fragmented GTP-U carrier: the reassembled datagram is decapsulated (Zeek core.tunnels.gtp.outer_ip_frag)', async (t) => {
  const inner = tcpDgram('192.0.2.1', '192.0.2.2', 1460);
  const outer = ipPacket({ src: S4, dst: D4, proto: IpProto.UDP, payload: udp({ src: S4, dst: D4, sport: 2152, dport: 2152, payload: gtpu({ teid: 1, payload: inner }) }) });
  t.ok(outer.length > 1500);
  const frames = fragmentEvenly(outer, 1480, { id: 2 }).map(eth);
  const out = decodeAll(frames, reassembler(), new DecodeStats(), 0, 4);
  t.same(out[0]!.inner, []);
  const last = out.at(-1)!;
  t.equal(last.inner.length, 1);
  t.same([last.inner[0]!.srcPort, last.inner[0]!.dstPort, last.inner[0]!.payloadLen], [40001, 80, 1460]);
  t.same(last.events, []);
});

t.test('fragments inside a tunnel are reassembled apart from the carrier', async (t) => {
  const inner = udpDgram('192.0.2.1', '192.0.2.2', 1000);
  const pieces = fragmentEvenly(inner, 512, { id: 1 });
  const frags = reassembler();
  const carry = (ip: Buffer) => udpFrame({ src: S4, dst: D4, sport: 2152, dport: 2152, payload: gtpu({ teid: 1, payload: ip }) });
  const out = decodeAll(pieces.map(carry), frags, new DecodeStats(), 0, 4);
  t.equal(out[0]!.inner[0]!.fragment, Fragment.HELD);
  t.same([out[1]!.inner[0]!.fragment, out[1]!.inner[0]!.dstPort, out[1]!.inner[0]!.depth], [Fragment.NONE, 9000, 1]);
});

t.test('well-formed fragments raise no event; reassembly never throws on random cuts', async (t) => {
  const stats = new DecodeStats();
  const frags = reassembler({ maxBytes: 1 << 20 });
  // a seeded walk over random specs: overlapping, out of range, duplicate, both versions
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const v6 = rnd(2) === 1;
    const dgram = v6 ? udpDgram(S6, D6, 400) : udpDgram(S4, D4, 400);
    const off = rnd(60) * 8;
    const end = Math.min(off + 8 + rnd(300), 520);
    const f = fragments(dgram, [{ off, end, more: rnd(3) !== 0 }], { id: rnd(8) })[0]!;
    const cut = rnd(5) === 0 ? f.subarray(0, rnd(f.length)) : f;
    decodeFrame(eth(cut), LinkType.ETHERNET, { frags, stats, tsUs: i * 20_000 });
    t.ok(frags.bytes <= 1 << 20 && frags.bytes >= 0);
  }
  t.ok(frags.stats.fragments > 0);
  const clean = new DecodeStats();
  decodeAll(fragmentEvenly(udpDgram(S4, D4, 3000), 1480).map(eth), reassembler(), clean);
  decodeAll(fragmentEvenly(udpDgram(S6, D6, 3000), 1232).map(eth), reassembler(), clean);
  t.same(Object.keys(clean.toJSON().events), []);
});

function sec(s: number): number {
  return 1_700_000_000_000_000 + Math.round(s * 1e6);
}
