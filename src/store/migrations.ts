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

export interface Migration {
  version: number;
  /** what the step adds, for the log line written when it is applied */
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'devices, addresses, flows, alerts, anomaly events',
    up(db) {
      db.exec(`
        -- one row per device, keyed by MAC (the only identity a LAN device cannot change by DHCP)
        CREATE TABLE devices (
          mac TEXT PRIMARY KEY,
          first_seen_us INTEGER NOT NULL,
          last_seen_us INTEGER NOT NULL,
          hostname TEXT,
          vendor TEXT,
          dhcp_fingerprint TEXT,
          dhcp_vendor_class TEXT,
          label TEXT,
          trust_score REAL,
          trust_level TEXT
        ) WITHOUT ROWID;
        CREATE INDEX devices_last_seen ON devices(last_seen_us);

        -- addresses a device used over time; source says how we learnt it (arp, dhcp, flow, ndp)
        CREATE TABLE device_addresses (
          mac TEXT NOT NULL,
          ip TEXT NOT NULL,
          first_seen_us INTEGER NOT NULL,
          last_seen_us INTEGER NOT NULL,
          source TEXT NOT NULL,
          PRIMARY KEY (mac, ip)
        ) WITHOUT ROWID;
        CREATE INDEX device_addresses_ip ON device_addresses(ip, last_seen_us);

        -- raw flow records; 'detail' holds the statistics that only the flow page shows (JSON)
        CREATE TABLE flows (
          id INTEGER PRIMARY KEY,
          flow_id INTEGER NOT NULL,
          segment INTEGER NOT NULL,
          start_us INTEGER NOT NULL,
          end_us INTEGER NOT NULL,
          proto INTEGER NOT NULL,
          src_ip TEXT NOT NULL,
          src_port INTEGER NOT NULL,
          dst_ip TEXT NOT NULL,
          dst_port INTEGER NOT NULL,
          src_mac TEXT,
          dst_mac TEXT,
          community_id TEXT NOT NULL,
          service TEXT,
          pkts_to_server INTEGER NOT NULL,
          pkts_to_client INTEGER NOT NULL,
          bytes_to_server INTEGER NOT NULL,
          bytes_to_client INTEGER NOT NULL,
          conn_state TEXT NOT NULL,
          end_reason TEXT NOT NULL,
          history TEXT NOT NULL,
          detail TEXT NOT NULL
        );
        CREATE INDEX flows_end ON flows(end_us);
        CREATE INDEX flows_src_mac ON flows(src_mac, end_us);

        CREATE TABLE alerts (
          id TEXT PRIMARY KEY,
          ts_us INTEGER NOT NULL,
          kind TEXT NOT NULL,
          signature TEXT NOT NULL,
          severity INTEGER NOT NULL,
          confidence REAL NOT NULL,
          src_ip TEXT NOT NULL,
          src_mac TEXT,
          targets TEXT NOT NULL,
          dest_port INTEGER,
          proto TEXT,
          evidence TEXT NOT NULL,
          suggested_response TEXT NOT NULL,
          -- set by an admin from the dashboard; 0/1
          acknowledged INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX alerts_ts ON alerts(ts_us);
        CREATE INDEX alerts_src_mac ON alerts(src_mac, ts_us);

        CREATE TABLE anomaly_events (
          id INTEGER PRIMARY KEY,
          ts_us INTEGER NOT NULL,
          flow_id INTEGER NOT NULL,
          community_id TEXT NOT NULL,
          src_ip TEXT NOT NULL,
          dst_ip TEXT NOT NULL,
          dst_port INTEGER NOT NULL,
          proto TEXT NOT NULL,
          score REAL NOT NULL,
          models TEXT NOT NULL,
          threshold REAL NOT NULL,
          alert INTEGER NOT NULL,
          model_id TEXT NOT NULL
        );
        CREATE INDEX anomaly_events_ts ON anomaly_events(ts_us);
      `);
    },
  },
  {
    version: 2,
    description: 'trust history, actions, audit log',
    up(db) {
      db.exec(`
        -- components are 0..100; explanation is JSON [{factor, delta, text}] saying why the score moved
        CREATE TABLE trust_history (
          id INTEGER PRIMARY KEY,
          mac TEXT NOT NULL,
          ts_us INTEGER NOT NULL,
          score REAL NOT NULL,
          behavioral REAL NOT NULL,
          vulnerability REAL NOT NULL,
          reputation REAL NOT NULL,
          level TEXT NOT NULL,
          explanation TEXT NOT NULL
        );
        CREATE INDEX trust_history_mac ON trust_history(mac, ts_us);
        CREATE INDEX trust_history_ts ON trust_history(ts_us);

        -- responses; state values are documented at ACTION_STATES in actions.ts
        CREATE TABLE actions (
          id INTEGER PRIMARY KEY,
          created_us INTEGER NOT NULL,
          updated_us INTEGER NOT NULL,
          kind TEXT NOT NULL,
          state TEXT NOT NULL,
          mac TEXT,
          ip TEXT,
          reason TEXT NOT NULL,
          alert_id TEXT,
          actor TEXT NOT NULL,
          expires_us INTEGER,
          dry_run INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX actions_state ON actions(state, expires_us);
        CREATE INDEX actions_mac ON actions(mac, created_us);

        CREATE TABLE audit_log (
          id INTEGER PRIMARY KEY,
          ts_us INTEGER NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT,
          reason TEXT,
          detail TEXT
        );
        CREATE INDEX audit_log_ts ON audit_log(ts_us);
      `);
    },
  },
  {
    version: 3,
    description: 'vulnerability scans, model registry, settings',
    up(db) {
      db.exec(`
        CREATE TABLE scans (
          id INTEGER PRIMARY KEY,
          mac TEXT,
          ip TEXT NOT NULL,
          started_us INTEGER NOT NULL,
          finished_us INTEGER,
          status TEXT NOT NULL,
          open_ports TEXT NOT NULL DEFAULT '[]',
          findings TEXT NOT NULL DEFAULT '[]',
          score REAL
        );
        CREATE INDEX scans_mac ON scans(mac, started_us);

        CREATE TABLE models (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          created_us INTEGER NOT NULL,
          feature_schema INTEGER NOT NULL,
          threshold REAL NOT NULL,
          path TEXT NOT NULL,
          metrics TEXT NOT NULL DEFAULT '{}',
          active INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE settings (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          updated_us INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 4,
    description: 'web users, sessions, API tokens',
    up(db) {
      db.exec(`
        -- password_hash is produced and checked by the web module (scrypt); the store never sees a password
        CREATE TABLE web_users (
          id INTEGER PRIMARY KEY,
          username TEXT NOT NULL UNIQUE,
          password_hash TEXT NOT NULL,
          role TEXT NOT NULL,
          created_us INTEGER NOT NULL,
          disabled INTEGER NOT NULL DEFAULT 0
        );
        -- sessions and tokens are stored by hash, so a copied database file opens no door
        CREATE TABLE web_sessions (
          id_hash TEXT PRIMARY KEY,
          user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,
          created_us INTEGER NOT NULL,
          last_seen_us INTEGER NOT NULL,
          expires_us INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX web_sessions_expires ON web_sessions(expires_us);
        CREATE TABLE api_tokens (
          id INTEGER PRIMARY KEY,
          user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          token_hash TEXT NOT NULL UNIQUE,
          created_us INTEGER NOT NULL,
          last_used_us INTEGER,
          revoked INTEGER NOT NULL DEFAULT 0
        );
      `);
    },
  },
  {
    version: 5,
    description: 'hourly per-device flow rollups',
    up(db) {
      db.exec(`
        -- device is the MAC when the frame carried one, else the IP address; "out" = sent by the device
        CREATE TABLE flow_rollups (
          hour_us INTEGER NOT NULL,
          device TEXT NOT NULL,
          flows_orig INTEGER NOT NULL,
          flows_resp INTEGER NOT NULL,
          pkts_out INTEGER NOT NULL,
          pkts_in INTEGER NOT NULL,
          bytes_out INTEGER NOT NULL,
          bytes_in INTEGER NOT NULL,
          rejected INTEGER NOT NULL,
          PRIMARY KEY (hour_us, device)
        ) WITHOUT ROWID;
        CREATE INDEX flow_rollups_device ON flow_rollups(device, hour_us);
      `);
    },
  },
  {
    version: 6,
    description: 'incidents and the alerts that belong to them',
    up(db) {
      db.exec(`
        -- one row per incident (src/incidents): written on every change, so it always holds the latest count;
        -- severity is the rank of the word (0 low, 1 medium, 2 high, 3 critical) so it sorts; device is the MAC
        -- when known, else the IP; targets and evidence are JSON arrays (bounded by the tracker)
        CREATE TABLE incidents (
          id TEXT PRIMARY KEY,
          key TEXT NOT NULL,
          kind TEXT NOT NULL,
          device TEXT NOT NULL,
          src_ip TEXT NOT NULL,
          src_mac TEXT,
          target TEXT NOT NULL,
          title TEXT NOT NULL,
          severity INTEGER NOT NULL,
          state TEXT NOT NULL,
          count INTEGER NOT NULL,
          anomaly_count INTEGER NOT NULL,
          first_us INTEGER NOT NULL,
          last_us INTEGER NOT NULL,
          targets TEXT NOT NULL DEFAULT '[]',
          evidence TEXT NOT NULL DEFAULT '[]',
          max_alert_severity INTEGER NOT NULL,
          confidence REAL NOT NULL,
          suggested_response TEXT NOT NULL,
          acknowledged INTEGER NOT NULL DEFAULT 0,
          muted INTEGER NOT NULL DEFAULT 0,
          updated_us INTEGER NOT NULL
        );
        -- newest first (the Alerts page), by device, by kind; "Needs attention" walks its own index in order
        CREATE INDEX incidents_last ON incidents(last_us, id);
        CREATE INDEX incidents_device ON incidents(device, last_us, id);
        CREATE INDEX incidents_kind ON incidents(kind, last_us, id);
        CREATE INDEX incidents_attention ON incidents(state, acknowledged, muted, severity, count, last_us, id);
        -- membership: every alert of an incident names it (NULL until the incident tracker placed it)
        ALTER TABLE alerts ADD COLUMN incident_id TEXT;
        CREATE INDEX alerts_incident ON alerts(incident_id);
      `);
    },
  },
  {
    version: 8,
    description: 'API token scopes and expiry',
    up(db) {
      db.exec(`
        -- scope: read (GET only), write (acknowledge, label, quarantine, block, release), admin (also approve,
        -- deny, allow-list, retrain). Tokens made before scopes existed become read-only and expire 30 days after
        -- this step: least privilege until their owner makes new ones
        ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read';
        ALTER TABLE api_tokens ADD COLUMN expires_us INTEGER;
        UPDATE api_tokens SET expires_us = (unixepoch() + 30 * 86400) * 1000000;
      `);
    },
  },
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
