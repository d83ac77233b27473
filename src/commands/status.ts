/** `argus-edge status`: the health of what the appliance keeps on disk, without changing any of it. */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import { checkStoreFile } from '../store/db.js';
import { SCHEMA_VERSION as LATEST_SCHEMA_VERSION } from '../store/migrations.js';
import { APPLICATION_ID } from '../store/open-check.js';
import { bytes, int } from './format.js';

export interface StatusReport {
  store: {
    path: string;
    exists: boolean;
    ok: boolean;
    schemaVersion: number;
    latestSchemaVersion: number;
    integrity: string[];
    /** PRAGMA application_id: Argus Edge's own, 0 for a store from before the id, anything else is not ours */
    applicationId: number;
    fileBytes: number;
    walBytes: number;
    rows: Record<string, number>;
  };
}

const COUNTED = ['devices', 'flows', 'alerts', 'anomaly_events', 'actions', 'audit_log'];

export function storeStatus(path: string): StatusReport['store'] {
  const base = { path, exists: existsSync(path), ok: false, schemaVersion: 0, latestSchemaVersion: LATEST_SCHEMA_VERSION, integrity: [] as string[], applicationId: 0, fileBytes: 0, walBytes: 0, rows: {} as Record<string, number> };
  if (!base.exists) return base;
  const check = checkStoreFile(path);
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  const rows: Record<string, number> = {};
  if (check.messages.length === 1 && /not a database/i.test(check.messages[0]!)) return { ...base, integrity: check.messages, fileBytes: size(path), walBytes: size(`${path}-wal`) };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    let tables = new Set<string>();
    try {
      tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    } catch {
      // the schema itself is unreadable: no counts; the integrity line says why
    }
    for (const t of COUNTED) {
      if (!tables.has(t)) continue;
      try {
        rows[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      } catch {
        // a damaged table: the integrity line already says so; -1 marks the count as unreadable
        rows[t] = -1;
      }
    }
  } finally {
    db.close();
  }
  return { ...base, ok: check.ok, schemaVersion: check.schemaVersion, integrity: check.messages, applicationId: check.applicationId, fileBytes: size(path), walBytes: size(`${path}-wal`), rows };
}

/** Prints the report; exit code 0 when the store is sound (or not created yet), 1 when it is damaged. */
export function commandStatus(cfg: Config, opts: { json: boolean }): number {
  const store = storeStatus(cfg.store.path);
  const report: StatusReport = { store };
  if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
  else if (!store.exists) process.stdout.write(`store     ${store.path}: not created yet (the appliance creates it on its first run)\n`);
  else {
    const schema = store.schemaVersion === store.latestSchemaVersion ? `schema ${store.schemaVersion}` : `schema ${store.schemaVersion} (this release migrates it to ${store.latestSchemaVersion} at start)`;
    process.stdout.write(
      [
        `store     ${store.path}: ${bytes(store.fileBytes)} + ${bytes(store.walBytes)} WAL, ${schema}`,
        `integrity ${store.ok ? 'ok' : `DAMAGED: ${store.integrity.slice(0, 10).join('; ')}`}`,
        ...(store.applicationId !== 0 && store.applicationId !== APPLICATION_ID
          ? [`owner     NOT an Argus Edge store (application id 0x${store.applicationId.toString(16)}): point store.path at the appliance's own file`]
          : []),
        ...(store.ok
          ? []
          : [`todo      'argus-edge run' refuses this file: restore it from a backup, or move it aside (mv '${store.path}' '${store.path}.bad') to start with an empty store`]),
        `rows      ${Object.entries(store.rows).map(([k, v]) => `${k} ${int(v)}`).join(', ')}`,
      ].join('\n') + '\n',
    );
  }
  return store.exists && (!store.ok || (store.applicationId !== 0 && store.applicationId !== APPLICATION_ID)) ? 1 : 0;
}
