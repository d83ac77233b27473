/**
 * The one path a scan assignment takes on a head, from the JSON API (POST /api/v1/fleet/sensors/:id/assign) and
 * from the Sensors page's form alike: the same checks, the same record, the same audit entry (fleet.assign).
 * The head only records it; the sensor pulls it with its next heartbeat and runs it only if its own
 * configuration allows.
 */
import type { FleetView } from '../fleet/index.js';
import type { WebDeps } from './deps.js';
import { audit } from './web-context.js';

export interface AssignRequest {
  kind: unknown;
  targets: unknown;
  ports: unknown;
}

export type AssignOutcome = { ok: true; id: number; sensor: string } | { ok: false; status: 400 | 404; error: string };

/** Checks and records a scan assignment for `sensorId` ('auto': the fitting sensor with the shortest queue). */
export function requestScanAssignment(deps: WebDeps, fleet: FleetView, sensorId: string, req: AssignRequest, actor: string): AssignOutcome {
  if (req.kind !== 'scan') return { ok: false, status: 400, error: "kind must be 'scan'" };
  if (!Array.isArray(req.targets)) return { ok: false, status: 400, error: 'targets must be a list of IP addresses or CIDR prefixes' };
  const ports = req.ports === undefined || req.ports === null ? '' : req.ports;
  if (typeof ports !== 'string' || ports.length > 128) return { ok: false, status: 400, error: 'ports must be text of at most 128 characters' };
  const targets = req.targets as string[];
  const r = fleet.assign(sensorId, targets, ports.trim(), actor);
  if (!r.ok) return { ok: false, status: r.error.startsWith('no sensor ') ? 404 : 400, error: r.error };
  audit(deps, { actor, action: 'fleet.assign', target: r.sensor, reason: `scan of ${targets.join(', ')}`, detail: { id: r.id, ports: ports.trim() } });
  return r;
}
