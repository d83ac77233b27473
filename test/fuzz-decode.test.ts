/**
 * Fuzz test for the decoders and the flow table: mutated packets from real captures (../shared/pcaps, when
 * present) and from packet-builder frames (always) go through decodePacket, with fragment reassembly, and
 * addWithTunnels, which unwraps the tunnels among them (GRE, PPTP, ERSPAN, VXLAN, Geneve, GTP-U, Teredo, AYIYA,
 * IP-in-IP). Nothing may throw, decoded fields must stay inside the captured (or reassembled) bytes and be
 * numbers, the reassembler's memory must stay under its cap, and the heap must stay bounded.
 *
 * Mutations: bit flips, random bytes, truncation, 16-bit length-field lies at header offsets, appended
 * garbage, a wrong link type, and a snap length that disagrees with the wire length. A seeded PRNG makes
 * a run reproducible: ARGUS_FUZZ_SEED and ARGUS_FUZZ_PACKETS override the seed and the packet count.
 */
import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LinkType, Packet } from '../src/decode/packet.js';
import { DecodeStats } from '../src/decode/events.js';
import { Decapsulator, decodePacket } from '../src/decode/decode.js';
import { DEFAULT_REASSEMBLY_CONFIG, FragmentReassembler } from '../src/decode/reassembly.js';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { DEFAULT_FLOW_CONFIG, FlowTable } from '../src/flow/flow-table.js';
import { addWithTunnels } from '../src/flow/tunnel-flows.js';
import {
  arpFrame, dhcpMessage, dnsQuery, dnsResponse, ethernet, EtherType, httpRequest, icmpFrame, ipPacket, ipv4, ipv6, IpProto,
  nullLoopback, sllV1, sllV2, tcp, tcpFrame, tlsClientHello, udp, udpFrame,
  ayiya, erspan, geneve, gre, GreProto, gtpu, ipFrame, ppp, teredo, vxlan, fragmentEvenly, fragments,
  fabricPath, PppProto, pppLink, pppSerial, radiotap, vnTag, wlanData,
} from '../src/capture/packet-builder.js';
import { allSharedPcaps, SHARED_PCAPS_DIR } from './support/shared-pcaps.js';
import { join } from 'node:path';
import { seededRandom } from './support/capture-records.js';

const SEED = Number(process.env.ARGUS_FUZZ_SEED ?? 0x5eed1234) >>> 0;
const PACKETS = Number(process.env.ARGUS_FUZZ_PACKETS ?? 500_000);
/** packets taken from the start of each shared capture, and in total */
const PER_FILE = 40;
const MAX_REAL_SEEDS = 25_000;
/** the heap may grow this much over the run (flow table preallocated, records dropped) */
const HEAP_BOUND = 96 * 1024 * 1024;


interface Seed {
  frame: Buffer;
  linkType: number;
  wirelen: number;
}

