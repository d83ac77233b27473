/**
 * The first schema steps (versions 1–8): the store as the single appliance first shipped it — devices,
 * flows, alerts, trust, audit, the dashboard's users and tokens, incidents. Append-only like every step
 * (see migrations.ts); later steps live there.
 */
import type { Migration } from './migrations.js';

export const EARLY_MIGRATIONS: readonly Migration[] = [
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
];
