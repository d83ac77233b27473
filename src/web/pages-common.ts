/**
 * What every dashboard route shares: rendering a page in the layout, refusing bad input with a clear 4xx page
 * (nothing changed), parsing form fields, and the short messages shown after a redirect.
 */
import type { Context } from 'hono';
import type { WebEnv, WebUser } from './env.js';
import { html, type Html } from './html.js';
import { clockNote, layout } from './views/layout.js';
import { flash } from './views/format.js';
import { FlashStore, type FlashEntry } from './flash-store.js';
import type { WebDeps } from './deps.js';

export type Ctx = Context<WebEnv>;

export interface PageOptions {
  scripts?: readonly string[];
  styles?: readonly string[];
  status?: 200 | 400 | 404 | 409;
}

/** the chart pages load uPlot; the others do not pay for it */
export const CHART_ASSETS = { scripts: ['/static/uplot.min.js'], styles: ['/static/uplot.min.css'] } as const;

/** The signed-in user (the auth middleware guarantees one on every dashboard route). */
export function userOf(c: Ctx): WebUser {
  const u = c.get('user');
  if (u === null) throw new Error(`dashboard route ${c.req.path} reached without a signed-in user`);
  return u;
}

export const canAct = (c: Ctx): boolean => userOf(c).role === 'admin';

/** The store's trouble, shown on every page while it lasts (capture and detection go on meanwhile). */
export function storeBanner(c: Ctx): Html | null {
  const h = c.get('deps').store.health();
  if (h.state === 'ok') return null;
  const since = h.sinceMs === null ? '' : ` since ${new Date(h.sinceMs).toISOString().slice(11, 19)} UTC`;
  const what =
    h.state === 'full'
      ? html`<b>The store is full</b>: nothing new is being saved${since}. Capture and detection go on. Free space on the disk holding <code>${h.path}</code>; writing resumes by itself.`
      : html`<b>The store cannot write</b>${since}: ${h.lastError ?? 'unknown error'}. Capture and detection go on; the write is retried.`;
  return html`<div class="flash flash-error" id="store-health" role="alert">${what}${h.droppedWhileFailing > 0 ? html` ${h.droppedWhileFailing} items dropped so far.` : ''}</div>`;
}

export function page(c: Ctx, title: string, active: string, body: Html, o: PageOptions = {}): Response {
  const deps = c.get('deps');
  const fleet = deps.config.fleet.role === 'head' && deps.fleet !== undefined;
  const h = layout({ title, user: userOf(c), csrf: c.get('csrf'), body, active, fleet, scripts: o.scripts, styles: o.styles, banner: storeBanner(c), clock: clockNote(deps.config.mode) });
  return c.html(h.value, o.status ?? 200);
}

/** A refusal page: 400 bad input, 404 unknown thing, 409 refused by policy or state. Nothing was changed. */
export function problem(c: Ctx, status: 400 | 404 | 409, text: string, active = ''): Response {
  const title = status === 404 ? 'Not found' : status === 409 ? 'Not done' : 'Bad request';
  if (c.req.header('hx-request') !== undefined) return c.html(flash('error', text).value, status);
  return page(c, title, active, html`<h1>${title}</h1>${flash('error', text)}<p><a href="/">Back to the overview</a></p>`, { status });
}

const flashes = new WeakMap<WebDeps, FlashStore>();

/** The one-time message store of the server behind `c`. */
function flashStore(c: Ctx): FlashStore {
  const deps = c.get('deps');
  let f = flashes.get(deps);
  if (f === undefined) flashes.set(deps, (f = new FlashStore()));
  return f;
}

/** Leaves a one-time message for the next page this session loads (after the redirect of a form post). */
export function putFlash(c: Ctx, entry: FlashEntry): void {
  flashStore(c).put(c.get('csrf'), entry);
}

/** This session's one-time message, removed (undefined when none). */
export function takeFlash(c: Ctx): FlashEntry | undefined {
  const csrf = c.get('csrf');
  return csrf === '' ? undefined : flashStore(c).take(csrf);
}

