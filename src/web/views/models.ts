/**
 * The models page in words: what the anomaly model knows (learning, trained on this network, or the bundled
 * model), what changed at the last retrain, a retrain whose confirmation says what it learns from and what it
 * leaves out, a roll back to the previous model, and the registry. The raw metadata sits behind a disclosure,
 * cut to RAW_MAX characters and scrolled inside a box of bounded height.
 */
import type { ModelRow } from '../../store/registry.js';
import type { ModelStatus } from '../deps.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtInt, fmtTime } from './format.js';

/** the raw details are cut here: the loss history and calibration tables of a model run to megabytes */
export const RAW_MAX = 4000;

/** The models.* settings the page explains. */
export interface ModelSettings {
  enabled: boolean;
  learn: boolean;
  learningPeriodHours: number;
  minTrainFlows: number;
  maxTrainFlows: number;
  /** models.threshold: the calibration quantile mapped to the alert threshold */
  thresholdQuantile: number;
  /** models.alertBudgetPerDay when the configuration has it */
  alertBudgetPerDay: number | null;
}

export interface ModelsPageData {
  status: ModelStatus;
  models: ModelRow[];
  settings: ModelSettings;
  /** a roll back is offered (the service supports it and an earlier model is registered) */
  canRollBack: boolean;
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

interface MetaView {
  name: string;
  trainedAtUs: number;
  flowCount: number;
  threshold: number;
  thresholdQuantile: number | null;
  valLoss: number | null;
  /** meta.alertBudget of models trained with one */
  budget: { perDay: number; q: number; from: string; flowsPerDevicePerDay: number | null } | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** What the page reads from meta.json, tolerating older or partial files. */
function metaView(meta: Record<string, unknown> | null, row: ModelRow | undefined): MetaView | null {
  if (meta === null && row === undefined) return null;
  const losses = (meta?.['losses'] ?? row?.metrics['losses']) as { autoencoder?: { valLoss?: unknown } } | undefined;
  return {
    name: String(meta?.['name'] ?? row?.name ?? 'unknown'),
    trainedAtUs: num(meta?.['trainedAtUs']) ?? row?.createdUs ?? 0,
    flowCount: num(meta?.['flowCount']) ?? num(row?.metrics['flowCount']) ?? 0,
    threshold: num(meta?.['threshold']) ?? row?.threshold ?? 0,
    thresholdQuantile: num(meta?.['thresholdQuantile']),
    valLoss: num(losses?.autoencoder?.valLoss),
    budget: budgetView(meta?.['alertBudget']),
  };
}

function budgetView(v: unknown): MetaView['budget'] {
  if (typeof v !== 'object' || v === null) return null;
  const b = v as Record<string, unknown>;
  const perDay = num(b['perDay']);
  const q = num(b['q']);
  if (perDay === null || q === null || !(q > 0)) return null;
  return { perDay, q, from: String(b['from'] ?? ''), flowsPerDevicePerDay: num(b['flowsPerDevicePerDay']) };
}

/** Time still to go: rounded down, with minutes ("23 h 55 min", where "24 h of 24 h left" was shown 5 min in). */
function leftText(h: number): string {
  if (h < 1) return hoursText(h);
  const whole = Math.floor(h);
  const min = Math.floor((h - whole) * 60);
  return `${whole} h${min > 0 ? ` ${min} min` : ''}`;
}

function hoursText(h: number): string {
  if (h < 1) return `${Math.max(1, Math.round(h * 60))} min`;
  return `${h < 10 ? h.toFixed(1).replace(/\.0$/, '') : Math.round(h)} h`;
}

/** "about one normal flow in 1,000 raises an alert" for the share of normal training flows below the threshold. */
function quantileText(q: number): string {
  return q >= 1 ? 'none of the normal flows it was checked on raised an alert' : `about one normal flow in ${fmtInt(1 / (1 - q))} raises an alert`;
}

/** A raw figure beside the words: small, secondary, named in its title. */
function rawCode(text: string, title: string): Html {
  return html`<code class="small muted" title="${title}">${text}</code>`;
}

/** How often the model alerts, in words; the threshold itself as a small code. */
function budgetText(s: ModelSettings, m: MetaView): Html {
  const b = m.budget;
  const code = rawCode(`threshold ${m.threshold.toFixed(3)}`, 'the anomaly score from which a flow alerts');
  if (b !== null && b.from === 'budget') {
    const per = b.flowsPerDevicePerDay !== null ? html` of the ${fmtInt(b.flowsPerDevicePerDay)} flows a device made a day in training` : '';
    return html`it aims at about <b>${fmtNum(b.perDay)} false alert${b.perDay === 1 ? '' : 's'} per device per day</b>${per} (its alert budget, <code>models.alertBudgetPerDay</code>): about one normal flow in ${fmtInt(1 / b.q)} raises an alert ${code}`;
  }
  const q = m.thresholdQuantile ?? s.thresholdQuantile;
  const note = s.alertBudgetPerDay !== null && b === null ? html`; models made from now on aim at ${fmtNum(s.alertBudgetPerDay)} false alerts per device per day instead (<code>models.alertBudgetPerDay</code>)` : '';
  return html`${quantileText(q)} ${code}${note}`;
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? fmtInt(v) : String(Number(v.toPrecision(3)));
}

/**
 * The threshold in force: its value, its source (the bundled model or this network's own model, raised while
 * learning, or adapted online to this network's scores) and how far the adaptation has come.
 */
function thresholdText(d: ModelsPageData): Html {
  const t = d.status.threshold;
  if (t === undefined || t === null) return html``;
  const own = d.models.some((r) => r.active);
  const origin = own ? "this network's own model" : 'the bundled model';
  const source =
    t.source === 'adapted'
      ? html`<span class="badge st-active">tuned</span> to this network's own traffic ${rawCode(`${own ? 'own' : 'bundled'} model's ${t.modelThreshold.toFixed(6)}`, "the model's own threshold")}`
      : t.source === 'learning'
        ? html`<span class="badge st-learning">${own ? 'own' : 'bundled'}</span> set by ${origin}, raised while it learns, so that only flows far outside the usual alert`
        : html`<span class="badge st-scoring">${own ? 'own' : 'bundled'}</span> set by ${origin}`;
  const progress = !t.adaptEnabled
    ? html`It does not tune itself to this network (<code>models.adapt.enabled</code> is off, or this is a replay).`
    : t.source === 'adapted'
      ? html`Tuned${t.lastFitUs > 0 ? html` at ${fmtTime(t.lastFitUs)} UTC` : ''} from this network's ${fmtInt(t.peaks)} most unusual flows${t.q !== null ? html`, aiming at one false alert in ${fmtInt(1 / t.q)} flows` : ''}. ${rawCode(`range ${t.lo.toFixed(6)}–${t.hi.toFixed(6)}`, 'the threshold stays within this range')}`
      : html`It tunes itself to this network once it has seen ${fmtInt(t.minPeaks)} of its most unusual flows (${fmtInt(t.peaks)} so far, <code>models.adapt.minPeaks</code>).`;
  return html`<p id="model-threshold"><b>When it alerts:</b> ${source}. ${rawCode(`threshold ${t.value.toFixed(6)}`, 'the anomaly score from which a flow alerts')} <span class="muted small">${progress}</span></p>`;
}

/** The state in one or two sentences. */
function stateText(d: ModelsPageData, m: MetaView | null): Html {
  const s = d.status;
  const cfg = d.settings;
  if (s.state === 'off' || !cfg.enabled) {
    return html`<p class="state-line"><span class="badge st-off">off</span> The anomaly models are turned off (<code>models.enabled: false</code>). The detectors still run.</p>`;
  }
  if (s.state === 'training') {
    return html`<p class="state-line"><span class="badge st-training">training</span> Training a model of this network now, in the background. ${m !== null ? html`The ${m.name} model` : 'The current model'} checks every flow meanwhile.</p>`;
  }
  const local = m !== null && m.name === 'local';
  if (s.state === 'learning') {
    const pct = Math.round(Math.max(0, Math.min(1, s.learningProgress)) * 100);
    const left = (1 - Math.max(0, Math.min(1, s.learningProgress))) * cfg.learningPeriodHours;
    return html`<p class="state-line"><span class="badge st-learning">learning</span> Learning this network: <b>${leftText(left)} of ${hoursText(cfg.learningPeriodHours)} left</b>${s.baselineFlows != null ? html`, ${fmtInt(s.baselineFlows)} flows collected so far` : ''}.
      Until then the ${m?.name ?? 'bundled'} model that ships with Argus Edge checks every flow.</p>
      <p><progress max="100" value="${pct}" aria-label="learning period">${pct} %</progress> ${pct} %</p>`;
  }
  if (m === null) return html`<p class="state-line"><span class="badge st-scoring">checking</span> Checking every flow.</p>`;
  return html`<p class="state-line"><span class="badge st-scoring">checking</span> ${
    local
      ? html`Trained on this network on <b>${fmtTime(m.trainedAtUs)}</b> UTC, from <b>${fmtInt(m.flowCount)} flows</b>; ${budgetText(cfg, m)}.`
      : html`Using the <b>${m.name}</b> model that ships with Argus Edge, trained on normal traffic of many networks (${fmtInt(m.flowCount)} flows, ${fmtTime(m.trainedAtUs).slice(0, 10)}); ${budgetText(cfg, m)}.${cfg.learn ? '' : html` It does not learn this network (<code>models.learn: false</code>).`}`
  }</p>`;
}

/** "What changed at the last retrain": the active registry model against the one before it. */
function changesText(models: ModelRow[]): Html {
  const active = models.find((r) => r.active);
  if (active === undefined) return html`<p class="muted">No model of this network yet: nothing has been retrained.</p>`;
  const previous = models.find((r) => !r.active && r.createdUs < active.createdUs);
  const flows = (r: ModelRow) => num(r.metrics['flowCount']) ?? num(r.metrics['flows']);
  if (previous === undefined) {
    const n = flows(active);
    return html`<p>The first model of this network, trained on ${fmtTime(active.createdUs)} UTC${n !== null ? html` from ${fmtInt(n)} flows` : ''}. Before it the bundled model checked every flow.</p>`;
  }
  const items: Html[] = [];
  const a = flows(active);
  const b = flows(previous);
  if (a !== null && b !== null) items.push(html`<li>Learnt from <b>${fmtInt(a)}</b> flows (the previous model: ${fmtInt(b)}).</li>`);
  if (active.threshold !== previous.threshold) {
    const stricter = active.threshold > previous.threshold;
    items.push(html`<li>Alerts <b>${stricter ? 'less' : 'more'} often</b>: a flow must now look ${stricter ? 'more' : 'less'} unusual to alert, so expect ${stricter ? 'fewer' : 'more'} unusual-traffic alerts. ${rawCode(`threshold ${previous.threshold.toFixed(3)} → ${active.threshold.toFixed(3)}`, 'the anomaly score from which a flow alerts')}</li>`);
  } else items.push(html`<li>Alerts as often as before. ${rawCode(`threshold ${active.threshold.toFixed(3)}`, 'the anomaly score from which a flow alerts')}</li>`);
  const va = num((active.metrics['losses'] as { autoencoder?: { valLoss?: unknown } } | undefined)?.autoencoder?.valLoss);
  const vb = num((previous.metrics['losses'] as { autoencoder?: { valLoss?: unknown } } | undefined)?.autoencoder?.valLoss);
  if (va !== null && vb !== null) {
    items.push(html`<li>It recognises normal traffic it was not trained on ${va <= vb ? 'better' : 'less well'} than before. ${rawCode(`validation loss ${vb.toPrecision(3)} → ${va.toPrecision(3)}`, 'lower is better')}</li>`);
  }
  if (active.featureSchema !== previous.featureSchema) items.push(html`<li>It looks at a newer set of details of each flow. ${rawCode(`features v${previous.featureSchema} → v${active.featureSchema}`, 'feature schema')}</li>`);
  return html`<p>Retrained on ${fmtTime(active.createdUs)} UTC, replacing the model of ${fmtTime(previous.createdUs)} UTC:</p><ul>${items}</ul>`;
}

function retrainForm(d: ModelsPageData): Html {
  if (!d.canAct || !d.settings.enabled) return html``;
  const c = d.settings;
  const training = d.status.state === 'training';
  const have = d.status.baselineFlows ?? 0;
  return html`<details class="confirm" id="retrain">
    <summary class="button-like">Retrain…</summary>
    <div class="confirm-body">
      <p><b>What it learns from:</b> ${
        have >= c.minTrainFlows
          ? html`the ${fmtInt(have)} flows collected since the learning period began`
          : html`the flows stored over the last ${hoursText(c.learningPeriodHours)} of packet time`
      }, evenly sampled to at most ${fmtInt(c.maxTrainFlows)}; it needs at least ${fmtInt(c.minTrainFlows)}. Whatever those flows show is taken as normal for this network.</p>
      <p><b>What it leaves out:</b> flows older than that period and flows the store no longer keeps; flows that raised an anomaly alert; every flow of a device during one of its incidents (a minute either side); and all flows of devices at trust level alert or critical in the period. The log and the audit entry say how many were left out and why. The detectors (scans, brute force, floods, tunnels) are rule-based and do not change.</p>
      <p><b>What it must still catch:</b> the new model replaces the current one only if it still alerts on at least half of the flows the current one caught while a detector raised an incident about the same device. Otherwise the current model stays and this page says why; tick the box below to replace it anyway.</p>
      <p>Training runs in the background (minutes on a Pi); the current model keeps scoring until the new one replaces it. You can roll back afterwards.</p>
      <form method="post" action="/models/retrain">${csrfField(d.csrf)}<label><input type="checkbox" name="force" value="1"> replace the model even if it stops alerting on past attacks</label> <button type="submit"${training ? html` disabled` : ''}>${training ? 'Training…' : 'Retrain now'}</button></form>
    </div>
  </details>`;
}

function rollbackForm(d: ModelsPageData): Html {
  if (!d.canAct || !d.canRollBack) return html``;
  const active = d.models.find((r) => r.active)!;
  const previous = d.models.find((r) => !r.active && r.createdUs < active.createdUs)!;
  return html`<form method="post" action="/models/rollback" class="inline" id="rollback">${csrfField(d.csrf)}
    <button type="submit"${d.status.state === 'training' ? html` disabled` : ''} title="make ${previous.id} the active model again">Roll back to the previous model</button>
    <span class="muted small">(trained ${fmtTime(previous.createdUs)} UTC)</span></form>`;
}

/** The metadata as JSON, without the arrays that make it huge, cut to `max` characters. */
export function rawDetails(meta: Record<string, unknown> | null, max = RAW_MAX): string {
  if (meta === null) return 'no model loaded';
  const text = JSON.stringify(
    meta,
    (_k, v: unknown) => (Array.isArray(v) && v.length > 8 ? `[${v.length} values, first ${JSON.stringify(v.slice(0, 3))}…]` : v),
    2,
  );
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${fmtInt(text.length - max)} more characters)`;
}

export function modelsPage(d: ModelsPageData): Html {
  const s = d.status;
  const activeRow = d.models.find((m) => m.active);
  const m = metaView(s.meta, activeRow);
  return html`<h1>Models</h1>
  ${d.message}
  <div class="grid2">
    <section class="card" id="model-state"><h2>What the model knows</h2>
      ${stateText(d, m)}
      ${thresholdText(d)}
      <p class="muted small">${fmtInt(s.flowsScored)} flows checked since the appliance started.</p>
      ${s.lastError !== null ? html`<p class="bad">The last training failed: ${s.lastError}</p>` : ''}
      <div class="buttons">${retrainForm(d)} ${rollbackForm(d)}</div>
    </section>
    <section class="card" id="model-changes"><h2>What changed at the last retrain</h2>${changesText(d.models)}</section>
  </div>
  <section class="card"><h2>Models of this network</h2>
    ${d.models.length === 0 ? html`<p class="muted">None yet: the bundled model checks every flow.</p>` : html`<div class="table-wrap"><table class="data"><thead><tr><th>Model</th><th>Trained (UTC)</th><th class="hide-sm">Flows</th><th>Alerts from</th><th></th></tr></thead><tbody>${d.models.slice(0, 20).map(
      (r) => html`<tr><td><code class="wrap">${r.id}</code></td><td>${fmtTime(r.createdUs)}</td><td class="hide-sm">${fmtInt(num(r.metrics['flowCount']) ?? num(r.metrics['flows']) ?? 0)}</td><td>${rawCode(r.threshold.toFixed(3), 'the anomaly score from which a flow alerts')}</td><td>${r.active ? html`<span class="badge st-active">in use</span>` : ''}</td></tr>`,
    )}</tbody></table></div>`}
  </section>
  <details class="card raw" id="model-raw"><summary>Raw details of the model in use</summary>
    <pre class="raw-json">${rawDetails(s.meta)}</pre>
  </details>`;
}
