/**
 * What `argus-edge eval` measures: the whole pipeline (detectors, anomaly models, incidents) replayed over
 * labelled captures. The JSON form of EvalReport is the stable output of `argus-edge eval --json`; keys are
 * only ever added.
 *
 * Labels: TSV lines `start_epoch_s end_epoch_s host label` (parseLabels in models/eval.ts). `host` is an IP
 * address (or a MAC). A label whose text starts with `victim:` (e.g. `victim:syn-flood`) names the host an
 * attack was aimed at; every other label names the host that attacked.
 *
 * A window is detected when an alert or an incident names its host inside it:
 * - an attacker window (`role: 'source'`): the alert's source is the host: its srcIp, or its srcMac when the
 *   host is written as a MAC, or when the source is an IPv6 address or 0.0.0.0 and the MAC is the one the
 *   host's IPv4 address was seen with in the capture (a MAC seen with several addresses, a router's, names nobody);
 * - a victim window (`role: 'victim'`): the host is among the alert's targets;
 * - in time: the alert's packet time (an incident's: that of the alert that opened it) lies in [start, end]; failing
 *   every window of the host, in (end, end + grace] of the one that ended last. The grace (default 60 s)
 *   covers detectors that judge a stretch of traffic after it ended.
 * An alert or incident that names no window's host that way is false: `falseAlerts`, `falseIncidents`, and
 * per hour of capture (first to last packet of each file, summed): every host that is not attacking is
 * benign traffic for the whole capture, attack windows included.
 *
 * Delays are measured from the window's start to the packet time at which the pipeline raised the first alert
 * or opened the first incident naming the host — its export time, which includes the flow table's timeouts
 * and the models' batching — so they are what a person watching the dashboard would have waited.
 */
import type { AlertKind } from '../detectors/alert.js';
import type { ScoreMetrics } from '../models/eval.js';

export type LabelRole = 'source' | 'victim';

export interface WindowResult {
  label: string;
  /** the labelled host as written in the labels file */
  host: string;
  role: LabelRole;
  startEpochS: number;
  endEpochS: number;
  /** whether any alert or incident named the host inside the window */
  detected: boolean;
  /** seconds from the window's start to the first alert or incident naming the host; null when none did */
  delayS: number | null;
  /** kind of that first alert or incident */
  firstKind: AlertKind | null;
  /** seconds to the first detector (non-anomaly) alert; null when none */
  detectorDelayS: number | null;
  /** seconds to the first incident opened about the host; null when none */
  incidentDelayS: number | null;
  /** alert lines naming the host in the window, and their kinds */
  alerts: number;
  alertKinds: Partial<Record<AlertKind, number>>;
  /** incidents naming the host in the window, and their kinds */
  incidents: number;
  incidentKinds: Partial<Record<AlertKind, number>>;
  /** flows with the host at either end overlapping the window, and how many of them the models alerted on */
  flows: number;
  flowsAlerted: number;
}

export interface FalseByHost {
  /** the alert's source (srcIp) */
  host: string;
  alerts: number;
  alertKinds: Partial<Record<AlertKind, number>>;
  incidents: number;
  incidentKinds: Partial<Record<AlertKind, number>>;
}

export interface EvalReport {
  /** the model that scored, or null when models.enabled is false */
  model: { id: string; threshold: number; thresholdQuantile: number } | null;
  files: { path: string; packets: number; flows: number; firstEpochS: number; lastEpochS: number; error: string | null }[];
  /** exported flows; positives have a labelled host at either end inside its window (as models/eval.ts labelOf) */
  flows: number;
  positives: number;
  negatives: number;
  /** benign flows the models scored at or above their threshold */
  benignFlowsAlerted: number;
  /** per model (raw scores) and the ensemble; null when the models are off */
  metrics: { ensemble: ScoreMetrics; autoencoder: ScoreMetrics; 'isolation-forest': ScoreMetrics } | null;
  /** hours of capture: first to last packet of each file, summed */
  hours: number;
  /** alert lines raised (detectors and anomaly), by kind */
  alerts: number;
  alertsByKind: Partial<Record<AlertKind, number>>;
  /** incidents opened, by kind */
  incidents: number;
  incidentsByKind: Partial<Record<AlertKind, number>>;
  falseAlerts: number;
  falseIncidents: number;
  /** null when the capture spans no time */
  falseAlertsPerHour: number | null;
  falseIncidentsPerHour: number | null;
  /** hosts behind false alerts or incidents, most first (at most 20) */
  falseByHost: FalseByHost[];
  graceS: number;
  /** one per labels line, in file order */
  labels: WindowResult[];
}
