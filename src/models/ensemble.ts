/**
 * The ensemble: preprocessing + autoencoder + isolation forest, each model's raw score calibrated on
 * held-out benign flows (calibration.ts); the combined score is the larger of the two calibrated scores —
 * in surprise units −ln(1 − s), the larger surprise —, and the alert threshold is the score the combined
 * score of a benign flow exceeds with the alert budget's probability, from a tail fitted to the combined
 * surprise of the same benign flows (train.ts, tail.ts).
 *
 * Why the maximum and not the mean: the two models see different things (unusual feature combinations vs
 * points easy to isolate), and a flow far outside benign traffic in one view only must still stand out —
 * a mean halves such a flow's distance. The maximum is not calibrated a second time: a second calibration's
 * own tail above its largest benign value has a ceiling below 1 (the first calibration's scores never
 * reach 1), so a budget threshold far out in the tail could lie beyond every score a model can give. The
 * surprise of the maximum is unbounded, and the tail fitted to it holds the false-alarm rate.
 *
 * A model directory holds:
 *   meta.json         ModelMeta: id, training date (packet time), flow counts, schema version, losses,
 *                     threshold, calibration knots, the hyperparameters used
 *   preprocess.json   PreprocessParams
 *   forest.json       IsolationForestJson
 *   model.json, weights.bin   the autoencoder (tfjs layers-model format)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { readAsset } from '../assets.js';
import { FEATURE_COUNT, FEATURE_SCHEMA_VERSION } from '../features/flow-features.js';
import { Autoencoder } from './autoencoder.js';
import { Calibrator, type CalibratorJson } from './calibration.js';
import { tailQuantile, type GpdFit } from './tail.js';
import type { ModelFileReader } from './fs-io-handler.js';
import { IsolationForest, type IsolationForestJson } from './isolation-forest.js';
import type { ModelsConfig } from './models-config.js';
import { Preprocessor, type PreprocessParams } from './preprocess.js';

export const MODEL_NAMES = ['autoencoder', 'isolation-forest'] as const;

export interface ModelMeta {
  format: 'argus-edge-model';
  version: 1;
  name: string;
  /** name + training date: recorded with every anomaly event */
  id: string;
  /** packet time (µs) of the last training flow's end, or the time passed in: never the wall clock */
  trainedAtUs: number;
  trainedAt: string;
  flowCount: number;
  trainFlows: number;
  validationFlows: number;
  calibrationFlows: number;
  featureSchemaVersion: number;
  featureNames: string[];
  thresholdQuantile: number;
  /** alert when the combined score is ≥ this */
  threshold: number;
  /** how the threshold follows from models.alertBudgetPerDay (absent in models made before the budget) */
  alertBudget?: {
    perDay: number;
    /** share of benign flows allowed above the threshold */
    q: number;
    from: 'budget' | 'quantile';
    flowsPerDevicePerDay?: number;
    devices?: number;
    days?: number;
    tail: GpdFit;
  };
  losses: {
    autoencoder: { trainLoss: number; valLoss: number; epochs: number; bestEpoch: number; history: { epoch: number; loss: number; valLoss: number }[] };
    /** mean raw score of the calibration flows: how anomalous benign traffic looks to the forest */
    forest: { calibrationMeanScore: number; trees: number; sampleSize: number };
  };
  /** the TensorFlow.js backend that trained the autoencoder */
  backend: string;
  config: ModelsConfig;
  calibration: { autoencoder: CalibratorJson; forest: CalibratorJson };
}

/** Scores of a batch; arrays are reused between calls of the same size or larger. */
export interface EnsembleScores {
  n: number;
  aeRaw: Float64Array;
  forestRaw: Float64Array;
  aeCal: Float64Array;
  forestCal: Float64Array;
  score: Float64Array;
}

export function allocScores(n: number): EnsembleScores {
  return {
    n: 0,
    aeRaw: new Float64Array(n),
    forestRaw: new Float64Array(n),
    aeCal: new Float64Array(n),
    forestCal: new Float64Array(n),
    score: new Float64Array(n),
  };
}

export class EnsembleModel {
  private readonly aeCal: Calibrator;
  private readonly forestCal: Calibrator;
  private scaled = new Float32Array(0);
  /** a stricter threshold in force (learning period), else null */
  private stricter: number | null = null;
  /** the threshold adapted to this network's own scores (online-threshold.ts), else null */
  private adapted: number | null = null;

  constructor(
    readonly meta: ModelMeta,
    readonly preprocess: Preprocessor,
    readonly autoencoder: Autoencoder,
    readonly forest: IsolationForest,
  ) {
    if (meta.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
      throw new Error(`model '${meta.id}' uses feature schema ${meta.featureSchemaVersion}; this build computes schema ${FEATURE_SCHEMA_VERSION}: retrain it`);
    }
    if (preprocess.dims !== FEATURE_COUNT || autoencoder.dims !== FEATURE_COUNT || forest.dims !== FEATURE_COUNT) {
      throw new Error(`model '${meta.id}': its parts do not all take ${FEATURE_COUNT} features`);
    }
    this.aeCal = new Calibrator(meta.calibration.autoencoder);
    this.forestCal = new Calibrator(meta.calibration.forest);
  }