function builderSeeds(): Seed[] {
  const S = '10.99.0.2';
  const D = '10.99.0.1';
  const S6 = 'fd00:99::2';
  const D6 = 'fd00:99::1';
  const v4udp = ipPacket({ src: S, dst: D, proto: IpProto.UDP, payload: udp({ src: S, dst: D, sport: 53, dport: 999, payload: dnsQuery({ name: 'a.example' }) }) });
  const frames: [Buffer, number][] = [
    [tcpFrame({ src: S, dst: D, sport: 40000, dport: 443, flags: 'S', options: { mss: 1460, sackPermitted: true, timestamps: [1, 0], wscale: 7 } }), 1],
    [tcpFrame({ src: S, dst: D, sport: 40000, dport: 443, flags: 'PA', payload: tlsClientHello({ sni: 'fuzz.example' }), vlan: [10, 20] }), 1],
    [tcpFrame({ src: S6, dst: D6, sport: 40000, dport: 80, flags: 'PA', payload: httpRequest({ host: 'fuzz.example' }) }), 1],
    [tcpFrame({ src: S, dst: D, sport: 40000, dport: 53, flags: 'PA', payload: Buffer.concat([Buffer.from([0, 27]), dnsQuery({ name: 'tcp.dns.example' })]) }), 1],
    [udpFrame({ src: D, dst: S, sport: 53, dport: 40000, payload: dnsResponse({ name: 'www.example.com', answers: [{ name: 'www.example.com', type: 'CNAME', data: 'cdn.example.com' }, { name: 'cdn.example.com', type: 'A', data: '93.184.216.34' }, { name: 'cdn.example.com', type: 'AAAA', data: '2001:db8::1' }, { name: 'cdn.example.com', type: 'TXT', data: 'txt' }] }) }), 1],
    [udpFrame({ src: S6, dst: 'ff02::fb', sport: 5353, dport: 5353, payload: dnsResponse({ name: 'printer.local', answers: [{ name: 'printer.local', type: 'A', data: '10.99.0.7' }] }) }), 1],
    [udpFrame({ src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, payload: dhcpMessage({ clientMac: '02:11:22:33:44:55', hostname: 'cam', vendorClass: 'udhcp', paramRequestList: [1, 3, 6], requestedIp: '10.99.0.9', clientId: true }) }), 1],
    [icmpFrame({ src: S, dst: D, type: 3, code: 3, quoted: v4udp }), 1],
    [icmpFrame({ src: S6, dst: D6, id: 1, seq: 1, payload: Buffer.alloc(16) }), 1],
    [arpFrame({ senderIp: S, targetIp: D }), 1],
    [ethernet({ etherType: EtherType.IPV4, payload: ipv4({ src: S, dst: D, proto: IpProto.TCP, options: Buffer.from([148, 4, 0, 0]), mf: true, payload: tcp({ src: S, dst: D, sport: 1, dport: 2 }) }) }), 1],
    [ethernet({ etherType: EtherType.IPV6, payload: ipv6({ src: S6, dst: D6, proto: IpProto.UDP, ext: [{ type: 'hop' }, { type: 'routing', addresses: [S6] }, { type: 'fragment', more: true, id: 5 }, { type: 'dst' }], payload: udp({ src: S6, dst: D6, sport: 5, dport: 6 }) }) }), 1],
    [ethernet({ etherType: 0x8864, payload: Buffer.concat([Buffer.from([0x11, 0, 0, 1, (v4udp.length + 2) >> 8, (v4udp.length + 2) & 0xff, 0, 0x21]), v4udp]) }), 1],
    [ethernet({ etherType: 0x8847, payload: Buffer.concat([Buffer.from([0, 0x10, 0x01, 0x40]), v4udp]) }), 1],
    [ethernet({ etherType: 0x88e7, payload: Buffer.concat([Buffer.from([0, 0, 0, 1]), udpFrame({ src: S, dst: D, sport: 7, dport: 8, vlan: 9 })]) }), 1],
    [sllV1({ protocol: 0x0800, payload: v4udp }), LinkType.LINUX_SLL],
    [sllV2({ protocol: 0x0800, payload: v4udp }), LinkType.LINUX_SLL2],
    [nullLoopback({ family: 2, payload: v4udp }), LinkType.NULL],
    [v4udp, LinkType.RAW],
    // link types beyond Ethernet, and the data-centre tags inside it
    [pppLink({ protocol: PppProto.IPV4, payload: v4udp }), LinkType.PPP],
    [pppLink({ protocol: PppProto.IPV4, payload: v4udp, hdlc: false, compress: true }), LinkType.PPP],
    [pppSerial({ address: 0x0f, protocol: EtherType.IPV4, payload: v4udp }), LinkType.PPP_SERIAL],
    [ethernet({ etherType: 0x8903, payload: fabricPath({ frame: udpFrame({ src: S, dst: D, sport: 7, dport: 8, vlan: 9 }) }) }), 1],
    [ethernet({ etherType: 0x8926, payload: vnTag({ etherType: EtherType.IPV4, payload: v4udp }) }), 1],
    [wlanData({ src: '02:00:00:00:00:05', dst: '02:00:00:00:00:06', toDs: true, fromDs: true, qos: true, order: true, payload: v4udp }), LinkType.IEEE802_11],
    [radiotap({ tsft: true, fcs: true, ext: true, frame: wlanData({ src: '02:00:00:00:00:05', dst: '02:00:00:00:00:06', fromDs: true, qos: true, amsdu: [0, 1].map(() => ({ src: '02:00:00:00:00:07', dst: '02:00:00:00:00:06', etherType: EtherType.IPV4, payload: v4udp })) }) }), LinkType.IEEE802_11_RADIOTAP],
    // tunnels, each around an inner packet (and one around another tunnel)
    [ipFrame({ src: S, dst: D, proto: IpProto.GRE, payload: gre({ proto: GreProto.IPV4, key: 1, seq: 2, checksum: true, payload: v4udp }) }), 1],
    [ipFrame({ src: S, dst: D, proto: IpProto.GRE, payload: gre({ version: 1, proto: GreProto.PPP, key: 3, seq: 1, ack: 1, payload: ppp({ protocol: 0x21, payload: v4udp }) }) }), 1],
    [ipFrame({ src: S6, dst: D6, proto: IpProto.GRE, payload: gre({ proto: GreProto.ERSPAN3, seq: 1, payload: erspan({ type: 3, platform: true, payload: ethernet({ etherType: EtherType.IPV4, vlan: 5, payload: v4udp }) }) }) }), 1],
    [ipFrame({ src: S, dst: D, proto: IpProto.IPV6, payload: ipPacket({ src: S6, dst: D6, proto: IpProto.TCP, payload: tcp({ src: S6, dst: D6, sport: 1, dport: 2 }) }) }), 1],
    [udpFrame({ src: S, dst: D, sport: 4000, dport: 4789, payload: vxlan({ vni: 9, payload: ethernet({ etherType: EtherType.IPV4, payload: ipPacket({ src: '10.8.0.1', dst: '10.8.0.2', proto: IpProto.UDP, payload: udp({ src: '10.8.0.1', dst: '10.8.0.2', sport: 5, dport: 6081, payload: geneve({ vni: 2, proto: GreProto.IPV4, options: Buffer.alloc(8), payload: v4udp }) }) }) }) }) }), 1],
    [udpFrame({ src: S, dst: D, sport: 2152, dport: 2152, payload: gtpu({ teid: 7, ext: [{ type: 0x85, content: Buffer.from([0, 9]) }], payload: v4udp }) }), 1],
    [udpFrame({ src: S, dst: D, sport: 3544, dport: 40000, payload: teredo({ origin: { port: 1, addr: 2 }, payload: ipPacket({ src: '2001:0:1::1', dst: S6, proto: IpProto.UDP, payload: udp({ src: '2001:0:1::1', dst: S6, sport: 1, dport: 2 }) }) }) }), 1],
    [udpFrame({ src: S, dst: D, sport: 4000, dport: 5072, payload: ayiya({ payload: v4udp }) }), 1],
  ];
  // fragments: whole series (so unmutated ones complete), overlapping pieces, and a fragmented tunnel carrier
  const big4 = ipPacket({ src: S, dst: D, proto: IpProto.UDP, payload: udp({ src: S, dst: D, sport: 53, dport: 999, payload: Buffer.alloc(3000, 0x41) }) });
  const big6 = ipPacket({ src: S6, dst: D6, proto: IpProto.TCP, ext: [{ type: 'hop' }], payload: tcp({ src: S6, dst: D6, sport: 1, dport: 80, flags: 'PA', payload: httpRequest({ host: 'frag.example' }) }) });
  const gtp = ipPacket({ src: S, dst: D, proto: IpProto.UDP, payload: udp({ src: S, dst: D, sport: 2152, dport: 2152, payload: gtpu({ teid: 1, payload: big4 }) }) });
  for (const [dgram, size] of [[big4, 1480], [big6, 64], [gtp, 1024]] as const) {
    for (const f of fragmentEvenly(dgram, size, { id: 9 })) frames.push([ethernet({ etherType: f[0] >> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4, payload: f }), 1]);
  }
  for (const f of fragments(big4, [{ off: 0, end: 64 }, { off: 32, end: 2000 }, { off: 1000, end: 3008 }], { id: 10 })) frames.push([ethernet({ etherType: EtherType.IPV4, payload: f }), 1]);
  return frames.map(([frame, linkType]) => ({ frame, linkType, wirelen: frame.length }));
}

