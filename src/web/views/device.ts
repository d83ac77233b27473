/**
 * One device: trust history chart (score and its three components, drawn by app.js from
 * /ui/devices/:mac/trust), why the score moved, recent flows with the names behind their addresses, top
 * destinations, open ports from the last scan, alerts, recommendations and the actions an admin may take.
 */
import { rangePicker, type TimeRange } from '../range.js';
import type { ActionRow } from '../../store/actions.js';
import type { AlertRow } from '../../store/alerts.js';
import type { DeviceAddressRow, DeviceRow, TrustHistoryRow } from '../../store/devices.js';
import type { FlowRow } from '../../store/flows.js';
import type { ScanRow } from '../../store/registry.js';
import type { Destination } from '../pages-queries.js';
import type { GeoInfo } from '../../enrich/index.js';
import { LOCAL, type GeoShares } from '../geo-summary.js';
import { geoCredit, sharesTable, whereOf } from './geo.js';
import { html, raw, type Html } from '../html.js';
import { alertRow, alertTableHead } from './alerts.js';
import type { IncidentRow } from '../../store/incidents.js';
import { incidentRow, incidentTableHead, kindName, type IncidentViewOptions } from './incident.js';
import { csrfField } from './layout.js';
import { shownName, trustBadgeId } from './devices.js';
import { dnsName, fmtAgo, fmtBytes, fmtInt, fmtTime, presenceBadges, stateBadge, trustBadge, typeIcon } from './format.js';
import { DEVICE_TYPES, DEVICE_TYPE_KEYS } from '../../device-type/guess.js';
import type { DeviceFacts, TrafficTotals } from '../device-facts.js';

export interface Recommendation {
  text: string;
  /** the alert kind it comes from, shown as a small code after the sentence */
  kind?: string;
  /** the response it suggests: 'quarantine', 'block', 'rate-limit', 'monitor', 'none' */
  response: string;
}

export interface DevicePageData {
  /** the window of traffic, destinations and recent flows, ending at the device's last sighting */
  range: TimeRange;
  device: DeviceRow;
  facts: DeviceFacts;
  /** traffic over the range, ending at the device's last sighting */
  traffic: TrafficTotals;
  addresses: DeviceAddressRow[];
  /** newest first, only points whose explanation says something */
  changes: TrustHistoryRow[];
  flows: FlowRow[];
  names: Map<string, string>;
  top: Destination[];
  /** what the offline databases know of the destinations (null: enrich.enabled is false) */
  geo: { where: (ip: string) => GeoInfo | undefined; shares: GeoShares } | null;
  scan: ScanRow | null;
  alerts: AlertRow[];
  /** the device's incidents, newest first, with their view options */
  incidents: { rows: IncidentRow[]; views: (i: IncidentRow) => IncidentViewOptions };
  recommendations: Recommendation[];
  actions: ActionRow[];
  allowListed: boolean;
  dryRun: boolean;
  /** false in replay mode: the devices of a capture file are not on this network, nothing is scanned */
  scanOffered: boolean;
  nowUs: number;
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };

function flowName(f: FlowRow, names: Map<string, string>): Html | string {
  const name = f.detail.tlsSni ?? f.detail.httpHost ?? (f.detail.dns !== null ? f.detail.dns.qname : null) ?? names.get(f.dstIp) ?? null;
  return name === null ? '' : dnsName(name);
}

