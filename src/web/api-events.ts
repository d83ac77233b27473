/**
 * /api/v1/alerts and /api/v1/flows: what the detectors and models raised, and the flow records behind it.
 *
 * Paging: newest first. A response carries `next` (null on the last page); pass it back as `before` (alerts,
 * an opaque cursor) or `beforeId` (flows, a row id) for the following page.
 *
 * Audit verb: alert.ack (target: the alert id; detail: acknowledged true/false).
 */
import type { Hono } from 'hono';
import { ALERT_KINDS } from '../detectors/alert.js';
import type { WebEnv } from './env.js';
import { ApiError, body, int, ip, mac, oneOf, onlyFields, onlyQuery, time } from './api-input.js';
import { audit, type WebContext } from './web-context.js';
import { alertJson, parseSeverity } from './api-json.js';

/**
 * alert ids are assigned by detectors: `${kind}:${source}:${target}:${startUs}` and the like. The target may be
 * wire data (a DNS name with spaces, '/', '%'), so any id of 1–1000 characters without control characters is
 * accepted, percent-encoded in the path (`encodeURIComponent`); see detectors/alert-id.ts for ids that need no
 * encoding.
 */
// eslint-disable-next-line no-control-regex
const ALERT_ID_RE = /^[^\u0000-\u001f\u007f]{1,1000}$/u;

function alertCursor(tsUs: number, id: string): string {
  return Buffer.from(JSON.stringify([tsUs, id])).toString('base64url');
}

function parseAlertCursor(s: string | undefined): { tsUs: number; id: string } | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && ALERT_ID_RE.test(v[1])) {
      return { tsUs: v[0] as number, id: v[1] };
    }
  } catch {
    // falls through to the refusal below
  }
  throw new ApiError(400, "before must be the 'next' value of a previous response");
}

function bool(s: string | undefined, name: string): boolean | undefined {
  if (s === undefined || s === '') return undefined;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new ApiError(400, `${name} must be true or false`);
}

export function registerEventApi(api: Hono<WebEnv>, ctx: WebContext): void {
  const store = ctx.deps.store;

  api.get('/alerts', (c) => {
    const q = onlyQuery(c, ['severity', 'kind', 'mac', 'ip', 'since', 'until', 'acknowledged', 'limit', 'before']);
    const limit = int(q.limit, 'limit', { min: 1, max: 1000, def: 100 })!;
    const maxSeverity = parseSeverity(q.severity);
    if (maxSeverity === null) throw new ApiError(400, 'severity must be high, medium or low (or 1, 2, 3): alerts at least that severe');
    const alerts = store.alerts.query({
      maxSeverity,
      kind: oneOf(q.kind, 'kind', ALERT_KINDS),
      mac: q.mac === undefined ? undefined : mac(q.mac, 'mac'),
      srcIp: q.ip === undefined ? undefined : ip(q.ip, 'ip'),
      fromUs: time(q.since, 'since'),
      toUs: time(q.until, 'until'),
      acknowledged: bool(q.acknowledged, 'acknowledged'),
      before: parseAlertCursor(q.before),
      limit,
    });
    const last = alerts[alerts.length - 1];
    return c.json({ alerts: alerts.map(alertJson), next: alerts.length === limit && last !== undefined ? alertCursor(last.tsUs, last.id) : null });
  });

  api.post('/alerts/:id/ack', async (c) => {
    const id = c.req.param('id');
    if (!ALERT_ID_RE.test(id)) throw new ApiError(400, 'id must be an alert id (1–1000 characters without control characters, percent-encoded in the path)');
    const b = await body(c);
    onlyFields(b, ['acknowledged']);
    if (b.acknowledged !== undefined && typeof b.acknowledged !== 'boolean' && b.acknowledged !== 'true' && b.acknowledged !== 'false') {
      throw new ApiError(400, 'acknowledged must be true or false');
    }
    const ack = b.acknowledged === undefined || b.acknowledged === true || b.acknowledged === 'true';
    if (store.alerts.get(id) === undefined) throw new ApiError(404, `no alert ${id}`);
    const user = c.get('user')!;
    store.db.transaction(() => {
      store.alerts.acknowledge(id, ack);
      audit(ctx.deps, { actor: user.username, action: 'alert.ack', target: id, detail: { acknowledged: ack, via: c.get('auth') } });
    })();
    return c.json({ alert: alertJson(store.alerts.get(id)!) });
  });

  api.get('/flows', (c) => {
    const q = onlyQuery(c, ['mac', 'ip', 'since', 'until', 'limit', 'beforeId']);
    const limit = int(q.limit, 'limit', { min: 1, max: 1000, def: 100 })!;
    const flows = store.flows.query({
      mac: q.mac === undefined ? undefined : mac(q.mac, 'mac'),
      ip: q.ip === undefined ? undefined : ip(q.ip, 'ip'),
      fromUs: time(q.since, 'since'),
      toUs: time(q.until, 'until'),
      beforeId: int(q.beforeId, 'beforeId', { min: 1, max: Number.MAX_SAFE_INTEGER }),
      limit,
    });
    const last = flows[flows.length - 1];
    return c.json({ flows, next: flows.length === limit && last !== undefined ? last.id : null });
  });
}