async function realSeeds(): Promise<{ seeds: Seed[]; files: number }> {
  const seeds: Seed[] = [];
  const pkt = new Packet();
  let files = 0;
  for (const rel of allSharedPcaps()) {
    if (seeds.length >= MAX_REAL_SEEDS) break;
    let n = 0;
    const stop = new AbortController();
    try {
      await readCaptureFile(join(SHARED_PCAPS_DIR, rel), pkt, (p) => {
        // the reader reuses its buffer: copy what is kept
        seeds.push({ frame: Buffer.from(p.buf.subarray(p.bufOffset, p.bufOffset + p.caplen)), linkType: p.linkType, wirelen: p.wirelen });
        if (++n >= PER_FILE) stop.abort();
      }, { signal: stop.signal });
      files++;
    } catch (err) {
      if ((err as Error).name !== 'CaptureFileError') throw err;
      // not a capture at all (the README, a damaged header): nothing to take from it
    }
  }
  return { seeds, files };
}

const LINK_TYPES = [
  LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.LOOP, LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.PPP,
  LinkType.PPP_SERIAL, LinkType.IEEE802_11, LinkType.IEEE802_11_RADIOTAP, 147,
];
const LIES = [0, 1, 2, 7, 8, 19, 20, 39, 40, 0x7f, 0x80, 0xff, 0x100, 0x5dc, 0x7fff, 0xfffe, 0xffff];

