/** The models page: which model scores flows, its training metrics, learning progress, and a retrain button. */
import type { ModelRow } from '../../store/registry.js';
import type { ModelStatus } from '../deps.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtInt, fmtTime } from './format.js';

export interface ModelsPageData {
  status: ModelStatus;
  models: ModelRow[];
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

function value(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? fmtInt(v) : v.toPrecision(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A flat key/value list of a metrics object (nested objects one level deep, arrays summarised). */
function metricList(m: Record<string, unknown> | null): Html {
  if (m === null || Object.keys(m).length === 0) return html`<p class="muted">No metrics recorded.</p>`;
  return html`<dl class="kv">${Object.entries(m).map(([k, v]) =>
    Array.isArray(v)
      ? html`<dt>${k}</dt><dd>${v.length} values${v.length > 0 ? html`, last ${value(v[v.length - 1])}` : ''}</dd>`
      : v !== null && typeof v === 'object'
        ? html`<dt>${k}</dt><dd>${Object.entries(v as Record<string, unknown>).slice(0, 12).map(([k2, v2]) => html`${k2}: ${value(v2)}<br>`)}</dd>`
        : html`<dt>${k}</dt><dd>${value(v)}</dd>`,
  )}</dl>`;
}

export function modelsPage(d: ModelsPageData): Html {
  const s = d.status;
  const pct = Math.round(Math.max(0, Math.min(1, s.learningProgress)) * 100);
  return html`<h1>Models</h1>
  ${d.message}
  <div class="grid2">
    <section class="card"><h2>Status</h2>
      <dl class="kv">
        <dt>State</dt><dd><span class="badge st-${s.state}">${s.state}</span></dd>
        <dt>Active model</dt><dd>${s.activeId ?? '—'}</dd>
        <dt>Flows scored</dt><dd>${fmtInt(s.flowsScored)}</dd>
        ${s.lastError !== null ? html`<dt>Last error</dt><dd class="bad">${s.lastError}</dd>` : ''}
      </dl>
      <p>Learning period <progress max="100" value="${pct}">${pct} %</progress> ${pct} %</p>
      ${d.canAct ? html`<form method="post" action="/models/retrain">${csrfField(d.csrf)}<button type="submit"${s.state === 'training' ? html` disabled` : ''}>Retrain on collected flows</button></form>` : ''}
    </section>
    <section class="card"><h2>Training metrics</h2>${metricList(s.meta ?? d.models.find((m) => m.active)?.metrics ?? null)}</section>
  </div>
  <section class="card"><h2>Registered models</h2>
    ${d.models.length === 0 ? html`<p class="muted">None registered.</p>` : html`<div class="table-wrap"><table class="data"><thead><tr><th>Id</th><th>Trained (UTC)</th><th class="hide-sm">Features</th><th>Threshold</th><th></th></tr></thead><tbody>${d.models.map(
      (m) => html`<tr><td><code>${m.id}</code></td><td>${fmtTime(m.createdUs)}</td><td class="hide-sm">v${m.featureSchema}</td><td>${m.threshold.toFixed(3)}</td><td>${m.active ? html`<span class="badge st-active">active</span>` : ''}</td></tr>`,
    )}</tbody></table></div>`}
  </section>`;
}
