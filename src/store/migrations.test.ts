import t from 'tap';
import { APPLICATION_ID } from './open-check.js';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from './migrations.js';
import { Store } from './db.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-migrations-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The schema as SQLite prints it, sorted: two stores with equal output have equal tables and indexes. */
function schemaOf(db: Database.Database): string[] {
  return (db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`).all() as {
    type: string;
    name: string;
    sql: string;
  }[]).map((r) => `${r.type} ${r.name}: ${r.sql.replace(/\s+/g, ' ')}`);
}

/** One row per table that exists at version `v`, written with that version's columns only. */
const SEED: Record<number, string[]> = {
  1: [
    `INSERT INTO devices (mac, first_seen_us, last_seen_us, hostname) VALUES ('02:99:00:00:00:01', 1, 2, 'cam')`,
    `INSERT INTO device_addresses (mac, ip, first_seen_us, last_seen_us, source) VALUES ('02:99:00:00:00:01', '10.99.0.5', 1, 2, 'dhcp')`,
    `INSERT INTO alerts (id, ts_us, kind, signature, severity, confidence, src_ip, src_mac, targets, dest_port, proto, evidence, suggested_response)
       VALUES ('a1', 5, 'scan.arp', 'sweep', 2, 0.9, '10.99.0.5', NULL, '[]', NULL, NULL, '[]', 'monitor')`,
  ],
  2: [`INSERT INTO audit_log (ts_us, actor, action) VALUES (7, 'system', 'test.seed')`],
  3: [`INSERT INTO settings (key, value, updated_us) VALUES ('seed', '42', 8)`],
  4: [
    `INSERT INTO web_users (username, password_hash, role, created_us) VALUES ('admin', 'x', 'admin', 9)`,
    `INSERT INTO api_tokens (user_id, name, token_hash, created_us) VALUES (1, 'old', 'h-old', 10)`,
  ],
  5: [],
};

// versions are handed out per line of work, so a store may skip numbers that another line of work uses
const VERSIONS = MIGRATIONS.map((m) => m.version);

t.test('steps are numbered in increasing order from 1, the last one the schema version', async (t) => {
  t.equal(VERSIONS[0], 1);
  t.ok(VERSIONS.every((v, i) => i === 0 || v > VERSIONS[i - 1]!), `increasing: ${VERSIONS.join(', ')}`);
  t.equal(VERSIONS[VERSIONS.length - 1], SCHEMA_VERSION);
});

t.test('an empty file is migrated to the newest schema with incremental auto-vacuum and WAL', async (t) => {
  const path = join(dir, 'fresh.db');
  const s = Store.open({ path, log: () => {} });
  t.equal(schemaVersion(s.db), SCHEMA_VERSION);
  t.equal(s.db.pragma('auto_vacuum', { simple: true }), 2, 'auto_vacuum = INCREMENTAL');
  t.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
  t.same(s.integrityCheck(), ['ok']);
  s.close();
});

const fresh = (() => {
  const db = new Database(':memory:');
  migrate(db);
  const out = schemaOf(db);
  db.close();
  return out;
})();

for (const k of [0, ...VERSIONS.slice(0, -1)]) {
  t.test(`a store at version ${k} migrates to ${SCHEMA_VERSION} and keeps its rows`, async (t) => {
    const path = join(dir, `v${k}.db`);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    const upTo = VERSIONS.filter((v) => v <= k);
    t.same(migrate(db, k, () => {}), upTo);
    t.equal(schemaVersion(db), k);
    for (const v of upTo) for (const sql of SEED[v] ?? []) db.exec(sql);
    db.close();

    const logs: string[] = [];
    const s = Store.open({ path, log: (m) => logs.push(m) });
    t.equal(schemaVersion(s.db), SCHEMA_VERSION);
    t.equal(logs.length, VERSIONS.length - upTo.length, 'one log line per applied step');
    t.same(schemaOf(s.db), fresh, 'same schema as a fresh store');
    if (k >= 1) {
      t.equal(s.devices.get('02:99:00:00:00:01')?.hostname, 'cam');
      t.equal(s.devices.addresses('02:99:00:00:00:01')[0]?.ip, '10.99.0.5');
      t.equal(s.alerts.get('a1')?.acknowledged, false);
    }
    if (k >= 2) t.equal(s.actions.auditLog()[0]?.action, 'test.seed');
    if (k >= 3) t.equal(s.registry.setting('seed'), 42);
    if (k >= 4) t.equal(s.auth.userByName('admin')?.role, 'admin');
    if (k >= 4 && k < 8) {
      // step 8 runs at wall time: an older token becomes read-only and lives 30 more days
      const old = s.auth.tokens().find((x) => x.name === 'old');
      t.equal(old?.scope, 'read', 'a token from before scopes is read-only');
      t.ok(old!.expiresUs! > Date.now() * 1000 + 29 * 86_400_000_000, 'and expires in 30 days');
    }
    t.same(s.integrityCheck(), ['ok']);
    s.close();
  });
}

t.test('a failing step leaves the store at the previous version', async (t) => {
  const db = new Database(':memory:');
  migrate(db, 2);
  db.exec('CREATE TABLE scans (x INTEGER)'); // collides with step 3
  t.throws(() => migrate(db));
  t.equal(schemaVersion(db), 2);
  t.equal((db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'models'`).get() as { n: number }).n, 0, 'no half-applied step');
  db.close();
});

t.test('a file from a newer release is refused', async (t) => {
  const path = join(dir, 'newer.db');
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  // a newer release stamps the file as ours
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.close();
  t.throws(() => Store.open({ path, log: () => {} }), /newer\.db: store schema version \d+ is newer than this program supports/);
});
