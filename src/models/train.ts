/**
 * Training: flows → features → seeded split (train / validation / calibration) → preprocessing fitted on
 * the training rows → isolation forest and autoencoder → calibration on the held-out benign rows → an
 * EnsembleModel whose metadata says how it was made.
 *
 * Same flows + same config (seed included) → the same model and scores, bit for bit: all randomness comes
 * from the seeded Prng and seeded initialisers, and the training date is packet time, not the wall clock.
 *
 * On a live appliance call trainInWorker (train-worker-client.ts) so capture keeps running.
 */
import { FEATURE_COUNT, FEATURE_SCHEMA_VERSION, extractFeatures, featureNames } from '../features/flow-features.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { Autoencoder } from './autoencoder.js';
import { exceedance, trafficOf, type TrafficShape } from './budget.js';
import { alertThreshold, Calibrator } from './calibration.js';
import { EnsembleModel, combineCalibrated, type ModelMeta } from './ensemble.js';
import { IsolationForest } from './isolation-forest.js';
import { modelsConfig, modelsConfigProblems, type DeepPartial, type ModelsConfig } from './models-config.js';
import { Preprocessor } from './preprocess.js';
import { Prng } from './prng.js';
import { fitTail, tailQuantile } from './tail.js';

/** Training stages, in order. */
export const TRAIN_PHASES = ['features', 'preprocess', 'forest', 'autoencoder', 'calibrate', 'save', 'done'] as const;
export type TrainPhase = (typeof TRAIN_PHASES)[number];

export interface TrainProgress {
  phase: TrainPhase;
  /** human-readable one-liner */
  message: string;
  /** autoencoder phase: the epoch just finished and its losses */
  epoch?: number;
  maxEpochs?: number;
  loss?: number;
  valLoss?: number;
}

export interface TrainOptions {
  /** model name; the id is `${name}@${ISO training date}` */
  name?: string;
  config?: DeepPartial<ModelsConfig>;
  /** training date in µs; default: the latest flow end among the training flows (packet time) */
  trainedAtUs?: number;
  onProgress?: (p: TrainProgress) => void;
  /** devices and packet-time span of the training flows, for the alert budget; unknown: models.threshold alone */
  traffic?: TrafficShape;
}

/** fewest flows that give every split at least a handful of rows */
export const MIN_TRAIN_FLOWS = 50;

/** the tail is fitted to the calibration scores above this quantile */
const TAIL_INITIAL_QUANTILE = 0.9;

/** Feature matrix of `records` (n × FEATURE_COUNT) and the latest flow end among them. */
export function featuresOf(records: readonly FlowRecord[]): { x: Float32Array; lastEndUs: number } {
  const x = new Float32Array(records.length * FEATURE_COUNT);
  let lastEndUs = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    extractFeatures(r, x, i * FEATURE_COUNT);
    if (r.endUs > lastEndUs) lastEndUs = r.endUs;
  }
  return { x, lastEndUs };
}

/** Train from FlowRecords of benign traffic. */
export async function trainModel(records: readonly FlowRecord[], opts: TrainOptions = {}): Promise<EnsembleModel> {
  opts.onProgress?.({ phase: 'features', message: `computing features of ${records.length} flows` });
  const { x, lastEndUs } = featuresOf(records);
  return trainFromFeatures(x, { ...opts, trainedAtUs: opts.trainedAtUs ?? lastEndUs, traffic: opts.traffic ?? trafficOf(records) });
}

/**
 * Train from a raw feature matrix (n × FEATURE_COUNT, from extractFeatures; not modified).
 * `trainedAtUs` is required here because the matrix carries no times.
 */
