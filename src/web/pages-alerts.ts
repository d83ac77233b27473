/**
 * The Alerts page lists incidents (src/incidents: alerts grouped per device, kind and target), and every action
 * on an incident: GET /alerts (filter by severity word, kind, device, state; keyset-paged), GET /incidents/:id
 * (one incident with its member alerts), POST /incidents/:id/{ack,mute,unmute,quarantine,release,allow},
 * POST /incidents/ack (bulk: the selected ones or all that match the filter). The single-alert routes stay for
 * the device page's detail: POST /alerts/:id/ack, POST /alerts/mute and /alerts/unmute.
 *
 * Every form answers with a 303 redirect back to the page it came from (`back`), so a reload never sends it
 * again. Mutes are applied in the query, before the list is cut to its length.
 *
 * Audit verbs written here (quarantine, release and allow are audited by deps.actions):
 * - alert.ack: an admin acknowledged one alert (target: the alert id)
 * - incident.ack: an admin acknowledged incidents and their member alerts (target: the incident id, or
 *   'bulk' with detail.ids / detail.filter)
 * - alert.mute / alert.unmute: a kind muted or unmuted for a device (target: the MAC; detail: kind, incident)
 */
import { isIP } from 'node:net';
import type { Hono } from 'hono';
import { lookupWorthy, type GeoLookup } from '../enrich/index.js';
import { geoCredit, whereOf } from './views/geo.js';
import { ALERT_KINDS, type AlertKind } from '../detectors/alert.js';
import { INCIDENT_SEVERITIES, type IncidentSeverity } from '../incidents/types.js';
import type { IncidentQuery, IncidentRow } from '../store/incidents.js';
import type { WebDeps } from './deps.js';
import type { WebEnv } from './env.js';
import { incidentsChanged } from './sse.js';
import { audit } from './web-context.js';
import { backTo, canAct, doneMessage, form, page, parseMac, problem, redirectDone, userOf, type Ctx } from './pages-common.js';
import { namesFor } from './pages-overview.js';
import { invalidateOverviewCounts, openActions } from './pages-queries.js';
import { addMute, loadMutes, removeMute } from './pages-mutes.js';
import { alertRow, alertTableHead, alertsPage } from './views/alerts.js';
import { evidenceWords } from './views/anomaly-words.js';
import { incidentCard, kindName, type IncidentViewOptions } from './views/incident.js';
import { html, type Html } from './html.js';

const PAGE_SIZE = 50;
/** most incidents one "Acknowledge all" touches (the rest stay for the next click) */
const BULK_MAX = 5000;

/**
 * The view options of each incident on a page: device names and open quarantines looked up once per device,
 * the forms coming back to `back`. `who` is the viewer (the live stream renders per client).
 */
export function incidentViewsOf(deps: WebDeps, who: { csrf: string; canAct: boolean }, rows: readonly IncidentRow[], back: string): (i: IncidentRow) => IncidentViewOptions {
  const names = namesFor(deps.store, rows.map((i) => i.srcMac));
  const quarantine = new Map<string, number | null>();
  for (const i of rows) {
    if (i.srcMac === null || quarantine.has(i.srcMac)) continue;
    const q = openActions(deps.store, i.srcMac).find((a) => a.kind === 'quarantine');
    quarantine.set(i.srcMac, q?.id ?? null);
  }
  const base = { csrf: who.csrf, canAct: who.canAct, back, dryRun: deps.actions.dryRun };
  return (i) => ({ ...base, deviceName: i.srcMac !== null ? (names.get(i.srcMac) ?? null) : null, quarantineId: i.srcMac !== null ? (quarantine.get(i.srcMac) ?? null) : null });
}

export function incidentViews(c: Ctx, rows: readonly IncidentRow[], back: string): (i: IncidentRow) => IncidentViewOptions {
  return incidentViewsOf(c.get('deps'), { csrf: c.get('csrf'), canAct: canAct(c) }, rows, back);
}

/** Severity filter: a word, or Suricata's 1–3 of older links (1 = high). */
export function parseSeverity(s: string | undefined): IncidentSeverity | '' | null {
  if (s === undefined || s === '') return '';
  if ((INCIDENT_SEVERITIES as readonly string[]).includes(s)) return s as IncidentSeverity;
  return s === '1' ? 'high' : s === '2' ? 'medium' : s === '3' ? 'low' : null;
}

interface Filter {
  severity: IncidentSeverity | '';
  kind: string;
  mac: string;
  state: string;
  unacked: boolean;
  muted: boolean;
}

