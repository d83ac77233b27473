/**
 * The Alerts page (incidents, see views/incident.ts) and the single-alert row the device page shows as the
 * detail behind its incidents.
 */
import type { AlertRow } from '../../store/alerts.js';
import type { IncidentRow } from '../../store/incidents.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { evidenceWords, signatureWords } from './anomaly-words.js';
import { flash, fmtTime, qs, severityBadge } from './format.js';
import { incidentRow, incidentTableHead, kindName, type IncidentViewOptions } from './incident.js';

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
    <td class="sig">${signatureWords(a.signature)}<div class="muted small">${a.evidence.slice(0, 2).map((e) => html`<div>${evidenceWords(e.text)}</div>`)}</div></td>
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
  rows: IncidentRow[];
  views: (i: IncidentRow) => IncidentViewOptions;
  /** kinds that have incidents, each once */
  kinds: string[];
  filter: { severity: string; mac: string; kind: string; state: string; unacked: boolean; muted: boolean };
  /** this page's address with its filters (forms come back here) */
  self: string;
  /** keyset cursor of the next page, null on the last */
  next: string | null;
  /** some incident matching the filter is unacknowledged (what "Acknowledge all" acknowledges) */
  anyUnacked: boolean;
  mutes: Mute[];
  names: Map<string, string>;
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

/** The Alerts page: incidents, newest first, with filters, bulk acknowledge and the mute list. */
export function alertsPage(d: AlertsPageData): Html {
  const f = d.filter;
  const sel = (v: string, cur: string) => (v === cur ? html` selected` : '');
  const bulk = d.canAct
    ? html`<div class="buttons bulk">
        <form method="post" action="/incidents/ack" id="bulk-ack" class="inline">${csrfField(d.csrf)}<input type="hidden" name="back" value="${d.self}">
          <button type="submit" class="small" name="scope" value="selected">Acknowledge selected</button>
          ${d.anyUnacked ? html`<button type="submit" class="small" name="scope" value="all" title="every unacknowledged incident that matches the filter, also those on later pages">Acknowledge all${d.filter.kind !== '' || d.filter.mac !== '' || d.filter.severity !== '' || d.filter.state !== '' ? ' that match' : ''}</button>` : ''}
          <input type="hidden" name="severity" value="${f.severity}"><input type="hidden" name="kind" value="${f.kind}"><input type="hidden" name="mac" value="${f.mac}"><input type="hidden" name="state" value="${f.state}">
        </form></div>`
    : '';
  return html`<h1>Alerts <span class="muted small">grouped into incidents</span></h1>
  ${d.message}
  <form method="get" action="/alerts" class="filters">
    <label>Severity <select name="severity">
      <option value="">all</option>
      ${(['critical', 'high', 'medium', 'low'] as const).map((s) => html`<option value="${s}"${sel(s, f.severity)}>${s === 'low' ? 'low or higher' : s === 'critical' ? 'critical' : `${s} or higher`}</option>`)}
    </select></label>
    <label>Kind <select name="kind"><option value="">all</option>${d.kinds.map((k) => html`<option value="${k}"${sel(k, f.kind)}>${kindName(k)}</option>`)}</select></label>
    <label>State <select name="state"><option value="">open and closed</option><option value="open"${sel('open', f.state)}>open</option><option value="closed"${sel('closed', f.state)}>closed</option></select></label>
    <label>Device (MAC) <input name="mac" value="${f.mac}" placeholder="aa:bb:cc:dd:ee:ff" size="17" pattern="[0-9A-Fa-f:\-]{17}"></label>
    <label class="check"><input type="checkbox" name="unacked" value="1"${f.unacked ? html` checked` : ''}> not yet acknowledged</label>
    <label class="check"><input type="checkbox" name="muted" value="1"${f.muted ? html` checked` : ''}> include muted</label>
    <button type="submit">Filter</button>
  </form>
  ${bulk}
  <div class="table-wrap"><table class="data stack incidents">${incidentTableHead(true)}
    <tbody id="incidents-body">${d.rows.map((i) => incidentRow(i, { ...d.views(i), selectable: true }))}</tbody>
  </table></div>
  ${d.rows.length === 0 ? html`<p class="muted" id="no-incidents">No incidents match.</p>` : ''}
  <p class="pager">${d.next !== null ? html`<a href="/alerts${qs({ severity: f.severity, kind: f.kind, mac: f.mac, state: f.state, unacked: f.unacked ? 1 : undefined, muted: f.muted ? 1 : undefined, before: d.next })}">Older →</a>` : ''}</p>
  ${muteSection(d)}`;
}

function muteSection(d: AlertsPageData): Html {
  return html`<section class="card"><h2>Muted</h2>
    <p class="muted small">A muted kind is still stored and still moves the device's trust score; its incidents are only hidden from the Overview, this list (unless "include muted" is ticked) and the live feed.</p>
    ${d.mutes.length === 0 ? html`<p class="muted">Nothing is muted.</p>` : html`<ul class="plain">${d.mutes.map(
      (m) => html`<li>${kindName(m.kind)} <code class="small">${m.kind}</code> of <a href="/devices/${m.mac}">${d.names.get(m.mac) ?? m.mac}</a> <span class="muted small">by ${m.actor}, ${fmtTime(m.sinceUs)} UTC</span>
        ${d.canAct ? html`<form method="post" action="/alerts/unmute" class="inline">${csrfField(d.csrf)}<input type="hidden" name="mac" value="${m.mac}"><input type="hidden" name="kind" value="${m.kind}"><button type="submit" class="small">Unmute</button></form>` : ''}</li>`,
    )}</ul>`}
  </section>`;
}

export { flash };
