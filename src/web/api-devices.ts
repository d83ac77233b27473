/**
 * /api/v1/devices: the inventory, one device with everything known about it, and its label.
 *
 * Audit verb: device.label (target: the MAC; detail: old and new label).
 */
import type { Hono } from 'hono';
import { TRUST_LEVELS } from '../trust/types.js';
import type { WebEnv } from './env.js';
import { ApiError, body, int, mac, oneOf, onlyFields, onlyQuery, text } from './api-input.js';
import { audit, type WebContext } from './web-context.js';
import { alertJson, deviceJson } from './api-json.js';
import { scannedPorts } from './device-facts.js';

const DAY_US = 86_400_000_000;
/** trust history points returned with one device: the newest this many of the last 30 days */
const TRUST_POINTS = 500;

export function registerDeviceApi(api: Hono<WebEnv>, ctx: WebContext): void {
  const store = ctx.deps.store;

  api.get('/devices', (c) => {
    const q = onlyQuery(c, ['search', 'level', 'sort', 'limit', 'offset']);
    const limit = int(q.limit, 'limit', { min: 1, max: 1000, def: 100 })!;
    const offset = int(q.offset, 'offset', { min: 0, max: 1_000_000, def: 0 })!;
    const devices = store.devices.query({
      search: text(q.search, 'search', { max: 100 }),
      trustLevel: oneOf(q.level, 'level', TRUST_LEVELS),
      orderBy: oneOf(q.sort, 'sort', ['lastSeen', 'trust', 'mac'] as const),
      limit,
      offset,
    });
    const ports = scannedPorts(store, devices.map((d) => d.mac));
    return c.json({ devices: devices.map((d) => deviceJson(store, d, ports.get(d.mac) ?? [])), limit, offset });
  });

  api.get('/devices/:mac', (c) => {
    onlyQuery(c, []);
    const m = mac(c.req.param('mac'), 'mac');
    const device = store.devices.get(m);
    if (device === undefined) throw new ApiError(404, `no device ${m}`);
    const history = store.devices.trustHistory(m, ctx.deps.nowUs() - 30 * DAY_US);
    return c.json({
      device: deviceJson(store, device),
      addresses: store.devices.addresses(m),
      trustHistory: history.slice(-TRUST_POINTS),
      alerts: store.alerts.query({ mac: m, limit: 50 }).map(alertJson),
      actions: store.actions.query({ mac: m, limit: 50 }),
      scans: store.registry.scans({ mac: m, limit: 20 }),
    });
  });

  api.patch('/devices/:mac', async (c) => {
    const m = mac(c.req.param('mac'), 'mac');
    const b = await body(c);
    onlyFields(b, ['label']);
    if (!('label' in b)) throw new ApiError(400, 'label is required (a string, or null to remove it)');
    const label = b.label === null ? null : (text(b.label, 'label', { max: 64 }) ?? null);
    const before = store.devices.get(m);
    if (before === undefined) throw new ApiError(404, `no device ${m}`);
    const user = c.get('user')!;
    store.db.transaction(() => {
      store.devices.setLabel(m, label);
      audit(ctx.deps, { actor: user.username, action: 'device.label', target: m, detail: { from: before.label, to: label, via: c.get('auth') } });
    })();
    return c.json({ device: deviceJson(store, store.devices.get(m)!) });
  });
}