/** Apply 1–3 mutations; returns the new frame, link type and wire length. */
function mutate(rnd: () => number, s: Seed): Seed {
  let f = Buffer.from(s.frame);
  let linkType = s.linkType;
  let wirelen = s.wirelen;
  const count = 1 + Math.floor(rnd() * 3);
  const pick = (n: number) => Math.floor(rnd() * n);
  for (let m = 0; m < count; m++) {
    const kind = pick(10);
    if (f.length === 0 && kind < 7) continue;
    // header fields sit in the first 80 bytes; bias positions there
    const pos = rnd() < 0.75 ? pick(Math.min(f.length, 80)) : pick(f.length);
    switch (kind) {
      case 0:
      case 1:
        f[pos] ^= 1 << pick(8);
        break;
      case 2:
        f[pos] = pick(256);
        break;
      case 3:
      case 4: {
        const v = rnd() < 0.8 ? LIES[pick(LIES.length)] : pick(65536);
        if (pos + 1 < f.length) f.writeUInt16BE(v, pos);
        else f[pos] = v & 0xff;
        break;
      }
      case 5:
        f[pos] = (f[pos] & 0xf0) | pick(16); // IHL / data-offset nibbles
        break;
      case 6:
        f = f.subarray(0, pick(f.length + 1));
        break;
      case 7: {
        const extra = Buffer.alloc(1 + pick(64));
        for (let i = 0; i < extra.length; i++) extra[i] = pick(256);
        f = Buffer.concat([f, extra]);
        break;
      }
      case 8:
        if (rnd() < 0.3) linkType = LINK_TYPES[pick(LINK_TYPES.length)];
        break;
      default:
        wirelen = rnd() < 0.5 ? f.length : f.length + pick(2000);
    }
  }
  if (wirelen < f.length) wirelen = f.length;
  return { frame: f, linkType, wirelen };
}

