/**
 * BaselineCollector: the learning period of a live appliance without a model. Exported flows are turned
 * into feature rows and kept until `learningPeriodHours` of packet time have passed since the first one;
 * then `complete` turns true and the pipeline hands `features()` to trainInWorker.
 *
 * Bounded: at most `maxFlows` rows are kept (models.maxTrainFlows). Beyond that the rows are a uniform
 * sample of every flow seen (reservoir sampling, Vitter's algorithm R, seeded), so a busy day costs the
 * same memory as a quiet one: maxFlows × FEATURE_COUNT × 4 bytes (300 000 flows ≈ 80 MB). `replaced`
 * counts rows that lost their place to a later flow.
 */
import { FEATURE_COUNT, extractFeatures } from '../features/flow-features.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { TrafficShape } from './budget.js';
import { Prng } from './prng.js';
import { noExclusions, type Exclusions, type FlowIdentity, type TrainingFilter } from './training-set.js';

/** devices counted for the alert budget; a LAN larger than this is counted as this large */
const MAX_DEVICES = 65_536;

export interface BaselineOptions {
  learningPeriodHours: number;
  maxFlows: number;
  seed: number;
}

export class BaselineCollector {
  /** flows offered since the start (kept or not) */
  seen = 0;
  /** kept rows overwritten by reservoir sampling */
  replaced = 0;
  /** packet time (µs) of the first flow's start; -1 before any */
  startUs = -1;
  /** latest flow end seen (µs): the model's training date */
  lastEndUs = 0;
  private rows = new Float32Array(0);
  private kept = 0;
  /** who made each kept row and when, so rows of an attack can be left out at training time */
  private ids: FlowIdentity[] = [];
  /** distinct devices (source MAC, else address) among the offered flows, bounded */
  private readonly devices = new Set<string>();
  private readonly rng: Prng;
  private readonly periodUs: number;

  constructor(private readonly opts: BaselineOptions) {
    if (!(opts.learningPeriodHours > 0)) throw new Error('models.learningPeriodHours must be positive');
    if (!(opts.maxFlows >= 1)) throw new Error('models.maxTrainFlows must be at least 1');
    this.rng = new Prng(opts.seed);
    this.periodUs = opts.learningPeriodHours * 3600e6;
  }

  /** rows kept now */
  get flows(): number {
    return this.kept;
  }

  /** true once the learning period has elapsed in packet time */
  get complete(): boolean {
    return this.startUs >= 0 && this.lastEndUs - this.startUs >= this.periodUs;
  }

  /** share of the learning period elapsed, 0–1 */
  progress(): number {
    return this.startUs < 0 ? 0 : Math.min(1, (this.lastEndUs - this.startUs) / this.periodUs);
  }

  /** Offer one exported flow. Returns `complete`. */
  add(rec: FlowRecord): boolean {
    if (this.startUs < 0) this.startUs = rec.startUs;
    if (rec.endUs > this.lastEndUs) this.lastEndUs = rec.endUs;
    if (this.devices.size < MAX_DEVICES) this.devices.add(rec.srcMac ?? rec.srcIp);
    const k = this.seen++;
    let slot: number;
    if (this.kept < this.opts.maxFlows) {
      slot = this.kept++;
      if (slot * FEATURE_COUNT >= this.rows.length) this.grow();
    } else {
      slot = this.rng.int(k + 1);
      if (slot >= this.opts.maxFlows) return this.complete;
      this.replaced++;
    }
    extractFeatures(rec, this.rows, slot * FEATURE_COUNT);
    this.ids[slot] = { flowId: rec.flowId, srcIp: rec.srcIp, srcMac: rec.srcMac, startUs: rec.startUs, endUs: rec.endUs };
    return this.complete;
  }

  private grow(): void {
    const cap = Math.min(this.opts.maxFlows, Math.max(1024, (this.rows.length / FEATURE_COUNT) * 2));
    const next = new Float32Array(cap * FEATURE_COUNT);
    next.set(this.rows);
    this.rows = next;
  }

  /**
   * A copy of the kept rows (rows × FEATURE_COUNT), ready to transfer to trainInWorker, without the rows
   * `filter` leaves out (counted by reason in `left`).
   */
  features(filter?: TrainingFilter): { x: Float32Array; rows: number; left: Exclusions } {
    const left = noExclusions();
    if (!filter) return { x: this.rows.slice(0, this.kept * FEATURE_COUNT), rows: this.kept, left };
    const x = new Float32Array(this.kept * FEATURE_COUNT);
    let rows = 0;
    for (let i = 0; i < this.kept; i++) {
      const why = filter.reason(this.ids[i]!);
      if (why !== null) {
        left[why]++;
        continue;
      }
      x.set(this.rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), rows * FEATURE_COUNT);
      rows++;
    }
    return { x: x.slice(0, rows * FEATURE_COUNT), rows, left };
  }

  /** How much traffic the period was (all flows offered, not only the kept sample): for the alert budget. */
  traffic(): TrafficShape {
    return { devices: this.devices.size, spanUs: this.startUs < 0 ? 0 : this.lastEndUs - this.startUs, flows: this.seen };
  }

  /** Start a new learning period (after a retrain request, for instance). */
  reset(): void {
    this.seen = 0;
    this.replaced = 0;
    this.startUs = -1;
    this.lastEndUs = 0;
    this.kept = 0;
    this.rows = new Float32Array(0);
    this.ids = [];
    this.devices.clear();
  }
}
