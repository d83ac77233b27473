/**
 * The trust score of every device: three components, each 0..100 (100 = fully trusted),
 *  - behavioral: detector alerts and anomalous flows the device originated (the models' verdicts arrive as
 *    alerts of kind 'anomaly', raised by the pipeline for each AnomalyEvent at the threshold, so only 'alert'
 *    is subscribed and each verdict counts once),
 *  - vulnerability: risky services its last scan found open (vuln-scan.ts, RISKY_SERVICES),
 *  - reputation: contact with blocklisted hosts ('intel.blocklist' alerts, `reputationHit`),
 * combined with the configured weights (trust.weights, default 0.5 / 0.3 / 0.2) into one score with levels
 * ≥ 75 normal, 50–75 warning, 20–50 alert, < 20 critical. The penalty table, the combination (a weighted
 * harmonic mean) and the wording live in score-rules.ts.
 *
 * Time: evidence penalties decay exponentially (trust.evidenceHalfLifeHours); a score falls at once when
 * evidence arrives and climbs back toward what the remaining evidence justifies with trust.recoveryHalfLifeHours
 * (the baseline, without evidence, is 100). Everything runs on packet time (`tsUs` of the events, `tick(nowUs)`).
 */
import type { Bus } from '../bus.js';
import { LruMap } from '../lru-map.js';
import type { Alert } from '../detectors/alert.js';
import type { Store } from '../store/db.js';
import type { TrustExplanation } from '../store/devices.js';
import { TRUST_LEVELS, type TrustChange, type TrustLevel } from './types.js';
import { vulnerabilityScore, type Finding } from './vuln-scan.js';
import { alertPenalty, combine, COMPONENTS, describeAlert, fmtDelta, hhmm, KIND_CAP, levelOf, round1, type Component, type TrustWeights } from './score-rules.js';

export * from './score-rules.js';

export interface TrustConfig {
  trust: {
    weights: TrustWeights;
    evidenceHalfLifeHours: number;
    recoveryHalfLifeHours: number;
    maxDevices: number;
  };
}

/** What the scorer needs from the inventory (DeviceInventory implements it). */
export interface TrustInventory {
  isHome(ip: string): boolean;
  macForIp(ip: string): string | undefined;
  /** most recent first */
  addressesOf(mac: string): string[];
}

/** Evidence of the same kind within this long is merged into one item (one explanation line for a burst). */
const MERGE_US = 60_000_000;
/** Evidence items kept per device; older ones are folded into one carried sum per component. */
const MAX_EVIDENCE = 32;
/** Evidence whose remaining penalty is below this is forgotten. */
const FORGET_BELOW = 0.5;
/** A score moving at least this much (or changing level) is announced and recorded. */
const ANNOUNCE_POINTS = 1;

/** One piece of evidence against a device. */
export interface TrustEvidence {
  component: 'behavioral' | 'reputation';
  /** the alert kind, 'reputation' for reputationHit, 'carried' for evidence older than the kept items */
  kind: string;
  tsUs: number;
  /** points at tsUs; decays with the evidence half-life */
  penalty: number;
  /** "port scan of 10.0.0.5 (1,000 ports)" */
  text: string;
  /** alerts merged into this item */
  count: number;
}

export interface TrustState {
  mac: string;
  score: number;
  level: TrustLevel;
  behavioral: number;
  vulnerability: number;
  reputation: number;
  /** newest first, with `penalty` as it stands now */
  evidence: TrustEvidence[];
  findings: Finding[];
}

/** A movement not yet announced: one line of the next explanation. */
interface Pending {
  factor: string;
  delta: number;
  tsUs: number;
  text: string;
  /** events merged into it */
  count: number;
}

interface DeviceTrust {
  mac: string;
  evidence: TrustEvidence[];
  findings: Finding[];
  vulnTarget: number;
  shown: Record<Component, number>;
  atUs: number;
  emittedScore: number;
  emittedLevel: TrustLevel;
  pending: Pending[];
}

export interface TrustScorerStats {
  devices: number;
  evicted: number;
  alerts: number;
  /** alerts whose source is not a device inside homeNets */
  unattributed: number;
  changes: number;
}

