/**
 * Store faults as an operator meets them: a file that is not ours, a damaged file, a directory the service
 * cannot write, a full disk. Real SQLite files; the read-only directory and the full disk are real tmpfs
 * mounts made by the test (skipped without root). What must hold: the appliance refuses what it should not
 * use with a message saying what to do, names the path and the cause of an open error, and on a full disk
 * writes one error, keeps capturing, says "store full" on /healthz and the dashboard, and resumes by itself.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeStatus } from '../src/commands/status.js';
import { Store } from '../src/store/db.js';
import { EveWriter } from '../src/store/eve.js';
import { APPLICATION_ID } from '../src/store/open-check.js';
import { setUserPassword } from '../src/web/password.js';
import { webApp } from '../src/web/server.js';
import { makeFlow } from './support/store-flows.js';
import { buildWebDeps, WebClient } from './support/web-deps.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-faults-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const T0 = 1_763_700_000_000_000;
const isRoot = process.getuid?.() === 0;
const NEED_ROOT = isRoot ? false : 'needs root to mount a tmpfs';

function mountTmpfs(t: { teardown(fn: () => void): void }, name: string, opts: string): string | null {
  const mnt = join(dir, name);
  mkdirSync(mnt, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'argus-test', mnt], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  t.teardown(() => void spawnSync('umount', ['-l', mnt]));
  return mnt;
}

t.test('an unrelated SQLite file is refused and left untouched', async (t) => {
  const path = join(dir, 'notes.db');
  const db = new Database(path);
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('buy milk')");
  db.close();
  const before = readFileSync(path);
  t.throws(() => Store.open({ path, log: () => {} }), /notes\.db is not an Argus Edge store \(schema version 0, tables notes\); it is left untouched/);
  t.same(readFileSync(path), before, 'not a byte changed');
  const other = join(dir, 'other-app.db');
  const db2 = new Database(other);
  db2.pragma('application_id = 1234');
  db2.exec('CREATE TABLE devices (mac TEXT)');
  db2.close();
  t.throws(() => Store.open({ path: other, log: () => {} }), /not an Argus Edge store \(application id 0x4d2\)/);
});

t.test('a damaged store is refused with what to do; status says the same', async (t) => {
  const path = join(dir, 'damaged.db');
  const s = Store.open({ path, log: () => {} });
  for (let i = 0; i < 3000; i++) s.addFlow(makeFlow(i, T0 + i));
  s.close();
  const bytes = readFileSync(path);
  // scribble over a few pages in the middle of the flows table, keeping the header page
  for (let i = 8 * 4096; i < 12 * 4096 && i < bytes.length; i++) bytes[i] = (i * 13) & 0xff;
  writeFileSync(path, bytes);
  const err = (() => {
    try {
      Store.open({ path, log: () => {} });
      return null;
    } catch (e) {
      return e as Error;
    }
  })();
  t.ok(err !== null, 'refused');
  t.match(err?.message, /damaged\.db is damaged \(integrity check: .+\)/, err?.message ?? '');
  t.match(err?.message, /argus-edge status/, 'names status');
  t.match(err?.message, /restore the file from a backup, or move it aside \(mv '.*damaged\.db' '.*damaged\.db\.bad'\)/, 'says what to do');
  const st = storeStatus(path);
  t.equal(st.ok, false, 'status finds the damage');

  const junk = join(dir, 'junk.db');
  writeFileSync(junk, Buffer.alloc(8192, 0x41));
  t.throws(() => Store.open({ path: junk, log: () => {} }), /junk\.db is not a usable SQLite database \(file is not a database\)/);
  t.equal(storeStatus(junk).ok, false);
});

t.test('a store from before the application id opens and is stamped; new files are 0600, EVE 0640', async (t) => {
  const path = join(dir, 'new', 'sub', 'argus-edge.db');
  const s = Store.open({ path, log: () => {} });
  for (let i = 0; i < 10; i++) s.addFlow(makeFlow(i, T0 + i));
  s.flush();
  t.equal(statSync(path).mode & 0o777, 0o600, 'store file 0600');
  t.equal(statSync(path + '-wal').mode & 0o777, 0o600, 'WAL 0600');
  t.equal(statSync(path + '-shm').mode & 0o777, 0o600, 'SHM 0600');
  t.equal(statSync(join(dir, 'new', 'sub')).mode & 0o777, 0o750, 'directory 0750');
  t.equal(s.db.pragma('application_id', { simple: true }), APPLICATION_ID);
  s.db.pragma('application_id = 0');
  s.close();
  const again = Store.open({ path, log: () => {} });
  t.equal(again.db.pragma('application_id', { simple: true }), APPLICATION_ID, 'an older store of ours is stamped');
  t.equal((again.db.prepare('SELECT count(*) AS n FROM flows').get() as { n: number }).n, 10, 'its rows are kept');
  again.close();

  const evePath = join(dir, 'eve.json');
  const eve = new EveWriter({ path: evePath, types: ['flow'], maxBytes: 0, keep: 0 });
  eve.write('flow', { event_type: 'flow' });
  eve.close();
  t.equal(statSync(evePath).mode & 0o777, 0o640, 'EVE file 0640');
});

t.test('a read-only store directory: the error names the path and the cause', { skip: NEED_ROOT }, async (t) => {
  const mnt = mountTmpfs(t, 'ro', 'ro,size=1m');
  if (mnt === null) {
    t.comment('mount -t tmpfs failed: skipped');
    return;
  }
  const path = join(mnt, 'argus-edge.db');
  t.throws(() => Store.open({ path, log: () => {} }), new RegExp(`cannot create the store ${path.replaceAll('/', '\\/')}: EROFS: read-only file system`));
  const sub = join(mnt, 'var', 'argus-edge.db');
  t.throws(() => Store.open({ path: sub, log: () => {} }), /cannot create the store directory .*\/var for .*: .* is not writable \(EROFS: read-only file system\)/);
});

/** Fills the file system holding `dir` to the last byte; returns the filler's path. */
function fill(dirPath: string): string {
  const p = join(dirPath, 'filler');
  const fd = openSync(p, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full
  }
  try {
    for (;;) writeSync(fd, chunk, 0, 512);
  } catch {
    // and the last blocks
  }
  closeSync(fd);
  return p;
}

