/**
 * IncidentTracker: folds alerts into incidents (types.ts), in packet time, with bounded state.
 *
 * - A detector alert joins the open incident of its key (kind, device, target) when it comes within
 *   `windowSeconds` of that incident's last alert; otherwise it opens a new one (closing a stale one of the
 *   same key first).
 * - An anomaly alert joins the detector incident of the same device that was active within
 *   `anomalyJoinSeconds`. When there is none, it waits in the device's pending group: the models often score
 *   a scan's flows before the detector has counted enough of them to fire, so a detector incident that opens
 *   within `anomalyJoinSeconds` takes the pending group in. A group nobody took opens as an anomaly incident
 *   of its own (key `anomaly|device|*`) once it is `anomalyJoinSeconds` old.
 * - `tick(nowUs)` closes incidents quiet for `closeAfterSeconds` and opens pending groups that are due.
 *
 * Every change is handed to `emit` as an IncidentEvent holding a snapshot. Nothing here reads the wall clock.
 */
import type { Alert, AlertEvidence, Severity } from '../detectors/alert.js';
import { DEFAULT_INCIDENT_CONFIG, INCIDENT_SEVERITIES, type Incident, type IncidentConfig, type IncidentEvent, type IncidentSeverity } from './types.js';

/** bounds of one incident's lists */
export const MAX_INCIDENT_EVIDENCE = 10;
export const MAX_INCIDENT_ALERT_IDS = 50;
export const MAX_INCIDENT_TARGETS = 20;
/** the start of the evidence line that counts folded flows */
export const FOLDED_PREFIX = 'folded:';
/** most anomaly alerts held whole per pending group (the rest keep only their id) */
const MAX_PENDING_ALERTS = 200;
/** most ids of further alerts kept per pending group; past it they are counted only (membership incomplete) */
const MAX_PENDING_IDS = 20_000;

interface PendingGroup {
  device: string;
  firstUs: number;
  alerts: Alert[];
  /** ids of the alerts past MAX_PENDING_ALERTS (evidence and targets of those are not kept) */
  extraIds: string[];
  /** alerts past MAX_PENDING_ALERTS, counted */
  extra: number;
  lastUs: number;
}

export interface IncidentTrackerStats {
  open: number;
  pending: number;
  opened: number;
  closed: number;
  /** incidents closed early to stay under maxOpen */
  evicted: number;
}

const RESPONSE_RANK: Record<Alert['suggestedResponse'], number> = { none: 0, monitor: 1, 'rate-limit': 2, quarantine: 3, block: 4 };

export function severityOfAlert(s: Severity): IncidentSeverity {
  return s === 1 ? 'high' : s === 2 ? 'medium' : 'low';
}

/** The target part of an incident key: the one target of the alert, or '*' when it names several or none. */
export function incidentTarget(a: Pick<Alert, 'targets'>): string {
  return a.targets.length === 1 ? a.targets[0]! : '*';
}

function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

