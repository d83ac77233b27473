/**
 * How far one head goes: the real fleet API server (HTTPS, its self-signed certificate) in its own process on
 * 127.0.0.1 (bench/support/fleet-head.ts, so its CPU time is its own), and 1,000 simulated sensors in this
 * one, each with its own Ed25519 key, registering with a real enrolment secret and sending real signed requests
 * (src/fleet/signing.ts) over a few shared keep-alive connections that pin the head's certificate.
 *
 * 1. Realistic load for FLEET_BENCH_SECONDS (default 20 s so `npm run bench` stays short; the issue's figure
 *    is 60 s: FLEET_BENCH_SECONDS=60): every sensor heartbeats every 30 s (1000/30 ≈ 33 requests/s, start
 *    times spread), and 50 of them send results (incidents and device summaries, 10 per batch) every second
 *    each, 30 times what a sensor sends at heartbeat time, as a sensor seeing an attack would while catching
 *    up. Every 20th batch is sent twice (a lost answer, sent again); a failed batch is sent again until
 *    accepted, as the outbox does. Prints: results made, stored, lost, stored twice; head CPU; p50/p95/p99.
 * 2. The limit: heartbeats alone at doubling rates (FLEET_BENCH_STEP_SECONDS each, default 5) until p95 passes
 *    50 ms, requests fail, or the rate is not reached.
 * Target: one core, p95 ≤ 50 ms. Figures only; nothing here passes or fails. The load generator shares the
 * machine with the head, so on a small machine its own signing and TLS take CPU from the head.
 *
 * Run: npx tsx bench/fleet.ts   (env FLEET_BENCH_SECONDS, FLEET_BENCH_SENSORS, FLEET_BENCH_RESULT_SENSORS,
 *      FLEET_BENCH_STEP_SECONDS, FLEET_BENCH_MAX_RATE)
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PeerCertificate } from 'node:tls';
import { newSensorKeys, signedHeaders } from '../src/fleet/signing.js';
import type { ResultItem } from '../src/fleet/types.js';

const env = (k: string, d: number) => (process.env[k] !== undefined && process.env[k] !== '' ? Number(process.env[k]) : d);
const SECONDS = env('FLEET_BENCH_SECONDS', 20);
const SENSORS = env('FLEET_BENCH_SENSORS', 1000);
const RESULT_SENSORS = Math.min(SENSORS, env('FLEET_BENCH_RESULT_SENSORS', 50));
const STEP_SECONDS = env('FLEET_BENCH_STEP_SECONDS', 5);
const MAX_RATE = env('FLEET_BENCH_MAX_RATE', 2200);
const HEARTBEAT_S = 30;
const BATCH = 10;

// ── the head, in its own process ─────────────────────────────────────────────────────────────────────
const head = fork(join(new URL('.', import.meta.url).pathname, 'support/fleet-head.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ready = await new Promise<{ url: string; fingerprint: string; cert: string }>((resolve) => head.once('message', (m) => resolve(m as { url: string; fingerprint: string; cert: string })));
let rpcId = 0;
function rpc<T>(m: Record<string, unknown>): Promise<T> {
  const id = ++rpcId;
  return new Promise((resolve) => {
    const on = (r: unknown) => {
      if ((r as { id?: number }).id !== id) return;
      head.off('message', on);
      resolve(r as T);
    };
    head.on('message', on);
    head.send({ ...m, id });
  });
}
type Cpu = { cpu: NodeJS.CpuUsage; rssMB: number; stats: { heartbeats: number; results: number; refused: Record<string, number> } };

// ── a few keep-alive connections, each pinning the head's certificate ───────────────────────────────
const url = new URL(ready.url);
const pin = (_host: string, cert: PeerCertificate) => (cert.fingerprint256 === ready.fingerprint ? undefined : new Error('certificate is not the pinned one'));
const agents = Array.from({ length: 4 }, () => new Agent({ keepAlive: true, maxSockets: 8, ca: ready.cert, checkServerIdentity: pin }));

interface Answer {
  status: number;
  body: string;
  ms: number;
}
let sent = 0;
function post(agent: Agent, path: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const t0 = performance.now();
  sent++;
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: Number(url.port), method: 'POST', path, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0 }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: err.message, ms: performance.now() - t0 }));
    req.end(body);
  });
}

interface Sim {
  id: string;
  key: string;
  agent: Agent;
  seq: number;
}

function signedPost(s: Sim, path: string, payload: unknown): Promise<Answer> {
  const body = JSON.stringify(payload);
  return post(s.agent, path, body, signedHeaders(s.id, s.key, 'POST', path, body));
}

const pct = (sorted: number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
const f1 = (x: number) => x.toFixed(1);

// ── registration ────────────────────────────────────────────────────────────────────────────────────
const { secrets } = await rpc<{ secrets: string[] }>({ cmd: 'tokens', n: SENSORS });
const sims: Sim[] = [];
const regTimes: number[] = [];
let t = performance.now();
for (let i = 0; i < SENSORS; i += 25) {
  await Promise.all(
    secrets.slice(i, i + 25).map(async (secret, j) => {
      const keys = newSensorKeys();
      const agent = agents[(i + j) % agents.length]!;
      const body = JSON.stringify({ secret, name: `sensor-${i + j}`, version: '0.9.0', capabilities: { mode: 'passive', iface: 'eth0', inline: false, nmap: true, decoys: false, assignments: false, scanScope: [] }, publicKey: keys.publicKeyPem });
      const r = await post(agent, '/fleet/v1/register', body, {});
      if (r.status !== 200) throw new Error(`registration failed: ${r.status} ${r.body}`);
      regTimes.push(r.ms);
      sims[i + j] = { id: (JSON.parse(r.body) as { id: string }).id, key: keys.privateKeyPem, agent, seq: 0 };
    }),
  );
}
regTimes.sort((a, b) => a - b);
console.log(`${SENSORS} sensors registered in ${f1((performance.now() - t) / 1000)} s (p95 ${f1(pct(regTimes, 95))} ms); ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

const status = (s: Sim) => ({ status: { mode: 'passive', version: '0.9.0', packetsPerSecond: 1000 + (s.seq % 500), packets: s.seq * 1000, drops: 0, activeFlows: 300, modelId: 'model-1', modelState: 'scoring', diskFreeMB: 9000, rssMB: 180, queue: 0, outboxDropped: 0 } });

/**
 * Runs `fire(n)` at `rate` per second for `seconds` (open loop: a slow head makes requests wait, it does not
 * slow the schedule). Returns once every request has its answer.
 */