export class TrustScorer {
  /** least recently touched first */
  /** least recently touched first (the cap, trust.maxDevices, may change with the settings) */
  private readonly devices = new LruMap<string, DeviceTrust>(Number.MAX_SAFE_INTEGER);
  /** devices whose score may still move without new evidence */
  private readonly unsettled = new Set<string>();
  private readonly evidenceHalfLifeUs: number;
  private readonly recoveryHalfLifeUs: number;
  private readonly offs: (() => void)[] = [];
  readonly stats: TrustScorerStats = { devices: 0, evicted: 0, alerts: 0, unattributed: 0, changes: 0 };

  /** Throws on weights that are all 0 (startup configuration). */
  constructor(
    private readonly bus: Bus,
    private readonly store: Store | null,
    private readonly inventory: TrustInventory,
    private readonly cfg: TrustConfig,
  ) {
    const w = cfg.trust.weights;
    if (!(w.behavioral + w.vulnerability + w.reputation > 0)) throw new Error('trust.weights: at least one weight must be above 0');
    this.evidenceHalfLifeUs = cfg.trust.evidenceHalfLifeHours * 3.6e9;
    this.recoveryHalfLifeUs = cfg.trust.recoveryHalfLifeHours * 3.6e9;
    if (store !== null) this.reload(store);
    this.offs.push(bus.on('alert', (a) => this.onAlert(a)));
  }

  close(): void {
    this.offs.forEach((off) => off());
    this.offs.length = 0;
  }

  /** The device's current trust, or undefined when nothing was ever held against it (score 100). */
  state(mac: string): TrustState | undefined {
    const d = this.devices.peek(mac);
    if (d === undefined) return undefined;
    const score = combine(d.shown, this.cfg.trust.weights);
    const evidence = d.evidence.map((e) => ({ ...e, penalty: round1(this.remaining(e, d.atUs)) })).reverse();
    return { mac, score: round1(score), level: levelOf(score), behavioral: round1(d.shown.behavioral), vulnerability: round1(d.shown.vulnerability), reputation: round1(d.shown.reputation), evidence, findings: [...d.findings] };
  }

  /** Evidence from outside the bus (a threat-intel lookup, an admin): `weight` points off the reputation component. */
  reputationHit(mac: string, text: string, weight: number, tsUs: number): void {
    if (!(weight > 0)) return;
    this.apply(mac, tsUs, { component: 'reputation', kind: 'reputation', tsUs, penalty: Math.min(100, weight), text, count: 1 });
  }

  /** A finished scan: its findings replace the previous ones as the vulnerability component. */
  setScanResult(mac: string, findings: readonly Finding[], tsUs: number): void {
    const d = this.device(mac, tsUs);
    const s0 = this.advance(d, tsUs);
    d.findings = [...findings];
    d.vulnTarget = vulnerabilityScore(findings);
    const s1 = this.advance(d, tsUs);
    if (Math.abs(s1 - s0) > 1e-9) {
      const what = findings.length === 0 ? 'scan found no risky service' : `scan found ${findings.map((f) => `${f.service} (${f.port})`).join(', ')}`;
      d.pending.push({ factor: 'vulnerability', delta: s1 - s0, tsUs, text: what, count: 1 });
    }
    this.unsettled.add(mac);
    this.announce(d, tsUs);
  }

  /** Applies recovery up to `nowUs` and announces the scores that moved (call every few seconds of packet time). */
  tick(nowUs: number): void {
    for (const mac of this.unsettled) {
      const d = this.devices.peek(mac);
      if (d === undefined || nowUs <= d.atUs) {
        if (d === undefined) this.unsettled.delete(mac);
        continue;
      }
      const s0 = combine(d.shown, this.cfg.trust.weights);
      const s1 = this.advance(d, nowUs);
      if (s1 > s0) {
        const last = d.pending[d.pending.length - 1];
        if (last?.factor === 'recovery') last.delta += s1 - s0;
        else d.pending.push({ factor: 'recovery', delta: s1 - s0, tsUs: nowUs, text: 'recovery without new evidence', count: 1 });
      }
      // once settled nothing moves any more: announce the last fraction of a point so the record ends exact
      const settled = this.settled(d);
      this.announce(d, nowUs, settled);
      if (settled) this.unsettled.delete(mac);
    }
  }

  private onAlert(a: Alert): void {
    this.stats.alerts++;
    const who = this.attribute(a);
    if (who === null) {
      this.stats.unattributed++;
      return;
    }
    const component = a.kind === 'intel.blocklist' ? 'reputation' : 'behavioral';
    const text = describeAlert(a, who.asTarget ? a.srcIp : undefined);
    this.apply(who.mac, a.tsUs, { component, kind: a.kind, tsUs: a.tsUs, penalty: alertPenalty(a), text, count: 1 });
  }

