/**
 * Schema migrations of the embedded store, one step per schema version.
 *
 * Step k takes a database at version k-1 to version k; `PRAGMA user_version` holds the version. Steps are
 * append-only: a released step is never edited, a change is a new step, so a store written by any earlier
 * release migrates forward. Each step runs in its own transaction (SQLite DDL is transactional), so a crash
 * mid-migration leaves the store at the previous version, never half-way.
 *
 * Conventions for every table: times are packet time in integer microseconds since the epoch (`*_us`),
 * MACs are colon-separated lower case, structured details are JSON text.
 */
import type Database from 'better-sqlite3';
import { EARLY_MIGRATIONS } from './migrations-early.js';

export interface Migration {
  version: number;
  /** what the step adds, for the log line written when it is applied */
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  ...EARLY_MIGRATIONS,
  {
    version: 10,
    description: 'device type chosen by an admin',
    up(db) {
      // NULL: not chosen, the dashboard guesses it (src/device-type/guess.ts)
      db.exec('ALTER TABLE devices ADD COLUMN device_type TEXT');
    },
  },
  {
    version: 11,
    description: 'fleet: sensors, enrolment tokens, results and assignments (head); identity and outbox (sensor)',
    up(db) {
      db.exec(`
        -- head: registered sensors; status is the last heartbeat's JSON
        CREATE TABLE fleet_sensors (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          public_key TEXT NOT NULL UNIQUE,
          version TEXT NOT NULL,
          capabilities TEXT NOT NULL,
          status TEXT,
          registered_ms INTEGER NOT NULL,
          last_heartbeat_ms INTEGER,
          revoked INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        -- head: one-time enrolment secrets (hash only)
        CREATE TABLE fleet_enrol_tokens (
          secret_hash TEXT PRIMARY KEY,
          name TEXT,
          created_ms INTEGER NOT NULL,
          expires_ms INTEGER NOT NULL,
          used_by TEXT
        ) WITHOUT ROWID;
        -- head: nonces of signed requests inside the clock-skew window
        CREATE TABLE fleet_nonces (
          sensor_id TEXT NOT NULL,
          nonce TEXT NOT NULL,
          ts_ms INTEGER NOT NULL,
          PRIMARY KEY (sensor_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX fleet_nonces_ts ON fleet_nonces(ts_ms);
        -- head: what sensors sent, once per (sensor, key)
        CREATE TABLE fleet_results (
          id INTEGER PRIMARY KEY,
          sensor_id TEXT NOT NULL,
          key TEXT NOT NULL,
          kind TEXT NOT NULL,
          ts_us INTEGER NOT NULL,
          received_ms INTEGER NOT NULL,
          body TEXT NOT NULL,
          UNIQUE (sensor_id, key)
        );
        CREATE INDEX fleet_results_kind ON fleet_results(kind, ts_us);
        -- head: scan assignments; state: pending → sent → done | refused
        CREATE TABLE fleet_assignments (
          id INTEGER PRIMARY KEY,
          sensor_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          targets TEXT NOT NULL,
          ports TEXT NOT NULL,
          state TEXT NOT NULL,
          reason TEXT,
          result TEXT,
          actor TEXT NOT NULL,
          created_ms INTEGER NOT NULL,
          updated_ms INTEGER NOT NULL
        );
        CREATE INDEX fleet_assignments_sensor ON fleet_assignments(sensor_id, state);
        -- sensor: its identity at a head (one row)
        CREATE TABLE fleet_identity (
          head_url TEXT PRIMARY KEY,
          sensor_id TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          private_key TEXT NOT NULL,
          public_key TEXT NOT NULL,
          registered_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- sensor: results not yet accepted by the head, in order; priority 0 = incidents (never dropped unsent)
        CREATE TABLE fleet_outbox (
          seq INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL,
          priority INTEGER NOT NULL,
          ts_us INTEGER NOT NULL,
          body TEXT NOT NULL
        );
        CREATE INDEX fleet_outbox_priority ON fleet_outbox(priority, seq);
      `);
    },
  },
  {
    version: 14,
    description: 'hourly rollups of DNS names and remote destinations (the dashboard\'s top lists)',
    up(db) {
      db.exec(`
        -- src/store/top-rollups.ts; at most 2000 names or addresses per hour, the rest under the empty key
        CREATE TABLE dns_rollups (
          hour_us INTEGER NOT NULL,
          qname TEXT NOT NULL,
          queries INTEGER NOT NULL,
          nxdomain INTEGER NOT NULL,
          PRIMARY KEY (hour_us, qname)
        ) WITHOUT ROWID;
        CREATE TABLE remote_rollups (
          hour_us INTEGER NOT NULL,
          ip TEXT NOT NULL,
          name TEXT,
          flows INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          PRIMARY KEY (hour_us, ip)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 15,
    description: 'the device cap\'s eviction order: devices seen for the shortest time first',
    up(db) {
      db.exec(`
        -- DeviceStore.evictTransient walks this: a spoofed MAC seen once has lifetime 0 and goes first, the oldest
        -- of those first; an established device (seen over hours or days) goes last
        CREATE INDEX devices_lifetime ON devices(last_seen_us - first_seen_us, last_seen_us);
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The schema version of an open database (0 for an empty file). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to version `to` (default: the newest), one step per transaction, and returns the
 * versions applied. Throws when the file is newer than this program knows: running an old release on a
 * newer store would write rows the newer schema does not expect.
 */
export function migrate(db: Database.Database, to: number = SCHEMA_VERSION, log?: (msg: string) => void): number[] {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new Error(`store schema version ${from} is newer than this program supports (${SCHEMA_VERSION})`);
  }
  if (from === 0) {
    // auto_vacuum can only be chosen before the first table exists; INCREMENTAL lets retention give freed
    // pages back to the file system, so the size cap shrinks the file instead of only stopping its growth.
    const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master`).get() as { n: number };
    if (tables.n === 0) db.pragma('auto_vacuum = INCREMENTAL');
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > to) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    log?.(`store: schema migrated to version ${m.version} (${m.description})`);
    applied.push(m.version);
  }
  return applied;
}
