/**
 * Hyperparameters of the detection models (config.yaml `models.*`), with their defaults.
 *
 * models.dir                    directory of the model in use (model.json, weights.bin, forest.json, …)
 * models.threshold              quantile of benign calibration flows that maps to the alert threshold (0.999:
 *                               about one benign flow in a thousand alerts)
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
