/**
 * Autoencoder: a small dense network (TensorFlow.js, wasm backend) trained to reproduce scaled benign
 * feature vectors; the mean squared reconstruction error of a flow is its raw anomaly score — flows unlike
 * anything in training reconstruct badly. Hyperparameters are documented in models-config.ts.
 *
 * Reproducible: weights are initialised with seeded Glorot-uniform initialisers, batches are shuffled by the
 * seeded Prng (tfjs's own shuffle uses Math.random), and the wasm backend runs single-threaded.
 * Early stopping watches the loss on a held-out validation split and restores the best epoch's weights.
 */
import { initTf, tf } from './tf-backend.js';
import { fileSystemIO, type ModelFileReader } from './fs-io-handler.js';
import type { AutoencoderConfig } from './models-config.js';
import { Prng } from './prng.js';
import { DenseNetwork, denseLayer, type DenseActivation } from './dense-forward.js';

export interface EpochReport {
  epoch: number;
  /** mean training loss (MSE) over the epoch's batches */
  loss: number;
  /** MSE on the validation rows after the epoch */
  valLoss: number;
}

export interface AutoencoderFitResult {
  epochs: number;
  bestEpoch: number;
  /** training loss of the best epoch */
  trainLoss: number;
  valLoss: number;
  history: EpochReport[];
  backend: string;
}


export class Autoencoder {
  /** the plain-JS copy of the weights used for scoring; rebuilt when the weights change */
  private net: DenseNetwork | undefined;

  private constructor(
    private readonly model: tf.LayersModel,
    readonly dims: number,
    readonly inferenceBatch: number,
  ) {}

