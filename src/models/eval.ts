/**
 * Evaluation of a model on labelled traffic, on its own: the flow-level metrics. `argus-edge eval` measures the
 * whole pipeline (src/eval/) and takes the labels format, labelOf and the metrics from here.
 *
 * Labels file: TSV, one interval per line, `start_epoch_s end_epoch_s ip label` (seconds may be
 * fractional; blank lines and lines starting with '#' are skipped, as is a header line whose first field is
 * not a number). A flow carries a label when either endpoint is `ip` and the flow's [start, end] overlaps
 * the interval; the first matching line wins. Every other flow is benign.
 *
 * Reported per model (raw scores) and for the ensemble: ROC AUC, and the TPR at FPR 1 % and 0.1 % (the best
 * true-positive rate of any score cut whose false-positive rate does not exceed the target). Per label:
 * flows, flows detected at the model's threshold, and the time from the label's start to the first
 * detection — a flow is detected when it is exported, so at its last packet (`endUs`).
 */
import type { FlowRecord } from '../flow/flow-record.js';
import type { EnsembleModel } from './ensemble.js';
import { scoreRecords } from './scorer.js';

export interface LabelInterval {
  startUs: number;
  endUs: number;
  ip: string;
  label: string;
}

/** Parse a labels TSV; throws with the line number on a malformed line (a bad input file, not bad bytes). */
export function parseLabels(text: string): LabelInterval[] {
  const out: LabelInterval[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(/\t+|\s+/);
    if (out.length === 0 && !Number.isFinite(Number(f[0]))) return; // header
    const [s, e, ip, ...rest] = f;
    const start = Number(s);
    const end = Number(e);
    if (!Number.isFinite(start) || !Number.isFinite(end) || !ip || rest.length === 0 || end < start) {
      throw new Error(`labels line ${i + 1}: expected 'start_epoch_s end_epoch_s ip label', got '${line}'`);
    }
    out.push({ startUs: Math.round(start * 1e6), endUs: Math.round(end * 1e6), ip, label: rest.join(' ') });
  });
  return out;
}

/** The label of a flow, or null when benign. */
export function labelOf(rec: FlowRecord, labels: readonly LabelInterval[]): string | null {
  for (const l of labels) {
    if ((rec.srcIp === l.ip || rec.dstIp === l.ip) && rec.startUs <= l.endUs && rec.endUs >= l.startUs) return l.label;
  }
  return null;
}

/**
 * ROC AUC of `scores` for the binary `positive` labels: the probability that a random positive outranks a
 * random negative, ties counting half (Mann–Whitney U with mid-ranks). null without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        pos++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Best TPR over score cuts (flag score ≥ cut) whose FPR ≤ `maxFpr`; null without both classes. */
export function tprAtFpr(scores: ArrayLike<number>, positive: ArrayLike<boolean>, maxFpr: number): number | null {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let fp = 0;
  let best = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    // tied scores are flagged together or not at all
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) tp++;
      else fp++;
    }
    if (fp / neg > maxFpr) break;
    best = tp / pos;
    i = j + 1;
  }
  return best;
}

export interface ScoreMetrics {
  rocAuc: number | null;
  tprAtFpr1pct: number | null;
  tprAtFpr01pct: number | null;
}

export interface LabelResult {
  label: string;
  /** earliest start of the label's intervals, epoch seconds */
  startEpochS: number;
  flows: number;
  detected: number;
  /** seconds from the label's start to the first detected flow's export; null when none was detected */
  timeToDetectionS: number | null;
}

export interface EvalResult {
  model: { id: string; threshold: number; thresholdQuantile: number };
  flows: number;
  positives: number;
  negatives: number;
  /** benign flows at or above the threshold */
  falseAlerts: number;
  metrics: { ensemble: ScoreMetrics; autoencoder: ScoreMetrics; 'isolation-forest': ScoreMetrics };
  labels: LabelResult[];
}

function metrics(scores: ArrayLike<number>, positive: ArrayLike<boolean>): ScoreMetrics {
  return { rocAuc: rocAuc(scores, positive), tprAtFpr1pct: tprAtFpr(scores, positive, 0.01), tprAtFpr01pct: tprAtFpr(scores, positive, 0.001) };
}

/** Score `records` with `model` and measure against `labels`. The result is plain JSON. */
export function evaluate(model: EnsembleModel, records: readonly FlowRecord[], labels: readonly LabelInterval[]): EvalResult {
  const events = scoreRecords(model, records);
  const n = records.length;
  const positive: boolean[] = new Array(n);
  const ens = new Float64Array(n);
  const ae = new Float64Array(n);
  const forest = new Float64Array(n);
  const perLabel = new Map<string, LabelResult & { firstUs: number }>();
  for (const l of labels) {
    const cur = perLabel.get(l.label);
    const startS = l.startUs / 1e6;
    if (cur) cur.startEpochS = Math.min(cur.startEpochS, startS);
    else perLabel.set(l.label, { label: l.label, startEpochS: startS, flows: 0, detected: 0, timeToDetectionS: null, firstUs: Infinity });
  }
  let falseAlerts = 0;
  for (let i = 0; i < n; i++) {
    const ev = events[i]!;
    ens[i] = ev.score;
    ae[i] = ev.models[0]!.raw;
    forest[i] = ev.models[1]!.raw;
    const label = labelOf(records[i]!, labels);
    positive[i] = label !== null;
    if (label === null) {
      if (ev.alert) falseAlerts++;
      continue;
    }
    const lr = perLabel.get(label)!;
    lr.flows++;
    if (ev.alert) {
      lr.detected++;
      if (records[i]!.endUs < lr.firstUs) lr.firstUs = records[i]!.endUs;
    }
  }
  const pos = positive.filter(Boolean).length;
  return {
    model: { id: model.id, threshold: model.threshold, thresholdQuantile: model.meta.thresholdQuantile },
    flows: n,
    positives: pos,
    negatives: n - pos,
    falseAlerts,
    metrics: { ensemble: metrics(ens, positive), autoencoder: metrics(ae, positive), 'isolation-forest': metrics(forest, positive) },
    labels: [...perLabel.values()].map(({ firstUs, ...r }) => ({
      ...r,
      timeToDetectionS: Number.isFinite(firstUs) ? Math.max(0, firstUs / 1e6 - r.startEpochS) : null,
    })),
  };
}

/** Human-readable report of an EvalResult. */
export function formatEval(r: EvalResult): string {
  const f = (v: number | null, d = 4): string => (v === null ? 'n/a' : v.toFixed(d));
  const lines = [
    `model ${r.model.id}  threshold ${r.model.threshold.toFixed(6)} (benign quantile ${r.model.thresholdQuantile})`,
    `flows ${r.flows}: ${r.positives} labelled, ${r.negatives} benign, ${r.falseAlerts} benign flows alerted`,
    '',
    'model               ROC AUC   TPR@FPR1%  TPR@FPR0.1%',
  ];
  for (const [name, m] of Object.entries(r.metrics)) {
    lines.push(`${name.padEnd(18)}  ${f(m.rocAuc).padStart(7)}  ${f(m.tprAtFpr1pct).padStart(9)}  ${f(m.tprAtFpr01pct).padStart(11)}`);
  }
  lines.push('', 'label                     flows  detected  first detection');
  for (const l of r.labels) {
    lines.push(`${l.label.padEnd(24)}  ${String(l.flows).padStart(5)}  ${String(l.detected).padStart(8)}  ${l.timeToDetectionS === null ? 'never' : `${l.timeToDetectionS.toFixed(3)} s`}`);
  }
  return lines.join('\n');
}
