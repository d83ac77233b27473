/**
 * Device pages and their actions: the table (GET /devices), one device (GET /devices/:mac), its trust chart
 * data (GET /ui/devices/:mac/trust), rename, quarantine, allow-list and scan-now. Every response action goes
 * through deps.actions, the same policy and audit path the automatic responses take.
 *
 * Audit verbs written here (beside the ones deps.actions writes):
 * - device.label: an admin renamed a device (detail: from, to)
 * - device.type: an admin set or cleared the device's type (detail: from, to; null = guessed)
 * - device.scan.request: an admin asked for a scan and no scanner is attached
 */
import type { Hono } from 'hono';
import { TRUST_LEVELS } from '../trust/types.js';
import type { ActionResult } from '../respond/types.js';
import type { WebEnv } from './env.js';
import { audit } from './web-context.js';
import { geoShares } from './geo-summary.js';
import { DEVICE_SORT_KEYS, deviceTable, dnsNames, openActions, topDestinations, trustPoints, type DeviceSort } from './pages-queries.js';
import { canAct, CHART_ASSETS, cleanText, doneMessage, form, page, parseIntParam, parseMac, problem, redirectDone, refuse, userOf, type Ctx } from './pages-common.js';
import { recommendationsFor } from './pages-recommend.js';
import { devicePage } from './views/device.js';
import { deviceFacts, deviceTraffic, gatewayMac, scannedPorts } from './device-facts.js';
import { DEVICE_TYPE_KEYS } from '../device-type/guess.js';
import { devicesPage, devicesTable, type DevicesPageData } from './views/devices.js';
import { isMuted, loadMutes } from './pages-mutes.js';
import { incidentViews } from './pages-alerts.js';
import { parseRange } from './range.js';

/** destinations of a device summed by country and network on its page */
const GEO_DESTINATIONS = 500;

const DAY_US = 86_400_000_000;
const HOUR_US = 3_600_000_000;
const PAGE_SIZE = 50;

function devicesData(c: Ctx): DevicesPageData | string {
  const q = cleanText(c.req.query('q') ?? '', 100);
  if (q === null) return 'the search text must be one line of at most 100 characters';
  const level = c.req.query('level') ?? '';
  if (level !== '' && level !== 'unknown' && !(TRUST_LEVELS as readonly string[]).includes(level)) return `level must be one of ${TRUST_LEVELS.join(', ')}, unknown`;
  const sort = (c.req.query('sort') ?? 'trust') as DeviceSort;
  if (!DEVICE_SORT_KEYS.includes(sort)) return `sort must be one of ${DEVICE_SORT_KEYS.join(', ')}`;
  const dir = c.req.query('dir') ?? (sort === 'seen' ? 'desc' : 'asc');
  if (dir !== 'asc' && dir !== 'desc') return 'dir must be asc or desc';
  const pageNo = parseIntParam(c.req.query('page')) ?? 1;
  if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > 100_000) return 'page must be a whole number from 1';
  const deps = c.get('deps');
  const filter = { q, level, sort, desc: dir === 'desc', page: pageNo - 1, pageSize: PAGE_SIZE };
  const { rows, total } = deviceTable(deps.store, { search: q, level, sort, desc: filter.desc, page: filter.page, pageSize: PAGE_SIZE });
  const spark = new Map(rows.map((r) => [r.mac, trustPoints(deps.store, r.mac)]));
  const nowUs = deps.nowUs();
  const gw = gatewayMac(deps.store);
  const ports = scannedPorts(deps.store, rows.map((r) => r.mac));
  const facts = new Map(rows.map((r) => [r.mac, deviceFacts(r, nowUs, gw, ports.get(r.mac))]));
  return { rows, spark, facts, total, filter, nowUs, message: doneMessage(c) };
}

