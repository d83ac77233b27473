/**
 * Small registries: vulnerability scans, trained models, and settings changed from the dashboard.
 */
import type Database from 'better-sqlite3';

/**
 * Scan states.
 * - running: nmap was started
 * - done: finished; open ports and findings are filled in
 * - failed: nmap failed or timed out (findings hold the error)
 */
export type ScanStatus = 'running' | 'done' | 'failed';

export interface ScanRow {
  id: number;
  mac: string | null;
  ip: string;
  startedUs: number;
  finishedUs: number | null;
  status: ScanStatus;
  /** e.g. [{ port: 23, proto: 'tcp', service: 'telnet' }] */
  openPorts: unknown[];
  /** e.g. [{ id: 'telnet-open', severity: 2, text: 'Telnet is open' }] */
  findings: unknown[];
  /** the vulnerability component 0..100 this scan produced */
  score: number | null;
}

export interface ModelRow {
  /** name + training date, as recorded in every AnomalyEvent */
  id: string;
  name: string;
  createdUs: number;
  featureSchema: number;
  threshold: number;
  /** asset name or file path of the model files */
  path: string;
  metrics: Record<string, unknown>;
  active: boolean;
}

const SCAN_COLS = `id, mac, ip, started_us AS startedUs, finished_us AS finishedUs, status, open_ports AS openPorts,
  findings, score`;
const MODEL_COLS = `id, name, created_us AS createdUs, feature_schema AS featureSchema, threshold, path, metrics, active`;

type RawScan = Omit<ScanRow, 'openPorts' | 'findings'> & { openPorts: string; findings: string };
type RawModel = Omit<ModelRow, 'metrics' | 'active'> & { metrics: string; active: number };

const scan = (r: RawScan): ScanRow => ({ ...r, openPorts: JSON.parse(r.openPorts) as unknown[], findings: JSON.parse(r.findings) as unknown[] });
const model = (r: RawModel): ModelRow => ({ ...r, metrics: JSON.parse(r.metrics) as Record<string, unknown>, active: r.active === 1 });

export class RegistryStore {
  constructor(private readonly db: Database.Database) {}

  /** Records a started scan; returns its id. */
  startScan(ip: string, mac: string | null, tsUs: number): number {
    return Number(this.db.prepare(`INSERT INTO scans (mac, ip, started_us, status) VALUES (?, ?, ?, 'running')`).run(mac, ip, tsUs).lastInsertRowid);
  }

  finishScan(id: number, tsUs: number, status: Exclude<ScanStatus, 'running'>, openPorts: unknown[], findings: unknown[], score: number | null): boolean {
    return (
      this.db
        .prepare('UPDATE scans SET finished_us = ?, status = ?, open_ports = ?, findings = ?, score = ? WHERE id = ?')
        .run(tsUs, status, JSON.stringify(openPorts), JSON.stringify(findings), score, id).changes > 0
    );
  }

  /** Scans of one device (or all), newest first. */
  scans(q: { mac?: string; ip?: string; limit?: number } = {}): ScanRow[] {
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const rows =
      q.mac !== undefined
        ? this.db.prepare(`SELECT ${SCAN_COLS} FROM scans WHERE mac = ? ORDER BY id DESC LIMIT ${limit}`).all(q.mac)
        : q.ip !== undefined
          ? this.db.prepare(`SELECT ${SCAN_COLS} FROM scans WHERE ip = ? ORDER BY id DESC LIMIT ${limit}`).all(q.ip)
          : this.db.prepare(`SELECT ${SCAN_COLS} FROM scans ORDER BY id DESC LIMIT ${limit}`).all();
    return (rows as RawScan[]).map(scan);
  }

  /** Adds or replaces a model's row; activating one deactivates the others in the same transaction. */
  putModel(m: ModelRow): void {
    this.db.transaction(() => {
      if (m.active) this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
      this.db
        .prepare(
          `INSERT OR REPLACE INTO models (id, name, created_us, feature_schema, threshold, path, metrics, active)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(m.id, m.name, m.createdUs, m.featureSchema, m.threshold, m.path, JSON.stringify(m.metrics), m.active ? 1 : 0);
    })();
  }

  activateModel(id: string): boolean {
    return this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM models WHERE id = ?').get(id) === undefined) return false;
      this.db.prepare('UPDATE models SET active = (id = ?)').run(id);
      return true;
    })();
  }

  activeModel(): ModelRow | undefined {
    const r = this.db.prepare(`SELECT ${MODEL_COLS} FROM models WHERE active = 1`).get() as RawModel | undefined;
    return r === undefined ? undefined : model(r);
  }

  models(): ModelRow[] {
    return (this.db.prepare(`SELECT ${MODEL_COLS} FROM models ORDER BY created_us DESC`).all() as RawModel[]).map(model);
  }

  /** A setting's value (JSON-decoded), or undefined when never set. */
  setting<T = unknown>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.value) as T);
  }

  setSetting(key: string, value: unknown, tsUs: number): void {
    this.db
      .prepare('INSERT INTO settings (key, value, updated_us) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us')
      .run(key, JSON.stringify(value), tsUs);
  }

  settings(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.db.prepare('SELECT key, value FROM settings ORDER BY key').all() as { key: string; value: string }[]) {
      out[r.key] = JSON.parse(r.value);
    }
    return out;
  }
}
