// npm test: type-check, then every test through tap, then one plain closing line
// "tests: N passed, N failed, N skipped" that any CI log reader understands.
import { spawn, spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => `${root}node_modules/.bin/${name}`;

const tsc = spawnSync(bin('tsc'), ['-p', root], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.log('typecheck failed');
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const args = process.argv.slice(2);
const tap = spawn(bin('tap'), ['--reporter=tap', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let last = '';
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  last = (last + chunk.toString()).slice(-4096);
});
tap.on('close', (code) => {
  // tap's closing comment: "# { total: 80, pass: 75, fail: 1, skip: 4 }"
  const m = [...last.matchAll(/^# \{ ([^}]*) \}$/gm)].pop();
  const counts = Object.fromEntries((m?.[1] ?? '').split(',').map((kv) => kv.split(':').map((s) => s.trim())).filter((kv) => kv.length === 2));
  const n = (k) => Number(counts[k] ?? 0);
  const failed = n('fail') + (m ? 0 : 1);
  console.log(`tests: ${n('pass')} passed, ${failed} failed, ${n('skip') + n('todo')} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
