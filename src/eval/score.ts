/**
 * EvalAccumulator: takes what the pipeline emits during a labelled replay (scored flows, alerts, incident
 * changes), each with the packet time at which it was emitted, and turns it into an EvalReport (types.ts
 * defines every number). Pure: no I/O, no clock; the same inputs give the same report.
 */
import type { Alert, AlertKind } from '../detectors/alert.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { Incident, IncidentEvent } from '../incidents/index.js';
import type { AnomalyEvent } from '../models/anomaly.js';
import { labelOf, rocAuc, tprAtFpr, type LabelInterval, type ScoreMetrics } from '../models/eval.js';
import type { EvalReport, FalseByHost, LabelRole, WindowResult } from './types.js';

/** `victim:…` labels name the attacked host; every other label the attacker. */
export function roleOf(label: string): LabelRole {
  return /^victim\b\s*[:\s]/i.test(label) ? 'victim' : 'source';
}

/** The parts of an alert or incident a window is matched on. */
interface Named {
  srcIp: string;
  srcMac: string | null;
  targets: readonly string[];
}

/**
 * Whether `x` names the window's host: for a victim, among the targets; for an attacker, as the source — its
 * address, or, when the source is an IPv6 address or 0.0.0.0, its MAC: the MAC written as the host, or one the
 * host's IPv4 address was seen with (so what the device raised from its link-local IPv6 address names it too).
 */
function names(w: { host: string; role: LabelRole; macs: ReadonlySet<string> }, x: Named): boolean {
  if (w.role === 'victim') return x.targets.includes(w.host);
  if (x.srcIp === w.host) return true;
  if (x.srcMac === null) return false;
  const mac = x.srcMac.toLowerCase();
  if (mac === w.host.toLowerCase()) return true;
  // another IPv4 source is another host, whatever MAC the alert carries; the MAC speaks for IPv6 and 0.0.0.0
  if (!x.srcIp.includes(':') && x.srcIp !== '0.0.0.0') return false;
  return w.macs.has(mac);
}

/** A MAC seen with more than this many IPv4 source addresses is a router's (or a NAT's): it names nobody. */
const MAX_IPS_PER_MAC = 1;
/** Most MACs whose addresses are tracked (the rest are not learned, and counted). */
const MAX_MACS = 65_536;

export interface AccumulatorOptions {
  /** after a window's end, seconds in which its host's alerts still count for it */
  graceS: number;
  /** addresses of "ours" (homeNets): only their MAC bindings are learned */
  isHome?: (ip: string) => boolean;
}

interface StoredAlert {
  id: string;
  tsUs: number;
  at: number;
  kind: AlertKind;
  srcIp: string;
  srcMac: string | null;
  targets: readonly string[];
}

interface WindowState {
  w: LabelInterval & { host: string; role: LabelRole; macs: Set<string> };
  firstUs: number;
  firstKind: AlertKind | null;
  detectorUs: number;
  incidentUs: number;
  alerts: number;
  alertKinds: Partial<Record<AlertKind, number>>;
  incidents: number;
  incidentKinds: Partial<Record<AlertKind, number>>;
  flows: number;
  flowsAlerted: number;
}

const bump = <K extends string>(o: Partial<Record<K, number>>, k: K, n = 1): void => void (o[k] = (o[k] ?? 0) + n);

/** Most hosts listed under falseByHost. */
const MAX_FALSE_HOSTS = 20;

export class EvalAccumulator {
  private readonly windows: WindowState[];
  private readonly graceUs: number;
  private readonly ens: number[] = [];
  private readonly ae: number[] = [];
  private readonly forest: number[] = [];
  private readonly positive: boolean[] = [];
  private benignFlowsAlerted = 0;
  private flowCount = 0;
  private positives = 0;
  private alerts = 0;
  private readonly alertsByKind: Partial<Record<AlertKind, number>> = {};
  private falseAlerts = 0;
  /** last snapshot of every incident and the packet time it opened at, by id */
  private readonly incidents = new Map<string, { inc: Incident; openedUs: number; openedBy: string | null }>();
  private readonly falseHosts = new Map<string, FalseByHost>();
  private readonly stored: StoredAlert[] = [];
  /** IPv4 source addresses inside homeNets each MAC was seen with (at most MAX_IPS_PER_MAC + 1 kept) */
  private readonly macIps = new Map<string, Set<string>>();
  private readonly isHome: (ip: string) => boolean;
  private reported = false;
  /** MACs not learned past MAX_MACS */
  macsDropped = 0;

