/**
 * Preprocessing: the per-feature transform named by the feature schema (log1p for heavy tails), then
 * scaling fitted on the training flows, and a clip to ±clip so one absurd counter cannot overflow a model.
 *
 * - numeric features: robust scaling (x − median) / IQR, falling back to the standard deviation when the
 *   IQR is 0 (a feature that is mostly one value); the scale is at least MIN_NUMERIC_SCALE (in log1p
 *   units ≈ a 28 % change), so a feature that never varied in training still marks a flow where it does.
 * - binary indicators: standardised, (x − p) / sqrt(p(1 − p)) with p the share of training flows that
 *   have it, the scale at least MIN_BINARY_SCALE. A category common in training moves a row by about one
 *   unit; one rare or never seen (a TCP state, protocol or port class this network does not use) by up to
 *   1 / MIN_BINARY_SCALE — otherwise a 0/1 column would be drowned by dozens of continuous ones in the
 *   autoencoder's mean squared error. A feature may set a larger floor of its own (FeatureDef.minScale):
 *   the destination-port classes do, since which services a network runs names the network (at most 5
 *   units for a service never seen).
 *
 * The fitted parameters are saved as preprocess.json beside the model and applied identically at inference.
 */
import { FEATURE_SCHEMA_VERSION, FEATURES, type FeatureTransform } from '../features/flow-features.js';

export interface PreprocessParams {
  schemaVersion: number;
  featureNames: string[];
  transforms: FeatureTransform[];
  /** subtracted after the transform */
  center: number[];
  /** divided by after centring; never 0 */
  scale: number[];
  clip: number;
}

/** rows used to estimate medians and quartiles; more adds time, not accuracy */
const MAX_FIT_ROWS = 100_000;
const EPS = 1e-6;
const MIN_NUMERIC_SCALE = 0.25;
const MIN_BINARY_SCALE = 0.1;

export class Preprocessor {
  readonly dims: number;
  private readonly log: Uint8Array;
  private readonly center: Float64Array;
  private readonly invScale: Float64Array;

  constructor(readonly params: PreprocessParams) {
    const d = params.featureNames.length;
    if (params.transforms.length !== d || params.center.length !== d || params.scale.length !== d) {
      throw new Error('preprocess parameters: transforms, center and scale must have one entry per feature');
    }
    this.dims = d;
    this.log = Uint8Array.from(params.transforms, (t) => (t === 'log1p' ? 1 : 0));
    this.center = Float64Array.from(params.center);
    this.invScale = Float64Array.from(params.scale, (s) => {
      if (!(s > 0) || !Number.isFinite(s)) throw new Error(`preprocess parameters: scale ${s} is not a positive number`);
      return 1 / s;
    });
  }

  /**
   * Fit on the rows `rows` (default: all) of the row-major matrix `x` (n × FEATURES.length), which must hold
   * raw features from extractFeatures. Deterministic: quartiles come from the first MAX_FIT_ROWS listed rows.
   */
  static fit(x: Float32Array, rows?: ArrayLike<number>, clip = 100): Preprocessor {
    const d = FEATURES.length;
    const n = x.length / d;
    const idx = rows ?? { length: n };
    const m = Math.min(idx.length, MAX_FIT_ROWS);
    const rowAt = rows ? (i: number) => rows[i]! : (i: number) => i;
    const col = new Float32Array(m);
    const center: number[] = [];
    const scale: number[] = [];
    for (let j = 0; j < d; j++) {
      const t = FEATURES[j]!.transform;
      if (m === 0) {
        center.push(0);
        scale.push(1);
        continue;
      }
      if (t === 'binary') {
        let ones = 0;
        for (let i = 0; i < m; i++) if (x[rowAt(i) * d + j]! !== 0) ones++;
        const p = ones / m;
        center.push(p);
        scale.push(Math.max(FEATURES[j]!.minScale ?? MIN_BINARY_SCALE, Math.sqrt(p * (1 - p))));
        continue;
      }
      let sum = 0;
      for (let i = 0; i < m; i++) {
        const v = x[rowAt(i) * d + j]!;
        const tv = t === 'log1p' ? Math.log1p(Math.max(0, v)) : v;
        col[i] = tv;
        sum += tv;
      }
      col.sort();
      const med = quantileSorted(col, 0.5);
      let s = quantileSorted(col, 0.75) - quantileSorted(col, 0.25);
      if (s < EPS) {
        const mean = sum / m;
        let ss = 0;
        for (let i = 0; i < m; i++) ss += (col[i]! - mean) ** 2;
        s = Math.sqrt(ss / m);
      }
      s = Math.max(s, MIN_NUMERIC_SCALE);
      center.push(med);
      scale.push(s);
    }
    return new Preprocessor({
      schemaVersion: FEATURE_SCHEMA_VERSION,
      featureNames: FEATURES.map((f) => f.name),
      transforms: FEATURES.map((f) => f.transform),
      center,
      scale,
      clip,
    });
  }

  /** Transform + scale `n` rows of `x` into `out` (may be `x` itself); returns `out`. */
  apply(x: Float32Array, out: Float32Array = new Float32Array(x.length)): Float32Array {
    const d = this.dims;
    const clip = this.params.clip;
    const n = x.length / d;
    for (let i = 0, k = 0; i < n; i++) {
      for (let j = 0; j < d; j++, k++) {
        let v = x[k]!;
        if (this.log[j] === 1) v = Math.log1p(v > 0 ? v : 0);
        v = (v - this.center[j]!) * this.invScale[j]!;
        out[k] = v > clip ? clip : v < -clip ? -clip : v;
      }
    }
    return out;
  }

  /** The inverse of apply for values inside the clip range (for tests and explanations). */
  invert(y: Float32Array, out: Float32Array = new Float32Array(y.length)): Float32Array {
    const d = this.dims;
    for (let k = 0; k < y.length; k++) {
      const j = k % d;
      let v = y[k]! / this.invScale[j]! + this.center[j]!;
      if (this.log[j] === 1) v = Math.expm1(v);
      out[k] = v;
    }
    return out;
  }

  toJSON(): PreprocessParams {
    return this.params;
  }

  /** Parse saved parameters; throws when they were fitted for another feature schema. */
  static fromJSON(p: PreprocessParams): Preprocessor {
    if (p.schemaVersion !== FEATURE_SCHEMA_VERSION) {
      throw new Error(`the model was trained with feature schema ${p.schemaVersion}; this build computes schema ${FEATURE_SCHEMA_VERSION}`);
    }
    return new Preprocessor(p);
  }
}

/** Linear-interpolated quantile (type 7, as numpy's default) of an ascending array. */
export function quantileSorted(a: ArrayLike<number>, q: number): number {
  const n = a.length;
  if (n === 0) return 0;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return a[lo]! + (h - lo) * (a[hi]! - a[lo]!);
}
