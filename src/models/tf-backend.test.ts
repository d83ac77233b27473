import { spawnSync } from 'node:child_process';
import t from 'tap';
import { initTf } from './tf-backend.js';

t.test('the wasm backend starts from the bundled .wasm files', async (t) => {
  t.equal(await initTf(), 'wasm');
});

t.test('without its .wasm files the cpu backend takes over, with a log line', async (t) => {
  // a fresh process: the backend is chosen once per thread
  const script = `
    import { initTf } from ${JSON.stringify(new URL('./tf-backend.ts', import.meta.url).href)};
    const lines = [];
    const backend = await initTf((m) => lines.push(m), '/nonexistent-wasm-dir');
    console.log(JSON.stringify({ backend, lines }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { backend: string; lines: string[] };
  t.equal(out.backend, 'cpu');
  t.equal(out.lines.length, 1);
  t.match(out.lines[0], /wasm backend .*cpu backend/);
});
