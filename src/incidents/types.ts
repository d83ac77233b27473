/**
 * Incident: what a person reads. Alerts about one device, one kind and one target within a window are one
 * incident with a count, first/last seen, the top evidence and a rising severity (Zeek's notice identifier +
 * suppression interval, Firewalla's one alarm per device and behaviour). Anomaly alerts of a device join the
 * detector incident of that device they overlap in time, so a port scan is one incident, not a thousand
 * anomaly rows. Notifications, the dashboard, fleet results and EVE alert lines are per incident.
 */
import type { Alert, AlertEvidence, AlertKind, Severity } from '../detectors/alert.js';

/**
 * Incident severity in words, lowest first. An incident opens at its first alert's severity
 * (Suricata 3 → low, 2 → medium, 1 → high) and rises one step each time its count crosses a power of
 * `escalateEvery` (config), up to `critical`; anomaly-only incidents stop at `medium`.
 */
export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** open: still receiving alerts; closed: no alert for `closeAfterSeconds` of packet time (or at shutdown). */
export type IncidentState = 'open' | 'closed';

export interface Incident {
  /** URL-safe, stable for a replay: `inc-<kind with dots as dashes>-<hash of key>-<first µs>` */
  id: string;
  /** `${kind}|${device}|${target}`: who did what to whom */
  key: string;
  kind: AlertKind;
  /** the device: its MAC when known, else its IP */
  device: string;
  srcIp: string;
  srcMac: string | null;
  /** what it was done to: the target host, a service (`ip:port`), a domain or '*' for many */
  target: string;
  /** the signature of the first alert: a sentence a person reads */
  title: string;
  severity: IncidentSeverity;
  state: IncidentState;
  /** alerts folded into this incident (the detector's and the anomaly alerts joined to it) */
  count: number;
  /** of `count`, anomaly alerts joined from the models */
  anomalyCount: number;
  firstUs: number;
  lastUs: number;
  /** targets seen, bounded */
  targets: string[];
  /** the most telling evidence lines (highest severity first, then earliest), bounded */
  evidence: AlertEvidence[];
  /** ids of member alerts, bounded (the store keeps every membership) */
  alertIds: string[];
  /** highest Suricata severity among the members (1 = high) */
  maxAlertSeverity: Severity;
  /** highest confidence among the members */
  confidence: number;
  /** the strongest response any member suggested (none < monitor < rate-limit < quarantine < block) */
  suggestedResponse: Alert['suggestedResponse'];
}

/** What changed, for the bus and for EVE: one line when an incident opens, escalates or closes. */
export type IncidentChange = 'open' | 'update' | 'escalate' | 'close';

export interface IncidentEvent {
  change: IncidentChange;
  /** packet time of the change, µs */
  tsUs: number;
  /** a snapshot: not mutated after the event */
  incident: Incident;
  /** the alert that caused an open/update/escalate (absent on close) */
  alertId?: string;
  /**
   * every alert that joined the incident with this change (the causing one plus, on open, the anomaly alerts
   * that waited for it), so the store can record each membership; empty on close
   */
  memberIds: string[];
}

export interface IncidentConfig {
  /** alerts with the same key within this many seconds of the last one join the open incident */
  windowSeconds: number;
  /** an incident with no alert for this long (packet time) closes */
  closeAfterSeconds: number;
  /** anomaly alerts of a device join its detector incident that was active within this many seconds */
  anomalyJoinSeconds: number;
  /** severity rises one step at count = escalateEvery, escalateEvery², … */
  escalateEvery: number;
  /** most open incidents tracked at once (the oldest-updated closes first past it) */
  maxOpen: number;
}

export const DEFAULT_INCIDENT_CONFIG: IncidentConfig = {
  windowSeconds: 3600,
  closeAfterSeconds: 3600,
  anomalyJoinSeconds: 300,
  escalateEvery: 10,
  maxOpen: 10_000,
};
