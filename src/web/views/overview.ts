/**
 * The overview page. It opens with "Needs attention": the open incidents nobody acknowledged or muted, most
 * severe first, each with the device, one sentence of what it did and the buttons to act (the live stream
 * replaces the list when an incident changes), and a banner while the model is still learning this network.
 * Below, over the range the picker chose (1 h, 24 h, 7 d): traffic and anomaly-rate charts (drawn by app.js
 * with uPlot from /ui/overview/series), the top devices by traffic, top remote destinations and top DNS names;
 * then devices by trust level and capture health.
 */
import type { IncidentRow } from '../../store/incidents.js';
import type { IncidentSeverity } from '../../incidents/types.js';
import type { CaptureHealth, ModelStatus } from '../deps.js';
import { html, type Html } from '../html.js';
import { TRUST_LEVELS } from '../../trust/types.js';
import { dnsName, fmtAgo, fmtBytes, fmtInt, qs } from './format.js';
import { incidentCard, type IncidentViewOptions } from './incident.js';
import { rangePicker, type TimeRange } from '../range.js';
import { OTHER_KEY, type TopLists } from '../top-queries.js';
import type { GeoInfo } from '../../enrich/index.js';
import type { GeoShares } from '../geo-summary.js';
import { geoCredit, sharesTable, whereOf } from './geo.js';

export interface OverviewData {
  range: TimeRange;
  tops: TopLists;
  /** what the offline databases know of the remote addresses (null: enrich.enabled is false) */
  geo: { where: (ip: string) => GeoInfo | undefined; shares: GeoShares } | null;
  /** display names of the top devices that have one */
  topNames: Map<string, string>;
  capture: CaptureHealth;
  /** when `capture` was read (live-stamp.ts): the live stream's later cards replace it, older ones never do */
  captureTaken: string;
  nowUs: number;
  byLevel: Record<string, number>;
  deviceCount: number;
  pendingActions: number;
  activeActions: number;
  attention: AttentionData;
  model: ModelStatus;
  message: Html | null;
}

export interface AttentionData {
  /** open, unacknowledged, unmuted incidents, most severe first (already cut to the list's length) */
  rows: IncidentRow[];
  /** all of them, by severity (the list may show fewer) */
  bySeverity: Record<IncidentSeverity, number>;
  views: (i: IncidentRow) => IncidentViewOptions;
}

/** "Needs attention": its own element, so the live stream can replace it whole when an incident changes. */
export function attentionSection(a: AttentionData): Html {
  const total = a.bySeverity.critical + a.bySeverity.high + a.bySeverity.medium + a.bySeverity.low;
  const more = total - a.rows.length;
  return html`<section class="card attention" id="attention">
    <h2>Needs attention <a class="small" href="/alerts${qs({ state: 'open', unacked: 1 })}">all incidents →</a></h2>
    ${a.rows.length === 0
      ? html`<p class="muted" id="no-incidents">Nothing needs attention: no open incident is waiting for you.</p>`
      : html`<ul class="incidents plain">${a.rows.map((i) => incidentCard(i, a.views(i)))}</ul>
        ${more > 0 ? html`<p class="small"><a href="/alerts${qs({ state: 'open', unacked: 1 })}">${fmtInt(more)} more open incident${more === 1 ? '' : 's'} →</a></p>` : ''}`}
  </section>`;
}

/** The learning banner: shown while the model collects this network's baseline. */
export function learningBanner(m: ModelStatus): Html {
  if (m.state !== 'learning') return html``;
  const done = Math.max(0, Math.min(1, m.learningProgress));
  const pct = Math.round(done * 100);
  // minutes into a day-long period round to "0 %", which reads as "not started"
  const said = done > 0 && pct === 0 ? 'less than 1 %' : `${pct} %`;
  return html`<p class="banner" id="learning-banner" role="status"><b>Still learning this network</b> (${said} of the learning period done).
    Until it has learned what is normal here, only flows far outside the usual raise anomaly alerts; the detectors (scans, password guessing, beacons, …) work from the start.
    <progress max="100" value="${pct}">${pct} %</progress> <a href="/models">model →</a></p>`;
}

/**
 * The capture health card; the live stream replaces it every 2 s (same id, outerHTML). `taken` stamps the
 * reading (live-stamp.ts): app.js lets a card replace the one shown only when it was read later.
 */
export function captureHealth(c: CaptureHealth, nowUs: number, taken: string): Html {
  const drops = c.drops.kernel + c.drops.interface;
  const lossPct = c.packets + drops > 0 ? (100 * drops) / (c.packets + drops) : 0;
  return html`<section class="card" id="capture-health" data-taken="${taken}">
    <h2>Capture</h2>
    <dl class="kv">
      <dt>Mode</dt><dd>${c.mode}${c.iface !== '' ? html` on <code>${c.iface}</code>` : ''}</dd>
      <dt>Packets</dt><dd>${fmtInt(c.packets)} <span class="muted">(${fmtBytes(c.bytes)})</span></dd>
      <dt>Flows</dt><dd>${fmtInt(c.flows)} exported, ${fmtInt(c.activeFlows)} active</dd>
      <dt>Drops</dt><dd class="${drops > 0 || (c.queueDrops ?? 0) > 0 ? 'bad' : ''}">${fmtInt(c.drops.kernel)} kernel, ${fmtInt(c.drops.interface)} interface${drops > 0 ? html` (${lossPct.toFixed(2)} %)` : ''}${c.queueDrops !== undefined ? html`, ${fmtInt(c.queueDrops)} records the store could not keep` : ''}</dd>
      ${(c.floodFolded ?? 0) > 0 ? html`<dt>Flood</dt><dd>${fmtInt(c.floodFolded!)} half-open flows folded into flood incidents</dd>` : ''}
      <dt>Last packet</dt><dd>${fmtAgo(c.lastPacketUs, nowUs)}</dd>
    </dl>
  </section>`;
}

