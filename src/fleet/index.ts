/**
 * Fleet mode wired into an appliance: on a head, the fleet API server, what the dashboard's fleet views read and
 * the watch that announces stale sensors through the notifier;
 * on a sensor, the fleet client fed from the bus. `startFleet` does nothing for fleet.role standalone.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostname } from 'node:os';
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { FleetStore } from '../store/fleet.js';
import { startFleetServer, type FleetServer } from './head-server.js';
import { FleetSensor, type ScanRunner } from './sensor.js';
import { StaleWatch } from './stale-watch.js';
import type { Notice } from '../notify/types.js';
import type { SensorStatus } from './types.js';
import { fleetView, type FleetView } from './view.js';

export { FleetSensor } from './sensor.js';
export { StaleWatch } from './stale-watch.js';
export type { FleetServer } from './head-server.js';
export { fleetView, type FleetView, type FleetDeviceRow, type FleetIncidentRow, type FleetSensorRow } from './view.js';

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
  /** on a head: where a sensor going stale or coming back is announced (the notifier), with the dashboard's URL */
  notify?: { offer(n: Notice): void; dashboardUrl: string };
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
    let timer: NodeJS.Timeout | null = null;
    if (d.notify !== undefined) {
      const notify = d.notify;
      const watch = new StaleWatch(d.store, { staleSeconds: f.staleSeconds, dashboardUrl: notify.dashboardUrl });
      // one coarse wall-clock ticker: a sensor is announced at most a quarter of staleSeconds (or 30 s) late
      timer = setInterval(() => {
        try {
          for (const n of watch.check()) notify.offer(n);
        } catch (err) {
          d.log.warn(`fleet: checking for stale sensors: ${(err as Error).message}`);
        }
      }, Math.min(30_000, Math.max(1000, (f.staleSeconds * 1000) / 4)));
      timer.unref();
    }
    const stop = async () => {
      if (timer !== null) clearInterval(timer);
      await server.close();
    };
    return { server, sensor: null, view: fleetView(d.store, f.staleSeconds), stop, detach: () => {} };
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
