/**
 * What the device pages say about a device beside its trust: its type (src/device-type/guess.ts) with an icon,
 * whether it is online, whether it is new, whether it is the network's gateway, and its traffic over a range.
 * Each lookup is one indexed query; the gateway is found once a minute per store.
 */
import { guessDeviceType, type TypeGuess } from '../device-type/guess.js';
import type { Store } from '../store/db.js';
import type { DeviceRow } from '../store/devices.js';

/** seen within this long before "now": online */
export const ONLINE_US = 10 * 60_000_000;
/** first seen within this long before "now": new */
export const NEW_US = 24 * 3_600_000_000;
/** the newest flows the gateway is found among */
const GATEWAY_FLOWS = 5000;

export interface DeviceFacts {
  type: TypeGuess;
  online: boolean;
  isNew: boolean;
  gateway: boolean;
}

const gateways = new WeakMap<Store, { atMs: number; mac: string | null }>();

/**
 * The network's gateway: the MAC that most recent flows to addresses no LAN device holds were sent to (from a
 * router-side span port every remote address sits behind it). Null when no flow went out.
 */
export function gatewayMac(store: Store, ttlMs = 60_000): string | null {
  const hit = gateways.get(store);
  if (hit !== undefined && Date.now() - hit.atMs < ttlMs) return hit.mac;
  const r = store.db
    .prepare(
      `SELECT dst_mac AS mac, count(*) AS n FROM (SELECT dst_mac, dst_ip FROM flows ORDER BY end_us DESC LIMIT ${GATEWAY_FLOWS})
       WHERE dst_mac IS NOT NULL AND dst_ip NOT IN (SELECT ip FROM device_addresses) GROUP BY dst_mac ORDER BY n DESC LIMIT 1`,
    )
    .get() as { mac: string; n: number } | undefined;
  const mac = r !== undefined && r.n >= 3 ? r.mac : null;
  gateways.set(store, { atMs: Date.now(), mac });
  return mac;
}

/** Open TCP ports of each device's last finished scan (one query for the page's devices). */
export function scannedPorts(store: Store, macs: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (macs.length === 0) return out;
  const rows = store.db
    .prepare(
      `SELECT mac, open_ports AS ports FROM scans s WHERE status = 'done' AND mac IN (${macs.map(() => '?').join(',')})
       AND id = (SELECT max(id) FROM scans t WHERE t.mac = s.mac AND t.status = 'done')`,
    )
    .all(...macs) as { mac: string; ports: string }[];
  for (const r of rows) {
    try {
      out.set(r.mac, (JSON.parse(r.ports) as { port?: unknown }[]).map((p) => Number(p.port)).filter(Number.isInteger));
    } catch {
      // a damaged row only costs the port hint
    }
  }
  return out;
}

export function deviceFacts(d: DeviceRow, nowUs: number, gateway: string | null, ports: readonly number[] = []): DeviceFacts {
  const isGateway = gateway === d.mac;
  return {
    type: guessDeviceType({ chosen: d.deviceType, hostname: d.hostname, vendor: d.vendor, dhcpVendorClass: d.dhcpVendorClass, gateway: isGateway, openPorts: ports }),
    online: nowUs - d.lastSeenUs <= ONLINE_US,
    isNew: nowUs - d.firstSeenUs <= NEW_US,
    gateway: isGateway,
  };
}

export interface TrafficTotals {
  bytesOut: number;
  bytesIn: number;
  flows: number;
}

/** A device's traffic in [fromUs, toUs) from the hourly rollups (whole hours). */
export function deviceTraffic(store: Store, mac: string, fromUs: number, toUs: number): TrafficTotals {
  const hour = 3_600_000_000;
  const r = store.db
    .prepare(
      `SELECT coalesce(sum(bytes_out), 0) AS bytesOut, coalesce(sum(bytes_in), 0) AS bytesIn, coalesce(sum(flows_orig + flows_resp), 0) AS flows
       FROM flow_rollups WHERE device = ? AND hour_us >= ? AND hour_us < ?`,
    )
    .get(mac, fromUs - (fromUs % hour), toUs) as TrafficTotals;
  return r;
}
