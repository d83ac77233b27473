/**
 * Read-only queries the dashboard needs beyond the store's typed accessors: the device table with sorting by
 * any column, sparkline points, per-device top destinations, chart series. Every statement is prepared once
 * per database and walks an index (checked with EXPLAIN QUERY PLAN in test/web-pages.test.ts); tables are
 * paged, so a page costs the same with 5,000 devices as with 5.
 */
import type Database from 'better-sqlite3';
import type { Store } from '../store/db.js';
import type { DeviceRow } from '../store/devices.js';

/** Sortable device columns → ORDER BY clause. `name` is the label when set, else the hostname. */
const DEVICE_SORTS = {
  name: "coalesce(label, hostname, '~') COLLATE NOCASE",
  vendor: "coalesce(vendor, '~') COLLATE NOCASE",
  mac: 'mac',
  trust: 'coalesce(trust_score, 1000)',
  seen: 'last_seen_us',
} as const;
export type DeviceSort = keyof typeof DEVICE_SORTS;
export const DEVICE_SORT_KEYS = Object.keys(DEVICE_SORTS) as DeviceSort[];

export interface DeviceTableQuery {
  search: string;
  /** a trust level, 'unknown' for devices without a score yet, or '' for all */
  level: string;
  sort: DeviceSort;
  desc: boolean;
  page: number;
  pageSize: number;
}

export interface DeviceTableRow extends DeviceRow {
  ip: string | null;
}

const DEVICE_COLS = `mac, first_seen_us AS firstSeenUs, last_seen_us AS lastSeenUs, hostname, vendor,
  dhcp_fingerprint AS dhcpFingerprint, dhcp_vendor_class AS dhcpVendorClass, label, device_type AS deviceType,
  trust_score AS trustScore, trust_level AS trustLevel`;

/** Statements cached per database connection (a test may open several stores in one process). */
const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function stmt(db: Database.Database, sql: string): Database.Statement {
  let m = cache.get(db);
  if (m === undefined) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (s === undefined) m.set(sql, (s = db.prepare(sql)));
  return s;
}

function deviceWhere(q: Pick<DeviceTableQuery, 'search' | 'level'>): { sql: string; args: string[] } {
  const where: string[] = [];
  const args: string[] = [];
  if (q.search !== '') {
    // LIKE's wildcards in the search text are matched literally
    const pat = '%' + q.search.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    where.push(`(lower(mac) LIKE ? ESCAPE '\\' OR lower(hostname) LIKE ? ESCAPE '\\' OR lower(label) LIKE ? ESCAPE '\\'
      OR lower(vendor) LIKE ? ESCAPE '\\' OR mac IN (SELECT mac FROM device_addresses WHERE ip LIKE ? ESCAPE '\\'))`);
    args.push(pat, pat, pat, pat, pat);
  }
  if (q.level === 'unknown') where.push('trust_level IS NULL');
  else if (q.level !== '') {
    where.push('trust_level = ?');
    args.push(q.level);
  }
  return { sql: where.length > 0 ? 'WHERE ' + where.join(' AND ') : '', args };
}

