/**
 * The single executable (build.mjs --sea; run that first): its size, the time from exec to a healthy
 * dashboard (`run --mode replay --realtime --loop --port 0`, polling /healthz) with an empty and with a warm extraction cache,
 * and its resident memory once idle — beside the same for dist/argus-edge.js on this machine's Node.
 * Targets from the issue: ≤ 130 MB, ≤ 2 s to ready. Prints figures; does not pass or fail.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';

const root = projectRoot();
const exe = join(root, `dist/argus-edge-linux-${arch()}`);
const bundle = join(root, 'dist/argus-edge.js');
const work = mkdtempSync(join(tmpdir(), 'argus-bench-sea-'));
const IDLE_MS = 3000;

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Start `cmd`, wait for the "metrics on http://…:PORT" log line, poll /healthz; ms to healthy and idle RSS. */
async function startToReady(cmd: string, args: string[], env: Record<string, string>): Promise<{ readyMs: number; rss: number }> {
  const t0 = performance.now();
  // --realtime --loop: the demo capture keeps the appliance running (as `npm start` does) until stopped
  const child = spawn(cmd, [...args, 'run', '--mode', 'replay', '--realtime', '--loop', '--port', '0', '--store', join(work, `store-${Date.now()}.db`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${out.slice(-2000)}`);
      if (performance.now() - t0 > 60_000) throw new Error(`not ready after 60 s: ${out.slice(-2000)}`);
      const port = /http:\/\/[^\s/]+:(\d+)\/metrics/.exec(out)?.[1];
      if (port !== undefined && (await healthy(Number(port)))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { readyMs, rss: rssOf(child.pid!) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

async function main(): Promise<void> {
  if (!existsSync(exe)) {
    console.log(`sea: ${exe} is missing; run 'npm run build:sea' first`);
    return;
  }
  const nodeBin = join(root, `node_modules/.cache/argus-edge-sea`);
  console.log(`executable        ${mb(statSync(exe).size)} (${exe.slice(root.length + 1)}; target ≤ 130 MB)`);
  const arm = join(root, 'dist/argus-edge-linux-arm64');
  if (existsSync(arm) && arch() !== 'arm64') console.log(`executable arm64  ${mb(statSync(arm).size)}`);
  for (const a of ['x64', 'arm64']) {
    const dir = readDirSafe(nodeBin).find((d) => d.endsWith(`-linux-${a}`));
    if (dir) console.log(`node binary ${a.padEnd(5)} ${mb(statSync(join(nodeBin, dir, 'bin/node')).size)} unstripped, as shipped in node-linux-${a}`);
  }
  const blob = join(root, `dist/.sea/${arch()}/sea.blob`);
  if (existsSync(blob)) console.log(`SEA blob          ${mb(statSync(blob).size)} (bundle + assets)`);

  const runs = 3;
  const cold: number[] = [];
  const warm: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const cache = join(work, `cache-${i}`);
    // empty cache: includes extracting the native parts and files
    cold.push((await startToReady(exe, [], { XDG_CACHE_HOME: cache })).readyMs);
    const w = await startToReady(exe, [], { XDG_CACHE_HOME: cache });
    warm.push(w.readyMs);
    rss = Math.max(rss, w.rss);
  }
  const js = await startToReady(process.execPath, [bundle], {});
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`ready, empty cache  ${med(cold).toFixed(0)} ms median of ${runs} (target ≤ 2000 ms)`);
  console.log(`ready, warm cache   ${med(warm).toFixed(0)} ms median of ${runs}`);
  console.log(`RSS idle (${IDLE_MS / 1000} s)     ${mb(rss)} executable; ${mb(js.rss)} dist/argus-edge.js on node ${process.version}`);
  console.log(`ready, bundle        ${js.readyMs.toFixed(0)} ms (dist/argus-edge.js on node ${process.version})`);
}

function readDirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