  constructor(
    private readonly labels: readonly LabelInterval[],
    opts: AccumulatorOptions,
  ) {
    if (!(opts.graceS >= 0)) throw new Error(`grace must be a non-negative number of seconds, not ${opts.graceS}`);
    this.graceUs = opts.graceS * 1e6;
    this.isHome = opts.isHome ?? (() => true);
    this.windows = labels.map((l) => ({
      w: { ...l, host: l.ip, role: roleOf(l.label), macs: new Set<string>() },
      firstUs: Infinity,
      firstKind: null,
      detectorUs: Infinity,
      incidentUs: Infinity,
      alerts: 0,
      alertKinds: {},
      incidents: 0,
      incidentKinds: {},
      flows: 0,
      flowsAlerted: 0,
    }));
  }

  /** One exported flow and the models' verdict on it (null when the models are off). */
  addFlow(rec: Pick<FlowRecord, 'startUs' | 'endUs' | 'srcIp' | 'dstIp' | 'srcMac'>, ev: AnomalyEvent | null): void {
    if (rec.srcMac !== null && !rec.srcIp.includes(':') && this.isHome(rec.srcIp)) this.learn(rec.srcMac.toLowerCase(), rec.srcIp);
    const label = labelOf(rec as FlowRecord, this.labels);
    this.flowCount++;
    if (label !== null) this.positives++;
    const alerted = ev !== null && ev.alert;
    if (ev !== null) {
      this.ens.push(ev.score);
      this.ae.push(ev.models[0]!.raw);
      this.forest.push(ev.models[1]!.raw);
      this.positive.push(label !== null);
      if (label === null && alerted) this.benignFlowsAlerted++;
    }
    for (const s of this.windows) {
      if ((rec.srcIp === s.w.ip || rec.dstIp === s.w.ip) && rec.startUs <= s.w.endUs && rec.endUs >= s.w.startUs) {
        s.flows++;
        if (alerted) s.flowsAlerted++;
      }
    }
  }

  private learn(mac: string, ip: string): void {
    let ips = this.macIps.get(mac);
    if (ips === undefined) {
      if (this.macIps.size >= MAX_MACS) {
        this.macsDropped++;
        return;
      }
      this.macIps.set(mac, (ips = new Set()));
    }
    if (ips.size <= MAX_IPS_PER_MAC) ips.add(ip);
  }

  /** One alert line, raised when packet time was `raisedUs`; matched to the windows in report(). */
  addAlert(a: Alert, raisedUs: number): void {
    this.alerts++;
    bump(this.alertsByKind, a.kind);
    this.stored.push({ id: a.id, tsUs: a.tsUs, at: Math.max(raisedUs, a.tsUs), kind: a.kind, srcIp: a.srcIp, srcMac: a.srcMac, targets: a.targets });
  }

  private matchAlert(a: StoredAlert): void {
    const at = a.at;
    const hit = this.assign(a.tsUs, a);
    for (const s of hit) {
      s.alerts++;
      bump(s.alertKinds, a.kind);
      if (at < s.firstUs) [s.firstUs, s.firstKind] = [at, a.kind];
      if (a.kind !== 'anomaly' && at < s.detectorUs) s.detectorUs = at;
    }
    if (hit.length === 0) {
      this.falseAlerts++;
      const h = this.falseHost(a.srcIp);
      h.alerts++;
      bump(h.alertKinds, a.kind);
    }
  }

  /**
   * The windows an alert or incident at packet time `tsUs` belongs to. Per labelled host (and role) it names:
   * that host's windows containing `tsUs`; when none does, the host's window that ended last within the grace
   * before `tsUs`. So an attack's late alert is not credited to the host's earlier window, nor a window's miss
   * hidden by the host's next one.
   */
  private assign(tsUs: number, x: Named): WindowState[] {
    const out: WindowState[] = [];
    const late = new Map<string, WindowState>();
    const inside = new Set<string>();
    for (const s of this.windows) {
      if (!names(s.w, x)) continue;
      const key = `${s.w.role}|${s.w.host}`;
      if (tsUs >= s.w.startUs && tsUs <= s.w.endUs) {
        out.push(s);
        inside.add(key);
      } else if (tsUs > s.w.endUs && tsUs <= s.w.endUs + this.graceUs) {
        const cur = late.get(key);
        if (cur === undefined || s.w.endUs > cur.w.endUs) late.set(key, s);
      }
    }
    for (const [key, s] of late) if (!inside.has(key)) out.push(s);
    return out;
  }

  /** One incident change, emitted when packet time was `nowUs`. */
  addIncident(e: IncidentEvent, nowUs: number): void {
    const cur = this.incidents.get(e.incident.id);
    if (cur === undefined) this.incidents.set(e.incident.id, { inc: e.incident, openedUs: Math.max(nowUs, e.tsUs), openedBy: e.alertId ?? null });
    else cur.inc = e.incident;
  }

