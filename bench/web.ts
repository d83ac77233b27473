/**
 * Dashboard latency under load: the device and alert pages and their API counterparts, served by the
 * appliance's web server on 127.0.0.1 from a store holding 5,000 devices (six trust points each) and 100,000
 * alerts (folded into incidents), at 50 requests/s per route (autocannon, signed-in session). Prints p50/p95/p99/max per route.
 * Target: p95 ≤ 50 ms. Figures only; nothing here passes or fails.
 *
 * Run: npx tsx bench/web.ts [seconds per route = 8] [devices = 5000] [alerts = 100000]
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startWebServer } from '../src/web/server.js';
import { buildWebDeps } from '../test/support/web-deps.js';
import { createUser, seedDashboard, seedMac } from '../test/support/web-seed.js';

interface AutocannonResult {
  requests: { total: number };
  non2xx: number;
  errors: number;
}
interface AutocannonInstance {
  on(ev: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(ev: 'done', fn: (r: AutocannonResult) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => AutocannonInstance;
// autocannon ships no types; this is the part of its API used here
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const seconds = Number(process.argv[2] ?? 8);
const devices = Number(process.argv[3] ?? 5000);
const alerts = Number(process.argv[4] ?? 100_000);
const PASSWORD = 'bench-password-1';

let endUs = 0;
const web = buildWebDeps({ nowUs: () => endUs });
let t0 = performance.now();
endUs = seedDashboard(web.store, { devices, alerts, flows: 2000 });
await createUser(web.store, 'admin', PASSWORD);
console.log(`store: ${devices} devices, ${alerts} alerts, ${web.store.flows.count()} flows seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const server = await startWebServer(web.deps);
const login = await fetch(server.url + '/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD }), redirect: 'manual' });
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
if (login.status !== 303 || cookie === '') throw new Error(`sign-in failed: ${login.status}`);

const routes = [
  '/devices',
  '/devices?sort=name&dir=desc',
  '/devices?sort=seen&page=60',
  '/devices?q=host-42',
  '/devices?level=critical',
  `/devices/${seedMac(0)}`,
  `/devices/${seedMac(4321)}`,
  '/alerts',
  '/alerts?severity=high&kind=dns.tunnel',
  '/alerts?state=open&unacked=1',
  `/alerts?mac=${seedMac(17)}`,
  '/',
  '/audit',
  '/models',
  '/api/v1/devices',
  '/api/v1/alerts',
  '/api/v1/incidents',
];

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

console.log(`\n${seconds} s per route at 50 requests/s (4 connections); latency in ms`);
console.log(`${'route'.padEnd(40)} ${'n'.padStart(5)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}  errors`);
let worst = 0;
for (const path of routes) {
  const times: number[] = [];
  t0 = performance.now();
  const result = await new Promise<AutocannonResult>((resolve) => {
    const inst = autocannon({ url: server.url + path, connections: 4, overallRate: 50, duration: seconds, headers: { cookie } });
    inst.on('response', (_c, _s, _b, ms) => times.push(ms));
    inst.on('done', resolve);
  });
  times.sort((a, b) => a - b);
  const p95 = pct(times, 95);
  worst = Math.max(worst, p95);
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`${path.padEnd(40)} ${String(times.length).padStart(5)} ${f(pct(times, 50))} ${f(p95)} ${f(pct(times, 99))} ${f(times[times.length - 1] ?? NaN)}  ${result.non2xx + result.errors}`);
}
console.log(`\nworst p95: ${worst.toFixed(1)} ms (target ≤ 50 ms); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
await server.close();
await web.close();
