/**
 * The overview page: traffic and anomaly-rate charts (drawn by app.js with uPlot from /ui/overview/series),
 * devices by trust level, the newest alerts (new ones are prepended live over SSE) and capture health.
 */
import type { AlertRow } from '../../store/alerts.js';
import type { CaptureHealth } from '../deps.js';
import { html, type Html } from '../html.js';
import { TRUST_LEVELS } from '../../trust/types.js';
import { alertRow, alertTableHead } from './alerts.js';
import { fmtAgo, fmtBytes, fmtInt, qs } from './format.js';

export interface OverviewData {
  capture: CaptureHealth;
  nowUs: number;
  byLevel: Record<string, number>;
  deviceCount: number;
  alerts24h: Record<1 | 2 | 3, number>;
  pendingActions: number;
  activeActions: number;
  recent: AlertRow[];
  names: Map<string, string>;
  csrf: string;
  canAct: boolean;
}

/** The capture health card; the live stream replaces it every 2 s (same id, outerHTML). */
export function captureHealth(c: CaptureHealth, nowUs: number): Html {
  const drops = c.drops.kernel + c.drops.interface;
  const lossPct = c.packets + drops > 0 ? (100 * drops) / (c.packets + drops) : 0;
  return html`<section class="card" id="capture-health">
    <h2>Capture</h2>
    <dl class="kv">
      <dt>Mode</dt><dd>${c.mode}${c.iface !== '' ? html` on <code>${c.iface}</code>` : ''}</dd>
      <dt>Packets</dt><dd>${fmtInt(c.packets)} <span class="muted">(${fmtBytes(c.bytes)})</span></dd>
      <dt>Flows</dt><dd>${fmtInt(c.flows)} exported, ${fmtInt(c.activeFlows)} active</dd>
      <dt>Drops</dt><dd class="${drops > 0 ? 'bad' : ''}">${fmtInt(c.drops.kernel)} kernel, ${fmtInt(c.drops.interface)} interface${drops > 0 ? html` (${lossPct.toFixed(2)} %)` : ''}</dd>
      <dt>Last packet</dt><dd>${fmtAgo(c.lastPacketUs, nowUs)}</dd>
    </dl>
  </section>`;
}

export function overviewPage(d: OverviewData): Html {
  return html`<h1>Overview</h1>
  <div class="tiles">
    <a class="tile" href="/alerts${qs({ severity: 1 })}"><span class="n sev-high-text">${fmtInt(d.alerts24h[1])}</span><span>high alerts, 24 h</span></a>
    <a class="tile" href="/alerts${qs({ severity: 2 })}"><span class="n">${fmtInt(d.alerts24h[2])}</span><span>medium, 24 h</span></a>
    <a class="tile" href="/devices"><span class="n">${fmtInt(d.deviceCount)}</span><span>devices</span></a>
    <a class="tile" href="/quarantine"><span class="n">${fmtInt(d.activeActions)}</span><span>in quarantine${d.pendingActions > 0 ? html`, <b>${d.pendingActions} awaiting approval</b>` : ''}</span></a>
  </div>
  <div class="grid2">
    <section class="card"><h2>Traffic per hour</h2><div class="chart" id="chart-traffic" data-chart="traffic" data-src="/ui/overview/series"></div></section>
    <section class="card"><h2>Anomaly rate</h2><div class="chart" id="chart-anomaly" data-chart="anomaly" data-src="/ui/overview/series"></div></section>
    <section class="card"><h2>Live packet rate</h2><div class="chart" id="chart-live" data-chart="live"></div></section>
    <section class="card"><h2>Devices by trust level</h2>
      <ul class="levels">${[...TRUST_LEVELS, 'unknown'].map(
        (l) => html`<li><a href="/devices${qs({ level: l })}"><span class="badge lvl-${l}">${l}</span> <b>${fmtInt(d.byLevel[l] ?? 0)}</b></a></li>`,
      )}</ul>
    </section>
    ${captureHealth(d.capture, d.nowUs)}
  </div>
  <section class="card"><h2>Recent alerts <a class="small" href="/alerts">all →</a></h2>
    <div class="table-wrap"><table class="data compact stack">${alertTableHead()}
      <tbody id="recent-alerts">${d.recent.map((a) => alertRow(a, { csrf: d.csrf, canAct: d.canAct, deviceName: a.srcMac !== null ? (d.names.get(a.srcMac) ?? null) : null }))}</tbody>
    </table></div>
    ${d.recent.length === 0 ? html`<p class="muted" id="no-alerts">No alerts yet.</p>` : ''}
  </section>`;
}