t.test('a full disk: one error, capture goes on, /healthz and the dashboard say so, writing resumes', { skip: NEED_ROOT }, async (t) => {
  const mnt = mountTmpfs(t, 'full', 'size=24m');
  if (mnt === null) {
    t.comment('mount -t tmpfs failed: skipped');
    return;
  }
  const w = buildWebDeps({ dir: join(mnt, 'web') });
  t.teardown(() => w.close());
  const logs: string[] = [];
  // the store under test, on the small tmpfs, with small batches so the full disk is met many times
  const store = Store.open({ path: join(mnt, 'argus-edge.db'), batchSize: 200, flushIntervalMs: 100, maxQueue: 5000, log: (m) => logs.push(m) });
  t.teardown(() => store.close());
  w.deps.store = store;
  await setUserPassword(store, { username: 'admin', password: 'correct horse battery', role: 'admin', actor: 'test', tsUs: 1 });
  const app = webApp(w.deps, { log: (m) => logs.push(m) });
  const admin = new WebClient(app);
  t.equal((await admin.login('admin', 'correct horse battery')).status, 303);
  let i = 0;
  // packet time advances 1 ms per flow: 20,000 flows are 20 s of capture
  const feed = (n: number) => {
    for (const end = i + n; i < end; i++) {
      store.addFlow(makeFlow(i, T0 + i * 1000));
      store.tick(T0 + i * 1000);
    }
  };
  feed(1000);
  t.equal(store.health().state, 'ok');
  const flowRows = () => (store.db.prepare('SELECT count(*) AS n FROM flows').get() as { n: number }).n;
  const kept = flowRows();
  t.ok(kept > 0, `${kept} flows stored before the disk fills`);

  const filler = fill(mnt);
  t.doesNotThrow(() => feed(20_000), 'capture goes on: adding rows never throws');
  t.equal(store.health().state, 'full', 'health: full');
  const errors = logs.filter((m) => /ERROR/.test(m));
  t.equal(errors.length, 1, `one error for the whole episode (${store.stats().flushErrors} failed commits): ${errors[0]}`);
  t.match(errors[0], /the disk holding the store is full .*SQLITE_FULL|database or disk is full/);
  t.ok(store.stats().flushErrors > 5, `${store.stats().flushErrors} commits failed and were retried`);
  t.ok(store.stats().dropped.flow > 0, `${store.stats().dropped.flow} flows dropped and counted once the queue was full`);

  const h = (await (await app.request('http://localhost/healthz')).json()) as { status: string; store: string; storeError: string };
  t.match(h, { status: 'degraded', store: 'full' }, '/healthz says the store is full');
  const pageRes = await admin.request('/devices');
  t.equal(pageRes.status, 200, 'the dashboard still answers');
  t.match(await pageRes.text(), /The store is full<\/b>: nothing new is being saved/, 'and says the store is full');
  const api = (await (await admin.request('/api/v1/health')).json()) as { store: { state: string } };
  t.equal(api.store.state, 'full');

  rmSync(filler);
  // the next try comes at most 10 s of packet time later
  feed(12_000);
  t.equal(store.health().state, 'ok', 'writing resumed once space returned');
  t.match(logs.find((m) => /resumed/.test(m)), /store: writing resumed after \d+ s; \d+ items were dropped meanwhile/);
  t.equal(logs.filter((m) => /ERROR/.test(m)).length, 1, 'still one error');
  store.flush();
  const after = flowRows();
  t.ok(after > kept + 12_000, `${after} flows stored after recovery (the queued ones and the new ones)`);
  t.match((await (await app.request('http://localhost/healthz')).json()) as object, { status: 'ok', store: 'ok' });
  t.notMatch(await (await admin.request('/devices')).text(), /The store is full/, 'the banner is gone');
  t.same(store.integrityCheck(), ['ok'], 'the store is sound');
});

