/** GET / (overview) and its chart data, GET /ui/overview/series. */
import type { Hono } from 'hono';
import type { Store } from '../store/db.js';
import type { WebEnv } from './env.js';
import { anomalySeries, overviewCounts, trafficSeries } from './pages-queries.js';
import { canAct, CHART_ASSETS, doneMessage, page, parseIntParam, problem, type Ctx } from './pages-common.js';
import type { WebDeps } from './deps.js';
import { attentionSection, overviewPage, type AttentionData } from './views/overview.js';
import { deviceName } from './views/devices.js';
import { incidentViewsOf } from './pages-alerts.js';
import { parseRange } from './range.js';
import { topLists, type TopDevice } from './top-queries.js';
import { geoShares } from './geo-summary.js';
import { gatewayMac } from './device-facts.js';
import { liveStamp } from './live-stamp.js';

/** incidents shown in "Needs attention" (the rest are a link away) */
export const ATTENTION_ROWS = 8;

const HOUR_US = 3_600_000_000;

/** Display names of the devices behind `macs` (label, else hostname), one primary-key lookup each. */
export function namesFor(store: Store, macs: Iterable<string | null>): Map<string, string> {
  const out = new Map<string, string>();
  for (const mac of macs) {
    if (mac === null || out.has(mac)) continue;
    const d = store.devices.get(mac);
    const n = d === undefined ? null : deviceName(d);
    if (n !== null) out.set(mac, n);
  }
  return out;
}

/**
 * Open incidents that nobody acknowledged or muted, most severe first. Acknowledged and muted ones are left
 * out by the query, before the list is cut to ATTENTION_ROWS, so a mute never shortens the list.
 */
export function attentionDataOf(deps: WebDeps, who: { csrf: string; canAct: boolean }): AttentionData {
  const store = deps.store;
  const rows = store.incidents.query({ state: 'open', acknowledged: false, muted: false, order: 'severity', limit: ATTENTION_ROWS });
  return { rows, bySeverity: store.incidents.needsAttentionBySeverity(), views: incidentViewsOf(deps, who, rows, '/') };
}

export function attentionData(c: Ctx): AttentionData {
  return attentionDataOf(c.get('deps'), { csrf: c.get('csrf'), canAct: canAct(c) });
}

/** Names of the top devices: the label or hostname, else "Gateway" for the router. */
function topDeviceNames(store: Store, devices: string[]): Map<string, string> {
  const names = namesFor(store, devices);
  const gw = gatewayMac(store);
  if (gw !== null && !names.has(gw)) names.set(gw, 'Gateway');
  return names;
}

/**
 * The top devices with the rows of bare addresses that belong to a known device added to that device: the
 * rollups key an endpoint seen without a MAC by its IP, and the camera showed up twice, once by name and once
 * as 192.168.1.30. Addresses nobody owns stay as they are.
 */
export function foldKnownAddresses(store: Store, rows: readonly TopDevice[]): TopDevice[] {
  const owner = store.db.prepare('SELECT mac FROM device_addresses WHERE ip = ? ORDER BY last_seen_us DESC LIMIT 1');
  const out = new Map<string, TopDevice>();
  for (const r of rows) {
    const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(r.device) ? r.device : ((owner.get(r.device) as { mac: string } | undefined)?.mac ?? r.device);
    const had = out.get(mac);
    if (had === undefined) out.set(mac, { device: mac, bytesOut: r.bytesOut, bytesIn: r.bytesIn });
    else [had.bytesOut, had.bytesIn] = [had.bytesOut + r.bytesOut, had.bytesIn + r.bytesIn];
  }
  return [...out.values()].sort((a, b) => b.bytesOut + b.bytesIn - (a.bytesOut + a.bytesIn) || (a.device < b.device ? -1 : 1));
}

export function registerOverviewPages(app: Hono<WebEnv>): void {
  app.get('/', (c) => {
    const range = parseRange(c.req.query('range'));
    if (typeof range === 'string') return problem(c, 400, range, 'overview');
    const deps = c.get('deps');
    const store = deps.store;
    const nowUs = deps.nowUs();
    const counts = overviewCounts(store, nowUs);
    const listed = topLists(store, nowUs - range.hours * HOUR_US, nowUs + 1);
    const tops = { ...listed, devices: foldKnownAddresses(store, listed.devices) };
    const body = overviewPage({
      range,
      tops,
      geo: deps.geo != null ? { where: (ip: string) => deps.geo!.lookup(ip), shares: geoShares(tops.remoteSample, deps.geo, 6) } : null,
      topNames: topDeviceNames(store, tops.devices.map((d) => d.device)),
      capture: deps.capture(),
      captureTaken: liveStamp(),
      nowUs,
      byLevel: counts.byLevel,
      deviceCount: store.devices.count(),
      pendingActions: counts.pending,
      activeActions: counts.active,
      attention: attentionData(c),
      model: deps.models.status(),
      message: doneMessage(c),
    });
    return page(c, 'Overview', 'overview', body, CHART_ASSETS);
  });

  /** "Needs attention" alone (the live stream's fallback and htmx refreshes). */
  app.get('/ui/overview/attention', (c) => c.html(attentionSection(attentionData(c)).value));

  /** Chart data: hourly traffic from the rollups and the anomaly rate in buckets of hours/48 (≥ 5 min). */
  app.get('/ui/overview/series', (c) => {
    const hours = parseIntParam(c.req.query('hours')) ?? 24;
    if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) return problem(c, 400, 'hours must be a whole number from 1 to 2160');
    const deps = c.get('deps');
    const nowUs = deps.nowUs();
    const fromUs = nowUs - hours * HOUR_US;
    const bucketUs = Math.max(300_000_000, Math.floor((hours * HOUR_US) / 48));
    return c.json({
      fromS: fromUs / 1e6,
      toS: nowUs / 1e6,
      bucketS: bucketUs / 1e6,
      traffic: trafficSeries(deps.store, fromUs - (fromUs % HOUR_US), nowUs + 1),
      anomaly: anomalySeries(deps.store, fromUs, nowUs + 1, bucketUs),
    });
  });
}
