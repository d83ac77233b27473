/**
 * EVE lines about findings: `alert` per incident change, `argus_anomaly` for the models' scores, and Suricata's
 * `anomaly` for decoder events. Suricata's fields keep Suricata's meaning; ours are under `argus`.
 */
import { isIP } from 'node:net';
import type { AlertEvidence } from '../detectors/alert.js';
import { SIGNATURE_GID, signatureOf } from '../detectors/signatures.js';
import type { IncidentEvent, IncidentSeverity } from '../incidents/types.js';
import type { AnomalyEvent } from '../models/anomaly.js';
import type { GeoLookup } from '../enrich/index.js';
import { etherOf, eveTimestamp } from './eve.js';
import { geoipKeys } from './eve-geoip.js';

/** Suricata's alert.severity (1 = high … 3 = low) for an incident's severity word; critical is 1 too. */
const SURICATA_SEVERITY: Record<IncidentSeverity, 1 | 2 | 3> = { critical: 1, high: 1, medium: 2, low: 3 };

/** The first flow the evidence names, with its community id: what links an alert line to its flow lines. */
function firstFlow(evidence: AlertEvidence[]): { flowId: number; communityId: string | null } | null {
  for (const ev of evidence) if (ev.flowIds !== undefined && ev.flowIds.length > 0) return { flowId: ev.flowIds[0]!, communityId: ev.communityIds?.[0] ?? null };
  return null;
}

/** Every flow id and community id the evidence names, once each, in order. */
function evidenceIds(evidence: AlertEvidence[]): { flowIds: number[]; communityIds: string[] } {
  const flowIds = new Set<number>();
  const communityIds = new Set<string>();
  for (const ev of evidence) {
    for (const id of ev.flowIds ?? []) flowIds.add(id);
    for (const id of ev.communityIds ?? []) communityIds.add(id);
  }
  return { flowIds: [...flowIds], communityIds: [...communityIds] };
}

export interface AlertEventOptions {
  /**
   * Whether the firewall stops this traffic right now (an enforced quarantine of the source, or a block of it
   * or of a target): `alert.action` is then `blocked`, else `allowed`. Absent (no response policy): allowed.
   */
  blocked?: (srcMac: string | null, srcIp: string, targets: readonly string[]) => boolean;
  /** country and AS of the source and of a single target host (argus.src_geoip, argus.dest_geoip) */
  geo?: GeoLookup | null;
}

/**
 * The EVE `alert` line of an incident change: written when an incident opens, escalates and closes (never per
 * member alert), so a scan of 1,000 flows is three lines, not a thousand. `alert` is a rule's alert: gid 1, the
 * kind's signature_id, rev, fixed signature text and classification text (detectors/signatures.ts), severity
 * 1–3 from the incident's severity, and the kind in `alert.metadata.argus_kind`. The incident itself (its id,
 * title sentence, count, evidence, …) is `argus.incident`. `flow_id` and `community_id` name the first flow of
 * the evidence, `argus.flow_ids` / `argus.community_ids` all of them.
 */
export function incidentAlertEvent(e: IncidentEvent, opts: AlertEventOptions = {}): Record<string, unknown> {
  const i = e.incident;
  const s = signatureOf(i.kind);
  const flow = firstFlow(i.evidence);
  const ids = evidenceIds(i.evidence);
  const blocked = opts.blocked?.(i.srcMac, i.srcIp, i.targets) ?? false;
  const destIp = i.targets.length === 1 && isIP(i.targets[0]!) !== 0 ? i.targets[0] : undefined;
  return {
    timestamp: eveTimestamp(e.tsUs),
    ...(flow !== null ? { flow_id: flow.flowId } : {}),
    event_type: 'alert',
    src_ip: i.srcIp,
    // one target host: Suricata's dest_ip (a domain target or many hosts have none)
    ...(destIp !== undefined ? { dest_ip: destIp } : {}),
    ...(flow?.communityId ? { community_id: flow.communityId } : {}),
    ...etherOf(i.srcMac, null),
    alert: {
      action: blocked ? 'blocked' : 'allowed',
      gid: SIGNATURE_GID,
      signature_id: s.signatureId,
      rev: s.rev,
      signature: s.signature,
      category: s.category,
      severity: SURICATA_SEVERITY[i.severity],
      metadata: {
        argus_kind: [i.kind],
        argus_change: [e.change],
        argus_target: [i.target],
      },
    },
    argus: {
      incident: {
        id: i.id,
        change: e.change,
        title: i.title,
        state: i.state,
        severity: i.severity,
        count: i.count,
        anomaly_count: i.anomalyCount,
        first_seen: eveTimestamp(i.firstUs),
        last_seen: eveTimestamp(i.lastUs),
      },
      kind: i.kind,
      confidence: i.confidence,
      targets: i.targets,
      evidence: i.evidence,
      suggested_response: i.suggestedResponse,
      ...(ids.flowIds.length > 0 ? { flow_ids: ids.flowIds } : {}),
      ...(ids.communityIds.length > 0 ? { community_ids: ids.communityIds } : {}),
      ...geoipKeys(opts.geo, i.srcIp, destIp),
    },
  };
}

/**
 * The `argus_anomaly` line: the models' verdict on a flow at the alert threshold. Its own event type, because
 * Suricata's `anomaly` is a decoder or protocol anomaly and a Suricata consumer would misread scores there.
 */
export function argusAnomalyEvent(e: AnomalyEvent, geo?: GeoLookup | null): Record<string, unknown> {
  return {
    timestamp: eveTimestamp(e.tsUs),
    flow_id: e.flowId,
    event_type: 'argus_anomaly',
    src_ip: e.srcIp,
    dest_ip: e.dstIp,
    dest_port: e.dstPort,
    proto: e.proto,
    community_id: e.communityId,
    argus: { score: e.score, threshold: e.threshold, alert: e.alert, model: e.modelId, models: e.models, ...geoipKeys(geo, e.srcIp, e.dstIp) },
  };
}

/** What a decoder event line may say about the packet it came from (what was decoded before the event). */
export interface DecodeEventPacket {
  tsUs: number;
  srcIp?: string;
  destIp?: string;
  proto?: string;
}

/** Suricata's decoder `anomaly` line: `anomaly.type: decode`, `anomaly.event: decoder.ipv4.trunc_pkt`. */
export function decodeAnomalyEvent(event: string, p: DecodeEventPacket): Record<string, unknown> {
  return {
    timestamp: eveTimestamp(p.tsUs),
    event_type: 'anomaly',
    ...(p.srcIp !== undefined ? { src_ip: p.srcIp } : {}),
    ...(p.destIp !== undefined ? { dest_ip: p.destIp } : {}),
    ...(p.proto !== undefined ? { proto: p.proto } : {}),
    anomaly: { type: 'decode', event },
  };
}
