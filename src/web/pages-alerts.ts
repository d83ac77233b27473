/**
 * GET /alerts (filter by severity, device, kind; keyset-paged), POST /alerts/:id/ack, POST /alerts/mute and
 * /alerts/unmute.
 *
 * Audit verbs written here:
 * - alert.ack: an admin acknowledged an alert (target: the alert id)
 * - alert.mute / alert.unmute: a kind muted or unmuted for a device (target: the MAC; detail: kind)
 */
import type { AlertKind, Severity } from '../detectors/alert.js';
import type { Hono } from 'hono';
import { ALERT_KINDS } from '../detectors/alert.js';
import type { WebEnv } from './env.js';
import { audit } from './web-context.js';
import { canAct, doneMessage, form, page, parseIntParam, parseMac, problem, redirectDone, userOf, type Ctx } from './pages-common.js';
import { namesFor } from './pages-overview.js';
import { addMute, isMuted, loadMutes, removeMute } from './pages-mutes.js';
import { alertRow, alertsPage } from './views/alerts.js';

const PAGE_SIZE = 50;

export function registerAlertPages(app: Hono<WebEnv>): void {
  app.get('/alerts', (c) => {
    const sevText = c.req.query('severity') ?? '';
    const severity = parseIntParam(sevText);
    if (severity !== undefined && !(severity >= 1 && severity <= 3)) return problem(c, 400, 'severity must be 1 (high), 2 (medium) or 3 (low)', 'alerts');
    const kind = c.req.query('kind') ?? '';
    if (kind !== '' && !(ALERT_KINDS as readonly string[]).includes(kind)) return problem(c, 400, `unknown alert kind '${kind}'`, 'alerts');
    const macText = (c.req.query('mac') ?? '').trim();
    const mac = macText === '' ? '' : parseMac(macText);
    if (mac === null) return problem(c, 400, `'${macText}' is not a MAC address (aa:bb:cc:dd:ee:ff)`, 'alerts');
    const beforeText = c.req.query('before');
    let before: { tsUs: number; id: string } | undefined;
    if (beforeText !== undefined && beforeText !== '') {
      const m = /^(\d{1,16})~(.{1,300})$/s.exec(beforeText);
      if (m === null) return problem(c, 400, 'before must be a cursor from an "Older" link', 'alerts');
      before = { tsUs: Number(m[1]), id: m[2]! };
    }
    const unacked = c.req.query('unacked') === '1';
    const store = c.get('deps').store;
    const fetched = store.alerts.query({
      maxSeverity: severity as Severity | undefined,
      kind: kind === '' ? undefined : (kind as AlertKind),
      mac: mac === '' ? undefined : mac,
      acknowledged: unacked ? false : undefined,
      before,
      limit: PAGE_SIZE,
    });
    const mutes = loadMutes(store);
    // muted kinds stay visible when the list is filtered down to one device
    const rows = mac === '' ? fetched.filter((a) => !isMuted(mutes, a)) : fetched;
    const last = fetched[fetched.length - 1];
    const body = alertsPage({
      rows,
      names: namesFor(store, rows.map((a) => a.srcMac)),
      filter: { severity: severity ?? null, mac, kind, unacked },
      next: fetched.length === PAGE_SIZE && last !== undefined ? `${last.tsUs}~${last.id}` : null,
      mutes,
      csrf: c.get('csrf'),
      canAct: canAct(c),
      message: doneMessage(c),
    });
    return page(c, 'Alerts', 'alerts', body);
  });

  app.post('/alerts/:id/ack', (c) => {
    const id = c.req.param('id');
    const deps = c.get('deps');
    const a = deps.store.alerts.get(id);
    if (a === undefined) return problem(c, 404, `no alert with id ${id}`, 'alerts');
    deps.store.db.transaction(() => {
      deps.store.alerts.acknowledge(id, true);
      audit(deps, { actor: userOf(c).username, action: 'alert.ack', target: id, detail: { kind: a.kind, srcMac: a.srcMac } });
    })();
    if (c.req.header('hx-request') !== undefined) {
      const row = alertRow({ ...a, acknowledged: true }, { csrf: c.get('csrf'), canAct: true, deviceName: namesFor(deps.store, [a.srcMac]).get(a.srcMac ?? '') ?? null });
      return c.html(row.value);
    }
    return redirectDone(c, '/alerts', 'acked');
  });

  const muteInput = async (c: Ctx): Promise<{ mac: string; kind: string } | Response> => {
    const f = await form(c);
    const mac = parseMac(f['mac']);
    if (mac === null) return problem(c, 400, `'${f['mac'] ?? ''}' is not a MAC address (aa:bb:cc:dd:ee:ff)`, 'alerts');
    const kind = f['kind'] ?? '';
    if (!(ALERT_KINDS as readonly string[]).includes(kind)) return problem(c, 400, `unknown alert kind '${kind}'`, 'alerts');
    return { mac, kind };
  };

  app.post('/alerts/mute', async (c) => {
    const m = await muteInput(c);
    if (m instanceof Response) return m;
    const deps = c.get('deps');
    const actor = userOf(c).username;
    if (!addMute(deps.store, { mac: m.mac, kind: m.kind, actor, sinceUs: deps.nowUs() })) return problem(c, 409, 'too many mutes: remove some first', 'alerts');
    audit(deps, { actor, action: 'alert.mute', target: m.mac, detail: { kind: m.kind } });
    return redirectDone(c, '/alerts', 'muted');
  });

  app.post('/alerts/unmute', async (c) => {
    const m = await muteInput(c);
    if (m instanceof Response) return m;
    const deps = c.get('deps');
    if (!removeMute(deps.store, m.mac, m.kind, deps.nowUs())) return problem(c, 404, `${m.kind} is not muted for ${m.mac}`, 'alerts');
    audit(deps, { actor: userOf(c).username, action: 'alert.unmute', target: m.mac, detail: { kind: m.kind } });
    return redirectDone(c, '/alerts', 'unmuted');
  });
}
