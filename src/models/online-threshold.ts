/**
 * The alert threshold adapted online to the network's own scores, as DSPOT/SPOT do (Siffer et al., KDD 2017):
 * after deployment the appliance keeps the peaks of its own combined scores over a high initial level and
 * refits the generalized Pareto tail (tail.ts) every `refitHours` of packet time. The threshold then moves to
 * the score this network's benign flows exceed with its own budget's probability q (models.alertBudgetPerDay
 * over this network's flows per device per day, budget.ts), bounded:
 *   - never below `lo` (models.adapt.floorQuantile: the loosest threshold, as a calibrated score),
 *   - never above `hi` (the model's own threshold made stricter by models.adapt.maxStrictness on its fitted tail),
 *   - and only once `minPeaks` peaks are in; before that the model's threshold stays in force.
 *
 * Scores are handled as surprise z = −ln(1 − s), unbounded, so the tail can extend past every score seen.
 * Flows at or above `hi` alert whatever the threshold and are left out of the tail (as SPOT leaves its
 * alarms out): an attack cannot raise the threshold past them.
 *
 * Memory is bounded: the first `initFlows` scores set the initial level (their `initialQuantile` quantile),
 * then only the latest `maxPeaks` excesses are kept, with counts of everything seen; at most MAX_DEVICES
 * devices are remembered for the traffic shape. The state is plain JSON (the store keeps it in `settings`).
 */
import { exceedance } from './budget.js';
import { quantileSorted } from './preprocess.js';
import { fitExcesses, tailQuantile, type GpdFit } from './tail.js';

export interface AdaptConfig {
  enabled: boolean;
  /** the initial level: this quantile of the first initFlows scores */
  initialQuantile: number;
  /** scores that set the initial level */
  initFlows: number;
  /** fewest peaks before the threshold moves */
  minPeaks: number;
  /** peaks kept (the latest); bounds memory */
  maxPeaks: number;
  /** packet-time hours between refits */
  refitHours: number;
  /** the loosest threshold, as a calibrated score */
  floorQuantile: number;
  /** the strictest: the model's own budget share divided by this, on its fitted tail */
  maxStrictness: number;
}

export const DEFAULT_ADAPT_CONFIG: AdaptConfig = {
  enabled: true,
  initialQuantile: 0.98,
  initFlows: 2000,
  minPeaks: 50,
  maxPeaks: 2000,
  refitHours: 1,
  floorQuantile: 0.999,
  maxStrictness: 2,
};

/** devices remembered for flows per device per day */
export const MAX_DEVICES = 4096;

/** The budget and the bounds the threshold moves within (calibrated scores). */
export interface AdaptBounds {
  /** loosest threshold */
  lo: number;
  /** strictest threshold */
  hi: number;
  /** models.alertBudgetPerDay */
  budgetPerDay: number;
  /** models.threshold: q is never looser than 1 − this */
  quantile: number;
}

/** The saved state (JSON). */
export interface AdaptState {
  modelId: string;
  /** scores in the tail's sample (those below hi) */
  n: number;
  /** every flow observed (for the traffic shape) */
  flows: number;
  /** initial level in surprise units; null while the first scores are collected */
  level: number | null;
  /** the first scores (surprise), while level is null */
  init: number[];
  /** latest excesses over level, oldest first */
  peaks: number[];
  /** scores above level ever seen (below hi) */
  peaksSeen: number;
  devices: string[];
  firstUs: number;
  lastUs: number;
  lastFitUs: number;
  /** the adapted threshold in force (calibrated score), or null: the model's own */
  threshold: number | null;
  fit: GpdFit | null;
  /** the share of benign flows allowed above the threshold at the last refit */
  q: number | null;
}

const surprise = (s: number): number => -Math.log1p(-Math.min(Math.max(s, 0), 1 - 1e-16));
const fromSurprise = (z: number): number => -Math.expm1(-z);

export class OnlineThreshold {
  private readonly init: Float64Array;
  private initCount = 0;
  private readonly peaks: Float64Array;
  /** next write position in the ring, and how many slots hold peaks */
  private head = 0;
  private held = 0;
  private readonly devices = new Set<string>();
  private readonly zHi: number;
  private s: Omit<AdaptState, 'init' | 'peaks' | 'devices'>;

