/**
 * The incidents stage: subscribes to the bus's alerts and emits `incident` events. Driven by packet time
 * through the pipeline's flush ticks; `finish` at the end of input.
 */
import type { Bus } from '../bus.js';
import { IncidentTracker } from './tracker.js';
import type { IncidentConfig } from './types.js';

export { IncidentTracker, incidentId, severityOfAlert } from './tracker.js';
export type { Incident, IncidentChange, IncidentConfig, IncidentEvent, IncidentSeverity, IncidentState } from './types.js';
export { DEFAULT_INCIDENT_CONFIG, INCIDENT_SEVERITIES } from './types.js';

/** Build a tracker that folds every `alert` on `bus` and emits its changes as `incident` events there. */
export function attachIncidents(bus: Bus, cfg: Partial<IncidentConfig> = {}): IncidentTracker {
  const tracker = new IncidentTracker((e) => bus.emit('incident', e), cfg);
  bus.on('alert', (a) => tracker.onAlert(a));
  return tracker;
}
