/**
 * Hyperparameters of the detection models (config.yaml `models.*`), with their defaults.
 *
 * models.dir                    directory of the model in use (model.json, weights.bin, forest.json, …)
 * models.threshold              the loosest alert threshold, as a quantile of benign flows (0.999: at most
 *                               one benign flow in a thousand alerts)
 * models.alertBudgetPerDay      false alerts per device per day the threshold aims at (budget.ts): usually
 *                               far stricter than the quantile, taken from a tail fitted to benign scores
 * models.learningPeriodHours    on a live appliance without a model: hours of traffic collected as the
 *                               baseline before training starts
 * models.seed                   seed of every random choice (data split, weight init, shuffling, forest
 *                               sampling): same seed + same flows → the same model, bit for bit
 * models.validationFraction     share of the flows held out for the autoencoder's early stopping
 * models.calibrationFraction    share of the flows held out (seen by neither model) to calibrate scores
 * models.maxTrainFlows          training flows beyond this are subsampled (seeded) to bound time and memory
 *                               on a Pi; calibration keeps its own full share up to the same cap
 *
 * Autoencoder (models.autoencoder.*), after Kitsune's KitNET header — a dense network trained to reproduce
 * its (scaled) input; the mean squared reconstruction error is the raw anomaly score:
 *   hidden        widths of the encoder's hidden layers; the decoder mirrors them. [24, 8] gives
 *                 F → 24 → 8 → 24 → F
 *   activation    hidden-layer activation ('relu', 'elu' or 'tanh'); the output layer is linear
 *   learningRate  Adam step size
 *   batchSize     flows per gradient step
 *   maxEpochs     upper bound on passes over the training flows
 *   patience      epochs without a validation-loss improvement (by more than minDelta) before stopping;
 *                 the weights of the best epoch are kept
 *   minDelta      smallest validation-loss decrease counted as an improvement
 *   inferenceBatch  flows per inference call when scoring
 *
 * Isolation forest (models.forest.*), Liu, Ting & Zhou 2008:
 *   trees         number of isolation trees (≥ 100 per the paper; path lengths converge by then)
 *   sampleSize    flows subsampled (without replacement) to grow each tree (ψ = 256 in the paper); the
 *                 height limit is ceil(log2(sampleSize))
 */
export interface AutoencoderConfig {
  hidden: number[];
  activation: 'relu' | 'elu' | 'tanh';
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  minDelta: number;
  inferenceBatch: number;
}

export interface ForestConfig {
  trees: number;
  sampleSize: number;
}

export interface ModelsConfig {
  dir: string;
  threshold: number;
  alertBudgetPerDay: number;
  learningPeriodHours: number;
  seed: number;
  validationFraction: number;
  calibrationFraction: number;
  maxTrainFlows: number;
  autoencoder: AutoencoderConfig;
  forest: ForestConfig;
}

export const DEFAULT_MODELS_CONFIG: ModelsConfig = {
  dir: 'models/default',
  threshold: 0.999,
  alertBudgetPerDay: 1,
  learningPeriodHours: 24,
  seed: 1,
  validationFraction: 0.1,
  calibrationFraction: 0.2,
  maxTrainFlows: 300_000,
  autoencoder: {
    hidden: [24, 8],
    activation: 'relu',
    learningRate: 0.003,
    batchSize: 256,
    maxEpochs: 40,
    patience: 4,
    minDelta: 1e-4,
    inferenceBatch: 4096,
  },
  forest: {
    trees: 100,
    sampleSize: 256,
  },
};

/** Defaults overlaid with a partial config (nested objects merged one level deep). */
export function modelsConfig(partial: DeepPartial<ModelsConfig> = {}): ModelsConfig {
  return {
    ...DEFAULT_MODELS_CONFIG,
    ...(partial as Partial<ModelsConfig>),
    autoencoder: { ...DEFAULT_MODELS_CONFIG.autoencoder, ...(partial.autoencoder as Partial<AutoencoderConfig>) },
    forest: { ...DEFAULT_MODELS_CONFIG.forest, ...partial.forest },
  };
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** Problems with a models config, one message per bad key ('models.forest.trees must be ≥ 1'); empty when valid. */
export function modelsConfigProblems(c: ModelsConfig): string[] {
  const p: string[] = [];
  const check = (ok: boolean, key: string, what: string): void => void (ok || p.push(`models.${key} ${what}`));
  const int = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
  check(typeof c.dir === 'string' && c.dir.length > 0, 'dir', 'must be a directory path');
  check(c.threshold > 0 && c.threshold < 1, 'threshold', 'must be a quantile between 0 and 1 (e.g. 0.999)');
  check(c.alertBudgetPerDay > 0, 'alertBudgetPerDay', 'must be a positive number of alerts per device per day');
  check(c.learningPeriodHours > 0, 'learningPeriodHours', 'must be a positive number of hours');
  check(Number.isInteger(c.seed), 'seed', 'must be an integer');
  check(c.validationFraction > 0 && c.validationFraction < 0.5, 'validationFraction', 'must be between 0 and 0.5');
  check(c.calibrationFraction > 0 && c.calibrationFraction < 0.5, 'calibrationFraction', 'must be between 0 and 0.5');
  check(int(c.maxTrainFlows, 100), 'maxTrainFlows', 'must be an integer ≥ 100');
  const a = c.autoencoder;
  check(Array.isArray(a.hidden) && a.hidden.length > 0 && a.hidden.every((w) => int(w, 1)), 'autoencoder.hidden', 'must be a list of layer widths ≥ 1');
  check(['relu', 'elu', 'tanh'].includes(a.activation), 'autoencoder.activation', "must be 'relu', 'elu' or 'tanh'");
  check(a.learningRate > 0 && a.learningRate < 1, 'autoencoder.learningRate', 'must be between 0 and 1');
  check(int(a.batchSize, 1), 'autoencoder.batchSize', 'must be an integer ≥ 1');
  check(int(a.maxEpochs, 1), 'autoencoder.maxEpochs', 'must be an integer ≥ 1');
  check(int(a.patience, 1), 'autoencoder.patience', 'must be an integer ≥ 1');
  check(a.minDelta >= 0, 'autoencoder.minDelta', 'must be ≥ 0');
  check(int(a.inferenceBatch, 1), 'autoencoder.inferenceBatch', 'must be an integer ≥ 1');
  check(int(c.forest.trees, 1), 'forest.trees', 'must be an integer ≥ 1 (100 or more recommended)');
  check(int(c.forest.sampleSize, 2), 'forest.sampleSize', 'must be an integer ≥ 2');
  return p;
}