  constructor(
    readonly config: AdaptConfig,
    readonly bounds: AdaptBounds,
    modelId: string,
    saved?: AdaptState,
  ) {
    if (!(config.initialQuantile > 0 && config.initialQuantile < 1)) throw new Error('adapt: initialQuantile must lie in (0, 1)');
    this.init = new Float64Array(Math.max(1, config.initFlows));
    this.peaks = new Float64Array(Math.max(1, config.maxPeaks));
    this.zHi = surprise(bounds.hi);
    this.s = { modelId, n: 0, flows: 0, level: null, peaksSeen: 0, firstUs: 0, lastUs: 0, lastFitUs: 0, threshold: null, fit: null, q: null };
    if (saved !== undefined && saved.modelId === modelId) this.restore(saved);
  }

  private restore(saved: AdaptState): void {
    const { init, peaks, devices, ...rest } = saved;
    this.s = { ...rest };
    for (const z of init.slice(-this.init.length)) this.init[this.initCount++] = z;
    for (const e of peaks.slice(-this.peaks.length)) this.push(e);
    for (const d of devices.slice(0, MAX_DEVICES)) this.devices.add(d);
    if (this.s.threshold !== null) this.s.threshold = this.clamp(this.s.threshold);
  }

  /** the adapted threshold in force, or null while the model's own holds */
  get threshold(): number | null {
    return this.config.enabled ? this.s.threshold : null;
  }

  get peaksSeen(): number {
    return this.s.peaksSeen;
  }

  /** peaks held in memory (≤ maxPeaks) */
  get peaksHeld(): number {
    return this.held;
  }

  get state(): Readonly<Omit<AdaptState, 'init' | 'peaks' | 'devices'>> {
    return this.s;
  }

  private push(excess: number): void {
    this.peaks[this.head] = excess;
    this.head = (this.head + 1) % this.peaks.length;
    if (this.held < this.peaks.length) this.held++;
  }

  private clamp(t: number): number {
    const lo = Math.min(this.bounds.lo, this.bounds.hi);
    return Math.min(this.bounds.hi, Math.max(lo, t));
  }

  /**
   * One scored flow: its combined calibrated score, its end in packet time (µs) and its device (MAC, else
   * address). Returns true when a refit changed the threshold in force.
   */
  observe(score: number, tsUs: number, device: string): boolean {
    if (!this.config.enabled) return false;
    const s = this.s;
    if (s.flows === 0) s.firstUs = tsUs;
    s.flows++;
    if (tsUs > s.lastUs) s.lastUs = tsUs;
    if (this.devices.size < MAX_DEVICES) this.devices.add(device);
    const z = surprise(score);
    if (!(z < this.zHi)) return false; // alerts anyway; kept out of the tail
    s.n++;
    if (s.level === null) {
      this.init[this.initCount++] = z;
      if (this.initCount < this.init.length) return false;
      const sorted = this.init.slice().sort();
      s.level = quantileSorted(sorted, this.config.initialQuantile);
      for (const v of sorted) if (v > s.level) this.addPeak(v - s.level);
      this.initCount = 0;
    } else if (z > s.level) this.addPeak(z - s.level);
    if (s.peaksSeen < this.config.minPeaks) return false;
    if (s.lastFitUs !== 0 && tsUs - s.lastFitUs < this.config.refitHours * 3600e6) return false;
    return this.refit(tsUs);
  }

  private addPeak(excess: number): void {
    this.s.peaksSeen++;
    this.push(excess);
  }

  /** Refit the tail on the peaks held and move the threshold; returns true when it changed. */
  refit(tsUs: number): boolean {
    const s = this.s;
    s.lastFitUs = Math.max(1, tsUs);
    if (s.level === null || s.peaksSeen < this.config.minPeaks) return false;
    const excess = Array.from(this.peaks.subarray(0, this.held));
    const fit = fitExcesses(excess, s.level, s.n, s.peaksSeen);
    const exc = exceedance(this.bounds.budgetPerDay, this.bounds.quantile, { devices: Math.max(1, this.devices.size), spanUs: s.lastUs - s.firstUs, flows: s.flows });
    const t = this.clamp(fromSurprise(tailQuantile(fit, exc.q)));
    const changed = t !== s.threshold;
    s.fit = fit;
    s.q = exc.q;
    s.threshold = t;
    return changed;
  }

  toJSON(): AdaptState {
    const peaks: number[] = [];
    const start = this.held < this.peaks.length ? 0 : this.head;
    for (let i = 0; i < this.held; i++) peaks.push(this.peaks[(start + i) % this.peaks.length]!);
    return { ...this.s, init: Array.from(this.init.subarray(0, this.initCount)), peaks, devices: [...this.devices] };
  }
}