const other = html`<span class="muted">others (past the hourly limit)</span>`;

/** Top devices by traffic, top remote destinations, top DNS names (Pi-hole's staple), over the range. */
function topsCards(d: OverviewData): Html {
  const t = d.tops;
  const empty = html`<p class="muted">Nothing in the last ${d.range.label}.</p>`;
  return html`<section class="card" id="top-devices"><h2>Top devices by traffic</h2>
      ${t.devices.length === 0 ? empty : html`<div class="table-wrap"><table class="data compact"><thead><tr><th>Device</th><th>Sent</th><th>Received</th></tr></thead><tbody>${t.devices.map(
        (r) => html`<tr><td>${/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(r.device) ? html`<a href="/devices/${r.device}${qs({ range: d.range.key })}">${d.topNames.get(r.device) ?? r.device}</a>` : html`<code>${r.device}</code>`}</td><td class="nowrap">${fmtBytes(r.bytesOut)}</td><td class="nowrap">${fmtBytes(r.bytesIn)}</td></tr>`,
      )}</tbody></table></div>`}
    </section>
    <section class="card" id="top-destinations"><h2>Top destinations on the internet</h2>
      ${t.remotes.length === 0 ? empty : html`<div class="table-wrap"><table class="data compact"><thead><tr><th>Destination</th><th>Flows</th><th>Bytes</th></tr></thead><tbody>${t.remotes.map(
        (r) => html`<tr><td>${r.ip === OTHER_KEY ? other : html`${r.name !== null ? html`${dnsName(r.name)} ` : ''}<code class="small">${r.ip}</code>${d.geo !== null ? html`<div>${whereOf(d.geo.where(r.ip))}</div>` : ''}`}</td><td class="n">${fmtInt(r.flows)}</td><td class="n">${fmtBytes(r.bytes)}</td></tr>`,
      )}</tbody></table></div>`}
      ${d.geo !== null && d.geo.shares.countries.length > 0 ? html`<details class="section" id="top-countries" open><summary>By country and network</summary>${sharesTable('Country', d.geo.shares.countries)}${sharesTable('Network', d.geo.shares.networks)}${geoCredit()}</details>` : ''}
    </section>
    <section class="card" id="top-names"><h2>Top DNS names</h2>
      ${t.names.length === 0 ? empty : html`<div class="table-wrap"><table class="data compact"><thead><tr><th>Name</th><th>Queries</th><th title="answered: no such name">Not found</th></tr></thead><tbody>${t.names.map(
        (r) => html`<tr><td class="name">${r.qname === OTHER_KEY ? other : dnsName(r.qname)}</td><td class="n">${fmtInt(r.queries)}</td><td class="n">${r.nxdomain > 0 ? fmtInt(r.nxdomain) : ''}</td></tr>`,
      )}</tbody></table></div>`}
    </section>`;
}

export function overviewPage(d: OverviewData): Html {
  const s = d.attention.bySeverity;
  return html`<h1>Overview</h1>
  ${d.message}
  ${learningBanner(d.model)}
  ${attentionSection(d.attention)}
  <div class="tiles">
    <a class="tile" href="/alerts${qs({ state: 'open', severity: 'high' })}"><span class="n sev-high-text">${fmtInt(s.critical + s.high)}</span><span>open high or critical incidents</span></a>
    <a class="tile" href="/alerts${qs({ state: 'open', severity: 'medium' })}"><span class="n">${fmtInt(s.medium)}</span><span>open medium incidents</span></a>
    <a class="tile" href="/devices"><span class="n">${fmtInt(d.deviceCount)}</span><span>devices</span></a>
    <a class="tile" href="/quarantine"><span class="n">${fmtInt(d.activeActions)}</span><span>in quarantine${d.pendingActions > 0 ? html`, <b>${d.pendingActions} awaiting approval</b>` : ''}</span></a>
  </div>
  <div class="range-bar"><span class="muted small">Charts and top lists: the last ${d.range.label}</span> ${rangePicker('/', d.range)}</div>
  <div class="grid2">
    <section class="card"><h2>Traffic per hour</h2><div class="chart" id="chart-traffic" data-chart="traffic" data-src="/ui/overview/series?hours=${d.range.hours}"></div></section>
    <section class="card"><h2>Anomaly rate</h2><div class="chart" id="chart-anomaly" data-chart="anomaly" data-src="/ui/overview/series?hours=${d.range.hours}"></div></section>
    ${topsCards(d)}
    <section class="card"><h2>Live packet rate</h2><div class="chart" id="chart-live" data-chart="live"></div></section>
    <section class="card"><h2>Devices by trust level</h2>
      <ul class="levels">${[...TRUST_LEVELS, 'unknown'].map(
        (l) => html`<li><a href="/devices${qs({ level: l })}"><span class="badge lvl-${l}">${l}</span> <b>${fmtInt(d.byLevel[l] ?? 0)}</b></a></li>`,
      )}</ul>
    </section>
    ${captureHealth(d.capture, d.nowUs, d.captureTaken)}
  </div>`;
}
