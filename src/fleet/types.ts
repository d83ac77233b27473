/**
 * Fleet mode: several sensors, one head. A sensor is a normal appliance plus a fleet client; the head is a normal
 * appliance plus the fleet API (HTTPS, its self-signed certificate pinned by every sensor) and pages.
 *
 * What the design keeps:
 * - results flow one way, sensor → head (incidents, device summaries, action records, assignment results);
 * - the head never sends a command: a sensor pulls assignments with its heartbeat and runs only what its own
 *   configuration allows (fleet.acceptAssignments, scan.enabled, scan.scope, a rate limit), reporting a
 *   refusal with its reason otherwise;
 * - every sensor request is signed with the sensor's own Ed25519 key (timestamp + nonce, replays refused),
 *   so one sensor can neither read nor write another's data;
 * - a head that is down costs nothing: sensors keep working and keep their results in an outbox in their own
 *   store, delivered exactly once (idempotency keys) when the head returns.
 */

export const FLEET_ROLES = ['standalone', 'head', 'sensor'] as const;
export type FleetRole = (typeof FLEET_ROLES)[number];

/** What a sensor can do, announced at registration. */
export interface SensorCapabilities {
  mode: string;
  iface: string;
  /** it sits inline and may quarantine */
  inline: boolean;
  nmap: boolean;
  decoys: boolean;
  /** it accepts scan assignments at all (fleet.acceptAssignments and scan.enabled) */
  assignments: boolean;
  /** its scan scope (CIDRs), for the head's automatic choice */
  scanScope: string[];
}

/** The status a sensor sends with every heartbeat. */
export interface SensorStatus {
  mode: string;
  version: string;
  packetsPerSecond: number;
  packets: number;
  drops: number;
  activeFlows: number;
  modelId: string | null;
  modelState: string;
  diskFreeMB: number | null;
  rssMB: number;
  /** results waiting in the outbox */
  queue: number;
  /** outbox entries dropped to stay under its cap (summaries only) */
  outboxDropped: number;
}

/**
 * Result kinds, sensor → head.
 * - incident: an incident opened, escalated or closed (IncidentEvent snapshot)
 * - device: a new device or a trust level change (summary)
 * - action: an action record (quarantine, block, …) created or changed
 * - assignment: the outcome of an assignment (done with its result, or refused with the reason)
 */
export const RESULT_KINDS = ['incident', 'device', 'action', 'assignment'] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

export interface ResultItem {
  /** unique per sensor: the head stores each key once (exactly-once delivery on top of at-least-once sends) */
  key: string;
  kind: ResultKind;
  /** packet time of the event, µs */
  tsUs: number;
  body: Record<string, unknown>;
}

export interface Assignment {
  id: number;
  kind: 'scan';
  /** IP addresses or CIDR prefixes */
  targets: string[];
  /** nmap port list, e.g. "1-1000" */
  ports: string;
  createdMs: number;
}

/** A sensor as the head sees it. */
export interface SensorRecord {
  id: string;
  name: string;
  version: string;
  capabilities: SensorCapabilities;
  status: SensorStatus | null;
  registeredMs: number;
  lastHeartbeatMs: number | null;
  revoked: boolean;
}

/** online: heartbeat within staleSeconds; stale: silent longer; offline: revoked, or silent for a day */
export type SensorState = 'online' | 'stale' | 'offline';

export function sensorState(s: Pick<SensorRecord, 'lastHeartbeatMs' | 'registeredMs' | 'revoked'>, nowMs: number, staleSeconds: number): SensorState {
  if (s.revoked) return 'offline';
  const last = s.lastHeartbeatMs ?? s.registeredMs;
  const age = nowMs - last;
  if (age <= staleSeconds * 1000) return 'online';
  return age >= 86_400_000 ? 'offline' : 'stale';
}