  /**
   * The device an alert is about: its source when the source address is inside homeNets (by the alert's
   * MAC, else the inventory's IP → MAC), for blocklist contacts also a LAN target. A remote source is never
   * pinned on the MAC it arrived from, which is the router's.
   */
  private attribute(a: Alert): { mac: string; asTarget: boolean } | null {
    if (this.inventory.isHome(a.srcIp)) {
      const mac = a.srcMac ?? this.inventory.macForIp(a.srcIp) ?? null;
      if (mac !== null) return { mac, asTarget: false };
    }
    if (a.kind === 'intel.blocklist') {
      for (const t of a.targets) {
        const mac = this.inventory.isHome(t) ? this.inventory.macForIp(t) : undefined;
        if (mac !== undefined) return { mac, asTarget: true };
      }
    }
    return null;
  }

  private apply(mac: string, tsUs: number, e: TrustEvidence): void {
    const d = this.device(mac, tsUs);
    const at = Math.max(tsUs, d.atUs);
    const s0 = this.advance(d, at);
    const cap = KIND_CAP[e.kind] ?? 100;
    const held = d.evidence.reduce((s, x) => (x.kind === e.kind ? s + this.remaining(x, at) : s), 0);
    const penalty = Math.min(e.penalty, cap - held);
    const last = d.evidence[d.evidence.length - 1];
    if (penalty > 0) {
      const same = d.evidence.findLast((x) => x.kind === e.kind && at - x.tsUs <= MERGE_US);
      if (same !== undefined) {
        same.penalty = this.remaining(same, at) + penalty;
        same.tsUs = at;
        same.count++;
      } else {
        d.evidence.push({ ...e, tsUs: at, penalty });
        if (d.evidence.length > MAX_EVIDENCE) this.fold(d, at);
      }
    } else if (last !== undefined && last.kind === e.kind) {
      last.count++;
    }
    const s1 = this.advance(d, at);
    const p = d.pending.findLast((x) => x.factor === e.kind);
    if (p !== undefined && at - p.tsUs <= MERGE_US) {
      p.delta += s1 - s0;
      p.count++;
    } else if (s1 !== s0) {
      d.pending.push({ factor: e.kind, delta: s1 - s0, tsUs: at, text: e.text, count: 1 });
    }
    this.unsettled.add(mac);
    this.announce(d, at);
  }

  /** Folds the oldest evidence item into the component's carried sum. */
  private fold(d: DeviceTrust, at: number): void {
    const old = d.evidence.shift()!;
    const carried = d.evidence.find((x) => x.kind === 'carried' && x.component === old.component);
    if (carried !== undefined) {
      carried.penalty = this.remaining(carried, at) + this.remaining(old, at);
      carried.tsUs = at;
      carried.count += old.count;
    } else {
      d.evidence.unshift({ component: old.component, kind: 'carried', tsUs: at, penalty: this.remaining(old, at), text: 'earlier evidence', count: old.count });
    }
  }

  private remaining(e: TrustEvidence, at: number): number {
    return e.penalty * Math.pow(2, -Math.max(0, at - e.tsUs) / this.evidenceHalfLifeUs);
  }

  /** Moves the shown components to time `at` (drops at once, recovery with its half-life); returns the score. */
  private advance(d: DeviceTrust, at: number): number {
    const deficit = { behavioral: 0, reputation: 0 };
    d.evidence = d.evidence.filter((e) => {
      const r = this.remaining(e, at);
      deficit[e.component] += r;
      return r >= FORGET_BELOW;
    });
    const target: Record<Component, number> = {
      behavioral: Math.max(0, 100 - deficit.behavioral),
      vulnerability: d.vulnTarget,
      reputation: Math.max(0, 100 - deficit.reputation),
    };
    const keep = Math.pow(2, -Math.max(0, at - d.atUs) / this.recoveryHalfLifeUs);
    for (const k of COMPONENTS) {
      const t = target[k];
      const s = d.shown[k];
      d.shown[k] = t <= s ? t : t - (t - s) * keep;
      if (t - d.shown[k] < 0.05) d.shown[k] = t; // close enough: stop creeping
    }
    if (at > d.atUs) d.atUs = at;
    return combine(d.shown, this.cfg.trust.weights);
  }

  private settled(d: DeviceTrust): boolean {
    return d.evidence.length === 0 && d.shown.behavioral === 100 && d.shown.reputation === 100 && d.shown.vulnerability === d.vulnTarget;
  }

