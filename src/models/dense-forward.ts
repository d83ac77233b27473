/**
 * Batched forward pass of a trained dense network in plain JavaScript over Float32Arrays, for scoring.
 *
 * Why not TensorFlow.js here: the autoencoder is tiny (a few thousand multiply-adds per flow), so tfjs's
 * per-call overhead (tensor allocation, kernel dispatch, copies into and out of the wasm heap) dominates;
 * this loop scores several times faster on one core. TensorFlow.js still trains the network and its
 * predict() remains the reference: a unit test checks that both give the same errors.
 */
export type DenseActivation = 'linear' | 'relu' | 'elu' | 'tanh';

export interface DenseLayer {
  inputs: number;
  units: number;
  /** transposed kernel, units × inputs, so each output's dot product reads contiguous memory */
  weightsT: Float32Array;
  bias: Float32Array;
  activation: DenseActivation;
}

/** Build a layer from a tfjs kernel laid out inputs × units (row-major). */
export function denseLayer(kernel: Float32Array, bias: Float32Array, inputs: number, units: number, activation: DenseActivation): DenseLayer {
  const weightsT = new Float32Array(inputs * units);
  for (let i = 0; i < inputs; i++) for (let o = 0; o < units; o++) weightsT[o * inputs + i] = kernel[i * units + o]!;
  return { inputs, units, weightsT, bias: Float32Array.from(bias), activation };
}

function activate(s: number, activation: DenseActivation): number {
  // round as float32 arithmetic would, so results track tfjs closely
  s = Math.fround(s);
  return activation === 'relu' ? (s > 0 ? s : 0) : activation === 'linear' ? s : activation === 'tanh' ? Math.tanh(s) : s > 0 ? s : Math.expm1(s);
}

/**
 * One layer for two rows at once: `a0`/`a1` in, `b0`/`b1` out. Two rows × two outputs per pass keep four
 * accumulators busy while each loaded weight and activation is used twice.
 */
function layerPair(l: DenseLayer, a0: Float64Array, a1: Float64Array, b0: Float64Array, b1: Float64Array): void {
  const { inputs, units, weightsT, bias, activation } = l;
  let o = 0;
  for (; o + 2 <= units; o += 2) {
    const w0 = o * inputs;
    const w1 = w0 + inputs;
    let s00 = bias[o]!;
    let s01 = bias[o + 1]!;
    let s10 = s00;
    let s11 = s01;
    for (let i = 0; i < inputs; i++) {
      const u = a0[i]!;
      const v = a1[i]!;
      const p = weightsT[w0 + i]!;
      const q = weightsT[w1 + i]!;
      s00 += u * p;
      s01 += u * q;
      s10 += v * p;
      s11 += v * q;
    }
    b0[o] = activate(s00, activation);
    b0[o + 1] = activate(s01, activation);
    b1[o] = activate(s10, activation);
    b1[o + 1] = activate(s11, activation);
  }
  for (; o < units; o++) {
    const w = o * inputs;
    let s0 = bias[o]!;
    let s1 = s0;
    for (let i = 0; i < inputs; i++) {
      s0 += a0[i]! * weightsT[w + i]!;
      s1 += a1[i]! * weightsT[w + i]!;
    }
    b0[o] = activate(s0, activation);
    b1[o] = activate(s1, activation);
  }
}

export class DenseNetwork {
  private readonly bufs: Float64Array[];

  constructor(readonly layers: DenseLayer[]) {
    const widest = Math.max(...layers.map((l) => Math.max(l.inputs, l.units)));
    this.bufs = [0, 1, 2, 3].map(() => new Float64Array(widest));
  }

  /**
   * Mean squared error between each row r in [rowStart, rowEnd) of `x` (n × inputs, row-major) and the
   * network's output for it, into `out[outOffset + r - rowStart]`. Allocates nothing.
   */
  reconstructionError(x: Float32Array, rowStart: number, rowEnd: number, out: Float64Array, outOffset: number): void {
    const d = this.layers[0]!.inputs;
    let [a0, a1, b0, b1] = this.bufs as [Float64Array, Float64Array, Float64Array, Float64Array];
    for (let r = rowStart; r < rowEnd; r += 2) {
      // an odd last row is paired with itself
      const r1 = r + 1 < rowEnd ? r + 1 : r;
      const base0 = r * d;
      const base1 = r1 * d;
      for (let i = 0; i < d; i++) {
        a0[i] = x[base0 + i]!;
        a1[i] = x[base1 + i]!;
      }
      for (let k = 0; k < this.layers.length; k++) {
        layerPair(this.layers[k]!, a0, a1, b0, b1);
        const t0 = a0;
        a0 = b0;
        b0 = t0;
        const t1 = a1;
        a1 = b1;
        b1 = t1;
      }
      let e0 = 0;
      let e1 = 0;
      for (let i = 0; i < d; i++) {
        const u = a0[i]! - x[base0 + i]!;
        const v = a1[i]! - x[base1 + i]!;
        e0 += u * u;
        e1 += v * v;
      }
      out[outOffset + r - rowStart] = e0 / d;
      if (r1 !== r) out[outOffset + r1 - rowStart] = e1 / d;
    }
  }
}