/**
 * A refused form post (400 bad input, 404 unknown thing, 409 refused by policy or state; nothing changed):
 * htmx gets the message as a fragment with the status; a browser form is redirected (303) to `back`, where the
 * message shows once, so a reload never sends the form again.
 */
export function refuse(c: Ctx, status: 400 | 404 | 409, text: string, back: string): Response {
  if (c.req.header('hx-request') !== undefined || c.get('csrf') === '') return problem(c, status, text);
  putFlash(c, { kind: 'error', text });
  return c.redirect(back, 303);
}

/** Colon-separated lower-case MAC, the store's key; null when `s` is not one. */
export function parseMac(s: string | undefined): string | null {
  if (s === undefined) return null;
  const m = s.trim().toLowerCase().replace(/-/g, ':');
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m) ? m : null;
}

/** A non-negative integer query/form value; `undefined` when absent or empty, NaN when malformed. */
export function parseIntParam(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  return /^\d{1,15}$/.test(s) ? Number(s) : NaN;
}

/** Printable one-line text of at most `max` characters after trimming; null when it has control characters or is too long. */
export function cleanText(v: unknown, max: number): string | null {
  if (typeof v !== 'string') return '';
  const t = v.trim();
  // eslint-disable-next-line no-control-regex
  if (t.length > max || /[\u0000-\u001f\u007f]/.test(t)) return null;
  return t;
}

export async function form(c: Ctx): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    for (const [k, v] of Object.entries(await c.req.parseBody())) if (typeof v === 'string') out[k] = v;
  } catch {
    // an unparsable body is treated as empty: the route's validation then says what is missing
  }
  return out;
}

/** Messages shown after a redirect (?done=code); codes keep arbitrary text out of links. */
const DONE: Record<string, string> = {
  renamed: 'Name saved.',
  'type-set': 'Device type saved.',
  quarantined: 'Quarantine requested.',
  'quarantined-dry': 'Quarantine recorded as a dry run: outside inline mode the firewall commands are written to the audit log, not run.',
  released: 'Released.',
  approved: 'Approved.',
  denied: 'Denied.',
  allowed: 'Added to the allow-list.',
  scan: 'Scan requested.',
  'scan-recorded': 'Scan request recorded in the audit log (no scanner is attached to this appliance).',
  acked: 'Alert acknowledged.',
  'acked-incident': 'Incident acknowledged, with all its alerts.',
  'acked-incidents': 'Incidents acknowledged, with all their alerts.',
  'none-selected': 'Nothing was selected.',
  muted: 'Muted.',
  unmuted: 'Unmuted.',
  retrain: 'Retraining started.',
  revoked: 'Token revoked.',
  'notify-sent': 'Test message sent.',
  'notify-failed': 'The test message was not delivered on every channel: see Notifications below for the error.',
  'token-created': 'Token created.',
  'rolled-back': 'Switched back to the previous model.',
  'settings-unchanged': 'Nothing changed.',
  'user-added': 'User added.',
  'user-role': 'Role changed; that user signs in again.',
  'user-removed': 'User removed, with their sessions and API tokens.',
  assigned: 'Scan assigned: the sensor pulls it with its next heartbeat and reports what it did.',
};

/** The message to show at the top of a page: a refusal left by the last form post, else the ?done= code's. */
export function doneMessage(c: Ctx): Html | null {
  const f = takeFlash(c);
  if (f !== undefined && (f.kind === 'error' || f.kind === 'ok')) return flash(f.kind, f.text);
  const d = c.req.query('done');
  return d !== undefined && DONE[d] !== undefined ? flash('ok', DONE[d]!) : null;
}

/** A local path to go back to after a form post; anything else becomes `fallback`. */
export function backTo(v: string | undefined, fallback: string): string {
  return v !== undefined && /^\/[A-Za-z0-9/_:.-]*$/.test(v) && !v.startsWith('//') ? v : fallback;
}

export function redirectDone(c: Ctx, path: string, code: string): Response {
  return c.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${code}`, 303);
}