  /**
   * Emits 'trust.change' and records history when the score moved ≥ 1 point or changed level (`final`: any
   * visible move, for the last step of a recovery).
   */
  private announce(d: DeviceTrust, tsUs: number, final = false): void {
    const score = combine(d.shown, this.cfg.trust.weights);
    const level = levelOf(score);
    const moved = Math.abs(score - d.emittedScore);
    if (moved < (final ? 0.05 : ANNOUNCE_POINTS) && level === d.emittedLevel) return;
    const explanation: TrustExplanation[] = d.pending
      .filter((p) => Math.abs(p.delta) >= 0.05)
      .reverse()
      .map((p) => ({ factor: p.factor, delta: round1(p.delta), text: `${fmtDelta(p.delta)}: ${p.text}${p.count > 1 ? ` and ${p.count - 1} more` : ''} at ${hhmm(p.tsUs)}` }));
    const change: TrustChange = {
      tsUs,
      mac: d.mac,
      ip: this.inventory.addressesOf(d.mac)[0] ?? null,
      score: round1(score),
      behavioral: round1(d.shown.behavioral),
      vulnerability: round1(d.shown.vulnerability),
      reputation: round1(d.shown.reputation),
      level,
      previousLevel: d.emittedLevel,
      explanation,
    };
    d.emittedScore = score;
    d.emittedLevel = level;
    d.pending = [];
    this.stats.changes++;
    if (this.store !== null) {
      const devices = this.store.devices;
      const row = { mac: d.mac, tsUs, score: change.score, behavioral: change.behavioral, vulnerability: change.vulnerability, reputation: change.reputation, level, explanation };
      // the device row may still wait in the same batch (an alert can precede the inventory's sighting)
      this.store.defer(tsUs, () => {
        devices.upsert({ mac: d.mac, tsUs });
        devices.recordTrust(row);
      });
    }
    this.bus.emit('trust.change', change);
  }

  private device(mac: string, tsUs: number): DeviceTrust {
    let d = this.devices.get(mac);
    if (d === undefined) {
      while (this.devices.size >= this.cfg.trust.maxDevices) {
        const oldest = this.devices.evictOldest()!;
        this.unsettled.delete(oldest);
        this.stats.evicted++;
      }
      d = { mac, evidence: [], findings: [], vulnTarget: 100, shown: { behavioral: 100, vulnerability: 100, reputation: 100 }, atUs: tsUs, emittedScore: 100, emittedLevel: 'normal', pending: [] };
    }
    this.devices.set(mac, d);
    this.stats.devices = this.devices.size;
    return d;
  }

  /**
   * Restores each device's last recorded components, so a restart neither forgets a bad score nor announces
   * it again. The evidence behind them comes back as one carried item per component.
   */
  private reload(store: Store): void {
    // the newest history row per device (no typed accessor returns only that)
    const rows = store.db
      .prepare(
        `SELECT h.mac, h.ts_us AS tsUs, h.score, h.behavioral, h.vulnerability, h.reputation, h.level FROM trust_history h
         JOIN (SELECT max(id) AS id FROM trust_history GROUP BY mac) l ON h.id = l.id ORDER BY h.ts_us DESC LIMIT ?`,
      )
      .all(this.cfg.trust.maxDevices) as { mac: string; tsUs: number; score: number; behavioral: number; vulnerability: number; reputation: number; level: string }[];
    for (const r of rows.reverse()) {
      const d = this.device(r.mac, r.tsUs);
      d.shown = { behavioral: r.behavioral, vulnerability: r.vulnerability, reputation: r.reputation };
      d.vulnTarget = r.vulnerability;
      for (const component of ['behavioral', 'reputation'] as const) {
        if (r[component] < 100) d.evidence.push({ component, kind: 'carried', tsUs: r.tsUs, penalty: 100 - r[component], text: 'evidence recorded before the restart', count: 1 });
      }
      const scan = store.registry.scans({ mac: r.mac, limit: 5 }).find((s) => s.status === 'done');
      if (scan !== undefined) d.findings = scan.findings as Finding[];
      d.emittedScore = combine(d.shown, this.cfg.trust.weights);
      d.emittedLevel = (TRUST_LEVELS as readonly string[]).includes(r.level) ? (r.level as TrustLevel) : levelOf(d.emittedScore);
      if (!this.settled(d)) this.unsettled.add(r.mac);
    }
  }
}