function actionsCard(d: DevicePageData): Html {
  const mac = d.device.mac;
  const open = d.actions.filter((a) => a.state === 'active' || a.state === 'pending');
  const quarantined = open.some((a) => a.kind === 'quarantine');
  return html`<section class="card" id="device-actions"><h2>Actions</h2>
    ${d.dryRun ? html`<p class="muted small">The firewall runs as a dry run: actions are recorded, not enforced.</p>` : ''}
    ${open.length > 0 ? html`<ul class="plain">${open.map(
      (a) => html`<li>${stateBadge(a.state)} ${a.kind} since ${fmtTime(a.createdUs)} by ${a.actor}${a.expiresUs !== null ? html`, until ${fmtTime(a.expiresUs)}` : ''}
        ${d.canAct ? html`<form method="post" action="/actions/${a.id}/release" class="inline">${csrfField(d.csrf)}<input type="hidden" name="back" value="/devices/${mac}"><button type="submit" class="small">Release</button></form>` : ''}</li>`,
    )}</ul>` : html`<p class="muted">No open action.</p>`}
    ${d.allowListed ? html`<p>This device is on the allow-list: it is never acted on.</p>` : ''}
    ${d.canAct ? html`<div class="buttons">
      ${quarantined ? '' : html`<form method="post" action="/devices/${mac}/quarantine" class="stack">${csrfField(d.csrf)}
        <input name="reason" placeholder="reason (optional)" maxlength="200" aria-label="reason">
        <button type="submit" class="danger">Quarantine</button></form>`}
      ${d.allowListed ? '' : html`<form method="post" action="/devices/${mac}/allow" class="inline">${csrfField(d.csrf)}<button type="submit">Allow-list</button></form>`}
      ${d.scanOffered ? html`<form method="post" action="/devices/${mac}/scan" class="inline">${csrfField(d.csrf)}<button type="submit">Scan now</button></form>` : ''}
    </div>
    ${d.scanOffered ? '' : html`<p class="muted small" id="no-scan">No scans in replay mode: the devices of a capture file are not on this network.</p>`}` : ''}
  </section>`;
}

function typeForm(d: DevicePageData): Html {
  const t = d.facts.type;
  const guessed = t.source === 'guess';
  return html`<form method="post" action="/devices/${d.device.mac}/type" class="filters" id="type-form">${csrfField(d.csrf)}
    <label>Type <select name="type">
      <option value=""${guessed ? html` selected` : ''}>guess${guessed ? ` (${DEVICE_TYPES[t.type].label})` : ''}</option>
      ${DEVICE_TYPE_KEYS.filter((k) => k !== 'unknown').map((k) => html`<option value="${k}"${!guessed && t.type === k ? html` selected` : ''}>${DEVICE_TYPES[k].label}</option>`)}
    </select></label>
    <button type="submit">Set type</button></form>`;
}

function renameForm(d: DevicePageData): Html {
  if (!d.canAct) return html``;
  return html`<form method="post" action="/devices/${d.device.mac}/label" class="filters">${csrfField(d.csrf)}
    <label>Name <input name="label" value="${d.device.label ?? ''}" maxlength="64" placeholder="${d.device.hostname ?? 'a name for this device'}"></label>
    <button type="submit">Rename</button></form>`;
}

/**
 * What moved a trust score, in words with the raw kind beside it small ("Port scan scan.port.vertical"); the
 * evidence text's own leading penalty ("−93: ") is left off, the applied change stands before it.
 */
function factorName(factor: string): Html {
  const name = kindName(factor);
  return name === factor ? html`<span class="muted">${factor}:</span>` : html`<b>${name}</b> <code class="small">${factor}</code>:`;
}