export async function trainFromFeatures(x: Float32Array, opts: TrainOptions & { trainedAtUs: number }): Promise<EnsembleModel> {
  const cfg = modelsConfig(opts.config);
  const problems = modelsConfigProblems(cfg);
  if (problems.length > 0) throw new Error(`bad models config: ${problems.join('; ')}`);
  const progress = opts.onProgress ?? (() => {});
  const name = opts.name ?? 'default';
  const n = x.length / FEATURE_COUNT;
  if (!Number.isInteger(n)) throw new Error(`feature matrix length ${x.length} is not a multiple of ${FEATURE_COUNT}`);
  if (n < MIN_TRAIN_FLOWS) throw new Error(`training needs at least ${MIN_TRAIN_FLOWS} flows; got ${n}`);

  // seeded split; beyond maxTrainFlows a seeded subsample is used. The rows used are copied, in permuted
  // order, into one compact matrix: calibration rows first, then validation, then training.
  const rng = new Prng(cfg.seed);
  const perm = rng.permutation(n);
  const used = Math.min(n, cfg.maxTrainFlows);
  const nCal = Math.max(10, Math.round(used * cfg.calibrationFraction));
  const nVal = Math.max(5, Math.round(used * cfg.validationFraction));
  const xs = new Float32Array(used * FEATURE_COUNT);
  for (let i = 0; i < used; i++) xs.set(x.subarray(perm[i]! * FEATURE_COUNT, (perm[i]! + 1) * FEATURE_COUNT), i * FEATURE_COUNT);
  const range = (a: number, b: number): Uint32Array => Uint32Array.from({ length: b - a }, (_, i) => a + i);
  const calRows = range(0, nCal);
  const valRows = range(nCal, nCal + nVal);
  const trainRows = range(nCal + nVal, used);

  progress({ phase: 'preprocess', message: `fitting preprocessing on ${trainRows.length} flows (${valRows.length} for validation, ${calRows.length} for calibration)` });
  const pre = Preprocessor.fit(xs, trainRows);
  const scaled = pre.apply(xs, xs);

  progress({ phase: 'forest', message: `growing ${cfg.forest.trees} isolation trees on samples of ${cfg.forest.sampleSize}` });
  const forest = IsolationForest.fit(scaled, FEATURE_COUNT, { ...cfg.forest, seed: cfg.seed }, trainRows);

  progress({ phase: 'autoencoder', message: `training the autoencoder (up to ${cfg.autoencoder.maxEpochs} epochs)`, maxEpochs: cfg.autoencoder.maxEpochs });
  const { autoencoder, result } = await Autoencoder.fit(scaled, FEATURE_COUNT, trainRows, valRows, cfg.autoencoder, cfg.seed, (r) =>
    progress({
      phase: 'autoencoder',
      message: `epoch ${r.epoch}: loss ${r.loss.toFixed(5)}, validation ${r.valLoss.toFixed(5)}`,
      epoch: r.epoch,
      maxEpochs: cfg.autoencoder.maxEpochs,
      loss: r.loss,
      valLoss: r.valLoss,
    }),
  );

  progress({ phase: 'calibrate', message: `calibrating on ${calRows.length} held-out flows` });
  const aeRaw = autoencoder.reconstructionError(scaled, calRows);
  const forestRaw = forest.score(scaled.subarray(0, nCal * FEATURE_COUNT)); // calibration rows come first
  const aeCal = Calibrator.fit(aeRaw);
  const forestCal = Calibrator.fit(forestRaw);
  const mid = new Float64Array(calRows.length);
  let forestMean = 0;
  for (let i = 0; i < calRows.length; i++) {
    mid[i] = combineCalibrated(aeCal.map(aeRaw[i]!), forestCal.map(forestRaw[i]!));
    forestMean += forestRaw[i]! / calRows.length;
  }
  const final = Float64Array.from(mid).sort();
  // the threshold: the score a benign flow exceeds with the budget's probability q, from the fitted tail of
  // the combined score's surprise −ln(1 − s) (unbounded, so the tail can reach past every calibration flow),
  // and never below the empirical quantile (which also steps over blocks of tied benign scores)
  const exc = exceedance(cfg.alertBudgetPerDay, cfg.threshold, opts.traffic);
  const surprise = Float64Array.from(mid, (m) => -Math.log1p(-Math.min(m, 1 - 1e-16)));
  const tail = fitTail(surprise, TAIL_INITIAL_QUANTILE);
  const tailThreshold = -Math.expm1(-tailQuantile(tail, exc.q));
  const threshold = Math.max(alertThreshold(final, 1 - exc.q), tailThreshold);

  const trainedAt = new Date(Math.floor(opts.trainedAtUs / 1000)).toISOString();
  const meta: ModelMeta = {
    format: 'argus-edge-model',
    version: 1,
    name,
    id: `${name}@${trainedAt}`,
    trainedAtUs: opts.trainedAtUs,
    trainedAt,
    flowCount: n,
    trainFlows: trainRows.length,
    validationFlows: valRows.length,
    calibrationFlows: calRows.length,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    featureNames: [...featureNames],
    thresholdQuantile: cfg.threshold,
    threshold,
    alertBudget: {
      perDay: cfg.alertBudgetPerDay,
      q: exc.q,
      from: exc.from,
      ...(exc.flowsPerDevicePerDay !== undefined ? { flowsPerDevicePerDay: exc.flowsPerDevicePerDay } : {}),
      ...(opts.traffic ? { devices: opts.traffic.devices, days: opts.traffic.spanUs / 86_400e6 } : {}),
      tail,
    },
    losses: {
      autoencoder: { trainLoss: result.trainLoss, valLoss: result.valLoss, epochs: result.epochs, bestEpoch: result.bestEpoch, history: result.history },
      forest: { calibrationMeanScore: forestMean, trees: forest.trees, sampleSize: forest.sampleSize },
    },
    backend: result.backend,
    config: cfg,
    calibration: { autoencoder: aeCal.toJSON(), forest: forestCal.toJSON() },
  };
  const model = new EnsembleModel(meta, pre, autoencoder, forest);
  progress({ phase: 'done', message: `trained ${meta.id} on ${n} flows; threshold ${threshold.toFixed(6)} (${exc.from === 'budget' ? `${cfg.alertBudgetPerDay} alert per device per day: 1 benign flow in ${Math.round(1 / exc.q)}` : `quantile ${cfg.threshold}`})` });
  return model;
}
