/**
 * Fleet mode wired into an appliance: on a head, the fleet API server and what the dashboard's fleet views read;
 * on a sensor, the fleet client fed from the bus. `startFleet` does nothing for fleet.role standalone.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostname } from 'node:os';
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { FleetStore } from '../store/fleet.js';
import { PrefixSet } from '../detectors/addresses.js';
import { startFleetServer, type FleetServer } from './head-server.js';
import { FleetSensor, type ScanRunner } from './sensor.js';
import { sensorState, type SensorState, type SensorStatus } from './types.js';

export { FleetSensor } from './sensor.js';
export type { FleetServer } from './head-server.js';

/** What the head's dashboard and JSON API show and do. */
export interface FleetView {
  sensors(): { id: string; name: string; status: SensorState; lastHeartbeat: string | null; version: string; capabilities: unknown; load: SensorStatus | null; queue: number; assignmentsWaiting: number }[];
  /** the newest state of each incident of every sensor, newest first */
  incidents(limit?: number): { sensor: string; sensorName: string; incident: Record<string, unknown>; change: string; tsUs: number }[];
  assign(sensorId: string, targets: string[], ports: string, actor: string): { ok: true; id: number; sensor: string } | { ok: false; error: string };
}

export interface FleetHandle {
  server: FleetServer | null;
  sensor: FleetSensor | null;
  view: FleetView | null;
  /** stops the API server or the heartbeat loop (a sensor still writes the bus's last events to its outbox) */
  stop(): Promise<void>;
  /** lets go of the bus: call before the store closes */
  detach(): void;
}

export interface FleetDeps {
  config: Config;
  store: FleetStore;
  bus: Bus;
  log: Logger;
  version: string;
  status(): Omit<SensorStatus, 'queue' | 'outboxDropped' | 'diskFreeMB' | 'rssMB' | 'version' | 'mode'>;
  scanner: ScanRunner;
}

export async function startFleet(d: FleetDeps): Promise<FleetHandle> {
  const f = d.config.fleet;
  if (f.role === 'head') {
    const server = await startFleetServer(
      { host: f.host, port: f.port, heartbeatSeconds: f.heartbeatSeconds, web: d.config.web, storePath: d.config.store.path },
      d.store,
      (m) => d.log.info(m),
    );
    d.log.info(`fleet: head API on ${server.url} (certificate ${server.fingerprint.slice(0, 23)}…); enrol sensors with 'argus-edge fleet enrol'`);
    return { server, sensor: null, view: fleetView(d.store, f.staleSeconds), stop: () => server.close(), detach: () => {} };
  }
  if (f.role === 'sensor') {
    const storeDir = dirname(resolve(d.config.store.path));
    const sensor = new FleetSensor({
      store: d.store,
      config: { head: f.head, enrolToken: f.enrolToken, name: f.name || hostname(), heartbeatSeconds: f.heartbeatSeconds, acceptAssignments: f.acceptAssignments, maxAssignmentsPerHour: f.maxAssignmentsPerHour, outboxMaxRows: f.outboxMaxRows },
      version: d.version,
      capabilities: () => ({
        mode: d.config.mode,
        iface: d.config.iface,
        inline: d.config.mode === 'inline',
        nmap: d.scanner.unavailable === null,
        decoys: d.config.decoys.enabled,
        assignments: f.acceptAssignments && d.config.scan.enabled,
        scanScope: [...(d.config.scan.scope.length > 0 ? d.config.scan.scope : d.config.homeNets)],
      }),
      status: () => ({ ...d.status(), mode: d.config.mode, version: d.version, diskFreeMB: diskFreeMB(storeDir), rssMB: Math.round(process.memoryUsage().rss / 1048576) }),
      scanner: d.scanner,
      log: d.log,
    });
    sensor.attach(d.bus);
    sensor.start();
    return { server: null, sensor, view: null, stop: () => sensor.stop(), detach: () => sensor.detach() };
  }
  return { server: null, sensor: null, view: null, stop: async () => {}, detach: () => {} };
}

function diskFreeMB(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Math.round((s.bavail * s.bsize) / 1048576);
  } catch {
    return null;
  }
}

export function fleetView(store: FleetStore, staleSeconds: number): FleetView {
  return {
    sensors: () => {
      const waiting = store.queueLengths();
      const now = Date.now();
      return store.sensors().map((s) => ({
        id: s.id,
        name: s.name,
        status: sensorState(s, now, staleSeconds),
        lastHeartbeat: s.lastHeartbeatMs === null ? null : new Date(s.lastHeartbeatMs).toISOString(),
        version: s.version,
        capabilities: s.capabilities,
        load: s.status,
        queue: s.status?.queue ?? 0,
        assignmentsWaiting: waiting.get(s.id) ?? 0,
      }));
    },
    incidents: (limit = 200) => {
      const names = new Map(store.sensors().map((s) => [s.id, s.name]));
      const seen = new Set<string>();
      const out: ReturnType<FleetView['incidents']> = [];
      for (const r of store.results({ kind: 'incident', limit: 1000 })) {
        const inc = (r.body as { incident?: Record<string, unknown> }).incident ?? {};
        const id = `${r.sensorId}|${String(inc.id)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ sensor: r.sensorId, sensorName: names.get(r.sensorId) ?? r.sensorId, incident: inc, change: String((r.body as { change?: string }).change ?? ''), tsUs: r.tsUs });
        if (out.length >= limit) break;
      }
      return out;
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
      const aid = store.addAssignment({ sensorId: id, kind: 'scan', targets, ports, actor, nowMs: Date.now() });
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