export function devicePage(d: DevicePageData): Html {
  const dev = d.device;
  const f = d.facts;
  const name = shownName(dev, f.gateway);
  const typeInfo = DEVICE_TYPES[f.type.type];
  return html`<h1>${typeIcon(f.type)} ${name ?? dev.mac} <span id="${trustBadgeId(dev.mac)}">${trustBadge(dev.trustScore, dev.trustLevel)}</span> <span class="badges">${presenceBadges(f)}</span></h1>
  ${d.message}
  <div class="range-bar"><span class="muted small">Traffic, destinations and flows: the last ${d.range.label} the device was seen</span> ${rangePicker(`/devices/${dev.mac}`, d.range)}</div>
  <div class="grid2">
    <section class="card"><h2>Device</h2>
      <dl class="kv">
        <dt>Type</dt><dd id="device-type">${typeInfo.label} <span class="muted small">(${f.type.source === 'set' ? 'set by an admin' : `guessed: ${f.type.because}`})</span></dd>
        <dt>Status</dt><dd>${f.online ? 'online' : 'offline'}, last seen ${fmtAgo(dev.lastSeenUs, d.nowUs)}${f.isNew ? html`; <b>new</b>: first seen ${fmtAgo(dev.firstSeenUs, d.nowUs)}` : ''}</dd>
        <dt>Traffic, ${d.range.key}</dt><dd id="device-traffic">${fmtBytes(d.traffic.bytesOut)} sent, ${fmtBytes(d.traffic.bytesIn)} received <span class="muted small">(${fmtInt(d.traffic.flows)} flows)</span></dd>
        <dt>MAC</dt><dd><code>${dev.mac}</code></dd>
        <dt>Vendor</dt><dd>${dev.vendor ?? '—'}</dd>
        <dt>Hostname</dt><dd>${dev.hostname ?? '—'}</dd>
        <dt>Addresses</dt><dd>${d.addresses.length === 0 ? '—' : d.addresses.slice(0, 6).map((a) => html`<code>${a.ip}</code> <span class="muted small">(${a.source}, ${fmtAgo(a.lastSeenUs, d.nowUs)})</span><br>`)}</dd>
        <dt>First seen</dt><dd>${fmtTime(dev.firstSeenUs)}</dd>
        <dt>Last seen</dt><dd>${fmtTime(dev.lastSeenUs)} <span class="muted">(${fmtAgo(dev.lastSeenUs, d.nowUs)})</span></dd>
        ${dev.dhcpVendorClass !== null ? html`<dt>DHCP class</dt><dd>${dev.dhcpVendorClass}</dd>` : ''}
      </dl>
      ${renameForm(d)}
      ${d.canAct ? typeForm(d) : ''}
    </section>
    ${actionsCard(d)}
  </div>
  <section class="card"><h2>Trust history</h2>
    <div class="chart" id="chart-trust" data-chart="trust" data-src="/ui/devices/${dev.mac}/trust"></div>
    <h3>Why it moved</h3>
    ${d.changes.length === 0 ? html`<p class="muted">No change recorded yet.</p>` : html`<ul class="plain changes">${d.changes.map(
      (h) => html`<li><span class="muted small nowrap">${fmtTime(h.tsUs)}</span> ${trustBadge(h.score, h.level)}
        <ul>${h.explanation.map((e) => html`<li><span class="${e.delta < 0 ? 'bad' : 'good'}">${e.delta > 0 ? '+' : ''}${e.delta.toFixed(1)}</span> ${factorName(e.factor)} ${e.text.replace(/^[−-]?\d+(\.\d+)?:\s*/, '')}</li>`)}</ul></li>`,
    )}</ul>`}
  </section>
  <div class="grid2">
    <section class="card"><h2>Recommendations</h2>
      ${recommendationList(d.recommendations)}
    </section>
    <section class="card"><h2>Open ports</h2>
      ${d.scan === null ? html`<p class="muted">Never scanned.</p>` : html`<p class="muted small">Scan ${d.scan.status}, ${fmtTime(d.scan.startedUs)}${d.scan.score !== null ? html`, vulnerability score ${Math.round(d.scan.score)}` : ''}</p>
        ${d.scan.openPorts.length === 0 ? html`<p>No open port found.</p>` : html`<ul class="plain">${(d.scan.openPorts as { port?: number; proto?: string; service?: string }[]).map(
          (p) => html`<li><code>${String(p.port ?? '?')}/${p.proto ?? 'tcp'}</code> ${p.service ?? ''}</li>`,
        )}</ul>`}
        ${(d.scan.findings as { text?: string }[]).map((f) => html`<p class="bad small">${f.text ?? JSON.stringify(f)}</p>`)}`}
    </section>
  </div>
  <section class="card" id="device-incidents"><h2>Incidents <a class="small" href="/alerts?mac=${d.device.mac}">all →</a></h2>
    ${d.incidents.rows.length === 0 ? html`<p class="muted">No incidents for this device.</p>` : html`<div class="table-wrap"><table class="data compact stack incidents">${incidentTableHead(false)}<tbody>${d.incidents.rows.map((i) => incidentRow(i, d.incidents.views(i)))}</tbody></table></div>`}
  </section>
  <section class="card" id="device-alerts"><h2>Alerts <span class="muted small">the detail behind the incidents</span></h2>
    ${d.alerts.length === 0
      ? html`<p class="muted">No alerts for this device.</p>`
      : // folded while incidents sum them up: a scan's anomaly rows are dozens of lines saying one thing
        html`<details class="section"${d.incidents.rows.length === 0 ? raw(' open') : ''}><summary>${d.alerts.length} newest alert${d.alerts.length === 1 ? '' : 's'}</summary><div class="table-wrap"><table class="data compact stack">${alertTableHead()}<tbody>${d.alerts.map((a) => alertRow(a, { csrf: d.csrf, canAct: d.canAct, deviceName: name }))}</tbody></table></div></details>`}
  </section>
  <div class="grid2">
    <section class="card" id="top-destinations"><h2>Top destinations, ${d.range.key}</h2>
      ${d.top.length === 0 ? html`<p class="muted">${f.gateway ? 'None of its own: the gateway passes the other devices’ traffic on, and their destinations are on their own pages and the Overview.' : `No traffic to the internet stored in the last ${d.range.label}.`}</p>` : html`<div class="table-wrap"><table class="data compact"><thead><tr><th>Destination</th><th>Flows</th><th>Bytes</th></tr></thead><tbody>${d.top.map(
        (t) => html`<tr><td><code>${t.ip}</code>${t.name ?? d.names.get(t.ip) ? html` <span class="muted small">${dnsName((t.name ?? d.names.get(t.ip))!)}</span>` : ''}${d.geo !== null ? html`<div>${whereOf(d.geo.where(t.ip))}</div>` : ''}</td><td>${fmtInt(t.flows)}</td><td>${fmtBytes(t.bytes)}</td></tr>`,
      )}</tbody></table></div>`}
      ${d.geo !== null && d.geo.shares.countries.some((s) => s.key !== LOCAL) ? html`<h3>By country</h3>${sharesTable('Country', d.geo.shares.countries)}<h3>By network</h3>${sharesTable('Network', d.geo.shares.networks)}${geoCredit()}` : ''}
    </section>
    <section class="card"><h2>Recent flows</h2>
      ${d.flows.length === 0 ? html`<p class="muted">No flows stored.</p>` : html`<div class="table-wrap"><table class="data compact flows"><thead><tr><th>End (UTC)</th><th>Peer</th><th>Name</th><th class="hide-sm">State</th><th class="hide-sm">Bytes</th></tr></thead><tbody>${d.flows.map((f) => {
        const out = f.srcMac === d.device.mac;
        return html`<tr><td class="nowrap small">${fmtTime(f.endUs).slice(11)}</td>
          <td class="nowrap small" title="${f.srcIp}:${f.srcPort} → ${f.dstIp}:${f.dstPort}">${out ? '→' : '←'} <code>${out ? f.dstIp : f.srcIp}:${out ? f.dstPort : f.srcPort}</code> <span class="muted">${PROTO[f.proto] ?? f.proto}</span></td>
          <td class="small name">${flowName(f, d.names)}</td><td class="hide-sm"><code>${f.connState}</code></td><td class="hide-sm nowrap small">${fmtBytes(f.bytesToServer + f.bytesToClient)}</td></tr>`;
      })}</tbody></table></div>`}
    </section>
  </div>`;
}

/** The device's recommendations: a badge with the response, the sentence, the alert kind as a small code. */
export function recommendationList(recs: readonly Recommendation[]): Html {
  if (recs.length === 0) return html`<p class="muted">Nothing to do.</p>`;
  return html`<ul class="plain">${recs.map((r) => html`<li><span class="badge resp-${r.response}">${r.response}</span> ${r.text}${r.kind === undefined ? '' : html` <code class="small">${r.kind}</code>`}</li>`)}</ul>`;
}
