/**
 * What a head's dashboard, JSON API and CLI read of the fleet: the sensors with their state, every sensor's
 * incidents (the newest state of each), every sensor's devices (folded from the device summaries), and the one
 * way to record an assignment. The head only records it; the sensor pulls it and decides itself.
 */
import { PrefixSet } from '../detectors/addresses.js';
import type { FleetStore } from '../store/fleet.js';
import { sensorState, type SensorCapabilities, type SensorState, type SensorStatus } from './types.js';

export interface FleetSensorRow {
  id: string;
  name: string;
  status: SensorState;
  lastHeartbeat: string | null;
  /** wall-clock ms of the last heartbeat, null before the first */
  lastHeartbeatMs: number | null;
  version: string;
  capabilities: SensorCapabilities;
  load: SensorStatus | null;
  queue: number;
  assignmentsWaiting: number;
}

/** A LAN device as one sensor reported it: its first summary (new) and its newest trust change. */
export interface FleetDeviceRow {
  sensor: string;
  sensorName: string;
  mac: string;
  ip: string | null;
  hostname: string | null;
  vendor: string | null;
  trustScore: number | null;
  trustLevel: string | null;
  /** packet time of the sensor's newest summary of it, µs */
  lastUs: number;
}

export interface FleetIncidentRow {
  sensor: string;
  sensorName: string;
  incident: Record<string, unknown>;
  change: string;
  tsUs: number;
}

export interface FleetView {
  sensors(): FleetSensorRow[];
  /** the newest state of each incident of every sensor (or of `sensorId`), newest first */
  incidents(limit?: number, sensorId?: string): FleetIncidentRow[];
  /** every sensor's devices (or `sensorId`'s), by sensor name then MAC */
  devices(sensorId?: string): FleetDeviceRow[];
  assign(sensorId: string, targets: string[], ports: string, actor: string): { ok: true; id: number; sensor: string } | { ok: false; error: string };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function fleetView(store: FleetStore, staleSeconds: number, nowMs: () => number = Date.now): FleetView {
  const names = () => new Map(store.sensors().map((s) => [s.id, s.name]));
  return {
    sensors: () => {
      const waiting = store.queueLengths();
      const now = nowMs();
      return store.sensors().map((s) => ({
        id: s.id,
        name: s.name,
        status: sensorState(s, now, staleSeconds),
        lastHeartbeat: s.lastHeartbeatMs === null ? null : new Date(s.lastHeartbeatMs).toISOString(),
        lastHeartbeatMs: s.lastHeartbeatMs,
        version: s.version,
        capabilities: s.capabilities,
        load: s.status,
        queue: s.status?.queue ?? 0,
        assignmentsWaiting: waiting.get(s.id) ?? 0,
      }));
    },
    incidents: (limit = 200, sensorId) => {
      const n = names();
      const seen = new Set<string>();
      const out: FleetIncidentRow[] = [];
      for (const r of store.results({ kind: 'incident', sensorId, limit: 1000 })) {
        const inc = (r.body as { incident?: Record<string, unknown> }).incident ?? {};
        const id = `${r.sensorId}|${String(inc.id)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ sensor: r.sensorId, sensorName: n.get(r.sensorId) ?? r.sensorId, incident: inc, change: String((r.body as { change?: string }).change ?? ''), tsUs: r.tsUs });
        if (out.length >= limit) break;
      }
      return out;
    },
    devices: (sensorId) => {
      const n = names();
      const rows = new Map<string, FleetDeviceRow>();
      for (const r of store.deviceResults(sensorId)) {
        const b = r.body;
        const mac = str(b.mac);
        if (mac === null) continue;
        const k = `${r.sensorId}|${mac}`;
        const row = rows.get(k) ?? { sensor: r.sensorId, sensorName: n.get(r.sensorId) ?? r.sensorId, mac, ip: null, hostname: null, vendor: null, trustScore: null, trustLevel: null, lastUs: r.tsUs };
        if (b.change === 'new') {
          const ips = Array.isArray(b.ips) ? b.ips.filter((x): x is string => typeof x === 'string') : [];
          row.ip ??= ips[0] ?? null;
          row.hostname = str(b.hostname) ?? row.hostname;
          row.vendor = str(b.vendor) ?? row.vendor;
        } else if (b.change === 'trust') {
          row.ip = str(b.ip) ?? row.ip;
          row.trustScore = num(b.score) ?? row.trustScore;
          row.trustLevel = str(b.level) ?? row.trustLevel;
        }
        row.lastUs = Math.max(row.lastUs, r.tsUs);
        rows.set(k, row);
      }
      return [...rows.values()].sort((a, b) => a.sensorName.localeCompare(b.sensorName) || a.mac.localeCompare(b.mac));
    },
    assign: (sensorId, targets, ports, actor) => {
      if (!Array.isArray(targets) || targets.length === 0 || targets.length > 16 || targets.some((t) => typeof t !== 'string' || !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(t))) return { ok: false, error: 'targets must list 1 to 16 IP addresses or CIDR prefixes' };
      if (typeof ports !== 'string' || (ports !== '' && !/^[\d,-]{1,128}$/.test(ports))) return { ok: false, error: "ports must be an nmap port list such as '1-1000'" };
      let id = sensorId;
      const sensors = store.sensors().filter((s) => !s.revoked);
      if (sensorId === 'auto') {
        // the sensor whose scan scope holds every target and whose queue is shortest
        const waiting = store.queueLengths();
        const fits = sensors.filter((s) => s.capabilities.assignments && inScope(s.capabilities.scanScope, targets));
        fits.sort((a, b) => (waiting.get(a.id) ?? 0) - (waiting.get(b.id) ?? 0));
        if (fits.length === 0) return { ok: false, error: 'no sensor accepts assignments with these targets inside its scan scope' };
        id = fits[0]!.id;
      } else if (!sensors.some((s) => s.id === sensorId)) return { ok: false, error: `no sensor ${sensorId}` };
      const aid = store.addAssignment({ sensorId: id, kind: 'scan', targets, ports, actor, nowMs: nowMs() });
      return { ok: true, id: aid, sensor: id };
    },
  };
}

/** Every target (its first address) inside `scope`; a scope a sensor announced malformed fits nothing. */
function inScope(scope: string[], targets: string[]): boolean {
  try {
    const set = new PrefixSet(scope);
    return targets.every((t) => set.has(t.split('/')[0]!));
  } catch {
    return false;
  }
}
