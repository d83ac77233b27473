/** GET / (overview) and its chart data, GET /ui/overview/series. */
import type { Hono } from 'hono';
import type { Store } from '../store/db.js';
import type { WebEnv } from './env.js';
import { anomalySeries, overviewCounts, trafficSeries } from './pages-queries.js';
import { canAct, CHART_ASSETS, page, parseIntParam, problem } from './pages-common.js';
import { overviewPage } from './views/overview.js';
import { deviceName } from './views/devices.js';
import { isMuted, loadMutes } from './pages-mutes.js';

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

export function registerOverviewPages(app: Hono<WebEnv>): void {
  app.get('/', (c) => {
    const deps = c.get('deps');
    const store = deps.store;
    const nowUs = deps.nowUs();
    const mutes = loadMutes(store);
    const recent = store.alerts.query({ limit: 40 }).filter((a) => !isMuted(mutes, a)).slice(0, 15);
    const counts = overviewCounts(store, nowUs);
    const body = overviewPage({
      capture: deps.capture(),
      nowUs,
      byLevel: counts.byLevel,
      deviceCount: store.devices.count(),
      alerts24h: counts.alerts24h,
      pendingActions: counts.pending,
      activeActions: counts.active,
      recent,
      names: namesFor(store, recent.map((a) => a.srcMac)),
      csrf: c.get('csrf'),
      canAct: canAct(c),
    });
    return page(c, 'Overview', 'overview', body, CHART_ASSETS);
  });

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
