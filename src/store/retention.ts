/**
 * Retention by age and by size.
 *
 * By age (`runRetention`): raw flows and anomaly events live `flowRetentionDays`; rollups, alerts, trust
 * history, finished actions and scans, and the audit log live `rollupRetentionDays`; expired web sessions go
 * at once. Pending and active actions, devices, users, tokens, models and settings are never aged out.
 *
 * By size (`enforceSizeCap`): when the data pages pass 95 % of the cap, rows go in order of value — anomaly
 * events and flows first (the bulk, and summarised by rollups), then devices seen once and never again (what a
 * spoofed flood leaves, see DeviceStore.evictTransient), then rollups, then a fleet head's results from its
 * sensors — until 90 % is reached. Evidence — alerts, incidents, actions, the audit log, trust history — is
 * never deleted to make room: an attacker can create rows, so room made by deleting evidence is room made for
 * the attacker. Evidence goes only by age; when it alone outgrows the cap the store stays above it and says so
 * (`SizeCapResult.overCap`). The gap between the two marks keeps the cap from running after every batch, and
 * its smallness keeps one eviction short. Each round is its own transaction of at most `maxChunkRows` flows,
 * so one eviction does not balloon the WAL. Freed pages are reused by later inserts; pages beyond the cap are
 * returned to the file system (auto_vacuum=INCREMENTAL).
 */
import type Database from 'better-sqlite3';

const DAY_US = 86_400_000_000;

export interface RetentionReport {
  /** rows deleted by table */
  deleted: Record<string, number>;
  /** false when `maxRows` was reached and more old rows remain: call again */
  done: boolean;
}

interface AgeRule {
  table: string;
  /** the row key used to delete in chunks ('rowid' or a composite primary key) */
  key: string;
  where: string;
  cutoff: 'flow' | 'rollup' | 'now';
}

const AGE_RULES: readonly AgeRule[] = [
  { table: 'flows', key: 'rowid', where: 'end_us < ?', cutoff: 'flow' },
  { table: 'anomaly_events', key: 'rowid', where: 'ts_us < ?', cutoff: 'flow' },
  { table: 'flow_rollups', key: '(hour_us, device)', where: 'hour_us < ?', cutoff: 'rollup' },
  { table: 'dns_rollups', key: '(hour_us, qname)', where: 'hour_us < ?', cutoff: 'rollup' },
  { table: 'remote_rollups', key: '(hour_us, ip)', where: 'hour_us < ?', cutoff: 'rollup' },
  { table: 'alerts', key: 'rowid', where: 'ts_us < ?', cutoff: 'rollup' },
  { table: 'trust_history', key: 'rowid', where: 'ts_us < ?', cutoff: 'rollup' },
  { table: 'actions', key: 'rowid', where: `state IN ('expired', 'released', 'denied') AND updated_us < ?`, cutoff: 'rollup' },
  { table: 'scans', key: 'rowid', where: `status <> 'running' AND started_us < ?`, cutoff: 'rollup' },
  { table: 'audit_log', key: 'rowid', where: 'ts_us < ?', cutoff: 'rollup' },
  { table: 'web_sessions', key: 'id_hash', where: 'expires_us <= ?', cutoff: 'now' },
];

/** The select list for a key: a row value '(a, b)' is selected as 'a, b'. */
const cols = (key: string): string => key.replace(/^\((.*)\)$/, '$1');

/** Deletes rows past their age, oldest first, in chunks, up to `maxRows` in total. */
export function runRetention(db: Database.Database, nowUs: number, flowDays: number, rollupDays: number, maxRows: number): RetentionReport {
  const cut = { flow: nowUs - flowDays * DAY_US, rollup: nowUs - rollupDays * DAY_US, now: nowUs };
  const deleted: Record<string, number> = {};
  let budget = maxRows;
  const CHUNK = 5000;
  for (const rule of AGE_RULES) {
    const stmt = db.prepare(
      `DELETE FROM ${rule.table} WHERE ${rule.key} IN (SELECT ${cols(rule.key)} FROM ${rule.table} WHERE ${rule.where} LIMIT ?)`,
    );
    for (;;) {
      if (budget <= 0) return { deleted, done: false };
      // one short transaction per chunk: a reader or the write queue waits milliseconds, not seconds
      const n = stmt.run(cut[rule.cutoff], Math.min(CHUNK, budget)).changes;
      if (n > 0) deleted[rule.table] = (deleted[rule.table] ?? 0) + n;
      budget -= n;
      if (n < CHUNK) break;
    }
  }
  return { deleted, done: true };
}

interface SizeRule {
  table: string;
  /** the time column that orders the table oldest first (indexed) */
  time: string;
  key: string;
  /** rows per round (default 1000) */
  chunk?: number;
}

