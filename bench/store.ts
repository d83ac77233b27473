/**
 * Store benchmark.
 * 1. Insert throughput: flow rows/s through the batched write queue (rollups, detail encoding and indexes
 *    included), into a fresh file. Target ≥ 50,000 rows/s.
 * 2. Steady-state write rate at 1,000 flows/s of packet time: after a warm-up (WAL at its working size,
 *    rollup rows present), bytes that reach the disk per second of traffic — file growth (database + WAL),
 *    bytes handed to write() (/proc/self/io wchar) and bytes sent to the block layer (write_bytes).
 *
 * Run: npx tsx bench/store.ts [rows=200000] [seconds=300] [dir=os.tmpdir()]
 * FLUSH_MS=5000 sets the commit interval of the steady-state part (store.flushIntervalMs; default 1000).
 * The directory should be on the disk under test (not tmpfs, where write_bytes stays 0).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../src/store/db.js';
import { makeFlow } from '../test/support/store-flows.js';
import type { FlowRecord } from '../src/flow/flow-record.js';

const rows = Number(process.argv[2] ?? 200_000);
const seconds = Number(process.argv[3] ?? 300);
const dir = mkdtempSync(join(process.argv[4] ?? tmpdir(), 'argus-bench-store-'));
const T0 = 1_750_000_000_000_000;

function io(): { wchar: number; writeBytes: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const get = (k: string): number => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { wchar: get('wchar'), writeBytes: get('write_bytes') };
}

function onDisk(path: string): number {
  let n = 0;
  for (const p of [path, path + '-wal']) {
    try {
      n += statSync(p).size;
    } catch {
      // no WAL yet
    }
  }
  return n;
}

const mib = (b: number): string => (b / 1048576).toFixed(2) + ' MiB';
const kib = (b: number): string => (b / 1024).toFixed(1) + ' KiB';

try {
  // ---- 1. insert throughput ----
  {
    // records built beforehand: the figure is the store's cost, not the generator's
    const flows: FlowRecord[] = Array.from({ length: rows }, (_, i) => makeFlow(i + 1, T0 + i * 1000, 64));
    const path = join(dir, 'throughput.db');
    const s = Store.open({ path, batchSize: 1000, flushIntervalMs: 1000, log: () => {} });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const f of flows) s.addFlow(f);
    s.flush();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    const rate = (n: number, t: number): string => Math.round((n / t) * 1000).toLocaleString('en');
    console.log(`insert throughput: ${rows} flow rows in ${ms.toFixed(0)} ms = ${rate(rows, ms)} rows/s (target ≥ 50,000)`);
    // on a shared machine wall time includes waiting for a core; CPU time is what the store itself costs
    console.log(`  CPU ${cpuMs.toFixed(0)} ms = ${rate(rows, cpuMs)} rows per CPU-second; load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`);
    console.log(`  ${s.stats().batches} transactions; file + WAL ${mib(onDisk(path))} = ${(onDisk(path) / rows).toFixed(0)} B per flow on disk`);
    s.close();
  }

  // ---- 2. steady-state write rate at 1,000 flows/s ----
  {
    const path = join(dir, 'steady.db');
    const flushIntervalMs = Number(process.env.FLUSH_MS ?? 1000);
    const s = Store.open({ path, batchSize: Math.max(1000, flushIntervalMs), flushIntervalMs, log: () => {} });
    let i = 0;
    const second = (sec: number): void => {
      // 1,000 flows ending during this second of packet time, 20 devices
      for (let k = 0; k < 1000; k++) s.addFlow(makeFlow(++i, T0 + sec * 1_000_000 + k * 1000, 20));
      s.tick(T0 + (sec + 1) * 1_000_000);
    };
    const warm = 60;
    for (let sec = 0; sec < warm; sec++) second(sec);
    s.flush();
    const size0 = onDisk(path);
    const io0 = io();
    const t0 = performance.now();
    for (let sec = warm; sec < warm + seconds; sec++) second(sec);
    s.flush();
    const cpuMs = performance.now() - t0;
    const io1 = io();
    const size1 = onDisk(path);
    const per = (b: number): string => `${kib(b / seconds)}/s`;
    console.log(`steady state, 1,000 flows/s for ${seconds} s of packet time (after ${warm} s warm-up), a commit every ${flushIntervalMs} ms:`);
    console.log(`  file growth (database + WAL): ${per(size1 - size0)}  (${mib(size1 - size0)} total)`);
    console.log(`  bytes written (wchar):        ${per(io1.wchar - io0.wchar)}`);
    console.log(`  bytes to block layer (write_bytes): ${per(io1.writeBytes - io0.writeBytes)}`);
    console.log(`  ${s.stats().batches} commits, ${((cpuMs / seconds) / 10).toFixed(2)} % of one core at 1,000 flows/s`);
    console.log(`  per day at this rate: ${mib(((size1 - size0) / seconds) * 86400)} of growth until retention/size cap`);
    s.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