  private falseHost(ip: string): FalseByHost {
    let h = this.falseHosts.get(ip);
    if (h === undefined) this.falseHosts.set(ip, (h = { host: ip, alerts: 0, alertKinds: {}, incidents: 0, incidentKinds: {} }));
    return h;
  }

  /** The report, once; `hours` and `files` come from the replay. */
  report(model: EvalReport['model'], files: EvalReport['files'], hours: number): EvalReport {
    if (this.reported) throw new Error('EvalAccumulator.report() runs once: it matches the alerts to the windows');
    this.reported = true;
    for (const s of this.windows) {
      s.w.macs.clear();
      for (const [mac, ips] of this.macIps) if (ips.size <= MAX_IPS_PER_MAC && ips.has(s.w.host)) s.w.macs.add(mac);
    }
    const alertTs = new Map<string, number>();
    for (const a of this.stored) {
      this.matchAlert(a);
      alertTs.set(a.id, a.tsUs);
    }
    const incidentsByKind: Partial<Record<AlertKind, number>> = {};
    let falseIncidents = 0;
    for (const { inc, openedUs, openedBy } of this.incidents.values()) {
      bump(incidentsByKind, inc.kind);
      const x: Named = { srcIp: inc.srcIp, srcMac: inc.srcMac, targets: inc.target === '*' ? inc.targets : [inc.target, ...inc.targets] };
      // an incident belongs to the window of the alert that opened it: anomaly members joined from before it
      // opened, and later members, may be other traffic or other attacks
      const hit = this.assign((openedBy !== null ? alertTs.get(openedBy) : undefined) ?? inc.firstUs, x);
      for (const s of hit) {
        s.incidents++;
        bump(s.incidentKinds, inc.kind);
        if (openedUs < s.incidentUs) s.incidentUs = openedUs;
        if (openedUs < s.firstUs) [s.firstUs, s.firstKind] = [openedUs, inc.kind];
      }
      if (hit.length === 0) {
        falseIncidents++;
        const h = this.falseHost(inc.srcIp);
        h.incidents++;
        bump(h.incidentKinds, inc.kind);
      }
    }
    const m = (scores: number[]): ScoreMetrics => ({
      rocAuc: rocAuc(scores, this.positive),
      tprAtFpr1pct: tprAtFpr(scores, this.positive, 0.01),
      tprAtFpr01pct: tprAtFpr(scores, this.positive, 0.001),
    });
    const delay = (us: number, startUs: number): number | null => (Number.isFinite(us) ? Math.max(0, us - startUs) / 1e6 : null);
    const labels: WindowResult[] = this.windows.map((s) => ({
      label: s.w.label,
      host: s.w.host,
      role: s.w.role,
      startEpochS: s.w.startUs / 1e6,
      endEpochS: s.w.endUs / 1e6,
      detected: Number.isFinite(s.firstUs),
      delayS: delay(s.firstUs, s.w.startUs),
      firstKind: s.firstKind,
      detectorDelayS: delay(s.detectorUs, s.w.startUs),
      incidentDelayS: delay(s.incidentUs, s.w.startUs),
      alerts: s.alerts,
      alertKinds: s.alertKinds,
      incidents: s.incidents,
      incidentKinds: s.incidentKinds,
      flows: s.flows,
      flowsAlerted: s.flowsAlerted,
    }));
    const perHour = (v: number): number | null => (hours > 0 ? v / hours : null);
    return {
      model,
      files,
      flows: this.flowCount,
      positives: this.positives,
      negatives: this.flowCount - this.positives,
      benignFlowsAlerted: this.benignFlowsAlerted,
      metrics: model === null ? null : { ensemble: m(this.ens), autoencoder: m(this.ae), 'isolation-forest': m(this.forest) },
      hours,
      alerts: this.alerts,
      alertsByKind: { ...this.alertsByKind },
      incidents: this.incidents.size,
      incidentsByKind,
      falseAlerts: this.falseAlerts,
      falseIncidents,
      falseAlertsPerHour: perHour(this.falseAlerts),
      falseIncidentsPerHour: perHour(falseIncidents),
      falseByHost: [...this.falseHosts.values()]
        .sort((a, b) => b.alerts + b.incidents - (a.alerts + a.incidents) || a.host.localeCompare(b.host))
        .slice(0, MAX_FALSE_HOSTS)
        .map((h) => ({ ...h, alertKinds: { ...h.alertKinds }, incidentKinds: { ...h.incidentKinds } })),
      graceS: this.graceUs / 1e6,
      labels,
    };
  }
}
