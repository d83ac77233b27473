/**
 * Isolation forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008), stored in flat typed arrays.
 *
 * Each tree is grown on `sampleSize` rows drawn without replacement (ψ = 256), to the height limit
 * ceil(log2 ψ): at every node a feature is picked uniformly among those not constant in the node, and a split
 * value uniformly between its minimum and maximum there. A row's path length h(x) is the depth of the leaf
 * it reaches plus c(size of that leaf) — the expected depth the unbuilt subtree would have added. The score
 * is s(x) = 2^(−E[h(x)] / c(ψ)): near 1 for rows isolated quickly, ≤ 0.5 for ordinary ones.
 *
 * Nodes of all trees live in one set of arrays (`feature`, `split`, `left`); a leaf has feature −1 and its
 * `split` holds depth + c(leaf size), so scoring is a tight loop with no objects. The right child of a node is
 * always `left + 1`.
 */
import { Prng } from './prng.js';

const EULER_GAMMA = 0.5772156649015329;
/** rows scored together against each tree (256 rows of ~70 features ≈ 70 kB) */
const SCORE_BLOCK = 256;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n nodes, used to
 * normalise path lengths: 0 for n ≤ 1, 1 for n = 2, else 2·H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ
 * (the paper's formula, as scikit-learn computes it).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestJson {
  kind: 'isolation-forest';
  version: 1;
  dims: number;
  sampleSize: number;
  roots: number[];
  feature: number[];
  split: number[];
  left: number[];
}

export interface ForestFitOptions {
  trees: number;
  sampleSize: number;
  seed: number;
}

export class IsolationForest {
  private readonly cPsi: number;

  private constructor(
    readonly dims: number,
    /** ψ actually used: min(sampleSize, rows available) */
    readonly sampleSize: number,
    readonly roots: Int32Array,
    readonly feature: Int32Array,
    readonly split: Float32Array,
    readonly left: Int32Array,
  ) {
    this.cPsi = averagePathLength(sampleSize) || 1;
  }

  get trees(): number {
    return this.roots.length;
  }

  /** Grow a forest on the row-major matrix `x` (n × dims), restricted to `rows` when given. */
  static fit(x: Float32Array, dims: number, opts: ForestFitOptions, rows?: ArrayLike<number>): IsolationForest {
    const all = rows ?? Uint32Array.from({ length: x.length / dims }, (_, i) => i);
    const psi = Math.min(opts.sampleSize, all.length);
    if (psi < 1) throw new Error('isolation forest: no training rows');
    const heightLimit = Math.ceil(Math.log2(Math.max(2, psi)));
    const rng = new Prng(opts.seed);
    const feature: number[] = [];
    const split: number[] = [];
    const left: number[] = [];
    const roots: number[] = [];
    const sample = new Uint32Array(psi);
    const pool = Uint32Array.from(all);
    const candidates = new Int32Array(dims);
    const mins = new Float32Array(dims);
    const maxs = new Float32Array(dims);

    const grow = (node: number, lo: number, hi: number, depth: number): void => {
      const size = hi - lo;
      let nc = 0;
      if (size > 1 && depth < heightLimit) {
        mins.fill(Infinity);
        maxs.fill(-Infinity);
        for (let i = lo; i < hi; i++) {
          const base = sample[i]! * dims;
          for (let j = 0; j < dims; j++) {
            const v = x[base + j]!;
            if (v < mins[j]!) mins[j] = v;
            if (v > maxs[j]!) maxs[j] = v;
          }
        }
        for (let j = 0; j < dims; j++) if (maxs[j]! > mins[j]!) candidates[nc++] = j;
      }
      if (nc === 0) {
        feature[node] = -1;
        split[node] = depth + averagePathLength(size);
        left[node] = -1;
        return;
      }
      const f = candidates[rng.int(nc)]!;
      const mn = mins[f]!;
      const mx = maxs[f]!;
      // the split is stored as float32, so decide with the float32 value; never let one side be empty
      let s = Math.fround(mn + rng.next() * (mx - mn));
      if (s <= mn) s = mx;
      let i = lo;
      let j = hi - 1;
      while (i <= j) {
        if (x[sample[i]! * dims + f]! < s) i++;
        else {
          const t = sample[i]!;
          sample[i] = sample[j]!;
          sample[j] = t;
          j--;
        }
      }
      const l = feature.length;
      feature.push(0, 0);
      split.push(0, 0);
      left.push(0, 0);
      feature[node] = f;
      split[node] = s;
      left[node] = l;
      grow(l, lo, i, depth + 1);
      grow(l + 1, i, hi, depth + 1);
    };

    for (let t = 0; t < opts.trees; t++) {
      // partial Fisher–Yates over the pool: the first psi entries become this tree's sample
      for (let k = 0; k < psi; k++) {
        const r = k + rng.int(pool.length - k);
        const tmp = pool[k]!;
        pool[k] = pool[r]!;
        pool[r] = tmp;
        sample[k] = pool[k]!;
      }
      const root = feature.length;
      feature.push(0);
      split.push(0);
      left.push(0);
      roots.push(root);
      grow(root, 0, psi, 0);
    }
    return new IsolationForest(dims, psi, Int32Array.from(roots), Int32Array.from(feature), Float32Array.from(split), Int32Array.from(left));
  }

