/** The human-readable form of an EvalReport: the summary, the model metrics and one row per label window. */
import type { EvalReport, WindowResult } from './types.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const num = (v: number | null, d: number): string => (v === null ? '-' : v.toFixed(d));
const kinds = (o: Partial<Record<string, number>>): string =>
  Object.entries(o)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${int(v ?? 0)}`)
    .join(', ') || 'none';

/** One row per window: label, host, length, detected, delays, first kind, alert and incident counts. */
export function formatWindows(labels: readonly WindowResult[]): string {
  const head = ['label', 'host', 'len s', 'detected', 'delay s', 'first by', 'detector s', 'incident s', 'alerts', 'incidents', 'flows alerted'];
  const rows = labels.map((l) => [
    l.label,
    l.role === 'victim' ? `${l.host} (victim)` : l.host,
    (l.endEpochS - l.startEpochS).toFixed(1),
    l.detected ? 'yes' : 'MISSED',
    num(l.delayS, 1),
    l.firstKind ?? '-',
    num(l.detectorDelayS, 1),
    num(l.incidentDelayS, 1),
    int(l.alerts),
    int(l.incidents),
    `${int(l.flowsAlerted)}/${int(l.flows)}`,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 || i === 5 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function formatReport(r: EvalReport): string {
  const out: string[] = [];
  for (const f of r.files) {
    out.push(`${f.path}: ${int(f.packets)} packets, ${int(f.flows)} flows, ${new Date(f.firstEpochS * 1000).toISOString()} to ${new Date(f.lastEpochS * 1000).toISOString()}${f.error ? `; damaged at ${f.error}` : ''}`);
  }
  const detected = r.labels.filter((l) => l.detected).length;
  out.push(
    r.model === null ? 'anomaly models off (models.enabled: false)' : `model ${r.model.id}  threshold ${r.model.threshold.toFixed(6)} (benign quantile ${r.model.thresholdQuantile})`,
    `capture   ${r.hours.toFixed(3)} h; ${int(r.flows)} flows: ${int(r.positives)} labelled, ${int(r.negatives)} benign, ${int(r.benignFlowsAlerted)} benign flows alerted by the models`,
    `alerts    ${int(r.alerts)} lines: ${kinds(r.alertsByKind)}`,
    `incidents ${int(r.incidents)}: ${kinds(r.incidentsByKind)}`,
    `false     ${int(r.falseAlerts)} alerts (${num(r.falseAlertsPerHour, 2)}/h), ${int(r.falseIncidents)} incidents (${num(r.falseIncidentsPerHour, 2)}/h) naming no labelled host in its window`,
  );
  for (const h of r.falseByHost.slice(0, 10)) out.push(`          ${h.host}: ${int(h.alerts)} alerts (${kinds(h.alertKinds)}), ${int(h.incidents)} incidents (${kinds(h.incidentKinds)})`);
  const byDetector = r.labels.filter((l) => l.detectorDelayS !== null).length;
  const withIncident = r.labels.filter((l) => l.incidentDelayS !== null).length;
  out.push(`windows   ${detected} of ${r.labels.length} detected, ${byDetector} by a detector alert, ${withIncident} with an incident (grace ${r.graceS} s after a window's end)`);
  if (r.metrics !== null) {
    out.push('', 'model               ROC AUC   TPR@FPR1%  TPR@FPR0.1%');
    for (const [name, m] of Object.entries(r.metrics)) {
      out.push(`${name.padEnd(18)}  ${num(m.rocAuc, 4).padStart(7)}  ${num(m.tprAtFpr1pct, 4).padStart(9)}  ${num(m.tprAtFpr01pct, 4).padStart(11)}`);
    }
  }
  if (r.labels.length > 0) out.push('', formatWindows(r.labels));
  return out.join('\n');
}
