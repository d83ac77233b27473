/**
 * The whole command as a user runs it, next to QoSient argus on the same file: `argus-edge replay FILE --eve
 * OUT` (start-up, file reading, decode, flows, the bundled models scoring every flow, EVE serialisation, the
 * summary) against `argus -r FILE -w OUT` (argus's flow records). CPU seconds (user + system) of each child
 * process, best of `ARGUS_WHOLE_RUNS` (2) runs, and packets per CPU-second; the ratio is ours over argus's.
 * Also the same command with the models off, with the models and the address enrichment off (opening the
 * address databases is a fixed second or so), and an empty capture (what start-up alone costs).
 *
 *   npx tsx bench/whole-replay.ts [FILE]     (default: the largest capture in the shared pcaps)
 *
 * argus is Debian's argus-server (scripts/setup.sh installs it); without it only our figures are printed.
 * Needs dist/argus-edge.js (npm run build). Prints figures only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { sharedPcapsDir } from '../scripts/default-model-inputs.js';

const root = projectRoot();
const cli = join(root, 'dist/argus-edge.js');
if (!existsSync(cli)) {
  console.log('whole-replay: skipped, dist/argus-edge.js is missing (npm run build)');
  process.exit(0);
}
const RUNS = Number(process.env.ARGUS_WHOLE_RUNS ?? 2);

function largestCapture(): string | null {
  const dir = sharedPcapsDir();
  if (!existsSync(dir)) return null;
  let best: { path: string; size: number } | null = null;
  for (const sub of readdirSync(dir)) {
    const d = join(dir, sub);
    if (!statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d)) {
      if (!/\.pcap(ng)?$/.test(f)) continue;
      const p = join(d, f);
      const size = statSync(p).size;
      if (best === null || size > best.size) best = { path: p, size };
    }
  }
  return best?.path ?? null;
}

const file = process.argv[2] ?? largestCapture();
if (file === null) {
  console.log(`whole-replay: skipped, no capture given and none in ${sharedPcapsDir()}`);
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), 'argus-whole-'));
const empty = join(work, 'empty.pcap');
new PcapWriter({ path: empty }).close();

/** CPU seconds (user + system) of one run of `cmd`, as bash's `time` reports the child's. */
function cpuSeconds(cmd: string[], env: Record<string, string> = {}): { cpu: number; wall: number; stdout: string } {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S %R'; { time ${quoted} > "$ARGUS_OUT" 2>/dev/null; } 2>&1`], {
    encoding: 'utf8',
    env: { ...process.env, ...env, ARGUS_OUT: join(work, 'stdout') },
    maxBuffer: 1 << 24,
  });
  const m = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stdout);
  if (r.status !== 0 || m === null) throw new Error(`${cmd.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]), stdout: r.stdout };
}

function best(cmd: string[], env: Record<string, string> = {}): { cpu: number; wall: number } {
  let b = { cpu: Infinity, wall: Infinity };
  for (let i = 0; i < RUNS; i++) {
    const r = cpuSeconds(cmd, env);
    if (r.cpu < b.cpu) b = r;
  }
  return b;
}

// packets of the file, from our own summary
const summary = spawnSync(process.execPath, [cli, 'replay', file, '--json'], { encoding: 'utf8', env: { ...process.env, ARGUS_EDGE_MODELS_ENABLED: 'false' }, maxBuffer: 1 << 26 });
const packets = (JSON.parse(summary.stdout) as { packets: number }).packets;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const eve = join(work, 'eve.json');
const ours = best([process.execPath, cli, 'replay', file, '--eve', eve]);
const noModels = best([process.execPath, cli, 'replay', file, '--eve', eve], { ARGUS_EDGE_MODELS_ENABLED: 'false' });
const bare = best([process.execPath, cli, 'replay', file, '--eve', eve], { ARGUS_EDGE_MODELS_ENABLED: 'false', ARGUS_EDGE_ENRICH_ENABLED: 'false' });
const startup = best([process.execPath, cli, 'replay', empty, '--eve', eve]);
const argusBin = ['/usr/sbin/argus', '/usr/bin/argus'].find((p) => existsSync(p));
const theirs = argusBin !== undefined ? best([argusBin, '-r', file, '-w', join(work, 'argus.out')]) : null;

console.log(`whole replay of ${file} (${fmt(statSync(file).size / 1024)} KiB, ${fmt(packets)} packets), CPU seconds (user + sys), best of ${RUNS}:`);
const line = (name: string, r: { cpu: number; wall: number }): void =>
  console.log(`  ${name.padEnd(48)} ${r.cpu.toFixed(2).padStart(7)} CPU-s ${r.wall.toFixed(2).padStart(7)} s wall ${fmt(packets / Math.max(r.cpu, 0.001)).padStart(12)} packets/CPU-s`);
line('argus-edge replay --eve (models on)', ours);
line('argus-edge replay --eve (models off)', noModels);
line('argus-edge replay --eve (models, enrichment off)', bare);
console.log(`  ${'argus-edge start-up (an empty capture)'.padEnd(48)} ${startup.cpu.toFixed(2).padStart(7)} CPU-s`);
if (theirs !== null) {
  line('argus -r -w (QoSient argus 3)', theirs);
  console.log(`  ratio, ours / argus's packets per CPU-second: models on ${(theirs.cpu / ours.cpu).toFixed(2)}×, models off ${(theirs.cpu / noModels.cpu).toFixed(2)}× (target ≥ 1.3× with the models on)`);
} else console.log('  argus is not installed (Debian: argus-server): no comparison');
rmSync(work, { recursive: true, force: true });
