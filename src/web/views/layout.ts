/**
 * The page frame every dashboard page shares: document head, navigation, theme toggle and the logout form.
 * No inline script or style: the CSP is script-src 'self', so behaviour lives in /static/app.js and the
 * CSRF token reaches htmx through an inherited `hx-headers` attribute on <body>.
 */
import { html, raw, type Html } from '../html.js';
import type { WebUser } from '../env.js';

export interface LayoutOptions {
  title: string;
  /** null on the login and setup pages: no navigation is shown */
  user: WebUser | null;
  csrf: string;
  body: Html;
  /** the nav entry to highlight: 'overview', 'devices', 'alerts', 'quarantine', 'models', 'audit', 'settings', 'fleet' */
  active?: string;
  /** extra scripts a page needs (uPlot on the overview and device pages) */
  scripts?: readonly string[];
  /** extra stylesheets (uPlot's) */
  styles?: readonly string[];
  /** a notice above every page's content (the store cannot write) */
  banner?: Html | null;
  /** which clock the page's times are in, said once at the foot of every signed-in page */
  clock?: string;
  /** a fleet head: the navigation links its Sensors page */
  fleet?: boolean;
}

/** The sentence naming the UI's clock: packet time of the capture in replay mode, the wall clock otherwise. */
export function clockNote(mode: string): string {
  return mode === 'replay'
    ? 'Times are the capture’s packet time (replay mode), in UTC (charts: your time zone, UTC on hover); sign-ins, sessions and API tokens use the wall clock.'
    : 'Times are in UTC (charts: your time zone, UTC on hover).';
}

/** Navigation entries: key (for `active`), label, path. */
export const NAV: readonly (readonly [string, string, string])[] = [
  ['overview', 'Overview', '/'],
  ['devices', 'Devices', '/devices'],
  ['alerts', 'Alerts', '/alerts'],
  ['quarantine', 'Quarantine', '/quarantine'],
  ['models', 'Models', '/models'],
  ['audit', 'Audit', '/audit'],
  ['settings', 'Settings', '/settings'],
];

/** The entry a fleet head adds after Alerts (fleet.role: head). */
export const FLEET_NAV = ['fleet', 'Sensors', '/fleet'] as const;

/** A hidden form field carrying the CSRF token; every POST form includes one. */
export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

function nav(user: WebUser, csrf: string, active: string | undefined, fleet: boolean): Html {
  const entries = fleet ? [...NAV.slice(0, 3), FLEET_NAV, ...NAV.slice(3)] : NAV;
  return html`<nav class="nav" aria-label="main">
    <a class="brand" href="/">Argus Edge</a>
    <input type="checkbox" id="nav-open" class="nav-open" aria-label="menu">
    <label for="nav-open" class="nav-burger" aria-hidden="true">☰</label>
    <ul class="nav-links">
      ${entries.map(([key, label, href]) => html`<li><a href="${href}"${key === active ? raw(' aria-current="page"') : ''}>${label}</a></li>`)}
    </ul>
    <div class="nav-user">
      <button type="button" class="theme-toggle" id="theme-toggle" title="switch between dark and light">◐</button>
      <span class="who">${user.username}</span>
      <form method="post" action="/logout" class="inline">${csrfField(csrf)}<button type="submit" class="link">Log out</button></form>
    </div>
  </nav>`;
}

/**
 * The full HTML document. The SSE connection (live alerts, trust changes, capture statistics) is opened by a
 * hidden element on every signed-in page, so a new alert shows on whichever page is open.
 */
export function layout(opts: LayoutOptions): Html {
  const headers = JSON.stringify({ 'X-CSRF-Token': opts.csrf });
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<meta name="htmx-config" content='{"includeIndicatorCSS": false}'>
<title>${opts.title} · Argus Edge</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/style.css">
${(opts.styles ?? []).map((s) => html`<link rel="stylesheet" href="${s}">`)}
<script src="/static/app.js"></script>
<script src="/static/htmx.min.js" defer></script>
<script src="/static/htmx-sse.js" defer></script>
${(opts.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
</head>
<body hx-headers:inherited='${headers}'>
${opts.user !== null ? nav(opts.user, opts.csrf, opts.active, opts.fleet === true) : html`<nav class="nav"><a class="brand" href="/">Argus Edge</a><div class="nav-user"><button type="button" class="theme-toggle" id="theme-toggle" title="switch between dark and light">◐</button></div></nav>`}
<main class="main">
${opts.user !== null ? html`<div id="live" class="live-status" hx-sse:connect="/events" hx-swap="none" aria-live="polite"></div>
<div id="toasts" class="toasts" aria-live="polite"></div>` : ''}
${opts.banner ?? ''}
${opts.body}
${opts.user !== null && opts.clock !== undefined ? html`<p class="clock-note muted small" id="clock-note">${opts.clock}</p>` : ''}
</main>
</body>
</html>
`;
}
