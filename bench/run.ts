/**
 * npm run bench: runs every benchmark in bench/ in its own process (so each one's peak RSS is its own) and
 * prints their figures. `npm run bench -- flow store` runs only the named ones.
 * Benchmarks print figures; none of them passes or fails on a time.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => basename(f, '.ts'))
  .sort();
const chosen = only.length > 0 ? all.filter((n) => only.includes(n)) : all;
const unknown = only.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`no such benchmark: ${unknown.join(', ')} (there are: ${all.join(', ')})`);
  process.exit(1);
}
let failed = 0;
for (const name of chosen) {
  console.log(`\n=== ${name} ${'='.repeat(Math.max(0, 60 - name.length))}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(dir, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`${name}: exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
