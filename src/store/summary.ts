/**
 * The facts of a period for the daily summary (src/notify/summary.ts): alerts by kind, devices whose trust fell,
 * devices seen for the first time and actions taken. Bounded lists; every query walks a time index.
 */
import type Database from 'better-sqlite3';

export interface PeriodFacts {
  fromUs: number;
  toUs: number;
  alertsByKind: { kind: string; count: number }[];
  /** devices whose lowest score in the period is below their score before it, worst first */
  trustFell: { mac: string; name: string | null; from: number; to: number; level: string }[];
  newDevices: { mac: string; name: string | null; vendor: string | null }[];
  actions: { kind: string; state: string; count: number }[];
}

const MAX_ROWS = 20;

export function periodFacts(db: Database.Database, fromUs: number, toUs: number): PeriodFacts {
  const alertsByKind = db
    .prepare('SELECT kind, count(*) AS count FROM alerts WHERE ts_us >= ? AND ts_us < ? GROUP BY kind ORDER BY count DESC LIMIT ?')
    .all(fromUs, toUs, MAX_ROWS) as PeriodFacts['alertsByKind'];
  const trustFell = db
    .prepare(
      `SELECT h.mac AS mac, coalesce(d.label, d.hostname) AS name,
         coalesce((SELECT score FROM trust_history p WHERE p.mac = h.mac AND p.ts_us < ? ORDER BY p.ts_us DESC LIMIT 1), 100) AS "from",
         min(h.score) AS "to", (SELECT level FROM trust_history l WHERE l.mac = h.mac AND l.ts_us < ? ORDER BY l.ts_us DESC LIMIT 1) AS level
       FROM trust_history h LEFT JOIN devices d ON d.mac = h.mac
       WHERE h.ts_us >= ? AND h.ts_us < ? GROUP BY h.mac HAVING min(h.score) < "from" - 0.5 ORDER BY "to" LIMIT ?`,
    )
    .all(fromUs, toUs, fromUs, toUs, MAX_ROWS) as PeriodFacts['trustFell'];
  const newDevices = db
    .prepare('SELECT mac, coalesce(label, hostname) AS name, vendor FROM devices WHERE first_seen_us >= ? AND first_seen_us < ? ORDER BY first_seen_us LIMIT ?')
    .all(fromUs, toUs, MAX_ROWS) as PeriodFacts['newDevices'];
  const actions = db
    .prepare('SELECT kind, state, count(*) AS count FROM actions WHERE created_us >= ? AND created_us < ? GROUP BY kind, state ORDER BY count DESC')
    .all(fromUs, toUs) as PeriodFacts['actions'];
  return { fromUs, toUs, alertsByKind, trustFell, newDevices, actions };
}
