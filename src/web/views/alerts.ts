/**
 * The alerts page and the alert row that the overview, the device page and the live stream (SSE) share.
 */
import { ALERT_KINDS } from '../../detectors/alert.js';
import type { AlertRow } from '../../store/alerts.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { flash, fmtTime, qs, severityBadge } from './format.js';

export interface AlertRowOptions {
  csrf: string;
  /** admins get the acknowledge and mute buttons */
  canAct: boolean;
  /** a device name for the source MAC, when known */
  deviceName?: string | null;
  /** highlight a row that arrived live */
  fresh?: boolean;
}

/** Element id of an alert's row (ids may hold any character; keep it a valid, short selector). */
export function alertRowId(id: string): string {
  return 'alert-' + Buffer.from(id).toString('base64url');
}

/** One alert as a table row; the acknowledge button swaps the row in place through htmx. */
export function alertRow(a: AlertRow, o: AlertRowOptions): Html {
  const src = a.srcMac !== null ? html`<a href="/devices/${a.srcMac}">${o.deviceName ?? a.srcIp}</a>` : html`${a.srcIp}`;
  const ackUrl = `/alerts/${encodeURIComponent(a.id)}/ack`;
  return html`<tr id="${alertRowId(a.id)}" class="${a.acknowledged ? 'acked' : ''}${o.fresh === true ? ' fresh' : ''}">
    <td class="nowrap">${fmtTime(a.tsUs)}</td>
    <td>${severityBadge(a.severity)}</td>
    <td class="hide-sm nowrap"><code>${a.kind}</code></td>
    <td class="sig">${a.signature}<div class="muted small">${a.evidence.slice(0, 2).map((e) => html`<div>${e.text}</div>`)}</div></td>
    <td class="nowrap">${src}</td>
    <td class="hide-sm">${a.suggestedResponse}</td>
    <td class="actions">${
      o.canAct
        ? a.acknowledged
          ? html`<span class="muted">seen</span>`
          : html`<form method="post" action="${ackUrl}" class="inline" hx-post="${ackUrl}" hx-target="#${alertRowId(a.id)}" hx-swap="outerHTML">${csrfField(o.csrf)}<button type="submit" class="small">Acknowledge</button></form>`
        : a.acknowledged
          ? html`<span class="muted">seen</span>`
          : ''
    }${
      o.canAct && a.srcMac !== null
        ? html` <form method="post" action="/alerts/mute" class="inline" title="hide ${a.kind} alerts of this device from the lists">${csrfField(o.csrf)}<input type="hidden" name="mac" value="${a.srcMac}"><input type="hidden" name="kind" value="${a.kind}"><button type="submit" class="small link">Mute</button></form>`
        : ''
    }</td>
  </tr>`;
}

export function alertTableHead(): Html {
  return html`<thead><tr><th>Time (UTC)</th><th>Severity</th><th class="hide-sm">Kind</th><th>Alert</th><th>Source</th><th class="hide-sm">Suggested</th><th></th></tr></thead>`;
}

export interface Mute {
  mac: string;
  kind: string;
  actor: string;
  sinceUs: number;
}

export interface AlertsPageData {
  rows: AlertRow[];
  names: Map<string, string>;
  filter: { severity: number | null; mac: string; kind: string; unacked: boolean };
  /** keyset cursor of the next page, null on the last */
  next: string | null;
  mutes: Mute[];
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

export function alertsPage(d: AlertsPageData): Html {
  const f = d.filter;
  const sel = (v: string, cur: string) => (v === cur ? html` selected` : '');
  return html`<h1>Alerts</h1>
  ${d.message}
  <form method="get" action="/alerts" class="filters">
    <label>Severity <select name="severity">
      <option value="">all</option>
      <option value="1"${sel('1', String(f.severity ?? ''))}>high</option>
      <option value="2"${sel('2', String(f.severity ?? ''))}>medium or higher</option>
      <option value="3"${sel('3', String(f.severity ?? ''))}>low or higher</option>
    </select></label>
    <label>Kind <select name="kind"><option value="">all</option>${ALERT_KINDS.map((k) => html`<option${sel(k, f.kind)}>${k}</option>`)}</select></label>
    <label>Device (MAC) <input name="mac" value="${f.mac}" placeholder="aa:bb:cc:dd:ee:ff" size="17" pattern="[0-9A-Fa-f:]{17}"></label>
    <label class="check"><input type="checkbox" name="unacked" value="1"${f.unacked ? html` checked` : ''}> not yet acknowledged</label>
    <button type="submit">Filter</button>
  </form>
  <div class="table-wrap"><table class="data stack">${alertTableHead()}
    <tbody id="alerts-body">${d.rows.map((a) => alertRow(a, { csrf: d.csrf, canAct: d.canAct, deviceName: a.srcMac !== null ? (d.names.get(a.srcMac) ?? null) : null }))}</tbody>
  </table></div>
  ${d.rows.length === 0 ? html`<p class="muted">No alerts match.</p>` : ''}
  <p class="pager">${d.next !== null ? html`<a href="/alerts${qs({ severity: f.severity, kind: f.kind, mac: f.mac, unacked: f.unacked ? 1 : undefined, before: d.next })}">Older →</a>` : ''}</p>
  ${muteSection(d)}`;
}

function muteSection(d: AlertsPageData): Html {
  return html`<section class="card"><h2>Muted alert kinds</h2>
    <p class="muted small">A muted kind is still stored and still moves the device's trust score; it is only hidden from the live feed and from this list unless filtered for.</p>
    ${d.mutes.length === 0 ? html`<p class="muted">Nothing is muted.</p>` : html`<ul class="plain">${d.mutes.map(
      (m) => html`<li><code>${m.kind}</code> for <a href="/devices/${m.mac}">${m.mac}</a> <span class="muted small">by ${m.actor}, ${fmtTime(m.sinceUs)}</span>
        ${d.canAct ? html`<form method="post" action="/alerts/unmute" class="inline">${csrfField(d.csrf)}<input type="hidden" name="mac" value="${m.mac}"><input type="hidden" name="kind" value="${m.kind}"><button type="submit" class="small">Unmute</button></form>` : ''}</li>`,
    )}</ul>`}
    ${d.canAct ? html`<form method="post" action="/alerts/mute" class="filters">${csrfField(d.csrf)}
      <label>Device (MAC) <input name="mac" required placeholder="aa:bb:cc:dd:ee:ff" size="17"></label>
      <label>Kind <select name="kind">${ALERT_KINDS.map((k) => html`<option>${k}</option>`)}</select></label>
      <button type="submit">Mute</button></form>` : ''}
  </section>`;
}

export { flash };
