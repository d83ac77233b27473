/**
 * `run --mode replay --pcap FILE` as a user runs it: the dashboard stays up after the file ends until SIGTERM;
 * with --exit-at-end the process stops by itself when the file ends.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { smallCapture } from './support/small-capture.js';
import { Store } from '../src/store/db.js';

const root = projectRoot();
const dir = mkdtempSync(join(tmpdir(), 'argus-run-replay-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pcap = join(dir, 'small.pcap');
smallCapture(pcap, { dns: true });

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'run', '--mode', 'replay', '--pcap', pcap, '--port', '0', '--config', '/dev/null', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ARGUS_EDGE_MODELS_ENABLED: 'false' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const until = Date.now() + ms;
      const poll = setInterval(() => {
        const m = re.exec(stderr);
        if (m !== null || Date.now() > until) {
          clearInterval(poll);
          if (m !== null) resolve(m);
          else reject(new Error(`no ${re} within ${ms} ms:\n${stderr}`));
        }
      }, 50);
    });
  return { child, exited, waitFor, stderr: () => stderr };
}

t.test('the dashboard stays up after the file ends, until SIGTERM', { timeout: 60_000 }, async (t) => {
  const r = run(['--store', join(dir, 'serve.db')]);
  t.teardown(() => void r.child.kill('SIGKILL'));
  const url = (await r.waitFor(/dashboard on (http:\/\/\S+) /, 30_000))[1]!;
  await r.waitFor(/replay finished/, 30_000);
  t.match(r.stderr(), /stays up .* stop with Ctrl-C/, 'says the dashboard stays up');
  let exitedEarly = false;
  void r.exited.then(() => (exitedEarly = true));
  await new Promise((res) => setTimeout(res, 1500));
  t.notOk(exitedEarly, 'still running 1.5 s after the file ended');
  const health = (await (await fetch(`${url}/healthz`)).json()) as { status: string; packets: number; flows: number };
  t.match(health, { status: 'ok' });
  t.ok(health.packets >= 11, `the replay's ${health.packets} packets are counted`);
  r.child.kill('SIGTERM');
  t.equal(await r.exited, 0, 'SIGTERM stops it cleanly');
});

t.test('--exit-at-end stops when the file ends', { timeout: 60_000 }, async (t) => {
  const r = run(['--exit-at-end', '--store', join(dir, 'exit.db')]);
  t.teardown(() => void r.child.kill('SIGKILL'));
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 30_000);
  const code = await r.exited;
  clearTimeout(timer);
  t.equal(code, 0, 'exits 0 by itself');
  t.match(r.stderr(), 'replay finished');
  // one clock: the start-up reconcile happens before the first packet, and is still in the capture's time
  const store = Store.open({ path: join(dir, 'exit.db'), log: () => {} });
  t.teardown(() => store.close());
  const entries = store.actions.auditLog({ limit: 100 });
  const reconcile = entries.find((e) => e.action === 'respond.reconcile');
  t.ok(reconcile, 'the start-up reconcile is audited');
  t.equal(reconcile!.tsUs, 1_700_000_000_000_000, "at the capture's first packet time, not the wall clock");
  t.ok(entries.every((e) => e.tsUs >= 1_700_000_000_000_000 && e.tsUs < 1_700_000_100_000_000), 'every audit entry is in the capture clock');
});