  get id(): string {
    return this.meta.id;
  }

  /** the threshold in force: adapted to this network, else the model's own (raised while learning) */
  get threshold(): number {
    return this.adapted ?? this.modelThreshold;
  }

  /** the model's own threshold, raised while learning; what holds when nothing is adapted */
  get modelThreshold(): number {
    return this.stricter ?? this.meta.threshold;
  }

  /** where the threshold in force comes from */
  get thresholdSource(): 'model' | 'learning' | 'adapted' {
    return this.adapted !== null ? 'adapted' : this.stricter !== null ? 'learning' : 'model';
  }

  /** Put a threshold adapted to this network in force (null: back to the model's own). */
  setAdaptedThreshold(t: number | null): void {
    this.adapted = t;
  }

  /**
   * The score a benign flow of the training traffic exceeds with probability q / `factor` on the fitted tail,
   * never below the model's own threshold (the model's own when it has no fitted tail).
   */
  tailThreshold(factor: number): number {
    const b = this.meta.alertBudget;
    if (b === undefined || !(factor > 1)) return this.meta.threshold;
    const z = tailQuantile(b.tail, Math.max(1e-9, b.q / factor));
    return Math.max(this.meta.threshold, -Math.expm1(-z));
  }

  /**
   * While the appliance learns its network, a model made elsewhere alerts only far out in its tail: the
   * threshold becomes the score a benign flow exceeds with probability q / `factor` on the fitted tail
   * (never below the model's own). Models without a fitted tail keep their threshold. Returns the threshold in force.
   */
  useStricterThreshold(factor: number): number {
    if (this.meta.alertBudget === undefined || !(factor > 1)) {
      this.stricter = null;
      return this.modelThreshold;
    }
    this.stricter = this.tailThreshold(factor);
    return this.stricter;
  }

  /** The combined score from the two models' calibrated scores. */
  combine(aeCal: number, forestCal: number): number {
    return combineCalibrated(aeCal, forestCal);
  }

  /**
   * Score the raw feature rows `x` (n × FEATURE_COUNT from extractFeatures; not modified) into `out`
   * (allocated when absent or too small). Returns `out`.
   */
  score(x: Float32Array, out?: EnsembleScores): EnsembleScores {
    const n = x.length / FEATURE_COUNT;
    const s = out && out.score.length >= n ? out : allocScores(n);
    if (this.scaled.length < x.length) this.scaled = new Float32Array(x.length);
    const scaled = this.scaled.subarray(0, x.length);
    this.preprocess.apply(x, scaled);
    this.autoencoder.reconstructionError(scaled, undefined, s.aeRaw);
    this.forest.score(scaled, s.forestRaw);
    for (let i = 0; i < n; i++) {
      const a = this.aeCal.map(s.aeRaw[i]!);
      const f = this.forestCal.map(s.forestRaw[i]!);
      s.aeCal[i] = a;
      s.forestCal[i] = f;
      s.score[i] = combineCalibrated(a, f);
    }
    s.n = n;
    return s;
  }

  /** Write every file of the model into `dir` (created when missing). */
  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await this.autoencoder.save(dir);
    writeFileSync(join(dir, 'preprocess.json'), JSON.stringify(this.preprocess.toJSON()));
    writeFileSync(join(dir, 'forest.json'), JSON.stringify(this.forest.toJSON()));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(this.meta, null, 1));
  }

  /**
   * Load a model directory. A relative `dir` that does not exist under the working directory is read as a
   * bundled asset (e.g. 'models/default'), so the single executable finds its embedded model.
   */
  static async load(dir: string): Promise<EnsembleModel> {
    const read = modelReader(dir);
    const meta = JSON.parse(read('meta.json').toString('utf8')) as ModelMeta;
    if (meta.format !== 'argus-edge-model' || meta.version !== 1) throw new Error(`${dir}: not an argus-edge model (meta.json format/version)`);
    const preprocess = Preprocessor.fromJSON(JSON.parse(read('preprocess.json').toString('utf8')) as PreprocessParams);
    const forest = IsolationForest.fromJSON(JSON.parse(read('forest.json').toString('utf8')) as IsolationForestJson);
    const autoencoder = await Autoencoder.load(dir, meta.config.autoencoder.inferenceBatch, read);
    return new EnsembleModel(meta, preprocess, autoencoder, forest);
  }

  dispose(): void {
    this.autoencoder.dispose();
  }
}

/** The two calibrated scores → the combined score: the larger, i.e. the larger surprise (see the header). */
export function combineCalibrated(aeCal: number, forestCal: number): number {
  return aeCal > forestCal ? aeCal : forestCal;
}

/** Reader of a model directory's files: the file system, or bundled assets for a relative missing path. */
export function modelReader(dir: string): ModelFileReader {
  if (isAbsolute(dir) || existsSync(dir)) return (name) => readFileSync(join(dir, name));
  const base = dir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return (name) => readAsset(`${base}/${name}`);
}