/** Eviction order under the size cap. Flows and anomaly events go together (same time cut). */
const SIZE_RULES: readonly SizeRule[] = [
  { table: 'dns_rollups', time: 'hour_us', key: '(hour_us, qname)' },
  { table: 'remote_rollups', time: 'hour_us', key: '(hour_us, ip)' },
  { table: 'flow_rollups', time: 'hour_us', key: '(hour_us, device)' },
  // a fleet head's results from its sensors, oldest received first (the rowid is the order of arrival)
  // wide rows (JSON bodies) and two indexes: smaller rounds, so one round's commit stays inside the WAL's reserve
  { table: 'fleet_results', time: 'id', key: 'id', chunk: 200 },
  // never here: alerts, incidents, actions, audit_log, trust_history (evidence; see the file comment)
];

/** Tables the size cap never deletes from (only age retention does). */
export const EVIDENCE_TABLES = ['alerts', 'incidents', 'actions', 'audit_log', 'trust_history'] as const;

function pages(db: Database.Database): { size: number; count: number; free: number } {
  return {
    size: db.pragma('page_size', { simple: true }) as number,
    count: db.pragma('page_count', { simple: true }) as number,
    free: db.pragma('freelist_count', { simple: true }) as number,
  };
}

export interface SizeCapResult {
  /** rows deleted by table (empty when under the cap, the common case: three pragma reads) */
  deleted: Record<string, number>;
  /** true when everything the cap may delete is gone and the data is still above the high mark (evidence only) */
  overCap: boolean;
}

/**
 * Keeps the database's data pages under `capBytes` (see the file comment). `evictTransient(n)` deletes up to
 * `n` devices seen once and never again and returns how many it deleted (DeviceStore.evictTransient).
 */
export function enforceSizeCap(
  db: Database.Database,
  capBytes: number,
  maxChunkRows = 20_000,
  evictTransient: (n: number) => number = () => 0,
): SizeCapResult {
  const deleted: Record<string, number> = {};
  let p = pages(db);
  const high = capBytes * 0.95;
  const target = capBytes * 0.9;
  const used = (): number => (p.count - p.free) * p.size;
  if (used() > high) {
    const add = (t: string, n: number): void => {
      if (n > 0) deleted[t] = (deleted[t] ?? 0) + n;
    };
    // flows and anomaly events first: cut both below the end time of the N-th oldest flow
    const nth = db.prepare('SELECT end_us AS t FROM flows ORDER BY end_us LIMIT 1 OFFSET ?');
    const delFlows = db.prepare('DELETE FROM flows WHERE end_us <= ?');
    const delAnom = db.prepare('DELETE FROM anomaly_events WHERE ts_us <= ?');
    let chunk = 1000;
    while (used() > target) {
      let row = nth.get(chunk - 1) as { t: number } | undefined;
      if (row === undefined) row = db.prepare('SELECT max(end_us) AS t FROM flows').get() as { t: number | null } as { t: number } | undefined;
      const anomLeft = db.prepare('SELECT 1 FROM anomaly_events LIMIT 1').get() !== undefined;
      if ((row === undefined || row.t === null) && !anomLeft) break;
      const before = used();
      db.transaction(() => {
        if (row !== undefined && row.t !== null) {
          add('flows', delFlows.run(row.t).changes);
          add('anomaly_events', delAnom.run(row.t).changes);
        } else {
          add('anomaly_events', db.prepare('DELETE FROM anomaly_events WHERE rowid IN (SELECT rowid FROM anomaly_events ORDER BY ts_us LIMIT ?)').run(chunk).changes);
        }
      })();
      p = pages(db);
      // grow the chunk until one round frees about what is missing (page reuse makes the first rounds free little)
      const freed = before - used();
      chunk = Math.min(maxChunkRows, freed <= 0 ? chunk * 4 : Math.ceil((chunk * (used() - target)) / freed) + 100);
    }
    // devices seen once and never again (with their addresses), before any rollup
    while (used() > target) {
      const n = db.transaction(() => evictTransient(1000))();
      add('devices', n);
      p = pages(db);
      if (n === 0) break;
    }
    for (const rule of SIZE_RULES) {
      const del = db.prepare(`DELETE FROM ${rule.table} WHERE ${rule.key} IN (SELECT ${cols(rule.key)} FROM ${rule.table} ORDER BY ${rule.time} LIMIT ?)`);
      while (used() > target) {
        const n = del.run(rule.chunk ?? 1000).changes;
        add(rule.table, n);
        p = pages(db);
        if (n === 0) break;
      }
    }
  }
  // give back free pages that keep the file itself above the cap
  const excess = Math.ceil((p.count * p.size - capBytes) / p.size);
  if (excess > 0 && p.free > 0) db.pragma(`incremental_vacuum(${Math.min(excess + Math.floor(p.free / 2), p.free)})`);
  if (Object.keys(deleted).length > 0) db.pragma('wal_checkpoint(PASSIVE)');
  return { deleted, overCap: used() > high };
}