function parseFilter(get: (k: string) => string | undefined): Filter | string {
  const severity = parseSeverity(get('severity'));
  if (severity === null) return `severity must be one of ${INCIDENT_SEVERITIES.join(', ')}`;
  const kind = get('kind') ?? '';
  if (kind !== '' && !(ALERT_KINDS as readonly string[]).includes(kind)) return `unknown alert kind '${kind}'`;
  const macText = (get('mac') ?? '').trim();
  const mac = macText === '' ? '' : parseMac(macText);
  if (mac === null) return `'${macText}' is not a MAC address (aa:bb:cc:dd:ee:ff)`;
  const state = get('state') ?? '';
  if (state !== '' && state !== 'open' && state !== 'closed') return 'state must be open or closed';
  return { severity, kind, mac, state, unacked: get('unacked') === '1', muted: get('muted') === '1' };
}

function queryOf(f: Filter): IncidentQuery {
  return {
    minSeverity: f.severity === '' ? undefined : f.severity,
    kind: f.kind === '' ? undefined : (f.kind as AlertKind),
    device: f.mac === '' ? undefined : f.mac,
    state: f.state === '' ? undefined : (f.state as 'open' | 'closed'),
    acknowledged: f.unacked ? false : undefined,
    // mutes are applied here, in the query: the list is cut to its length after them
    muted: f.muted ? undefined : false,
  };
}

function selfOf(f: Filter): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries({ severity: f.severity, kind: f.kind, mac: f.mac, state: f.state, unacked: f.unacked ? '1' : '', muted: f.muted ? '1' : '' })) if (v !== '') u.set(k, v);
  const s = u.toString();
  return s === '' ? '/alerts' : `/alerts?${s}`;
}

/** A local page to come back to; query strings of our own pages are allowed (filters), nothing else. */
export function backOf(v: string | undefined, fallback: string): string {
  if (v !== undefined && /^\/[A-Za-z0-9/_:.-]*(\?[A-Za-z0-9_.~:=&%+-]*)?$/.test(v) && !v.startsWith('//')) {
    // the message of an earlier action is not carried into the next one
    const [path, query] = v.split('?', 2) as [string, string | undefined];
    const rest = new URLSearchParams(query ?? '');
    rest.delete('done');
    const q = rest.toString();
    return q === '' ? path : `${path}?${q}`;
  }
  return backTo(v, fallback);
}

function incidentOf(c: Ctx): IncidentRow | Response {
  const id = c.req.param('id') ?? '';
  if (!/^[\x21-\x7e]{1,200}$/.test(id)) return problem(c, 400, 'not an incident id', 'alerts');
  const inc = c.get('deps').store.incidents.get(id);
  return inc ?? problem(c, 404, `no incident with id ${id}`, 'alerts');
}

/** Each distinct line once, in first-seen order, with how often it came (the anomaly flows of a scan repeat theirs). */
export function sameLinesOnce(lines: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m];
}

