/**
 * The flood gate: once the SYN-flood detector has raised `dos.synflood` for a target (host:port), the
 * one-packet half-open flows to that target (src/flow/half-open.ts) from sources never seen completing a
 * connection are counted here instead of becoming flow records. A bounded sample of them — at most
 * `samplePerSecond` per target per second of packet time — is still exported, so the detectors, the models
 * and the store see what the flood looks like; the rest are folded into the flood's incident at every flush
 * (its count grows by the folded flows and an evidence line says how many were folded and sampled).
 *
 * State is bounded: at most `maxTargets` targets (the one flooded first is released first), and a ring of
 * `knownSources` IPv4 sources seen in answered TCP connections, whose half-open flows are never folded.
 * A target is released when nothing was folded for it in `holdSeconds` of packet time. Packet time only.
 * The four are configuration keys (detectors.synFlood.samplePerSecond, .maxTargets, .knownSources,
 * .holdSeconds).
 */
import type { Bus } from '../bus.js';
import { defaultConfig } from '../config.js';
import type { Alert } from '../detectors/alert.js';
import { parseIp } from '../decode/addr.js';
import type { HalfOpenFlow, HalfOpenFold } from '../flow/half-open.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { IncidentTracker } from '../incidents/tracker.js';

/** The gate's bounds: the keys of the same names in detectors.synFlood. */
export interface FloodGateOptions {
  /** half-open flows per target and second of packet time that are exported as records anyway */
  samplePerSecond: number;
  /** targets folded for at once */
  maxTargets: number;
  /** IPv4 sources of answered TCP connections remembered */
  knownSources: number;
  /** a target is released after this long without a folded flow (packet time) */
  holdSeconds: number;
}

const syn = defaultConfig().detectors.synFlood;
/** The configuration's defaults: 10 per second, 64 targets, 65,536 sources, 60 s. */
export const DEFAULT_FLOOD_GATE: Readonly<FloodGateOptions> = {
  samplePerSecond: syn.samplePerSecond,
  maxTargets: syn.maxTargets,
  knownSources: syn.knownSources,
  holdSeconds: syn.holdSeconds,
};

interface Target {
  alert: Alert;
  /** full address words, to tell IPv6 targets apart when their keys collide */
  words: Uint32Array;
  folded: number;
  sampled: number;
  /** folded since the last flush, not yet in the incident */
  pending: number;
  second: number;
  sampledThisSecond: number;
  lastUs: number;
}

export interface FloodGateStats {
  targets: number;
  folded: number;
  sampled: number;
}

function keyOf(version: 4 | 6, w: ArrayLike<number>, port: number): number {
  if (version === 4) return w[3]! * 65536 + port;
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
  return 2 ** 48 + (h >>> 0) * 65536 + port;
}

export class FloodGate implements HalfOpenFold {
  private readonly targets = new Map<number, Target>();
  private readonly known = new Set<number>();
  private readonly knownRing: Float64Array;
  private knownNext = 0;
  private readonly opts: FloodGateOptions;
  folded = 0;
  sampled = 0;

  constructor(
    private readonly incidents: IncidentTracker,
    opts: Partial<FloodGateOptions> = {},
  ) {
    this.opts = { ...DEFAULT_FLOOD_GATE, ...opts };
    this.knownRing = new Float64Array(Math.max(1, this.opts.knownSources)).fill(-1);
  }

  /** A `dos.synflood` alert: start folding for its target. */
  onAlert(a: Alert): void {
    if (a.kind !== 'dos.synflood' || a.targets.length !== 1 || a.destPort === null || a.destPort === undefined) return;
    const ip = parseIp(a.targets[0]!);
    if (ip === null) return;
    const key = keyOf(ip.version, ip.words, a.destPort);
    const t = this.targets.get(key);
    if (t !== undefined) {
      t.alert = a;
      return;
    }
    while (this.targets.size >= Math.max(1, this.opts.maxTargets)) this.release(this.targets.keys().next().value as number, a.tsUs);
    this.targets.set(key, { alert: a, words: Uint32Array.from(ip.words), folded: 0, sampled: 0, pending: 0, second: -1, sampledThisSecond: 0, lastUs: a.tsUs });
  }

  /** An exported flow: a source that completed (or was refused in) a real exchange is not a spoofed one. */
  onFlow(r: FlowRecord): void {
    if (r.proto !== 6 || r.pktsToClient === 0 || r.connState === 'S0' || r.connState === 'SH') return;
    const ip = parseIp(r.srcIp);
    if (ip === null || ip.version !== 4) return;
    const k = ip.words[3]!;
    if (this.known.has(k)) return;
    const old = this.knownRing[this.knownNext]!;
    if (old >= 0) this.known.delete(old);
    this.knownRing[this.knownNext] = k;
    this.knownNext = (this.knownNext + 1) % this.knownRing.length;
    this.known.add(k);
  }

  fold(f: HalfOpenFlow): boolean {
    if (this.targets.size === 0) return false;
    const t = this.targets.get(keyOf(f.ipVersion, f.resp, f.respPort));
    if (t === undefined) return false;
    if (f.ipVersion === 6 && (t.words[0] !== f.resp[0] || t.words[1] !== f.resp[1] || t.words[2] !== f.resp[2] || t.words[3] !== f.resp[3])) return false;
    if (f.ipVersion === 4 && this.known.has(f.orig[3]!)) return false;
    if (f.endUs > t.lastUs) t.lastUs = f.endUs;
    const second = Math.floor(f.endUs / 1e6);
    if (second !== t.second) {
      t.second = second;
      t.sampledThisSecond = 0;
    }
    if (t.sampledThisSecond < this.opts.samplePerSecond) {
      t.sampledThisSecond++;
      t.sampled++;
      this.sampled++;
      return false;
    }
    t.folded++;
    t.pending++;
    this.folded++;
    return true;
  }

  /** Flush: fold the counts into the incidents; release targets quiet for `holdSeconds`. */
  tick(nowUs: number): void {
    for (const [key, t] of [...this.targets]) {
      this.report(t, nowUs);
      if (nowUs - t.lastUs > this.opts.holdSeconds * 1e6) this.targets.delete(key);
    }
  }

  stats(): FloodGateStats {
    return { targets: this.targets.size, folded: this.folded, sampled: this.sampled };
  }

  private report(t: Target, nowUs: number): void {
    if (t.pending === 0) return;
    this.incidents.foldFlows(t.alert, t.pending, t.lastUs > 0 ? t.lastUs : nowUs, t.sampled);
    t.pending = 0;
  }

  private release(key: number, nowUs: number): void {
    const t = this.targets.get(key);
    if (t !== undefined) this.report(t, nowUs);
    this.targets.delete(key);
  }
}

/** Build the gate and subscribe it to `bus` (alerts and exported flows); `opts` default to the configuration's. */
export function attachFloodGate(bus: Bus, incidents: IncidentTracker, opts: Partial<FloodGateOptions> = {}): FloodGate {
  const gate = new FloodGate(incidents, opts);
  bus.on('alert', (a) => gate.onAlert(a));
  bus.on('flow.end', (r) => gate.onFlow(r));
  return gate;
}
