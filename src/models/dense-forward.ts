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

export class DenseNetwork {
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;

  constructor(readonly layers: DenseLayer[]) {
    const widest = Math.max(...layers.map((l) => Math.max(l.inputs, l.units)));
    this.bufA = new Float64Array(widest);
    this.bufB = new Float64Array(widest);
  }

  /**
   * Mean squared error between each row of `x` (n × inputs, row-major) and the network's output for it,
   * into `out[outOffset + row]`. Allocates nothing.
   */
  reconstructionError(x: Float32Array, rowStart: number, rowEnd: number, out: Float64Array, outOffset: number): void {
    const d = this.layers[0]!.inputs;
    let a = this.bufA;
    let b = this.bufB;
    for (let r = rowStart; r < rowEnd; r++) {
      const base = r * d;
      for (let i = 0; i < d; i++) a[i] = x[base + i]!;
      for (const layer of this.layers) {
        const { inputs, units, weightsT, bias, activation } = layer;
        let o = 0;
        // four outputs per pass share each input load
        for (; o + 4 <= units; o += 4) {
          const w0 = o * inputs;
          const w1 = w0 + inputs;
          const w2 = w1 + inputs;
          const w3 = w2 + inputs;
          let s0 = bias[o]!;
          let s1 = bias[o + 1]!;
          let s2 = bias[o + 2]!;
          let s3 = bias[o + 3]!;
          for (let i = 0; i < inputs; i++) {
            const v = a[i]!;
            s0 += v * weightsT[w0 + i]!;
            s1 += v * weightsT[w1 + i]!;
            s2 += v * weightsT[w2 + i]!;
            s3 += v * weightsT[w3 + i]!;
          }
          b[o] = activate(Math.fround(s0), activation);
          b[o + 1] = activate(Math.fround(s1), activation);
          b[o + 2] = activate(Math.fround(s2), activation);
          b[o + 3] = activate(Math.fround(s3), activation);
        }
        for (; o < units; o++) {
          let s = bias[o]!;
          const w = o * inputs;
          for (let i = 0; i < inputs; i++) s += a[i]! * weightsT[w + i]!;
          // round as float32 arithmetic would, so results track tfjs closely
          b[o] = activate(Math.fround(s), activation);
        }
        const t = a;
        a = b;
        b = t;
      }
      let err = 0;
      for (let i = 0; i < d; i++) {
        const e = a[i]! - x[base + i]!;
        err += e * e;
      }
      out[outOffset + r - rowStart] = err / d;
    }
  }
}

function activate(s: number, activation: DenseActivation): number {
  return activation === 'relu' ? (s > 0 ? s : 0) : activation === 'linear' ? s : activation === 'tanh' ? Math.tanh(s) : s > 0 ? s : Math.expm1(s);
}
