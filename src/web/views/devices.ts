/**
 * The device table: sortable by every column, filtered by a search text and a trust level, paged. The
 * filter form re-renders only the table body through htmx (and still works as a plain GET without script).
 */
import type { DeviceSort, DeviceTableRow } from '../pages-queries.js';
import { html, type Html } from '../html.js';
import { TRUST_LEVELS } from '../../trust/types.js';
import { fmtAgo, fmtInt, presenceBadges, qs, sparkline, trustBadge, typeIcon } from './format.js';
import type { DeviceFacts } from '../device-facts.js';

export interface DevicesPageData {
  rows: DeviceTableRow[];
  spark: Map<string, number[]>;
  facts: Map<string, DeviceFacts>;
  total: number;
  filter: { q: string; level: string; sort: DeviceSort; desc: boolean; page: number; pageSize: number };
  nowUs: number;
  message: Html | null;
}

/** The name the UI shows for a device: the admin's label, else the hostname it announced. */
export function deviceName(d: { label: string | null; hostname: string | null }): string | null {
  return d.label ?? d.hostname;
}

/** The name, else "Gateway" for the network's gateway, else null. */
export function shownName(d: { label: string | null; hostname: string | null }, gateway: boolean): string | null {
  return deviceName(d) ?? (gateway ? 'Gateway' : null);
}

/** Element id of a device's trust badge, which the live stream replaces on a trust change. */
export function trustBadgeId(mac: string): string {
  return 'trust-' + mac.replace(/:/g, '');
}

function sortLink(label: string, key: DeviceSort, f: DevicesPageData['filter']): Html {
  const active = f.sort === key;
  const desc = active ? !f.desc : key === 'seen';
  const arrow = active ? (f.desc ? ' ▼' : ' ▲') : '';
  return html`<a href="/devices${qs({ q: f.q, level: f.level, sort: key, dir: desc ? 'desc' : 'asc' })}"${active ? html` aria-sort="${f.desc ? 'descending' : 'ascending'}"` : ''}>${label}${arrow}</a>`;
}

/** The table body and pager: the part htmx swaps when the filter changes. */
export function devicesTable(d: DevicesPageData): Html {
  const f = d.filter;
  const pages = Math.max(1, Math.ceil(d.total / f.pageSize));
  return html`<div id="devices-table">
  <p class="muted small">${fmtInt(d.total)} device${d.total === 1 ? '' : 's'}${d.total > f.pageSize ? html`, page ${f.page + 1} of ${pages}` : ''}</p>
  <div class="table-wrap"><table class="data">
    <thead><tr>
      <th>${sortLink('Name', 'name', f)}</th>
      <th class="hide-sm">${sortLink('Vendor', 'vendor', f)}</th>
      <th class="hide-sm">IP</th>
      <th class="hide-sm">${sortLink('MAC', 'mac', f)}</th>
      <th>${sortLink('Trust', 'trust', f)}</th>
      <th class="hide-sm">${sortLink('Last seen', 'seen', f)}</th>
      <th class="hide-sm">History</th>
    </tr></thead>
    <tbody>${d.rows.map(
      (r) => html`<tr>
        <td>${(() => {
          const f = d.facts.get(r.mac);
          const name = shownName(r, f?.gateway ?? false);
          // on a phone the address sits under the name: an IP column of its own pushed Trust off the screen
          return html`${f !== undefined ? typeIcon(f.type) : ''} <a href="/devices/${r.mac}">${name ?? html`<span class="muted">unnamed</span>`}</a>${f !== undefined ? html` <span class="badges">${presenceBadges(f)}</span>` : ''}${r.ip !== null ? html`<div class="show-sm small"><code>${r.ip}</code></div>` : ''}`;
        })()}</td>
        <td class="hide-sm">${r.vendor ?? ''}</td>
        <td class="hide-sm">${r.ip !== null ? html`<code>${r.ip}</code>` : html`<span class="muted">—</span>`}</td>
        <td class="hide-sm"><code>${r.mac}</code></td>
        <td><span id="${trustBadgeId(r.mac)}">${trustBadge(r.trustScore, r.trustLevel)}</span></td>
        <td class="hide-sm nowrap">${fmtAgo(r.lastSeenUs, d.nowUs)}</td>
        <td class="hide-sm">${sparkline(d.spark.get(r.mac) ?? [])}</td>
      </tr>`,
    )}</tbody>
  </table></div>
  ${d.rows.length === 0 ? html`<p class="muted">No devices match.</p>` : ''}
  <p class="pager">
    ${f.page > 0 ? html`<a href="/devices${qs({ q: f.q, level: f.level, sort: f.sort, dir: f.desc ? 'desc' : 'asc', page: f.page })}">← Previous</a>` : ''}
    ${f.page + 1 < pages ? html`<a href="/devices${qs({ q: f.q, level: f.level, sort: f.sort, dir: f.desc ? 'desc' : 'asc', page: f.page + 2 })}">Next →</a>` : ''}
  </p>
  </div>`;
}

export function devicesPage(d: DevicesPageData): Html {
  const f = d.filter;
  return html`<h1>Devices</h1>
  ${d.message}
  <form method="get" action="/devices" class="filters" hx-get="/devices" hx-target="#devices-table" hx-select="#devices-table" hx-swap="outerHTML" hx-trigger="input delay:400ms, change, submit" hx-push-url="true">
    <label>Search <input type="search" name="q" value="${f.q}" placeholder="name, vendor, IP or MAC"></label>
    <label>Trust <select name="level"><option value="">all</option>${[...TRUST_LEVELS, 'unknown'].map(
      (l) => html`<option${l === f.level ? html` selected` : ''}>${l}</option>`,
    )}</select></label>
    <input type="hidden" name="sort" value="${f.sort}"><input type="hidden" name="dir" value="${f.desc ? 'desc' : 'asc'}">
    <button type="submit">Filter</button>
  </form>
  ${devicesTable(d)}`;
}
