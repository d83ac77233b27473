/**
 * Incidents (src/incidents) and their member alerts.
 *
 * Every IncidentEvent is written through the batched write queue: the row is upserted with the snapshot the
 * event carries (the latest count, severity, evidence), and each alert that joined with it gets the incident's
 * id in `alerts.incident_id` — every member, not only the bounded list the tracker keeps in memory. An alert
 * is queued before the incident event that names it (the store subscribes to the bus before the tracker), so
 * the membership update always finds its row in the same or an earlier batch.
 *
 * What people do to an incident stays with it across tracker writes: `acknowledged` (set by the dashboard,
 * cleared when the incident escalates, and handed on to members that join later) and `muted` (a muted
 * device + kind, see MUTES_SETTING). Severity is stored as its rank so lists sort on it.
 *
 * Retention: incidents are the evidence a person reads, so age does not remove them (raw alerts and flows go
 * after their retention periods; an incident keeps its count, evidence and first/last seen). The table is
 * bounded by count instead: past `maxRows` the oldest closed incidents are deleted (`trim`, counted).
 */
import type Database from 'better-sqlite3';
import type { AlertEvidence, AlertKind, Severity } from '../detectors/alert.js';
import { INCIDENT_SEVERITIES, type Incident, type IncidentEvent, type IncidentSeverity, type IncidentState } from '../incidents/types.js';

/** The settings key holding the muted device + kind pairs ([{mac, kind, actor, sinceUs}], edited from the dashboard). */
export const MUTES_SETTING = 'alerts.mutes';

/** closed incidents kept at most (open ones are never trimmed: the tracker bounds them) */
export const MAX_STORED_INCIDENTS = 100_000;

export interface IncidentRow extends Incident {
  acknowledged: boolean;
  muted: boolean;
  /** packet time of the last write */
  updatedUs: number;
}

export interface IncidentQuery {
  state?: IncidentState;
  /** MAC (or IP for devices without one) */
  device?: string;
  kind?: AlertKind;
  /** incidents at least this severe */
  minSeverity?: IncidentSeverity;
  acknowledged?: boolean;
  muted?: boolean;
  /** 'recent' (default): newest last_us first; 'severity': most severe first, then the most alerts, then newest */
  order?: 'recent' | 'severity';
  /** keyset paging for order 'recent': the last row's last_us and id */
  before?: { lastUs: number; id: string };
  /** offset paging for order 'severity' (short lists only) */
  offset?: number;
  /** default 50, at most 500 */
  limit?: number;
}

const sevRank = (s: IncidentSeverity): number => INCIDENT_SEVERITIES.indexOf(s);

/** a muted pair names this incident's MAC and kind (the settings value is the JSON list the dashboard edits) */
const MUTED_SQL = `EXISTS (SELECT 1 FROM settings s, json_each(s.value) m WHERE s.key = '${MUTES_SETTING}'
  AND json_extract(m.value, '$.mac') = incidents.src_mac AND json_extract(m.value, '$.kind') = incidents.kind)`;