/** One page of the device table plus the number of matching devices. */
export function deviceTable(store: Store, q: DeviceTableQuery): { rows: DeviceTableRow[]; total: number } {
  const { sql, args } = deviceWhere(q);
  const order = `${DEVICE_SORTS[q.sort]} ${q.desc ? 'DESC' : 'ASC'}, mac`;
  // the newest address is looked up for the page's rows only: as a column of the sorted query it ran once for
  // every matching device before the sort (5,000 lookups for a page of 25)
  const rows = (stmt(store.db, `SELECT ${DEVICE_COLS} FROM devices d ${sql} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, q.pageSize, q.page * q.pageSize) as DeviceRow[]).map(
    (r): DeviceTableRow => ({ ...r, ip: newestAddress(store, r.mac) }),
  );
  const total = (stmt(store.db, `SELECT count(*) AS n FROM devices ${sql}`).get(...args) as { n: number }).n;
  return { rows, total };
}

/** The address a device used most recently (one indexed lookup), null when none was seen. */
export function newestAddress(store: Store, mac: string): string | null {
  const r = stmt(store.db, 'SELECT ip FROM device_addresses WHERE mac = ? ORDER BY last_seen_us DESC LIMIT 1').get(mac) as { ip: string } | undefined;
  return r?.ip ?? null;
}

/** The last `n` trust scores of a device, oldest first (for the sparkline). */
export function trustPoints(store: Store, mac: string, n = 24): number[] {
  const rows = stmt(store.db, 'SELECT score FROM trust_history WHERE mac = ? ORDER BY ts_us DESC LIMIT ?').all(mac, n) as { score: number }[];
  return rows.map((r) => r.score).reverse();
}

/** Devices per trust level ('unknown' for those without a score yet). */
export function devicesByLevel(store: Store): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of stmt(store.db, "SELECT coalesce(trust_level, 'unknown') AS level, count(*) AS n FROM devices GROUP BY trust_level").all() as {
    level: string;
    n: number;
  }[])
    out[r.level] = r.n;
  return out;
}

export interface Destination {
  ip: string;
  port: number;
  flows: number;
  bytes: number;
  /** a name for it, filled by the caller from DNS answers and recent flows (null when none is known) */
  name: string | null;
}

/** The destinations a device sent most bytes to since `fromUs` (originator side, indexed). */
export function topDestinations(store: Store, mac: string, fromUs: number, limit = 10): Destination[] {
  return stmt(
    store.db,
    // no name here: reading the detail blob of every flow would cost more than the rest of the page
    `SELECT dst_ip AS ip, min(dst_port) AS port, count(*) AS flows, sum(bytes_to_server + bytes_to_client) AS bytes, NULL AS name
     FROM flows WHERE src_mac = ? AND end_us >= ? GROUP BY dst_ip ORDER BY bytes DESC LIMIT ?`,
  ).all(mac, fromUs, limit) as Destination[];
}

/** Names the device looked up (DNS answers seen in its flows), ip → name, newest first wins. */
export function dnsNames(store: Store, mac: string, fromUs: number): Map<string, string> {
  const out = new Map<string, string>();
  const rows = stmt(
    store.db,
    `SELECT json_extract(detail, '$[19]') AS dns FROM flows
     WHERE src_mac = ? AND end_us >= ? AND dst_port IN (53, 5353) ORDER BY end_us DESC LIMIT 500`,
  ).all(mac, fromUs) as { dns: string | number | null }[];
  for (const r of rows) {
    if (typeof r.dns !== 'string') continue;
    try {
      const d = JSON.parse(r.dns) as { qname: string; answers: string[] };
      for (const a of d.answers) if (!out.has(a)) out.set(a, d.qname);
    } catch {
      // a malformed blob hides one name, nothing more
    }
  }
  return out;
}

export interface Series {
  /** bucket start, seconds since the epoch (uPlot's x unit) */
  t: number[];
  /** null where unknown */
  a: (number | null)[];
  b: number[];
}

/** a = bytes, b = flows per hour across all devices in [fromUs, toUs), from the hourly rollups. */
export function trafficSeries(store: Store, fromUs: number, toUs: number): Series {
  // every flow is counted once for its originator and once for its responder, so the sum of bytes_out over
  // all devices is the total and the sum of flows_orig the number of flows
  const rows = stmt(
    store.db,
    `SELECT hour_us AS h, sum(bytes_out) AS bytes, sum(flows_orig) AS flows
     FROM flow_rollups WHERE hour_us >= ? AND hour_us < ? GROUP BY hour_us ORDER BY hour_us`,
  ).all(fromUs, toUs) as { h: number; bytes: number; flows: number }[];
  return { t: rows.map((r) => r.h / 1e6), a: rows.map((r) => r.bytes), b: rows.map((r) => r.flows) };
}

/**
 * Scored flows and anomalies per bucket in [fromUs, toUs): a = anomaly rate in [0, 1], b = alerts. With
 * store.anomalyEvents 'alerts' only the alerting flows are stored, so the rate is unknown: a holds nulls.
 */
export function anomalySeries(store: Store, fromUs: number, toUs: number, bucketUs: number): Series {
  const rows = stmt(
    store.db,
    // better-sqlite3 binds a JS number as REAL, so `ts_us / ?` would divide exactly (one bucket per event);
    // `%` works on integers
    `SELECT ts_us - (ts_us % ?) AS b, count(*) AS n, sum(alert) AS alerts FROM anomaly_events
     WHERE ts_us >= ? AND ts_us < ? GROUP BY b ORDER BY b`,
  ).all(bucketUs, fromUs, toUs) as { b: number; n: number; alerts: number }[];
  const rateKnown = store.anomalyEvents === 'all';
  return { t: rows.map((r) => r.b / 1e6), a: rows.map((r) => (rateKnown && r.n > 0 ? r.alerts / r.n : null)), b: rows.map((r) => r.alerts) };
}

/** Newest `packet time` the store knows (the latest flow end), for replays whose clock is in the past. */
export function newestFlowUs(store: Store): number {
  return (stmt(store.db, 'SELECT max(end_us) AS t FROM flows').get() as { t: number | null }).t ?? 0;
}

/** Open actions (pending or active) of one device, newest first. */
export function openActions(store: Store, mac: string): ReturnType<Store['actions']['query']> {
  return [...store.actions.query({ mac, state: 'active', limit: 20 }), ...store.actions.query({ mac, state: 'pending', limit: 20 })];
}

/** Small summaries the overview shows, recomputed at most every `ttlMs` (counting a day of alerts is the cost). */
const summaries = new WeakMap<Store, { atMs: number; nowUs: number; value: OverviewCounts }>();

export interface OverviewCounts {
  alerts24h: Record<1 | 2 | 3, number>;
  byLevel: Record<string, number>;
  pending: number;
  active: number;
}

/** Forget the cached summaries (an action from the dashboard changed them: the next page shows it at once). */
export function invalidateOverviewCounts(store: Store): void {
  summaries.delete(store);
}

export function overviewCounts(store: Store, nowUs: number, ttlMs = 5000): OverviewCounts {
  const hit = summaries.get(store);
  const wall = Date.now();
  if (hit !== undefined && wall - hit.atMs < ttlMs && hit.nowUs === nowUs) return hit.value;
  const count = (state: string): number => (stmt(store.db, 'SELECT count(*) AS n FROM actions WHERE state = ?').get(state) as { n: number }).n;
  const value: OverviewCounts = {
    alerts24h: store.alerts.countBySeverity(nowUs - 86_400_000_000, nowUs + 1),
    byLevel: devicesByLevel(store),
    pending: count('pending'),
    active: count('active'),
  };
  summaries.set(store, { atMs: wall, nowUs, value });
  return value;
}
