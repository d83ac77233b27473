/**
 * Score calibration: a raw model score is mapped to [0, 1] by its empirical distribution function on
 * held-out benign training flows, so that "0.999" means "higher than 99.9 % of benign flows" whatever the
 * model and the network.
 *
 * The distribution is kept as knots (raw value, probability) — every order statistic for small sets, else
 * 2000 evenly spaced ones plus the top 2000, where the alert threshold lives — interpolated linearly.
 * Above the largest benign value the map keeps rising toward 1 along an exponential tail, so flows beyond
 * everything seen in training still rank by how far beyond they are instead of all tying at 1.
 */
import { quantileSorted } from './preprocess.js';

export interface CalibratorJson {
  /** ascending raw values */
  values: number[];
  /** ECDF probability at each value: (rank + 1) / (n + 1) */
  probs: number[];
  /** raw-score distance over which the tail above the maximum closes 63 % of its remaining gap to 1 */
  tailScale: number;
  /** calibration flows this was fitted on */
  n: number;
}

const DENSE_KNOTS = 2000;
const TOP_KNOTS = 2000;

export class Calibrator {
  private readonly values: Float64Array;
  private readonly probs: Float64Array;

  constructor(readonly json: CalibratorJson) {
    if (json.values.length !== json.probs.length || json.values.length === 0) throw new Error('calibrator: values and probs must be non-empty and of equal length');
    if (!(json.tailScale > 0)) throw new Error('calibrator: tailScale must be positive');
    this.values = Float64Array.from(json.values);
    this.probs = Float64Array.from(json.probs);
  }

  /** Fit on raw scores of benign calibration flows (not modified). */
  static fit(raw: ArrayLike<number>): Calibrator {
    const sorted = Float64Array.from(raw).sort();
    const n = sorted.length;
    if (n === 0) throw new Error('calibrator: no calibration scores');
    const ranks = new Set<number>();
    if (n <= DENSE_KNOTS + TOP_KNOTS) for (let r = 0; r < n; r++) ranks.add(r);
    else {
      for (let k = 0; k <= DENSE_KNOTS; k++) ranks.add(Math.round((k * (n - 1)) / DENSE_KNOTS));
      for (let k = 0; k < TOP_KNOTS; k++) ranks.add(n - 1 - k);
    }
    const rs = [...ranks].sort((a, b) => a - b);
    // among equal values keep only the highest rank: F(v) counts every score ≤ v
    const values: number[] = [];
    const probs: number[] = [];
    for (const r of rs) {
      const v = sorted[r]!;
      let top = r;
      while (top + 1 < n && sorted[top + 1] === v) top++;
      if (values.length > 0 && values[values.length - 1] === v) probs[probs.length - 1] = (top + 1) / (n + 1);
      else {
        values.push(v);
        probs.push((top + 1) / (n + 1));
      }
    }
    const max = sorted[n - 1]!;
    const p99 = sorted[Math.floor(0.99 * (n - 1))]!;
    const spread = max - p99 > 0 ? max - p99 : max - sorted[0]!;
    const tailScale = spread > 0 ? spread : Math.max(Math.abs(max) * 1e-3, 1e-9);
    return new Calibrator({ values, probs, tailScale, n });
  }

  /** calibrated value of raw score `x`, in [0, 1) */
  map(x: number): number {
    const v = this.values;
    const p = this.probs;
    const last = v.length - 1;
    if (!(x >= v[0]!)) return x < v[0]! ? 0 : 1; // NaN counts as anomalous
    if (x >= v[last]!) {
      const pm = p[last]!;
      return pm + (1 - pm) * -Math.expm1(-(x - v[last]!) / this.json.tailScale);
    }
    // last knot with value ≤ x
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (v[mid]! <= x) lo = mid;
      else hi = mid;
    }
    const f = (x - v[lo]!) / (v[hi]! - v[lo]!);
    return p[lo]! + f * (p[hi]! - p[lo]!);
  }

  toJSON(): CalibratorJson {
    return this.json;
  }
}

/**
 * The alert threshold: the `q` quantile of the calibrated benign scores `sorted` (ascending), raised when a
 * block of equal scores straddles it. Identical benign flows (a backup job, a device's heartbeat) score
 * identically; a threshold inside their block would alert on every one of them, far more than the 1 − q share
 * the threshold promises. It then moves above the block: to the next higher benign score, or, when the block
 * is the top, to the next number above it: any flow beyond every benign one (on the calibrator's tail) alerts.
 */
/** The smallest double above x (x finite and ≥ 0). */
function nextUp(x: number): number {
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = b[0]! + 1n;
  return f[0]!;
}

export function alertThreshold(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  let t = quantileSorted(sorted, q);
  const allowed = Math.max(1, Math.floor(n * (1 - q)));
  let i = 0;
  while (i < n && sorted[i]! < t) i++;
  // without ties about `allowed` flows lie at or above t; twice that tolerates rounding and small ties
  while (n - i > 2 * allowed) {
    const v = sorted[i]!;
    let j = i;
    while (j < n && sorted[j] === v) j++;
    if (j >= n) return nextUp(v);
    t = sorted[j]!;
    i = j;
  }
  return t;
}
