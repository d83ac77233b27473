/**
 * Flow-engine benchmark.
 *
 *   npx tsx bench/flow.ts                 both parts, each in its own process (so RSS figures are separate)
 *   npx tsx bench/flow.ts throughput [N]  (a) decode + flow over a real capture held in memory, replayed N times
 *                                         (default: enough for ~3 M packets) with shifted timestamps
 *   npx tsx bench/flow.ts memory [F]      (b) RSS with F concurrent flows (default 200000) built with packet-builder
 *
 * Targets on one core: ≥ 1.5 M packets/s for decode + flow, ≤ 300 MB RSS at 200,000 flows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { udpFrame } from '../src/capture/packet-builder.js';
import { Decapsulator, decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { LinkType, Packet } from '../src/decode/packet.js';
import { DEFAULT_FLOW_CONFIG, FlowTable } from '../src/flow/flow-table.js';
import { addWithTunnels } from '../src/flow/tunnel-flows.js';

const CAPTURE = process.env.ARGUS_BENCH_PCAP ?? '/work/shared/pcaps/benign/madea-smarthome-11h.pcap';
const MB = 1024 * 1024;

function rssMb(): number {
  return process.memoryUsage().rss / MB;
}
function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

async function throughput(reps: number | undefined): Promise<void> {
  if (!existsSync(CAPTURE)) {
    console.log(`throughput: skipped, ${CAPTURE} is not present`);
    return;
  }
  // load every frame into one buffer first, so the disk and the file reader are not measured
  const parts: Buffer[] = [];
  const tsList: number[] = [];
  const wireList: number[] = [];
  const linkList: number[] = [];
  const loader = new Packet();
  await readCaptureFile(CAPTURE, loader, (p) => {
    parts.push(Buffer.from(p.buf.subarray(p.bufOffset, p.bufOffset + p.caplen)));
    tsList.push(p.tsUs);
    wireList.push(p.wirelen);
    linkList.push(p.linkType);
  });
  const n = parts.length;
  const data = Buffer.concat(parts);
  const off = new Int32Array(n + 1);
  for (let i = 0, o = 0; i < n; i++) {
    off[i] = o;
    o += parts[i].length;
    off[i + 1] = o;
  }
  parts.length = 0;
  const ts = Float64Array.from(tsList);
  const wire = Int32Array.from(wireList);
  const link = Int32Array.from(linkList);
  const span = ts[n - 1] - ts[0] + 1e6;
  const r = reps ?? Math.max(1, Math.ceil(3_000_000 / n));
  let wireBytes = 0;
  for (let i = 0; i < n; i++) wireBytes += wire[i];

  const pkt = new Packet();
  pkt.buf = data;
  const stats = new DecodeStats();
  // as the pipeline does with the default decode.tunnels: tunnels are unwrapped (this capture has none)
  const decap = new Decapsulator(4);
  const run = (withFlows: boolean): { secs: number; records: number; flows: number } => {
    let records = 0;
    const table = new FlowTable(DEFAULT_FLOW_CONFIG, () => {
      records++;
    });
    // CPU time of this process, not wall time: the machine is shared, and the target is per core
    const c0 = process.cpuUsage();
    for (let rep = 0; rep < r; rep++) {
      const shift = rep * span;
      for (let i = 0; i < n; i++) {
        pkt.reset();
        pkt.tsUs = ts[i] + shift;
        pkt.bufOffset = off[i];
        pkt.caplen = off[i + 1] - off[i];
        pkt.wirelen = wire[i];
        pkt.linkType = link[i];
        if (decodePacket(pkt, stats) && withFlows && pkt.ipVersion !== 0) addWithTunnels(table, pkt, decap, stats);
      }
    }
    if (withFlows) table.flush('shutdown');
    const c = process.cpuUsage(c0);
    const secs = (c.user + c.system) / 1e6;
    return { secs, records, flows: table.stats.created };
  };
  run(true); // warm-up: JIT and first-touch of the table's arrays
  const dec = run(false);
  const all = run(true);
  const pkts = n * r;
  console.log(`throughput: ${CAPTURE}`);
  console.log(`  ${n} packets × ${r} replays = ${pkts} packets, ${((wireBytes * r) / MB).toFixed(0)} MB on the wire`);
  console.log(`  decode only:   ${(pkts / dec.secs / 1e6).toFixed(2)} M packets/s`);
  console.log(
    `  decode + flow: ${(pkts / all.secs / 1e6).toFixed(2)} M packets/s, ${(all.flows / all.secs / 1e3).toFixed(0)} k flows/s, ` +
      `${((wireBytes * r) / MB / all.secs).toFixed(0)} MB/s, ${all.records} records, ${all.secs.toFixed(2)} s CPU`,
  );
  console.log(`  flow share:    ${((1 / (pkts / all.secs) - 1 / (pkts / dec.secs)) * 1e9).toFixed(0)} ns/packet`);
  console.log(`  peak RSS:      ${peakRssMb().toFixed(0)} MB (includes the ${(data.length / MB).toFixed(0)} MB capture held in memory)`);
}

function memory(flows: number): void {
  const base = rssMb();
  const cfg = {
    ...DEFAULT_FLOW_CONFIG,
    maxFlows: Math.max(flows, DEFAULT_FLOW_CONFIG.maxFlows),
    emergencyThreshold: 1,
    emergencyRecovery: 0.9,
  };
  let records = 0;
  const table = new FlowTable(cfg, () => {
    records++;
  });
  const afterAlloc = rssMb();
  const pkt = new Packet();
  const stats = new DecodeStats();
  const t0 = 1_700_000_000_000_000;
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < flows; i++) {
    // 10.99.x.y clients, one server, distinct client ports: `flows` distinct 5-tuples, both directions seen
    const client = `10.99.${(i >>> 8) & 0xff}.${i & 0xff}`;
    const cport = 1024 + ((i >>> 16) & 0x3fff);
    for (let dir = 0; dir < 2; dir++) {
      const frame =
        dir === 0
          ? udpFrame({ src: client, dst: '10.99.255.1', sport: cport, dport: 5000, payload: 'ping' })
          : udpFrame({ src: '10.99.255.1', dst: client, sport: 5000, dport: cport, payload: 'pong' });
      pkt.reset();
      pkt.tsUs = t0 + i * 2 + dir; // 200k flows within one second: nothing times out
      pkt.buf = frame;
      pkt.bufOffset = 0;
      pkt.caplen = frame.length;
      pkt.wirelen = frame.length;
      pkt.linkType = LinkType.ETHERNET;
      if (decodePacket(pkt, stats)) table.add(pkt);
    }
  }
  const secs = Number(process.hrtime.bigint() - t1) / 1e9;
  global.gc?.();
  const held = rssMb();
  console.log(`memory: ${table.stats.active} concurrent flows (${records} exported, ${table.stats.evicted} evicted), built in ${secs.toFixed(1)} s`);
  console.log(`  RSS: ${held.toFixed(0)} MB total, ${(held - base).toFixed(0)} MB above the start, table preallocation ${(afterAlloc - base).toFixed(0)} MB`);
  const mu = process.memoryUsage();
  console.log(`  ${(((held - base) * MB) / table.stats.active).toFixed(0)} bytes per flow above the start; peak RSS ${peakRssMb().toFixed(0)} MB`);
  console.log(`  JS heap used ${(mu.heapUsed / MB).toFixed(0)} MB, typed arrays ${(mu.arrayBuffers / MB).toFixed(0)} MB`);
  table.flush('shutdown');
  if (records !== flows) throw new Error(`expected ${flows} records at flush, got ${records}`);
}

const mode = process.argv[2];
if (mode === 'throughput') {
  await throughput(process.argv[3] ? Number(process.argv[3]) : undefined);
} else if (mode === 'memory') {
  memory(process.argv[3] ? Number(process.argv[3]) : 200_000);
} else {
  const self = fileURLToPath(import.meta.url);
  for (const m of ['throughput', 'memory']) {
    execFileSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, m], { stdio: 'inherit' });
  }
}