  /** Mean path length E[h(x)] over the trees for row `row` of `x`. */
  pathLength(x: Float32Array, row: number): number {
    const base = row * this.dims;
    const feature = this.feature;
    const split = this.split;
    const left = this.left;
    let sum = 0;
    for (let t = 0; t < this.roots.length; t++) {
      let node = this.roots[t]!;
      for (;;) {
        const f = feature[node]!;
        if (f < 0) break;
        node = x[base + f]! < split[node]! ? left[node]! : left[node]! + 1;
      }
      sum += split[node]!;
    }
    return sum / this.roots.length;
  }

  /** Anomaly scores 2^(−E[h]/c(ψ)) of every row of `x` into `out` (length ≥ rows); returns `out`. */
  score(x: Float32Array, out: Float64Array = new Float64Array(x.length / this.dims)): Float64Array {
    const n = x.length / this.dims;
    const d = this.dims;
    const feature = this.feature;
    const split = this.split;
    const left = this.left;
    const trees = this.roots.length;
    out.fill(0, 0, n);
    // blocks of rows × every tree: the block's rows and one tree's nodes both stay in cache. Four rows walk
    // a tree together: their chains of dependent loads are independent, so the CPU overlaps them.
    for (let b0 = 0; b0 < n; b0 += SCORE_BLOCK) {
      const b1 = Math.min(n, b0 + SCORE_BLOCK);
      const b4 = b0 + ((b1 - b0) & ~3);
      for (let t = 0; t < trees; t++) {
        const root = this.roots[t]!;
        const rootF = feature[root]!;
        for (let i = b0; i < b4; i += 4) {
          const x0 = i * d;
          const x1 = x0 + d;
          const x2 = x1 + d;
          const x3 = x2 + d;
          let n0 = root, n1 = root, n2 = root, n3 = root; // prettier-ignore
          let f0 = rootF, f1 = rootF, f2 = rootF, f3 = rootF; // prettier-ignore
          while (f0 >= 0 || f1 >= 0 || f2 >= 0 || f3 >= 0) {
            // branch-free child choice: the comparison is unpredictable, a mispredicted jump costs more
            if (f0 >= 0) f0 = feature[(n0 = left[n0]! + +(x[x0 + f0]! >= split[n0]!))]!;
            if (f1 >= 0) f1 = feature[(n1 = left[n1]! + +(x[x1 + f1]! >= split[n1]!))]!;
            if (f2 >= 0) f2 = feature[(n2 = left[n2]! + +(x[x2 + f2]! >= split[n2]!))]!;
            if (f3 >= 0) f3 = feature[(n3 = left[n3]! + +(x[x3 + f3]! >= split[n3]!))]!;
          }
          out[i] += split[n0]!;
          out[i + 1] += split[n1]!;
          out[i + 2] += split[n2]!;
          out[i + 3] += split[n3]!;
        }
        for (let i = b4, base = b4 * d; i < b1; i++, base += d) {
          let node = root;
          let f = rootF;
          while (f >= 0) {
            node = left[node]! + +(x[base + f]! >= split[node]!);
            f = feature[node]!;
          }
          out[i] += split[node]!;
        }
      }
    }
    const k = -1 / (this.cPsi * trees);
    for (let i = 0; i < n; i++) out[i] = Math.pow(2, k * out[i]!);
    return out;
  }

  toJSON(): IsolationForestJson {
    return {
      kind: 'isolation-forest',
      version: 1,
      dims: this.dims,
      sampleSize: this.sampleSize,
      roots: Array.from(this.roots),
      feature: Array.from(this.feature),
      split: Array.from(this.split),
      left: Array.from(this.left),
    };
  }

  static fromJSON(j: IsolationForestJson): IsolationForest {
    if (j.kind !== 'isolation-forest' || j.version !== 1) throw new Error('not an isolation forest (version 1) file');
    const n = j.feature.length;
    if (j.split.length !== n || j.left.length !== n) throw new Error('isolation forest file: node arrays differ in length');
    const f = new IsolationForest(j.dims, j.sampleSize, Int32Array.from(j.roots), Int32Array.from(j.feature), Float32Array.from(j.split), Int32Array.from(j.left));
    for (let i = 0; i < n; i++) {
      const l = f.left[i]!;
      if (f.feature[i]! >= j.dims || (f.feature[i]! >= 0 && (l <= i || l + 1 >= n))) {
        throw new Error(`isolation forest file: node ${i} is malformed`);
      }
    }
    return f;
  }
}