/** Looks up the device of the route's :mac, or answers 400/404. */
function deviceOf(c: Ctx): { mac: string } | Response {
  const mac = parseMac(c.req.param('mac'));
  if (mac === null) return problem(c, 400, `'${c.req.param('mac') ?? ''}' is not a MAC address (aa:bb:cc:dd:ee:ff)`, 'devices');
  if (c.get('deps').store.devices.get(mac) === undefined) return problem(c, 404, `no device with MAC ${mac}`, 'devices');
  return { mac };
}

function actionDone(c: Ctx, r: ActionResult, mac: string, code: string): Response {
  if (!r.ok) return refuse(c, 409, r.error, `/devices/${mac}`);
  return redirectDone(c, `/devices/${mac}`, code);
}

export function registerDevicePages(app: Hono<WebEnv>): void {
  app.get('/devices', (c) => {
    const d = devicesData(c);
    if (typeof d === 'string') return problem(c, 400, d, 'devices');
    // htmx filter requests get the table alone; a plain GET gets the whole page
    if (c.req.header('hx-request') !== undefined) return c.html(devicesTable(d).value);
    return page(c, 'Devices', 'devices', devicesPage(d));
  });

  app.get('/devices/:mac', (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const range = parseRange(c.req.query('range'));
    if (typeof range === 'string') return problem(c, 400, range, 'devices');
    const deps = c.get('deps');
    const store = deps.store;
    const device = store.devices.get(dev.mac)!;
    // windows are anchored at the device's last sighting: a replayed capture's devices are "last seen" in the past
    const fromUs = device.lastSeenUs - range.hours * HOUR_US;
    const changes = store.devices
      .trustHistory(dev.mac, device.lastSeenUs - 30 * DAY_US)
      .filter((h) => h.explanation.length > 0)
      .slice(-30)
      .reverse();
    const mutes = loadMutes(store);
    const alerts = store.alerts.query({ mac: dev.mac, limit: 30 }).filter((a) => !isMuted(mutes, a));
    const incidents = store.incidents.query({ device: dev.mac, limit: 10 });
    const scan = store.registry.scans({ mac: dev.mac, limit: 1 })[0] ?? null;
    const allowListed = deps.actions.allowListEntries().some((e) => e.entry.toLowerCase() === dev.mac);
    const flows = store.flows.query({ mac: dev.mac, fromUs, limit: 15 });
    const names = dnsNames(store, dev.mac, fromUs);
    // TLS SNI and HTTP Host of the recent flows name their destinations too (DNS answers win)
    for (const f of flows) {
      const n = f.detail.tlsSni ?? f.detail.httpHost;
      if (n !== null && !names.has(f.dstIp)) names.set(f.dstIp, n);
    }
    const nowUs = deps.nowUs();
    // the top ten are shown; the summary by country and network reads further down the list
    const dests = topDestinations(store, dev.mac, fromUs, deps.geo != null ? GEO_DESTINATIONS : 10);
    const body = devicePage({
      range,
      device,
      facts: deviceFacts(device, nowUs, gatewayMac(store), scannedPorts(store, [dev.mac]).get(dev.mac)),
      traffic: deviceTraffic(store, dev.mac, fromUs, device.lastSeenUs + 1),
      addresses: store.devices.addresses(dev.mac),
      changes,
      flows,
      names,
      top: dests.slice(0, 10),
      geo: deps.geo != null ? { where: (ip: string) => deps.geo!.lookup(ip), shares: geoShares(dests, deps.geo) } : null,
      scan,
      alerts,
      incidents: { rows: incidents, views: incidentViews(c, incidents, `/devices/${dev.mac}`) },
      recommendations: recommendationsFor(device, alerts, scan, deps.recommend?.(device.mac) ?? null),
      actions: openActions(store, dev.mac),
      allowListed,
      dryRun: deps.actions.dryRun,
      scanOffered: deps.config.mode !== 'replay',
      nowUs,
      csrf: c.get('csrf'),
      canAct: canAct(c),
      message: doneMessage(c),
    });
    return page(c, device.label ?? device.hostname ?? dev.mac, 'devices', body, CHART_ASSETS);
  });

  app.post('/devices/:mac/type', async (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const type = ((await form(c))['type'] ?? '').trim();
    if (type !== '' && !(DEVICE_TYPE_KEYS as string[]).includes(type)) return refuse(c, 400, `the type must be one of ${DEVICE_TYPE_KEYS.join(', ')}`, `/devices/${dev.mac}`);
    const store = c.get('deps').store;
    const before = store.devices.get(dev.mac)!.deviceType;
    const to = type === '' ? null : type;
    store.db.transaction(() => {
      store.devices.setType(dev.mac, to);
      audit(c.get('deps'), { actor: userOf(c).username, action: 'device.type', target: dev.mac, detail: { from: before, to } });
    })();
    return redirectDone(c, `/devices/${dev.mac}`, 'type-set');
  });

  /** Trust history for the chart: score and its three components, at most ~1,000 points over `days` (default 7). */
  app.get('/ui/devices/:mac/trust', (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const days = parseIntParam(c.req.query('days')) ?? 7;
    if (!Number.isInteger(days) || days < 1 || days > 90) return problem(c, 400, 'days must be a whole number from 1 to 90');
    const store = c.get('deps').store;
    const last = store.devices.get(dev.mac)!.lastSeenUs;
    const rows = store.devices.trustHistory(dev.mac, last - days * DAY_US);
    const step = Math.max(1, Math.ceil(rows.length / 1000));
    const pick = rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
    return c.json({
      t: pick.map((r) => r.tsUs / 1e6),
      score: pick.map((r) => r.score),
      behavioral: pick.map((r) => r.behavioral),
      vulnerability: pick.map((r) => r.vulnerability),
      reputation: pick.map((r) => r.reputation),
    });
  });

  app.post('/devices/:mac/label', async (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const f = await form(c);
    const label = cleanText(f['label'] ?? '', 64);
    if (label === null) return refuse(c, 400, 'the name must be one line of at most 64 characters', `/devices/${dev.mac}`);
    const store = c.get('deps').store;
    const before = store.devices.get(dev.mac)!.label;
    const to = label === '' ? null : label;
    store.db.transaction(() => {
      store.devices.setLabel(dev.mac, to);
      audit(c.get('deps'), { actor: userOf(c).username, action: 'device.label', target: dev.mac, detail: { from: before, to } });
    })();
    return redirectDone(c, `/devices/${dev.mac}`, 'renamed');
  });

  app.post('/devices/:mac/quarantine', async (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const reason = cleanText((await form(c))['reason'] ?? '', 200);
    if (reason === null) return refuse(c, 400, 'the reason must be one line of at most 200 characters', `/devices/${dev.mac}`);
    const r = c.get('deps').actions.quarantine(dev.mac, userOf(c).username, reason === '' ? 'quarantined from the dashboard' : reason);
    return actionDone(c, r, dev.mac, 'quarantined');
  });

  app.post('/devices/:mac/allow', async (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const reason = cleanText((await form(c))['reason'] ?? '', 200);
    if (reason === null) return refuse(c, 400, 'the reason must be one line of at most 200 characters', `/devices/${dev.mac}`);
    const r = c.get('deps').actions.allowList(dev.mac, userOf(c).username, reason === '' ? undefined : reason);
    return actionDone(c, r, dev.mac, 'allowed');
  });

  app.post('/devices/:mac/scan', (c) => {
    const dev = deviceOf(c);
    if (dev instanceof Response) return dev;
    const deps = c.get('deps');
    if (deps.config.mode === 'replay') return refuse(c, 409, 'replay mode: the devices of a capture file are not on this network, nothing is scanned', `/devices/${dev.mac}`);
    if (deps.scan !== undefined) return actionDone(c, deps.scan(dev.mac, userOf(c).username), dev.mac, 'scan');
    audit(deps, { actor: userOf(c).username, action: 'device.scan.request', target: dev.mac, reason: 'scan requested from the dashboard', detail: { scanner: 'none attached' } });
    return redirectDone(c, `/devices/${dev.mac}`, 'scan-recorded');
  });
}
