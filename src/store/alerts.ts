/**
 * Alerts and anomaly events.
 *
 * An alert id is assigned by its detector and is unique per store: writing the same id twice (a replay of
 * the same file into the same store) keeps the first row instead of failing the whole batch.
 */
import type Database from 'better-sqlite3';
import type { Alert, AlertEvidence, AlertKind, Severity } from '../detectors/alert.js';
import type { AnomalyEvent } from '../models/anomaly.js';

export interface AlertRow extends Alert {
  acknowledged: boolean;
  /** the incident the alert belongs to (store/incidents.ts); null until the tracker placed it */
  incidentId: string | null;
}

export interface AlertQuery {
  mac?: string;
  srcIp?: string;
  kind?: AlertKind;
  /** alerts at least this severe (1 = high only, 3 = all) */
  maxSeverity?: Severity;
  fromUs?: number;
  toUs?: number;
  acknowledged?: boolean;
  /** members of one incident */
  incidentId?: string;
  /** keyset paging on (ts_us, id): pass the last row's values */
  before?: { tsUs: number; id: string };
  /** default 100, at most 1000 */
  limit?: number;
}

export interface AnomalyRow extends AnomalyEvent {
  id: number;
}

export class AlertStore {
  private readonly insertAlert: Database.Statement;
  private readonly insertAnomaly: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly ackStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertAlert = db.prepare(`
      INSERT INTO alerts (id, ts_us, kind, signature, severity, confidence, src_ip, src_mac, targets, dest_port,
        proto, evidence, suggested_response)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
    this.insertAnomaly = db.prepare(`
      INSERT INTO anomaly_events (ts_us, flow_id, community_id, src_ip, dst_ip, dst_port, proto, score, models,
        threshold, alert, model_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.getStmt = db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.ackStmt = db.prepare('UPDATE alerts SET acknowledged = ? WHERE id = ?');
  }

  /** Inserts an alert; an id already stored is left as it is. Call inside a transaction for batches. */
  insert(a: Alert): void {
    this.insertAlert.run(
      a.id, a.tsUs, a.kind, a.signature, a.severity, a.confidence, a.srcIp, a.srcMac, JSON.stringify(a.targets),
      a.destPort, a.proto, JSON.stringify(a.evidence), a.suggestedResponse,
    );
  }

  insertAnomalyEvent(e: AnomalyEvent): void {
    this.insertAnomaly.run(
      e.tsUs, e.flowId, e.communityId, e.srcIp, e.dstIp, e.dstPort, e.proto, e.score, JSON.stringify(e.models),
      e.threshold, e.alert ? 1 : 0, e.modelId,
    );
  }

  get(id: string): AlertRow | undefined {
    const r = this.getStmt.get(id) as RawAlertRow | undefined;
    return r === undefined ? undefined : toAlertRow(r);
  }

  /** Marks an alert seen (or unseen); returns false when the id is unknown. */
  acknowledge(id: string, acknowledged = true): boolean {
    return this.ackStmt.run(acknowledged ? 1 : 0, id).changes > 0;
  }

  /**
   * Newest first. The walk is pinned to the time index (or the per-device index when a MAC is given), so a
   * filter stops after `limit` matches: left to itself, SQLite scans and sorts every alert when the filter is on
   * kind or severity, which have no index of their own (100,000 alerts: milliseconds instead of tens).
   */
  query(q: AlertQuery = {}): AlertRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.mac !== undefined) {
      where.push('src_mac = ?');
      args.push(q.mac);
    }
    if (q.srcIp !== undefined) {
      where.push('src_ip = ?');
      args.push(q.srcIp);
    }
    if (q.kind !== undefined) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    if (q.maxSeverity !== undefined) {
      where.push('severity <= ?');
      args.push(q.maxSeverity);
    }
    if (q.fromUs !== undefined) {
      where.push('ts_us >= ?');
      args.push(q.fromUs);
    }
    if (q.toUs !== undefined) {
      where.push('ts_us < ?');
      args.push(q.toUs);
    }
    if (q.acknowledged !== undefined) {
      where.push('acknowledged = ?');
      args.push(q.acknowledged ? 1 : 0);
    }
    if (q.incidentId !== undefined) {
      where.push('incident_id = ?');
      args.push(q.incidentId);
    }
    if (q.before !== undefined) {
      where.push('(ts_us < ? OR (ts_us = ? AND id < ?))');
      args.push(q.before.tsUs, q.before.tsUs, q.before.id);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const index = q.incidentId !== undefined ? 'alerts_incident' : q.mac !== undefined ? 'alerts_src_mac' : q.srcIp !== undefined ? null : 'alerts_ts';
    const sql = `SELECT * FROM alerts ${index === null ? '' : `INDEXED BY ${index}`} ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY ts_us DESC, id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as RawAlertRow[]).map(toAlertRow);
  }

  /** Alert counts by severity in [fromUs, toUs), for the dashboard's summary tiles. */
  countBySeverity(fromUs: number, toUs: number): Record<Severity, number> {
    const out: Record<Severity, number> = { 1: 0, 2: 0, 3: 0 };
    const rows = this.db
      .prepare('SELECT severity, count(*) AS n FROM alerts WHERE ts_us >= ? AND ts_us < ? GROUP BY severity')
      .all(fromUs, toUs) as { severity: Severity; n: number }[];
    for (const r of rows) out[r.severity] = r.n;
    return out;
  }

  /** Anomaly events of one flow, or the newest ones; newest first. */
  anomalies(q: { flowId?: number; fromUs?: number; toUs?: number; onlyAlerts?: boolean; limit?: number } = {}): AnomalyRow[] {
    const where: string[] = [];
    const args: number[] = [];
    if (q.flowId !== undefined) {
      where.push('flow_id = ?');
      args.push(q.flowId);
    }
    if (q.fromUs !== undefined) {
      where.push('ts_us >= ?');
      args.push(q.fromUs);
    }
    if (q.toUs !== undefined) {
      where.push('ts_us < ?');
      args.push(q.toUs);
    }
    if (q.onlyAlerts === true) where.push('alert = 1');
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const sql = `SELECT * FROM anomaly_events ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as RawAnomalyRow[]).map((r) => ({
      id: r.id,
      tsUs: r.ts_us,
      flowId: r.flow_id,
      communityId: r.community_id,
      srcIp: r.src_ip,
      dstIp: r.dst_ip,
      dstPort: r.dst_port,
      proto: r.proto,
      score: r.score,
      models: JSON.parse(r.models) as AnomalyEvent['models'],
      threshold: r.threshold,
      alert: r.alert === 1,
      modelId: r.model_id,
    }));
  }
}