export function registerAlertPages(app: Hono<WebEnv>): void {
  app.get('/alerts', (c) => {
    const f = parseFilter((k) => c.req.query(k));
    if (typeof f === 'string') return problem(c, 400, f, 'alerts');
    const beforeText = c.req.query('before');
    let before: { lastUs: number; id: string } | undefined;
    if (beforeText !== undefined && beforeText !== '') {
      const m = /^(\d{1,16})~(.{1,300})$/s.exec(beforeText);
      if (m === null) return problem(c, 400, 'before must be a cursor from an "Older" link', 'alerts');
      before = { lastUs: Number(m[1]), id: m[2]! };
    }
    const store = c.get('deps').store;
    const q = queryOf(f);
    const rows = store.incidents.query({ ...q, before, limit: PAGE_SIZE });
    const last = rows[rows.length - 1];
    const self = selfOf(f);
    const mutes = loadMutes(store);
    const body = alertsPage({
      rows,
      views: incidentViews(c, rows, self),
      kinds: store.incidents.kinds(ALERT_KINDS),
      filter: f,
      self,
      next: rows.length === PAGE_SIZE && last !== undefined ? `${last.lastUs}~${last.id}` : null,
      anyUnacked: rows.some((i) => !i.acknowledged) || store.incidents.query({ ...q, acknowledged: false, limit: 1 }).length > 0,
      mutes,
      names: namesFor(store, mutes.map((m) => m.mac)),
      csrf: c.get('csrf'),
      canAct: canAct(c),
      message: doneMessage(c),
    });
    return page(c, 'Alerts', 'alerts', body);
  });

  /** The source and target addresses of an incident that are on the internet, with their country and network. */
  function whereSection(geo: GeoLookup | null | undefined, inc: { srcIp: string; targets: readonly string[] }): Html {
    if (geo == null) return html``;
    const ips = [...new Set([inc.srcIp, ...inc.targets.map((t) => t.replace(/:\d+$/, ''))])].filter((ip) => isIP(ip) !== 0 && lookupWorthy(ip)).slice(0, 20);
    if (ips.length === 0) return html``;
    return html`<h3>Where</h3><ul class="plain" id="incident-where">${ips.map((ip) => html`<li class="small"><code>${ip}</code> ${ip === inc.srcIp ? html`<span class="muted">(source)</span> ` : ''}${whereOf(geo.lookup(ip))}</li>`)}</ul>${geoCredit()}`;
  }

  /**
   * The newest member alerts an incident page lists: a scan's thousand anomaly rows say one thing, and a
   * hundred of them made the page 10,000 px tall (20,000 on a phone); /api/v1/incidents/:id gives the newest 100.
   */
  const MEMBER_ROWS = 25;

  app.get('/incidents/:id', (c) => {
    const inc = incidentOf(c);
    if (inc instanceof Response) return inc;
    const store = c.get('deps').store;
    const self = `/incidents/${encodeURIComponent(inc.id)}`;
    const o = incidentViews(c, [inc], self)(inc);
    const members = store.alerts.query({ incidentId: inc.id, limit: MEMBER_ROWS });
    const held = store.incidents.memberCount(inc.id);
    const who = o.deviceName ?? inc.srcIp ?? inc.device ?? null;
    const title = `${kindName(inc.kind)}${who !== null ? ` by ${who}` : ''}`;
    const body = html`<h1>${title}</h1>${doneMessage(c)}
      <ul class="incidents plain card">${incidentCard(inc, o)}</ul>
      <section class="card"><h2>Evidence</h2><ul class="plain">${sameLinesOnce(inc.evidence.map((e) => e.text)).map(([text, n]) => html`<li class="small">${evidenceWords(text)}${n > 1 ? html` <span class="muted">(× ${n})</span>` : ''}</li>`)}</ul>${whereSection(c.get('deps').geo, inc)}</section>
      <section class="card"><h2>Member alerts <span class="muted small">${members.length} newest of ${held} stored</span></h2>
        <div class="table-wrap"><table class="data compact stack">${alertTableHead()}<tbody>${members.map((a) => alertRow(a, { csrf: c.get('csrf'), canAct: canAct(c), deviceName: o.deviceName }))}</tbody></table></div>
      </section>`;
    return page(c, title, 'alerts', body);
  });

  app.post('/incidents/ack', async (c) => {
    const body = await c.req.parseBody({ all: true }).catch(() => ({}) as Record<string, unknown>);
    const str = (k: string): string | undefined => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const deps = c.get('deps');
    const store = deps.store;
    const back = backOf(str('back'), '/alerts');
    const actor = userOf(c).username;
    store.flush();
    let ids: string[];
    if (str('scope') === 'all') {
      const f = parseFilter(str);
      if (typeof f === 'string') return problem(c, 400, f, 'alerts');
      ids = store.incidents.query({ ...queryOf(f), acknowledged: false, limit: 500 }).map((i) => i.id);
      // keep going past one page: "all" means all that match, up to BULK_MAX
      while (ids.length > 0 && ids.length < BULK_MAX) {
        const lastRow = store.incidents.get(ids[ids.length - 1]!);
        if (lastRow === undefined) break;
        const more = store.incidents.query({ ...queryOf(f), acknowledged: false, before: { lastUs: lastRow.lastUs, id: lastRow.id }, limit: 500 }).map((i) => i.id);
        if (more.length === 0) break;
        ids.push(...more);
      }
    } else {
      const raw = body['id'];
      ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string').slice(0, BULK_MAX);
      if (ids.length === 0) return redirectDone(c, back, 'none-selected');
    }
    let n = 0;
    store.db.transaction(() => {
      for (const id of ids) if (store.incidents.acknowledge(id, true)) n++;
      audit(deps, { actor, action: 'incident.ack', target: 'bulk', detail: { count: n, ids: ids.slice(0, 50) } });
    })();
    incidentsChanged(deps);
    return redirectDone(c, back, 'acked-incidents');
  });

  app.post('/incidents/:id/:verb', async (c) => {
    const verb = c.req.param('verb');
    if (!['ack', 'mute', 'unmute', 'quarantine', 'release', 'allow'].includes(verb)) return problem(c, 404, `no incident action '${verb}'`, 'alerts');
    const inc = incidentOf(c);
    if (inc instanceof Response) return inc;
    const f = await form(c);
    const back = backOf(f['back'], '/alerts');
    const deps = c.get('deps');
    const store = deps.store;
    const actor = userOf(c).username;
    const mac = inc.srcMac;
    invalidateOverviewCounts(store);
    if (verb === 'ack') {
      store.flush();
      store.db.transaction(() => {
        store.incidents.acknowledge(inc.id, true);
        audit(deps, { actor, action: 'incident.ack', target: inc.id, detail: { kind: inc.kind, device: inc.device, count: inc.count } });
      })();
      incidentsChanged(deps);
      return redirectDone(c, back, 'acked-incident');
    }
    if (mac === null) return problem(c, 409, 'this incident has no device MAC: it cannot be muted, quarantined or allowed', 'alerts');
    if (verb === 'mute' || verb === 'unmute') {
      if (verb === 'mute' && !addMute(store, { mac, kind: inc.kind, actor, sinceUs: deps.nowUs() })) return problem(c, 409, 'too many mutes: remove some first', 'alerts');
      if (verb === 'unmute') removeMute(store, mac, inc.kind, deps.nowUs());
      store.incidents.setMuted(mac, inc.kind, verb === 'mute');
      audit(deps, { actor, action: `alert.${verb}`, target: mac, detail: { kind: inc.kind, incident: inc.id } });
      incidentsChanged(deps);
      return redirectDone(c, back, verb === 'mute' ? 'muted' : 'unmuted');
    }
    if (verb === 'quarantine') {
      const r = deps.actions.quarantine(mac, actor, `incident: ${inc.title}`.slice(0, 200));
      if (!r.ok) return problem(c, 409, r.error, 'alerts');
      return redirectDone(c, back, deps.actions.dryRun ? 'quarantined-dry' : 'quarantined');
    }
    if (verb === 'release') {
      const open = openActions(store, mac).filter((a) => a.kind === 'quarantine');
      if (open.length === 0) return problem(c, 409, `${mac} is not quarantined`, 'alerts');
      for (const a of open) {
        const r = deps.actions.release(a.id, actor, `released from incident ${inc.id}`);
        if (!r.ok) return problem(c, 409, r.error, 'alerts');
      }
      return redirectDone(c, back, 'released');
    }
    // allow: the device is trusted from now on; what it did is acknowledged
    const r = deps.actions.allowList(mac, actor, `allowed from incident: ${inc.title}`.slice(0, 200));
    if (!r.ok) return problem(c, 409, r.error, 'alerts');
    store.flush();
    store.incidents.acknowledge(inc.id, true);
    incidentsChanged(deps);
    return redirectDone(c, back, 'allowed');
  });

  app.post('/alerts/:id/ack', async (c) => {
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
    const f = await form(c);
    return redirectDone(c, backOf(f['back'], '/alerts'), 'acked');
  });

  const muteInput = async (c: Ctx): Promise<{ mac: string; kind: string; back: string } | Response> => {
    const f = await form(c);
    const mac = parseMac(f['mac']);
    if (mac === null) return problem(c, 400, `'${f['mac'] ?? ''}' is not a MAC address (aa:bb:cc:dd:ee:ff)`, 'alerts');
    const kind = f['kind'] ?? '';
    if (!(ALERT_KINDS as readonly string[]).includes(kind)) return problem(c, 400, `unknown alert kind '${kind}'`, 'alerts');
    return { mac, kind, back: backOf(f['back'], '/alerts') };
  };

  app.post('/alerts/mute', async (c) => {
    const m = await muteInput(c);
    if (m instanceof Response) return m;
    const deps = c.get('deps');
    const actor = userOf(c).username;
    if (!addMute(deps.store, { mac: m.mac, kind: m.kind, actor, sinceUs: deps.nowUs() })) return problem(c, 409, 'too many mutes: remove some first', 'alerts');
    deps.store.incidents.setMuted(m.mac, m.kind, true);
    incidentsChanged(deps);
    audit(deps, { actor, action: 'alert.mute', target: m.mac, detail: { kind: m.kind } });
    return redirectDone(c, m.back, 'muted');
  });

  app.post('/alerts/unmute', async (c) => {
    const m = await muteInput(c);
    if (m instanceof Response) return m;
    const deps = c.get('deps');
    if (!removeMute(deps.store, m.mac, m.kind, deps.nowUs())) return problem(c, 404, `${m.kind} is not muted for ${m.mac}`, 'alerts');
    deps.store.incidents.setMuted(m.mac, m.kind, false);
    incidentsChanged(deps);
    audit(deps, { actor: userOf(c).username, action: 'alert.unmute', target: m.mac, detail: { kind: m.kind } });
    return redirectDone(c, m.back, 'unmuted');
  });
}
