/**
 * What a model of this network may learn from: the stored flows of the baseline window minus every flow an
 * attack may have made. Left out, each with its reason:
 * - `anomaly`: the flow raised an anomaly alert;
 * - `incident`: its source (address or MAC) had an incident (any kind) open around the flow's time,
 *   INCIDENT_MARGIN_US either side;
 * - `distrusted`: its source device was at trust level alert or critical during the window.
 * Otherwise a retrain during a scan learns the scan, and the next scan raises nothing.
 */
import type { FlowRecord } from '../flow/flow-record.js';
import type { Store } from '../store/db.js';

export const EXCLUSION_REASONS = ['anomaly', 'incident', 'distrusted'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];
export type Exclusions = Record<ExclusionReason, number>;

/** an incident's flows start a little before it opens and end a little after its last alert */
export const INCIDENT_MARGIN_US = 60e6;
const DISTRUSTED = "('alert', 'critical')";

/** what the filter needs of a flow (a FlowRecord has it; the live baseline keeps just this of each row) */
export type FlowIdentity = Pick<FlowRecord, 'flowId' | 'srcIp' | 'srcMac' | 'startUs' | 'endUs'>;

export interface TrainingFilter {
  /** why `rec` is left out, or null to keep it */
  reason(rec: FlowIdentity): ExclusionReason | null;
  /** the flow raised an anomaly alert and its source had an incident then: the models and a detector agree */
  agreed(rec: FlowIdentity): boolean;
}

/** The filter for flows ending in [fromUs, toUs]. */
export function trainingFilter(store: Store, fromUs: number, toUs: number): TrainingFilter {
  const db = store.db;
  const alerted = new Set<number>(
    (db.prepare('SELECT DISTINCT flow_id AS f FROM anomaly_events WHERE alert = 1 AND ts_us >= ? AND ts_us <= ?').all(fromUs - INCIDENT_MARGIN_US, toUs + INCIDENT_MARGIN_US) as { f: number }[]).map((r) => r.f),
  );
  const windows = new Map<string, [number, number][]>();
  const incidents = db
    .prepare('SELECT src_ip AS ip, src_mac AS mac, first_us AS a, last_us AS b FROM incidents WHERE last_us >= ? AND first_us <= ?')
    .all(fromUs - INCIDENT_MARGIN_US, toUs + INCIDENT_MARGIN_US) as { ip: string; mac: string | null; a: number; b: number }[];
  for (const i of incidents) {
    for (const key of [i.ip, i.mac]) {
      if (!key) continue;
      let list = windows.get(key);
      if (!list) windows.set(key, (list = []));
      list.push([i.a - INCIDENT_MARGIN_US, i.b + INCIDENT_MARGIN_US]);
    }
  }
  const distrusted = new Set<string>(
    (
      db
        .prepare(
          `SELECT DISTINCT mac FROM trust_history WHERE level IN ${DISTRUSTED} AND ts_us >= ? AND ts_us <= ?
           UNION
           SELECT t.mac FROM trust_history t
            WHERE t.level IN ${DISTRUSTED}
              AND t.ts_us = (SELECT max(ts_us) FROM trust_history u WHERE u.mac = t.mac AND u.ts_us < ?)`,
        )
        .all(fromUs, toUs, fromUs) as { mac: string }[]
    ).map((r) => r.mac),
  );
  const during = (key: string | null, rec: FlowIdentity): boolean => {
    if (!key) return false;
    const list = windows.get(key);
    return list !== undefined && list.some(([a, b]) => rec.endUs >= a && rec.startUs <= b);
  };
  return {
    reason(rec) {
      if (alerted.has(rec.flowId)) return 'anomaly';
      if (during(rec.srcIp, rec) || during(rec.srcMac, rec)) return 'incident';
      if (rec.srcMac !== null && distrusted.has(rec.srcMac)) return 'distrusted';
      return null;
    },
    agreed(rec) {
      return alerted.has(rec.flowId) && (during(rec.srcIp, rec) || during(rec.srcMac, rec));
    },
  };
}

export function noExclusions(): Exclusions {
  return { anomaly: 0, incident: 0, distrusted: 0 };
}

/** "412 flows left out: 400 in an incident, 12 anomaly alerts" (empty when none) */
export function formatExclusions(e: Exclusions): string {
  const total = e.anomaly + e.incident + e.distrusted;
  if (total === 0) return 'no flows left out';
  const parts = [
    e.incident > 0 ? `${e.incident} of a device during its incident` : '',
    e.anomaly > 0 ? `${e.anomaly} that raised an anomaly alert` : '',
    e.distrusted > 0 ? `${e.distrusted} of devices at trust alert or critical` : '',
  ].filter((p) => p !== '');
  return `${total} flows left out of training: ${parts.join(', ')}`;
}
