/**
 * The Overview's "top" lists over the chosen time range: devices by traffic (flow_rollups), remote
 * destinations and DNS names (src/store/top-rollups.ts). Each reads hourly rollup rows only. A 7-day list
 * over thousands of devices still sums many rows, so a result is kept for TTL_MS per store and range: the
 * Overview's live refresh and several open tabs cost one query, and the page stays inside its time budget.
 */
import type { Store } from '../store/db.js';
import { OTHER_KEY } from '../store/top-rollups.js';
import { isGroupAddress } from '../detectors/addresses.js';

const HOUR_US = 3_600_000_000;
const TTL_MS = 30_000;
export const TOP_ROWS = 10;

export interface TopDevice {
  /** the MAC (or the IP of an endpoint seen without one) */
  device: string;
  bytesOut: number;
  bytesIn: number;
}

export interface TopRemote {
  /** the address; '' sums the addresses past the per-hour cap */
  ip: string;
  name: string | null;
  flows: number;
  bytes: number;
}

export interface TopName {
  /** the name asked for; '' sums the names past the per-hour cap */
  qname: string;
  queries: number;
  nxdomain: number;
}

export interface TopLists {
  devices: TopDevice[];
  remotes: TopRemote[];
  /** the first REMOTE_SAMPLE remote addresses by bytes (remotes is its head): summed by country and network */
  remoteSample: TopRemote[];
  names: TopName[];
}

/** remote addresses read for the summary by country and network (the GROUP BY reads them all anyway) */
export const REMOTE_SAMPLE = 1000;

const cache = new WeakMap<Store, Map<string, { atMs: number; value: TopLists }>>();

/** The top lists for the hours that overlap [fromUs, toUs), newest `TTL_MS` old at most. */
export function topLists(store: Store, fromUs: number, toUs: number, nowMs = Date.now()): TopLists {
  const fromHour = fromUs - (fromUs % HOUR_US);
  const key = `${fromHour}|${toUs - (toUs % HOUR_US)}`;
  let m = cache.get(store);
  if (m === undefined) cache.set(store, (m = new Map()));
  const hit = m.get(key);
  if (hit !== undefined && nowMs - hit.atMs < TTL_MS) return hit.value;
  const db = store.db;
  const remoteSample = db
    .prepare(
      `SELECT ip, max(name) AS name, sum(flows) AS flows, sum(bytes) AS bytes FROM remote_rollups
       WHERE hour_us >= ? AND hour_us < ? GROUP BY ip ORDER BY sum(bytes) DESC, ip LIMIT ?`,
    )
    .all(fromHour, toUs, REMOTE_SAMPLE) as TopRemote[];
  const value: TopLists = {
    // broadcast and multicast "endpoints" (no MAC, a group address) are not devices
    devices: (
      db
        .prepare(
          `SELECT device, sum(bytes_out) AS bytesOut, sum(bytes_in) AS bytesIn FROM flow_rollups
           WHERE hour_us >= ? AND hour_us < ? GROUP BY device ORDER BY sum(bytes_out + bytes_in) DESC, device LIMIT ?`,
        )
        .all(fromHour, toUs, 2 * TOP_ROWS) as TopDevice[]
    )
      .filter((d) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(d.device) || !isGroupAddress(d.device))
      .slice(0, TOP_ROWS),
    remotes: remoteSample.slice(0, TOP_ROWS),
    remoteSample,
    names: db
      .prepare(
        `SELECT qname, sum(queries) AS queries, sum(nxdomain) AS nxdomain FROM dns_rollups
         WHERE hour_us >= ? AND hour_us < ? GROUP BY qname ORDER BY sum(queries) DESC, qname LIMIT ?`,
      )
      .all(fromHour, toUs, TOP_ROWS) as TopName[],
  };
  for (const [k, v] of m) if (nowMs - v.atMs >= TTL_MS) m.delete(k);
  m.set(key, { atMs: nowMs, value });
  return value;
}

export { OTHER_KEY };
