/**
 * A 1,000,000-source spoofed SYN flood replayed through the real appliance (`argus-edge run --mode replay`,
 * the web server on 127.0.0.1, a SQLite store in a temporary directory, the bundled model scoring): while it
 * runs, /healthz and the signed-in dashboard are asked every 100 ms and must answer with a p95 ≤ 200 ms; the
 * store ends with a bounded number of flow and alert rows, and exactly one flood incident for the target,
 * whose count and evidence hold the folded flows.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from '../src/store/db.js';
import { startRun } from './support/argus-run.js';
import { writeSynFloodCapture } from './support/syn-flood-capture.js';
import { createUser } from './support/web-seed.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-flood-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'flood-test-password-1';

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))]!;
}

t.test('a 1 M-source SYN flood: the dashboard answers, the store stays small, one incident', { timeout: 300_000 }, async (t) => {
  const cap = writeSynFloodCapture(join(dir, 'flood.pcap'), { sources: 1_000_000 });
  const db = join(dir, 'argus.db');
  const seed = Store.open({ path: db, log: () => {} });
  await createUser(seed, 'admin', PASSWORD);
  seed.close();

  const run = startRun(dir, ['--pcap', cap.path, '--store', db], {}, 240_000);
  t.teardown(() => void run.child.kill('SIGKILL'));
  let url = '';
  while (url === '') {
    const m = /dashboard on (http:\/\/\S+) /.exec(run.stderr());
    if (m !== null) url = m[1]!;
    else if (run.child.exitCode !== null) break;
    else await sleep(50);
  }
  t.not(url, '', `the dashboard started:\n${run.stderr()}`);
  const login = await fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD }), redirect: 'manual' });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  t.equal(login.status, 303, 'signed in');

  const health: number[] = [];
  const dash: number[] = [];
  let failed = 0;
  let exited = false;
  void run.exited.then(() => (exited = true));
  const timed = async (path: string, into: number[], headers: Record<string, string> = {}): Promise<void> => {
    const t0 = performance.now();
    try {
      const r = await fetch(url + path, { headers, signal: AbortSignal.timeout(10_000) });
      await r.arrayBuffer();
      if (r.status !== 200) failed++;
      into.push(performance.now() - t0);
    } catch {
      if (!exited) into.push(performance.now() - t0);
    }
  };
  // bounded: every 100 ms until the replay has finished (at most 2,400 rounds)
  for (let i = 0; i < 2400 && !exited && !/replay finished/.test(run.stderr()); i++) {
    const round = sleep(100);
    await Promise.all([timed('/healthz', health), timed('/', dash, { cookie })]);
    await round;
  }
  const code = await run.exited;
  t.equal(code, 0, `the replay ended cleanly:\n${run.stderr().slice(-2000)}`);
  t.match(run.stderr(), /folded\s+[\d,]+ half-open flows of a SYN flood counted into its incident/, 'the summary says how many flows were folded');
  t.ok(health.length >= 5, `${health.length} /healthz requests during the replay`);
  t.equal(failed, 0, 'every answer was 200');
  t.comment(`/healthz p95 ${p95(health).toFixed(0)} ms (max ${Math.max(...health).toFixed(0)}), dashboard p95 ${p95(dash).toFixed(0)} ms (max ${Math.max(...dash).toFixed(0)}), ${health.length} rounds`);
  t.ok(p95(health) <= 200, `/healthz p95 ${p95(health).toFixed(0)} ms ≤ 200 ms`);
  t.ok(p95(dash) <= 200, `dashboard p95 ${p95(dash).toFixed(0)} ms ≤ 200 ms`);

  const store = Store.open({ path: db, log: () => {} });
  t.teardown(() => store.close());
  const n = (sql: string): number => (store.db.prepare(sql).get() as { n: number }).n;
  const flows = n('SELECT count(*) AS n FROM flows');
  const alerts = n('SELECT count(*) AS n FROM alerts');
  // the normal mix is ~1,400 connections and 1,400 DNS exchanges; the flood adds at most a sample
  t.ok(flows <= 20_000, `${flows} flow rows stored for ${cap.packets} packets`);
  t.ok(flows >= cap.normalConnections, 'the normal connections are all stored');
  t.ok(alerts <= 1_000, `${alerts} alert rows`);
  const incidents = store.db.prepare("SELECT count, evidence, target FROM incidents WHERE kind = 'dos.synflood'").all() as { count: number; evidence: string; target: string }[];
  t.equal(incidents.length, 1, 'exactly one flood incident');
  t.equal(incidents[0]!.target, cap.target);
  t.ok(incidents[0]!.count >= 900_000, `the incident counts ${incidents[0]!.count} flows of the flood`);
  t.match(incidents[0]!.evidence, /half-open flows from sources seen once were counted into this incident/);
});