t.test('replay --store onto a disk that fills: one error, a summary line, exit 3', { skip: NEED_ROOT, timeout: 120_000 }, async (t) => {
  const mnt = mountTmpfs(t, 'cli', 'size=4m');
  if (mnt === null) {
    t.comment('mount -t tmpfs failed: skipped');
    return;
  }
  const { statfsSync } = await import('node:fs');
  const { projectRoot } = await import('../src/assets.js');
  const root = projectRoot();
  // leave room for the schema and a few batches, not for the demo capture's flows
  const st = statfsSync(mnt);
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, st.bavail * st.bsize - 600 * 1024), 1));
  const db = join(mnt, 'argus-edge.db');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'replay', join(root, 'demo/demo.pcap'), '--store', db], {
    encoding: 'utf8',
    env: { ...process.env, ARGUS_EDGE_STORE_BATCHSIZE: '100', ARGUS_EDGE_EVE_PATH: '', ARGUS_EDGE_MODELS_ENABLED: 'false' },
    timeout: 100_000,
  });
  const errors = r.stderr.split('\n').filter((l) => /ERROR/.test(l));
  t.equal(errors.length, 1, `one error line: ${errors[0]}`);
  t.match(errors[0], /the disk holding the store is full/);
  t.notMatch(r.stderr, /batch commit failed/, 'no per-batch warnings');
  t.match(r.stdout, /store\s+[\d,]+ failed commits \(database or disk is full\); [\d,]+ items dropped while the queue was full, [\d,]+ not saved at exit/, 'the summary says what was lost');
  t.match(r.stdout, /packets\s+[\d,]+/, 'and the rest of the summary is there: the replay went on');
  t.equal(r.status, 3, 'exit 3: the store could not save everything');
});
