/**
 * Crash test: a child process replays a real capture into a store and is killed with SIGKILL mid-run; the
 * reopened store must pass integrity_check and hold every alert the child reported as committed.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, checkStoreFile } from '../src/store/db.js';

const CAPTURE = join(import.meta.dirname, '../../shared/pcaps/attack/nmap-tcp-syn-scan.pcap');
const WRITER = join(import.meta.dirname, 'support/store-writer.ts');

interface Run {
  committed: string[];
  flowsCommitted: number;
  walBytesAtKill: number;
  signal: NodeJS.Signals | null;
}

/** Runs the writer until it has reported `killAfter` committed alerts, then SIGKILLs it. */
function runAndKill(dbPath: string, killAfter: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, CAPTURE, dbPath, '1000', '150'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { committed: [], flowsCommitted: 0, walBytesAtKill: 0, signal: null };
    let rest = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer did not reach ${killAfter} commits in 120 s; stderr: ${stderr}`));
    }, 120_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('committed ')) run.committed.push(l.slice('committed '.length));
        else if (l.startsWith('flows ')) run.flowsCommitted += Number(l.slice(6));
      }
      if (!killed && run.committed.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
        run.walBytesAtKill = existsSync(dbPath + '-wal') ? statSync(dbPath + '-wal').size : 0;
      }
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      run.signal = signal;
      // lines already in the pipe when the kill landed were committed too
      for (const l of rest.split('\n')) if (l.startsWith('committed ')) run.committed.push(l.slice(10));
      resolve(run);
    });
  });
}

t.test('a store killed mid-replay reopens intact with every committed alert', { skip: existsSync(CAPTURE) ? false : `capture not present: ${CAPTURE}` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // different kill points: early (first batches), and after WAL checkpoints have run
  for (const killAfter of [300, 4000, 12000]) {
    const dbPath = join(dir, `crash-${killAfter}.db`);
    const run = await runAndKill(dbPath, killAfter);
    t.equal(run.signal, 'SIGKILL', `writer killed after ${run.committed.length} reported alerts`);
    t.ok(run.walBytesAtKill > 0, `the WAL held uncheckpointed data at the kill (${run.walBytesAtKill} bytes)`);

    const check = checkStoreFile(dbPath);
    t.same(check.messages, ['ok'], 'integrity_check passes (read-only, before recovery by a writer)');
    const s = Store.open({ path: dbPath, log: () => {} });
    t.same(s.integrityCheck(), ['ok'], 'integrity_check passes after reopening');
    const ids = new Set((s.db.prepare('SELECT id FROM alerts').all() as { id: string }[]).map((r) => r.id));
    const missing = run.committed.filter((id) => !ids.has(id));
    t.same(missing.slice(0, 5), [], `all ${run.committed.length} reported alerts are stored (${ids.size} in the file)`);
    t.ok(s.flows.count() >= run.flowsCommitted, `flows stored (${s.flows.count()}) ≥ flows reported (${run.flowsCommitted})`);
    // the store keeps working after the crash
    s.addAlert({ ...s.alerts.query({ limit: 1 })[0]!, id: 'after-crash' });
    s.flush();
    t.ok(s.alerts.get('after-crash'));
    s.close();
  }
});