  /**
   * Train on rows `trainRows` of the scaled row-major matrix `x` (n × dims), early-stopping on `valRows`
   * (when empty, on the training loss). `onEpoch` is called after every epoch.
   */
  static async fit(
    x: Float32Array,
    dims: number,
    trainRows: Uint32Array,
    valRows: Uint32Array,
    cfg: AutoencoderConfig,
    seed: number,
    onEpoch?: (r: EpochReport) => void,
  ): Promise<{ autoencoder: Autoencoder; result: AutoencoderFitResult }> {
    const backend = await initTf();
    if (trainRows.length === 0) throw new Error('autoencoder: no training rows');
    // explicit names: tfjs numbers unnamed layers from a global counter, which would make model.json differ
    // between two identical trainings in one process
    const model = tf.sequential({ name: 'autoencoder' });
    const widths = [...cfg.hidden, ...cfg.hidden.slice(0, -1).reverse()];
    widths.forEach((units, i) => {
      model.add(
        tf.layers.dense({
          units,
          name: `hidden${i + 1}`,
          activation: cfg.activation,
          inputShape: i === 0 ? [dims] : undefined,
          kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 31 + i }),
          biasInitializer: 'zeros',
        }),
      );
    });
    model.add(
      tf.layers.dense({
        units: dims,
        name: 'output',
        activation: 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 31 + widths.length }),
        biasInitializer: 'zeros',
      }),
    );
    model.compile({ optimizer: tf.train.adam(cfg.learningRate), loss: 'meanSquaredError' });
    const ae = new Autoencoder(model, dims, cfg.inferenceBatch);

    const rng = new Prng(seed ^ 0x5eed);
    const order = Uint32Array.from(trainRows);
    const bs = Math.max(1, Math.min(cfg.batchSize, order.length));
    const epochData = new Float32Array(order.length * dims);
    const history: EpochReport[] = [];
    let best = Infinity;
    let bestEpoch = 0;
    let bestWeights: tf.Tensor[] | undefined;
    let sinceBest = 0;
    for (let epoch = 1; epoch <= cfg.maxEpochs; epoch++) {
      // one seeded shuffle per epoch, then fit() walks the rows in that order (its own shuffle would use
      // Math.random)
      rng.shuffle(order);
      for (let r = 0; r < order.length; r++) epochData.set(x.subarray(order[r]! * dims, order[r]! * dims + dims), r * dims);
      const xt = tf.tensor2d(epochData, [order.length, dims]);
      // no yields inside an epoch (they cost time); on a live appliance training runs in a worker thread
      const h = await model.fit(xt, xt, { batchSize: bs, epochs: 1, shuffle: false, verbose: 0, yieldEvery: 'never' });
      xt.dispose();
      await new Promise((r) => setImmediate(r)); // let the event loop run between epochs
      const trainLoss = Number(h.history.loss![0]);
      const valLoss = valRows.length > 0 ? mean(ae.reconstructionErrorTf(x, valRows)) : trainLoss;
      const report = { epoch, loss: trainLoss, valLoss };
      history.push(report);
      onEpoch?.(report);
      if (!Number.isFinite(valLoss)) break; // diverged: keep the best weights so far
      if (valLoss < best - cfg.minDelta) {
        best = valLoss;
        bestEpoch = epoch;
        bestWeights?.forEach((w) => w.dispose());
        bestWeights = model.getWeights().map((w) => w.clone());
        sinceBest = 0;
      } else if (++sinceBest >= cfg.patience) {
        break;
      }
    }
    if (bestWeights) {
      model.setWeights(bestWeights);
      ae.net = undefined;
      bestWeights.forEach((w) => w.dispose());
    }
    const b = history[Math.max(0, bestEpoch - 1)]!;
    return {
      autoencoder: ae,
      result: { epochs: history.length, bestEpoch, trainLoss: b.loss, valLoss: b.valLoss, history, backend },
    };
  }

  /**
   * Mean squared reconstruction error per row — of every row of `x` (n × dims, scaled), or of the rows
   * listed in `rows` — computed by the plain-JS forward pass (dense-forward.ts). Returns a new array unless
   * `out` is given.
   */
  reconstructionError(x: Float32Array, rows?: ArrayLike<number>, out?: Float64Array): Float64Array {
    const d = this.dims;
    const net = (this.net ??= this.toDenseNetwork());
    if (!rows) {
      const n = x.length / d;
      const res = out ?? new Float64Array(n);
      net.reconstructionError(x, 0, n, res, 0);
      return res;
    }
    const res = out ?? new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) net.reconstructionError(x, rows[i]!, rows[i]! + 1, res, i);
    return res;
  }

  private toDenseNetwork(): DenseNetwork {
    return new DenseNetwork(
      this.model.layers.map((layer) => {
        const [kernel, bias] = layer.getWeights();
        const [inputs, units] = kernel!.shape as [number, number];
        const act = (layer.getConfig() as { activation?: string }).activation ?? 'linear';
        if (!['linear', 'relu', 'elu', 'tanh'].includes(act)) throw new Error(`autoencoder: unsupported activation '${act}'`);
        return denseLayer(kernel!.dataSync() as Float32Array, bias!.dataSync() as Float32Array, inputs, units, act as DenseActivation);
      }),
    );
  }

  /** The same as reconstructionError, through TensorFlow.js predict() in batches of `inferenceBatch`. */
  reconstructionErrorTf(x: Float32Array, rows?: ArrayLike<number>, out?: Float64Array): Float64Array {
    const d = this.dims;
    const n = rows ? rows.length : x.length / d;
    const res = out ?? new Float64Array(n);
    const bs = this.inferenceBatch;
    const buf = rows ? new Float32Array(Math.min(bs, n) * d) : undefined;
    for (let start = 0; start < n; start += bs) {
      const m = Math.min(bs, n - start);
      let view: Float32Array;
      if (rows && buf) {
        for (let r = 0; r < m; r++) buf.set(x.subarray(rows[start + r]! * d, rows[start + r]! * d + d), r * d);
        view = buf.subarray(0, m * d);
      } else {
        view = x.subarray(start * d, (start + m) * d);
      }
      const err = tf.tidy(() => {
        const xb = tf.tensor2d(view, [m, d]);
        const y = this.model.predict(xb) as tf.Tensor;
        return tf.mean(tf.squaredDifference(y, xb), 1);
      });
      res.set(err.dataSync(), start);
      err.dispose();
    }
    return res;
  }

  /** Write model.json + weights.bin into `dir`. */
  async save(dir: string): Promise<void> {
    await this.model.save(fileSystemIO(dir));
  }

  /** Load from `dir` (through `read` when given, e.g. the bundled-asset reader). */
  static async load(dir: string, inferenceBatch: number, read?: ModelFileReader): Promise<Autoencoder> {
    await initTf();
    const model = await tf.loadLayersModel(fileSystemIO(dir, read));
    const shape = model.inputs[0]!.shape;
    const dims = shape[shape.length - 1];
    if (typeof dims !== 'number') throw new Error('autoencoder model.json: unknown input width');
    return new Autoencoder(model, dims, inferenceBatch);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length > 0 ? s / a.length : 0;
}
