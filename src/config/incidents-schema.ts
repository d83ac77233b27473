/**
 * The `incidents:` section: how alerts fold into incidents (src/incidents). The defaults come from there.
 */
import { DEFAULT_INCIDENT_CONFIG as D } from '../incidents/types.js';
import { num } from './fields.js';

export const incidentsSchema = {
  windowSeconds: num(D.windowSeconds, 'alerts of the same device, kind and target within this many seconds of the last one join one incident', { min: 1 }),
  closeAfterSeconds: num(D.closeAfterSeconds, 'an incident with no new alert for this long closes', { min: 1 }),
  anomalyJoinSeconds: num(D.anomalyJoinSeconds, "anomaly alerts of a device join its detector incident active within this many seconds; unclaimed ones open an anomaly incident after this long", { min: 1 }),
  escalateEvery: num(D.escalateEvery, 'severity rises one step when the count of detector alerts reaches this, its square, …', { int: true, min: 2 }),
  maxOpen: num(D.maxOpen, 'most open incidents tracked at once; past it the least recently updated closes', { int: true, min: 10 }),
} as const;