interface RawAlertRow {
  id: string;
  ts_us: number;
  kind: AlertKind;
  signature: string;
  severity: Severity;
  confidence: number;
  src_ip: string;
  src_mac: string | null;
  targets: string;
  dest_port: number | null;
  proto: string | null;
  evidence: string;
  suggested_response: Alert['suggestedResponse'];
  acknowledged: number;
  incident_id: string | null;
}

interface RawAnomalyRow {
  id: number;
  ts_us: number;
  flow_id: number;
  community_id: string;
  src_ip: string;
  dst_ip: string;
  dst_port: number;
  proto: string;
  score: number;
  models: string;
  threshold: number;
  alert: number;
  model_id: string;
}

function toAlertRow(r: RawAlertRow): AlertRow {
  return {
    id: r.id,
    tsUs: r.ts_us,
    kind: r.kind,
    signature: r.signature,
    severity: r.severity,
    confidence: r.confidence,
    srcIp: r.src_ip,
    srcMac: r.src_mac,
    targets: JSON.parse(r.targets) as string[],
    destPort: r.dest_port,
    proto: r.proto,
    evidence: JSON.parse(r.evidence) as AlertEvidence[],
    suggestedResponse: r.suggested_response,
    acknowledged: r.acknowledged === 1,
    incidentId: r.incident_id ?? null,
  };
}