export class IncidentStore {
  private readonly upsert: Database.Statement;
  private readonly member: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly ackStmt: Database.Statement;
  private readonly ackMembers: Database.Statement;
  private readonly muteIfListed: Database.Statement;
  /** closed incidents deleted by `trim` */
  evicted = 0;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(`
      INSERT INTO incidents (id, key, kind, device, src_ip, src_mac, target, title, severity, state, count, anomaly_count,
        first_us, last_us, targets, evidence, max_alert_severity, confidence, suggested_response, acknowledged, muted, updated_us)
      VALUES (@id, @key, @kind, @device, @srcIp, @srcMac, @target, @title, @severity, @state, @count, @anomalyCount,
        @firstUs, @lastUs, @targets, @evidence, @maxAlertSeverity, @confidence, @suggestedResponse, 0, 0, @updatedUs)
      ON CONFLICT (id) DO UPDATE SET src_ip = excluded.src_ip, src_mac = excluded.src_mac, title = excluded.title, severity = excluded.severity,
        state = excluded.state, count = excluded.count, anomaly_count = excluded.anomaly_count, first_us = excluded.first_us,
        last_us = excluded.last_us, targets = excluded.targets, evidence = excluded.evidence,
        max_alert_severity = excluded.max_alert_severity, confidence = excluded.confidence,
        suggested_response = excluded.suggested_response, updated_us = excluded.updated_us,
        acknowledged = CASE WHEN @escalated = 1 THEN 0 ELSE acknowledged END`);
    this.member = db.prepare(`
      UPDATE alerts SET incident_id = @id,
        acknowledged = max(acknowledged, (SELECT acknowledged FROM incidents WHERE id = @id))
      WHERE id = @alertId`);
    this.getStmt = db.prepare('SELECT * FROM incidents WHERE id = ?');
    this.ackStmt = db.prepare('UPDATE incidents SET acknowledged = ? WHERE id = ?');
    this.ackMembers = db.prepare('UPDATE alerts SET acknowledged = ? WHERE incident_id = ?');
    this.muteIfListed = db.prepare(`UPDATE incidents SET muted = 1 WHERE id = ? AND ${MUTED_SQL}`);
  }

  /** Writes one tracker change: the incident's row and its new members. Call inside a transaction for batches. */
  write(e: IncidentEvent): void {
    const i = e.incident;
    this.upsert.run({
      id: i.id,
      key: i.key,
      kind: i.kind,
      device: i.device,
      srcIp: i.srcIp,
      srcMac: i.srcMac,
      target: i.target,
      title: i.title,
      severity: sevRank(i.severity),
      state: i.state,
      count: i.count,
      anomalyCount: i.anomalyCount,
      firstUs: i.firstUs,
      lastUs: i.lastUs,
      targets: JSON.stringify(i.targets),
      evidence: JSON.stringify(i.evidence),
      maxAlertSeverity: i.maxAlertSeverity,
      confidence: i.confidence,
      suggestedResponse: i.suggestedResponse,
      updatedUs: e.tsUs,
      escalated: e.change === 'escalate' ? 1 : 0,
    });
    // a new incident of a muted device + kind starts muted
    if (e.change === 'open' && i.srcMac !== null) this.muteIfListed.run(i.id);
    for (const alertId of e.memberIds) this.member.run({ id: i.id, alertId });
  }

  get(id: string): IncidentRow | undefined {
    const r = this.getStmt.get(id) as RawIncidentRow | undefined;
    return r === undefined ? undefined : toIncidentRow(r);
  }

  /** Incidents still open (for IncidentTracker.restore after a restart), most recently updated first. */
  openIncidents(limit = 10_000): IncidentRow[] {
    return (this.db.prepare(`SELECT * FROM incidents WHERE state = 'open' ORDER BY last_us DESC LIMIT ?`).all(limit) as RawIncidentRow[]).map(toIncidentRow);
  }

  query(q: IncidentQuery = {}): IncidentRow[] {
    const { where, args } = whereOf(q);
    const limit = Math.max(1, Math.min(q.limit ?? 50, 500));
    if (q.before !== undefined) {
      where.push('(last_us < ? OR (last_us = ? AND id < ?))');
      args.push(q.before.lastUs, q.before.lastUs, q.before.id);
    }
    const order = q.order === 'severity' ? 'severity DESC, count DESC, last_us DESC, id DESC' : 'last_us DESC, id DESC';
    const offset = q.order === 'severity' ? Math.max(0, Math.floor(q.offset ?? 0)) : 0;
    // pinned like AlertStore.query: the walk follows the order and stops after `limit` matches
    const index = q.order === 'severity' && q.state !== undefined && q.acknowledged !== undefined && q.muted !== undefined
      ? 'incidents_attention'
      : q.order === 'severity' ? null : q.device !== undefined ? 'incidents_device' : q.kind !== undefined ? 'incidents_kind' : 'incidents_last';
    const sql = `SELECT * FROM incidents ${index === null ? '' : `INDEXED BY ${index}`} ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
    return (this.db.prepare(sql).all(...args) as RawIncidentRow[]).map(toIncidentRow);
  }

  /** How many incidents match (for "N more" and the tiles). */
  count(q: Omit<IncidentQuery, 'order' | 'before' | 'offset' | 'limit'> = {}): number {
    const { where, args } = whereOf(q);
    return (this.db.prepare(`SELECT count(*) AS n FROM incidents ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}`).get(...args) as { n: number }).n;
  }

  /** Open, unacknowledged, unmuted incidents by severity word. */
  needsAttentionBySeverity(): Record<IncidentSeverity, number> {
    const out: Record<IncidentSeverity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
    const rows = this.db
      .prepare(`SELECT severity, count(*) AS n FROM incidents INDEXED BY incidents_attention WHERE state = 'open' AND acknowledged = 0 AND muted = 0 GROUP BY severity`)
      .all() as { severity: number; n: number }[];
    for (const r of rows) out[INCIDENT_SEVERITIES[r.severity] ?? 'low'] += r.n;
    return out;
  }

  /** The kinds that have incidents, each once (one index probe per known kind, so it costs the same at any size). */
  kinds(known: readonly string[]): AlertKind[] {
    const probe = this.db.prepare('SELECT 1 FROM incidents INDEXED BY incidents_kind WHERE kind = ? LIMIT 1');
    return known.filter((k) => probe.get(k) !== undefined) as AlertKind[];
  }

  /** Marks an incident and every member alert seen (or unseen); false when the id is unknown. */
  acknowledge(id: string, acknowledged = true): boolean {
    return this.db.transaction(() => {
      if (this.ackStmt.run(acknowledged ? 1 : 0, id).changes === 0) return false;
      this.ackMembers.run(acknowledged ? 1 : 0, id);
      return true;
    })();
  }

  /** Marks the device's incidents of `kind` muted or not (the mute list itself lives in settings). */
  setMuted(mac: string, kind: string, muted: boolean): number {
    return this.db.prepare('UPDATE incidents SET muted = ? WHERE src_mac = ? AND kind = ?').run(muted ? 1 : 0, mac, kind).changes;
  }

  /** Ids of an incident's member alerts, newest first. */
  memberIds(id: string, limit = 1000): string[] {
    const rows = this.db
      .prepare('SELECT id FROM alerts INDEXED BY alerts_incident WHERE incident_id = ? ORDER BY ts_us DESC, id DESC LIMIT ?')
      .all(id, Math.max(1, Math.min(limit, 100_000))) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** How many member alerts of the incident the store holds (its count may be higher once alerts aged out). */
  memberCount(id: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM alerts WHERE incident_id = ?').get(id) as { n: number }).n;
  }

  /** Deletes the oldest closed incidents past `maxRows` (their alerts stay until their own retention). */
  trim(maxRows = MAX_STORED_INCIDENTS): number {
    const closed = (this.db.prepare(`SELECT count(*) AS n FROM incidents WHERE state = 'closed'`).get() as { n: number }).n;
    if (closed <= maxRows) return 0;
    const n = this.db
      .prepare(`DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE state = 'closed' ORDER BY last_us LIMIT ?)`)
      .run(closed - maxRows).changes;
    this.evicted += n;
    return n;
  }
}

function whereOf(q: Omit<IncidentQuery, 'order' | 'before' | 'offset' | 'limit'>): { where: string[]; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.state !== undefined) {
    where.push('state = ?');
    args.push(q.state);
  }
  if (q.device !== undefined) {
    where.push('device = ?');
    args.push(q.device);
  }
  if (q.kind !== undefined) {
    where.push('kind = ?');
    args.push(q.kind);
  }
  if (q.minSeverity !== undefined) {
    where.push('severity >= ?');
    args.push(sevRank(q.minSeverity));
  }
  if (q.acknowledged !== undefined) {
    where.push('acknowledged = ?');
    args.push(q.acknowledged ? 1 : 0);
  }
  if (q.muted !== undefined) {
    where.push('muted = ?');
    args.push(q.muted ? 1 : 0);
  }
  return { where, args };
}

interface RawIncidentRow {
  id: string;
  key: string;
  kind: AlertKind;
  device: string;
  src_ip: string;
  src_mac: string | null;
  target: string;
  title: string;
  severity: number;
  state: IncidentState;
  count: number;
  anomaly_count: number;
  first_us: number;
  last_us: number;
  targets: string;
  evidence: string;
  max_alert_severity: Severity;
  confidence: number;
  suggested_response: Incident['suggestedResponse'];
  acknowledged: number;
  muted: number;
  updated_us: number;
}

function toIncidentRow(r: RawIncidentRow): IncidentRow {
  return {
    id: r.id,
    key: r.key,
    kind: r.kind,
    device: r.device,
    srcIp: r.src_ip,
    srcMac: r.src_mac,
    target: r.target,
    title: r.title,
    severity: INCIDENT_SEVERITIES[r.severity] ?? 'low',
    state: r.state,
    count: r.count,
    anomalyCount: r.anomaly_count,
    firstUs: r.first_us,
    lastUs: r.last_us,
    targets: JSON.parse(r.targets) as string[],
    evidence: JSON.parse(r.evidence) as AlertEvidence[],
    // the store keeps every membership in alerts.incident_id; the row does not repeat them
    alertIds: [],
    maxAlertSeverity: r.max_alert_severity,
    confidence: r.confidence,
    suggestedResponse: r.suggested_response,
    acknowledged: r.acknowledged === 1,
    muted: r.muted === 1,
    updatedUs: r.updated_us,
  };
}