async function openLoop(rate: number, seconds: number, fire: (n: number) => Promise<void>): Promise<void> {
  const start = performance.now();
  const inflight = new Set<Promise<void>>();
  let issued = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const el = (performance.now() - start) / 1000;
      const due = Math.min(Math.floor(rate * el), Math.floor(rate * seconds));
      while (issued < due) {
        const p = fire(issued++).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (el >= seconds) {
        clearInterval(timer);
        done();
      }
    }, 5);
  });
  await Promise.all(inflight);
}

// ── 1. realistic load: heartbeats every 30 s, 50 sensors sending results ──────────────────────────────
const hbTimes: number[] = [];
const resTimes: number[] = [];
let hbFailed = 0;
let hbOk = 0;
const made = new Map<string, Set<string>>(); // sensor → keys made
const acked = new Map<string, Set<string>>(); // sensor → keys the head said it holds
const retry: { s: Sim; items: ResultItem[] }[] = [];
let resends = 0;
let batchFailures = 0;

function resultsOf(n: number): ResultItem[] {
  return Array.from({ length: BATCH }, (_, k) => {
    const i = n * BATCH + k;
    const tsUs = Date.now() * 1000;
    return k % 3 === 0
      ? { key: `device:02:00:${i}:new`, kind: 'device', tsUs, body: { change: 'new', mac: `02:00:00:${(i >> 16) & 255}:${(i >> 8) & 255}:${i & 255}`, ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`], hostname: `host-${i}`, vendor: null, randomMac: false, tsUs } }
      : { key: `incident:inc-${i}:open:high:`, kind: 'incident', tsUs, body: { change: 'open', incident: { id: `inc-${i}`, kind: 'scan.port.vertical', title: `Port scan ${i}`, severity: 'high', state: 'open', count: 1, srcIp: '10.0.0.9', srcMac: null, target: '10.0.0.1', firstUs: tsUs, lastUs: tsUs, evidence: [{ text: 'SYN to 120 ports in 3 s' }] } } };
  });
}

async function sendResults(s: Sim, items: ResultItem[]): Promise<boolean> {
  const r = await signedPost(s, '/fleet/v1/results', { items });
  resTimes.push(r.ms);
  if (r.status !== 200) {
    batchFailures++;
    return false;
  }
  const set = acked.get(s.id) ?? new Set<string>();
  for (const k of (JSON.parse(r.body) as { accepted: string[] }).accepted) set.add(k);
  acked.set(s.id, set);
  return true;
}

const cpu0 = await rpc<Cpu>({ cmd: 'cpu' });
t = performance.now();
const hbRate = SENSORS / HEARTBEAT_S;
const batchesPerSensor = new Map<string, number>();
await Promise.all([
  // heartbeats: sensor i beats at i·30/1000 s, then every 30 s
  openLoop(hbRate, SECONDS, async (n) => {
    const s = sims[n % SENSORS]!;
    s.seq++;
    const r = await signedPost(s, '/fleet/v1/heartbeat', status(s));
    hbTimes.push(r.ms);
    if (r.status === 200) hbOk++;
    else hbFailed++;
  }),
  // results: each of the first RESULT_SENSORS sensors sends a batch every second
  openLoop(RESULT_SENSORS, SECONDS, async (n) => {
    const s = sims[n % RESULT_SENSORS]!;
    const b = batchesPerSensor.get(s.id) ?? 0;
    batchesPerSensor.set(s.id, b + 1);
    const items = resultsOf(b);
    const keys = made.get(s.id) ?? new Set<string>();
    for (const it of items) keys.add(it.key);
    made.set(s.id, keys);
    if (!(await sendResults(s, items))) retry.push({ s, items });
    else if (n % 20 === 0) {
      // the answer "was lost": the sensor sends the same batch again
      resends++;
      if (!(await sendResults(s, items))) retry.push({ s, items });
    }
  }),
]);
const wall = (performance.now() - t) / 1000;
const cpu1 = await rpc<Cpu>({ cmd: 'cpu' });
// what failed waits in the outbox and goes again, until the head accepts it
for (let round = 0; retry.length > 0 && round < 20; round++) {
  for (const r of retry.splice(0)) if (!(await sendResults(r.s, r.items))) retry.push(r);
}
const count = await rpc<{ perSensor: Record<string, number>; total: number; dbMB: number }>({ cmd: 'count' });
const madeTotal = [...made.values()].reduce((a, s) => a + s.size, 0);
let lost = 0;
let extra = 0;
for (const [id, keys] of made) {
  const stored = count.perSensor[id] ?? 0;
  const ack = acked.get(id)?.size ?? 0;
  if (stored < keys.size || ack < keys.size) lost += keys.size - Math.min(stored, ack);
  if (stored > keys.size) extra += stored - keys.size;
}
const others = Object.entries(count.perSensor).filter(([id]) => !made.has(id)).reduce((a, [, n]) => a + n, 0);
const cores = (c0: Cpu, c1: Cpu, s: number) => (c1.cpu.user - c0.cpu.user + c1.cpu.system - c0.cpu.system) / 1e6 / s;
hbTimes.sort((a, b) => a - b);
resTimes.sort((a, b) => a - b);
const all = [...hbTimes, ...resTimes].sort((a, b) => a - b);
console.log(`\n1. ${SENSORS} sensors heartbeating every ${HEARTBEAT_S} s (${f1(hbRate)} requests/s) and ${RESULT_SENSORS} sending ${BATCH} results each every second (${RESULT_SENSORS} requests/s), ${f1(wall)} s`);
console.log(`   heartbeats   ${hbOk} answered, ${hbFailed} failed; head counted ${cpu1.stats.heartbeats - cpu0.stats.heartbeats}; p50 ${f1(pct(hbTimes, 50))} ms, p95 ${f1(pct(hbTimes, 95))} ms, p99 ${f1(pct(hbTimes, 99))} ms`);
console.log(`   results      ${madeTotal} made in ${resTimes.length} requests (${resends} batches sent twice, ${batchFailures} failed and sent again); p50 ${f1(pct(resTimes, 50))} ms, p95 ${f1(pct(resTimes, 95))} ms, p99 ${f1(pct(resTimes, 99))} ms`);
console.log(`   stored       ${count.total - others} of ${madeTotal}: ${lost} lost, ${extra} stored twice${others > 0 ? `; ${others} under sensors that sent none (wrong)` : ''} — ${lost === 0 && extra === 0 && others === 0 ? 'nothing lost, each exactly once' : 'NOT exactly once'}`);
console.log(`   all requests p95 ${f1(pct(all, 95))} ms (target ≤ 50 ms); head CPU ${f1(cores(cpu0, cpu1, wall) * 100)} % of one core (target ≤ 100 %), RSS ${cpu1.rssMB} MB, store ${count.dbMB} MB`);

// ── 2. the limit: heartbeats alone at doubling rates ──────────────────────────────────────────────────
console.log(`\n2. heartbeats alone, ${STEP_SECONDS} s per rate; latency in ms, head CPU in % of one core`);
console.log(`   ${'rate/s'.padStart(7)} ${'reached'.padStart(8)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'head %'.padStart(7)} ${'µs/req'.padStart(7)} ${'load %'.padStart(7)}  failed`);
let best = 0;
let usPerReq = NaN;
for (let rate = Math.round(hbRate * 2); rate <= MAX_RATE; rate *= 2) {
  const times: number[] = [];
  let failed = 0;
  const c0 = await rpc<Cpu>({ cmd: 'cpu' });
  const g0 = process.cpuUsage();
  const s0 = performance.now();
  await openLoop(rate, STEP_SECONDS, async (n) => {
    const s = sims[n % SENSORS]!;
    s.seq++;
    const r = await signedPost(s, '/fleet/v1/heartbeat', status(s));
    times.push(r.ms);
    if (r.status !== 200) failed++;
  });
  const el = (performance.now() - s0) / 1000;
  const g1 = process.cpuUsage(g0);
  const c1 = await rpc<Cpu>({ cmd: 'cpu' });
  times.sort((a, b) => a - b);
  const reached = times.length / el;
  const p95 = pct(times, 95);
  const headCores = cores(c0, c1, el);
  const perReq = (headCores * el * 1e6) / times.length;
  console.log(`   ${String(rate).padStart(7)} ${f1(reached).padStart(8)} ${f1(pct(times, 50)).padStart(7)} ${f1(p95).padStart(7)} ${f1(pct(times, 99)).padStart(7)} ${f1(headCores * 100).padStart(7)} ${perReq.toFixed(0).padStart(7)} ${f1(((g1.user + g1.system) / 1e6 / el) * 100).padStart(7)}  ${failed}`);
  if (p95 > 50 || failed > 0 || reached < rate * 0.9) break;
  best = rate;
  usPerReq = perReq;
}
console.log('   (head %: the head process\'s CPU; µs/req: head CPU per heartbeat; load %: this load generator\'s own CPU, which shares the machine)');
console.log(`\nhighest heartbeat rate with p95 ≤ 50 ms and nothing failed: ${best > 0 ? `${best} requests/s (${Math.round(best * HEARTBEAT_S)} sensors at one heartbeat per ${HEARTBEAT_S} s)` : `below ${Math.round(hbRate * 2)} requests/s`}; ${sent} requests in all`);
if (Number.isFinite(usPerReq)) console.log(`head CPU per heartbeat at that rate: ${usPerReq.toFixed(0)} µs, so one core would answer about ${Math.round(1e6 / usPerReq)} heartbeats/s (${Math.round((1e6 / usPerReq) * HEARTBEAT_S)} sensors) if the load came from other machines: an extrapolation, not a measurement`);
for (const a of agents) a.destroy();
await rpc({ cmd: 'stop' });
