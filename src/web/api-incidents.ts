/**
 * /api/v1/incidents: alerts grouped per device, kind and target (src/incidents), with severity as a word
 * (low, medium, high, critical) as the dashboard shows it.
 *
 *   GET  /incidents?state&severity&kind&mac&acknowledged&muted&limit&before   newest first; `next` is the cursor
 *        (severity: at least this severe; muted incidents are left out unless muted=true or muted=any)
 *   GET  /incidents/:id                  the incident and its newest 100 member alerts
 *   POST /incidents/:id/ack {acknowledged}   the incident and every member alert
 *   POST /incidents/:id/mute {muted}     mutes (or unmutes) this kind of incident of this device
 *
 * Audit verbs: incident.ack (target: the incident id), alert.mute / alert.unmute (target: the MAC).
 */
import type { Hono } from 'hono';
import { ALERT_KINDS } from '../detectors/alert.js';
import { INCIDENT_SEVERITIES } from '../incidents/types.js';
import type { IncidentRow } from '../store/incidents.js';
import type { WebEnv } from './env.js';
import { ApiError, body, int, mac, oneOf, onlyFields, onlyQuery } from './api-input.js';
import { addMute, removeMute } from './pages-mutes.js';
import { incidentsChanged } from './sse.js';
import { audit, type WebContext } from './web-context.js';

const ID_RE = /^[\x21-\x7e]{1,200}$/;

function cursor(i: IncidentRow): string {
  return Buffer.from(JSON.stringify([i.lastUs, i.id])).toString('base64url');
}

function parseCursor(s: string | undefined): { lastUs: number; id: string } | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && ID_RE.test(v[1])) return { lastUs: v[0] as number, id: v[1] };
  } catch {
    // falls through to the refusal below
  }
  throw new ApiError(400, "before must be the 'next' value of a previous response");
}

function flag(v: unknown, name: string, def: boolean): boolean {
  if (v === undefined) return def;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw new ApiError(400, `${name} must be true or false`);
}

/** The API's view of an incident: the row without the in-memory id list. */
function out(i: IncidentRow): Omit<IncidentRow, 'alertIds'> {
  const { alertIds: _ids, ...rest } = i;
  return rest;
}

export function registerIncidentApi(api: Hono<WebEnv>, ctx: WebContext): void {
  const store = ctx.deps.store;
  const find = (id: string): IncidentRow => {
    if (!ID_RE.test(id)) throw new ApiError(400, 'id must be an incident id (1–200 printable characters)');
    const i = store.incidents.get(id);
    if (i === undefined) throw new ApiError(404, `no incident ${id}`);
    return i;
  };

  api.get('/incidents', (c) => {
    const q = onlyQuery(c, ['state', 'severity', 'kind', 'mac', 'acknowledged', 'muted', 'limit', 'before']);
    const limit = int(q.limit, 'limit', { min: 1, max: 500, def: 50 })!;
    const muted = q.muted === 'any' ? undefined : flag(q.muted, 'muted', false);
    const rows = store.incidents.query({
      state: oneOf(q.state, 'state', ['open', 'closed'] as const),
      minSeverity: oneOf(q.severity, 'severity', INCIDENT_SEVERITIES),
      kind: oneOf(q.kind, 'kind', ALERT_KINDS),
      device: q.mac === undefined ? undefined : mac(q.mac, 'mac'),
      acknowledged: q.acknowledged === undefined ? undefined : flag(q.acknowledged, 'acknowledged', false),
      muted,
      before: parseCursor(q.before),
      limit,
    });
    const last = rows[rows.length - 1];
    return c.json({ incidents: rows.map(out), next: rows.length === limit && last !== undefined ? cursor(last) : null });
  });

  api.get('/incidents/:id', (c) => {
    const i = find(c.req.param('id'));
    return c.json({ incident: out(i), alerts: store.alerts.query({ incidentId: i.id, limit: 100 }), alertsStored: store.incidents.memberCount(i.id) });
  });

  api.post('/incidents/:id/ack', async (c) => {
    const i = find(c.req.param('id'));
    const b = await body(c);
    onlyFields(b, ['acknowledged']);
    const ack = flag(b.acknowledged, 'acknowledged', true);
    const user = c.get('user')!;
    store.flush();
    store.db.transaction(() => {
      store.incidents.acknowledge(i.id, ack);
      audit(ctx.deps, { actor: user.username, action: 'incident.ack', target: i.id, detail: { acknowledged: ack, via: c.get('auth') } });
    })();
    incidentsChanged(ctx.deps);
    return c.json({ incident: out(store.incidents.get(i.id)!) });
  });

  api.post('/incidents/:id/mute', async (c) => {
    const i = find(c.req.param('id'));
    const b = await body(c);
    onlyFields(b, ['muted']);
    const muted = flag(b.muted, 'muted', true);
    if (i.srcMac === null) throw new ApiError(409, 'this incident has no device MAC: mutes are per device');
    const user = c.get('user')!;
    if (muted && !addMute(store, { mac: i.srcMac, kind: i.kind, actor: user.username, sinceUs: ctx.deps.nowUs() })) throw new ApiError(409, 'too many mutes: remove some first');
    if (!muted) removeMute(store, i.srcMac, i.kind, ctx.deps.nowUs());
    store.incidents.setMuted(i.srcMac, i.kind, muted);
    audit(ctx.deps, { actor: user.username, action: muted ? 'alert.mute' : 'alert.unmute', target: i.srcMac, detail: { kind: i.kind, incident: i.id, via: c.get('auth') } });
    incidentsChanged(ctx.deps);
    return c.json({ incident: out(store.incidents.get(i.id)!) });
  });
}