t.test('fuzz: decodePacket and FlowTable never throw, stay in bounds, stay bounded', async (t) => {
  const { seeds: real, files } = await realSeeds();
  if (real.length === 0) t.comment(`no real seeds: ${SHARED_PCAPS_DIR} absent; fuzzing packet-builder frames only`);
  else t.comment(`${real.length} real seed packets from ${files} captures`);
  const built = builderSeeds();

  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;

  const rnd = seededRandom(SEED);
  const pkt = new Packet();
  const stats = new DecodeStats();
  let records = 0;
  const flows = new FlowTable({ ...DEFAULT_FLOW_CONFIG, maxFlows: 4096 }, () => records++);
  const frags = new FragmentReassembler({ ...DEFAULT_REASSEMBLY_CONFIG, maxBytes: 1 << 20, maxDatagrams: 256 });
  const decap = new Decapsulator(4, frags);
  let tunnelled = 0;
  let reassembled = 0;
  let ts = 1_700_000_000_000_000;
  const violations: string[] = [];
  const started = Date.now();

  for (let i = 0; i < PACKETS; i++) {
    // half the seeds from the builder frames so their protocols get as many mutations as the real mix
    const seed = rnd() < 0.5 || real.length === 0 ? built[Math.floor(rnd() * built.length)] : real[Math.floor(rnd() * real.length)];
    const m = mutate(rnd, seed);
    // sometimes inside a larger buffer, as capture readers deliver frames
    const off = rnd() < 0.3 ? 1 + Math.floor(rnd() * 16) : 0;
    const buf = off === 0 ? m.frame : Buffer.concat([Buffer.alloc(off, 0xaa), m.frame, Buffer.alloc(8, 0xaa)]);
    // mostly dense traffic (fills the table to its cap), with idle gaps and out-of-order timestamps
    const r = rnd();
    ts += r < 0.01 ? -Math.floor(rnd() * 5e6) : r < 0.0101 ? Math.floor(rnd() * 120e6) : Math.floor(rnd() * 20);
    pkt.reset();
    pkt.tsUs = ts;
    pkt.buf = buf;
    pkt.bufOffset = off;
    pkt.caplen = m.frame.length;
    pkt.wirelen = m.wirelen;
    pkt.linkType = m.linkType;
    try {
      decodePacket(pkt, stats, frags);
      if (pkt.buf !== buf) reassembled++;
      if (pkt.tunnel !== 0) tunnelled++;
      addWithTunnels(flows, pkt, decap, stats);
    } catch (err) {
      violations.push(`packet ${i} (seed ${SEED}): threw ${(err as Error).stack}\n  frame ${m.frame.toString('hex')} linkType ${m.linkType}`);
      break;
    }
    // a reassembled datagram is decoded from a buffer of its own
    const lo = pkt.buf === buf ? off : 0;
    const end = pkt.buf === buf ? off + m.frame.length : pkt.buf.length;
    const bad =
      frags.bytes > 1 << 20 || frags.bytes < 0 || frags.datagrams > 256 ||
      (pkt.l4 && (pkt.payloadOffset < lo || pkt.payloadOffset + pkt.payloadCaptured > end || pkt.payloadCaptured > pkt.payloadLen)) ||
      Number.isNaN(pkt.srcMac + pkt.dstMac + pkt.vlan + pkt.etherType + pkt.ttl + pkt.ipProto + pkt.ipLen + pkt.ipId) ||
      Number.isNaN(pkt.srcPort + pkt.dstPort + pkt.tcpSeq + pkt.tcpAck + pkt.tcpFlags + pkt.tcpWindow + pkt.tcpMss + pkt.tcpWscale) ||
      Number.isNaN(pkt.icmpType + pkt.icmpCode + pkt.payloadLen + pkt.payloadCaptured) ||
      (pkt.dns !== null && (pkt.dns.qname.length > 255 || pkt.dns.answers.length > 32)) ||
      (pkt.tlsSni !== null && pkt.tlsSni.length > 255) ||
      (pkt.httpHost !== null && pkt.httpHost.length > 255) ||
      (pkt.tunnel !== 0 && (pkt.tunnelOffset < lo || pkt.tunnelOffset > pkt.tunnelEnd || pkt.tunnelEnd > end));
    if (bad && violations.length < 5) {
      violations.push(`packet ${i} (seed ${SEED}): field out of bounds, frame ${m.frame.toString('hex')} linkType ${m.linkType} wirelen ${m.wirelen}`);
    }
  }
  flows.flush('shutdown');
  const seconds = (Date.now() - started) / 1000;
  gc();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

  t.same(violations, [], 'no exception, every field inside the captured bytes');
  t.equal(stats.decoded + stats.skipped, PACKETS, 'every packet counted as decoded or skipped');
  t.ok(stats.totalEvents() > PACKETS / 20, 'the mutations did reach the malformation checks');
  t.ok(flows.stats.created > 0 && records >= flows.stats.created, 'the flow table saw traffic and exported every flow');
  t.ok(flows.stats.evicted + flows.stats.emergencyEntered > 0, 'the flow-table cap was pressed (emergency mode or eviction)');
  t.equal(flows.stats.active, 0, 'flushed');
  t.ok(tunnelled > PACKETS / 100, `${tunnelled} packets carried a tunnel`);
  t.ok(reassembled > 0 && frags.stats.fragments > PACKETS / 100, `${reassembled} datagrams reassembled of ${frags.stats.fragments} fragments`);
  t.ok(heapGrowth < HEAP_BOUND, `heap growth ${(heapGrowth / 1048576).toFixed(1)} MiB < ${HEAP_BOUND / 1048576} MiB`);
  t.comment(`${PACKETS} packets in ${seconds.toFixed(1)} s; ${flows.stats.created} flows, ${flows.stats.evicted} evicted, emergency ${flows.stats.emergencyEntered}×; events ${JSON.stringify(stats.toJSON().events)}`);
});