export function incidentDevice(a: Pick<Alert, 'srcMac' | 'srcIp'>): string {
  return a.srcMac ?? a.srcIp;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable tag of a key for URL-safe ids. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function incidentId(kind: string, key: string, firstUs: number): string {
  return `inc-${kind.replace(/[^a-z0-9]+/gi, '-')}-${fnv1a(key)}-${firstUs}`;
}

function snapshot(i: Incident): Incident {
  return { ...i, targets: [...i.targets], evidence: i.evidence.map((e) => ({ ...e })), alertIds: [...i.alertIds] };
}

export class IncidentTracker {
  readonly cfg: IncidentConfig;
  /** open incidents by key; Map order = least recently updated first */
  private readonly open = new Map<string, Incident>();
  /** open detector incidents by device (the most recently updated one per device) for anomaly joins */
  private readonly byDevice = new Map<string, Incident>();
  private readonly pending = new Map<string, PendingGroup>();
  private opened = 0;
  private closed = 0;
  private evicted = 0;

  constructor(
    private readonly emit: (e: IncidentEvent) => void,
    cfg: Partial<IncidentConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_INCIDENT_CONFIG, ...cfg };
    for (const k of ['windowSeconds', 'closeAfterSeconds', 'anomalyJoinSeconds', 'escalateEvery', 'maxOpen'] as const) {
      if (!(this.cfg[k] > 0)) throw new Error(`incidents.${k} must be positive`);
    }
    if (this.cfg.escalateEvery < 2) throw new Error('incidents.escalateEvery must be at least 2');
  }

  /** Take incidents that were open when the appliance last stopped, so new alerts keep joining them. */
  restore(incidents: Iterable<Incident>): void {
    for (const i of incidents) {
      if (i.state !== 'open') continue;
      const inc = snapshot(i);
      this.open.set(inc.key, inc);
      if (inc.kind !== 'anomaly') this.byDevice.set(inc.device, inc);
    }
  }

  /** Fold one alert in. */
  onAlert(a: Alert): void {
    if (a.kind === 'anomaly') this.onAnomaly(a);
    else this.onDetectorAlert(a);
  }

  private onDetectorAlert(a: Alert): void {
    const device = incidentDevice(a);
    const target = incidentTarget(a);
    const key = `${a.kind}|${device}|${target}`;
    let inc = this.open.get(key);
    if (inc !== undefined && a.tsUs - inc.lastUs > this.cfg.windowSeconds * 1e6) {
      this.close(inc, a.tsUs);
      inc = undefined;
    }
    if (inc === undefined) {
      inc = this.create(key, a, device, target);
      this.fold(inc, a);
      const members = [a.id, ...this.takePending(inc, device, a.tsUs)];
      this.publishOpen(inc, a, members);
    } else {
      const before = inc.severity;
      this.fold(inc, a);
      // a detector incident continued (the next pass of a scan): the anomaly flows that came before it join too
      const members = [a.id, ...this.takePending(inc, device, a.tsUs)];
      this.touch(inc);
      this.emit({ change: inc.severity !== before ? 'escalate' : 'update', tsUs: a.tsUs, incident: snapshot(inc), alertId: a.id, memberIds: members });
    }
    this.byDevice.set(device, inc);
  }

  /** Folds the device's pending anomaly group into `inc` when it is recent; returns the ids that joined. */
  private takePending(inc: Incident, device: string, nowUs: number): string[] {
    const group = this.pending.get(device);
    if (group === undefined || nowUs - group.lastUs > this.cfg.anomalyJoinSeconds * 1e6) return [];
    this.pending.delete(device);
    for (const m of group.alerts) this.fold(inc, m);
    inc.count += group.extra;
    inc.anomalyCount += group.extra;
    return [...group.alerts.map((m) => m.id), ...group.extraIds];
  }

  private onAnomaly(a: Alert): void {
    const device = incidentDevice(a);
    const host = this.byDevice.get(device);
    const join = this.cfg.anomalyJoinSeconds * 1e6;
    if (host !== undefined && host.state === 'open' && a.tsUs - host.lastUs <= join && host.firstUs - a.tsUs <= join) {
      this.fold(host, a);
      this.emit({ change: 'update', tsUs: a.tsUs, incident: snapshot(host), alertId: a.id, memberIds: [a.id] });
      return;
    }
    // an anomaly incident of this device already open: it keeps growing there
    const key = `anomaly|${device}|*`;
    const own = this.open.get(key);
    if (own !== undefined && a.tsUs - own.lastUs <= this.cfg.windowSeconds * 1e6) {
      const before = own.severity;
      this.fold(own, a);
      this.touch(own);
      this.emit({ change: own.severity !== before ? 'escalate' : 'update', tsUs: a.tsUs, incident: snapshot(own), alertId: a.id, memberIds: [a.id] });
      return;
    }
    let group = this.pending.get(device);
    if (group === undefined) {
      group = { device, firstUs: a.tsUs, alerts: [], extraIds: [], extra: 0, lastUs: a.tsUs };
      this.pending.set(device, group);
      this.boundPending();
    }
    if (group.alerts.length < MAX_PENDING_ALERTS) group.alerts.push(a);
    else {
      group.extra++;
      if (group.extraIds.length < MAX_PENDING_IDS) group.extraIds.push(a.id);
    }
    group.lastUs = Math.max(group.lastUs, a.tsUs);
  }

  /**
   * Fold `n` flows that were counted instead of raised (a flood's half-open flows, src/flood/) into the open
   * incident `about` belongs to: its count grows by `n`, its last seen moves to `tsUs` and one evidence line
   * keeps the running total. Returns false when that incident is not open (the flows are then not folded).
   */
  foldFlows(about: Alert, n: number, tsUs: number, sampled: number): boolean {
    const inc = this.open.get(`${about.kind}|${incidentDevice(about)}|${incidentTarget(about)}`);
    if (inc === undefined || n <= 0) return false;
    const before = inc.severity;
    inc.count += n;
    if (tsUs > inc.lastUs) inc.lastUs = tsUs;
    const i = inc.evidence.findIndex((e) => e.text.startsWith(FOLDED_PREFIX));
    const total = (i >= 0 ? (inc.evidence[i]!.count ?? 0) : 0) + n;
    const line: AlertEvidence = {
      text: `${FOLDED_PREFIX} ${total.toLocaleString('en-US')} half-open flows from sources seen once were counted into this incident, not stored one by one (${sampled.toLocaleString('en-US')} kept as a sample)`,
      count: total,
    };
    if (i >= 0) inc.evidence[i] = line;
    else if (inc.evidence.length < MAX_INCIDENT_EVIDENCE) inc.evidence.push(line);
    else inc.evidence[inc.evidence.length - 1] = line;
    inc.severity = this.severityFor(inc);
    this.touch(inc);
    this.emit({ change: inc.severity !== before ? 'escalate' : 'update', tsUs, incident: snapshot(inc), memberIds: [] });
    return true;
  }

  /** Advance packet time: open pending anomaly groups that are due, close quiet incidents. */
  tick(nowUs: number): void {
    const join = this.cfg.anomalyJoinSeconds * 1e6;
    for (const g of [...this.pending.values()]) if (nowUs - g.firstUs >= join) this.openPending(g);
    const quiet = this.cfg.closeAfterSeconds * 1e6;
    for (const inc of [...this.open.values()]) if (nowUs - inc.lastUs >= quiet) this.close(inc, nowUs);
  }

  /**
   * End of input: pending anomaly groups open now (nothing is lost), and with `closeAll` every open incident
   * closes (a replay that ends); a live appliance that stops leaves them open for `restore`.
   */
  finish(nowUs: number, closeAll: boolean): void {
    for (const g of [...this.pending.values()]) this.openPending(g);
    if (closeAll) for (const inc of [...this.open.values()]) this.close(inc, nowUs);
  }

  /** open incidents, most recently updated first (snapshots) */
  openIncidents(): Incident[] {
    return [...this.open.values()].reverse().map(snapshot);
  }

  stats(): IncidentTrackerStats {
    return { open: this.open.size, pending: this.pending.size, opened: this.opened, closed: this.closed, evicted: this.evicted };
  }

  private openPending(g: PendingGroup): void {
    this.pending.delete(g.device);
    const first = g.alerts[0]!;
    const key = `anomaly|${g.device}|*`;
    const inc = this.create(key, first, g.device, '*');
    for (const m of g.alerts) this.fold(inc, m);
    inc.count += g.extra;
    inc.anomalyCount += g.extra;
    inc.title = `Unusual traffic from ${inc.srcIp}`;
    inc.severity = this.severityFor(inc);
    this.publishOpen(inc, first, [...g.alerts.map((m) => m.id), ...g.extraIds]);
  }

  private create(key: string, a: Alert, device: string, target: string): Incident {
    return {
      id: incidentId(a.kind, key, a.tsUs),
      key,
      kind: a.kind,
      device,
      srcIp: a.srcIp,
      srcMac: a.srcMac,
      target,
      title: a.signature,
      severity: severityOfAlert(a.severity),
      state: 'open',
      count: 0,
      anomalyCount: 0,
      firstUs: a.tsUs,
      lastUs: a.tsUs,
      targets: [],
      evidence: [],
      alertIds: [],
      maxAlertSeverity: a.severity,
      confidence: 0,
      suggestedResponse: a.suggestedResponse,
    };
  }

  private publishOpen(inc: Incident, a: Alert, memberIds: string[]): void {
    this.open.set(inc.key, inc);
    this.opened++;
    while (this.open.size > this.cfg.maxOpen) {
      const oldest = this.open.values().next().value as Incident;
      this.evicted++;
      this.close(oldest, a.tsUs);
    }
    this.emit({ change: 'open', tsUs: inc.firstUs, incident: snapshot(inc), alertId: a.id, memberIds });
  }

  /** Add one member alert's numbers, evidence and targets to `inc` and recompute its severity. */
  private fold(inc: Incident, a: Alert): void {
    // a device flood's later alerts carry its running total ("1,000,000 new MAC addresses in 60 s"): the title follows
    if (a.kind === 'flood.devices' && a.tsUs >= inc.lastUs) inc.title = a.signature;
    inc.count++;
    if (a.kind === 'anomaly') inc.anomalyCount++;
    if (a.tsUs < inc.firstUs) inc.firstUs = a.tsUs;
    if (a.tsUs > inc.lastUs) inc.lastUs = a.tsUs;
    if (inc.srcMac === null && a.srcMac !== null) inc.srcMac = a.srcMac;
    // a DHCP request comes from 0.0.0.0: the device's real address, once seen, names it better
    if (isUnspecified(inc.srcIp) && !isUnspecified(a.srcIp)) inc.srcIp = a.srcIp;
    if (a.severity < inc.maxAlertSeverity) inc.maxAlertSeverity = a.severity;
    if (a.confidence > inc.confidence) inc.confidence = a.confidence;
    if (RESPONSE_RANK[a.suggestedResponse] > RESPONSE_RANK[inc.suggestedResponse]) inc.suggestedResponse = a.suggestedResponse;
    if (inc.alertIds.length < MAX_INCIDENT_ALERT_IDS) inc.alertIds.push(a.id);
    for (const t of a.targets) {
      if (inc.targets.length >= MAX_INCIDENT_TARGETS) break;
      if (!inc.targets.includes(t)) inc.targets.push(t);
    }
    // detector evidence ranks above anomaly evidence; within a class the first lines stay
    const lines: AlertEvidence[] = a.evidence;
    for (const e of lines) {
      if (inc.evidence.length < MAX_INCIDENT_EVIDENCE) inc.evidence.push(e);
      else if (a.kind !== 'anomaly') {
        const j = inc.evidence.findIndex((x) => x.text.startsWith('anomaly score'));
        if (j < 0) break;
        inc.evidence[j] = e;
      } else break;
    }
    inc.severity = this.severityFor(inc);
  }

  /** The alert's own severity, one step up at each power of escalateEvery of the count that matters. */
  private severityFor(inc: Incident): IncidentSeverity {
    const anomalyOnly = inc.kind === 'anomaly';
    const n = anomalyOnly ? inc.anomalyCount : inc.count - inc.anomalyCount;
    let steps = 0;
    for (let c = this.cfg.escalateEvery; n >= c && steps < 3; c *= this.cfg.escalateEvery) steps++;
    const base = INCIDENT_SEVERITIES.indexOf(severityOfAlert(inc.maxAlertSeverity));
    const cap = anomalyOnly ? INCIDENT_SEVERITIES.indexOf('medium') : INCIDENT_SEVERITIES.length - 1;
    const cur = INCIDENT_SEVERITIES.indexOf(inc.severity);
    // severity never falls while an incident lives
    return INCIDENT_SEVERITIES[Math.max(cur, Math.min(cap, base + steps))]!;
  }

  private touch(inc: Incident): void {
    this.open.delete(inc.key);
    this.open.set(inc.key, inc);
  }

  private close(inc: Incident, nowUs: number): void {
    if (!this.open.delete(inc.key)) return;
    if (this.byDevice.get(inc.device) === inc) this.byDevice.delete(inc.device);
    inc.state = 'closed';
    this.closed++;
    this.emit({ change: 'close', tsUs: nowUs, incident: snapshot(inc), memberIds: [] });
  }

  /** The pending table is keyed by devices from the wire: past maxOpen groups, the oldest opens early. */
  private boundPending(): void {
    while (this.pending.size > this.cfg.maxOpen) {
      const oldest = this.pending.values().next().value as PendingGroup;
      this.openPending(oldest);
    }
  }
}
