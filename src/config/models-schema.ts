/**
 * The `models:` section of the configuration. The hyperparameters are explained at length where the models
 * define them (src/models/models-config.ts); the defaults come from there, so the two cannot disagree.
 */
import { DEFAULT_MODELS_CONFIG as D } from '../models/models-config.js';
import { DEFAULT_ADAPT_CONFIG as AD } from '../models/online-threshold.js';
import { bool, list, num, oneOf, str } from './fields.js';

const A = D.autoencoder;

export const modelsSchema = {
  enabled: bool(true, 'score every flow with the anomaly models'),
  dir: str(D.dir, 'model directory (meta.json, model.json, weights.bin, forest.json, preprocess.json); models/default is the bundled one'),
  threshold: num(D.threshold, 'the loosest alert threshold, as a quantile of benign flows (0.999: at most one benign flow in a thousand alerts); alertBudgetPerDay usually sets a stricter one', { min: 0.5, max: 1 }),
  alertBudgetPerDay: num(D.alertBudgetPerDay, "false alerts per device per day the threshold aims at: from the training traffic's flows per device per day and a tail fitted to the benign scores (peaks over threshold); applies to models trained from now on", { min: 0 }),
  learn: bool(true, 'live: learn this network: collect a baseline for learningPeriodHours (scoring with models.dir meanwhile), then train a model of its own in the background'),
  learningPeriodHours: num(D.learningPeriodHours, 'live: hours of traffic collected as the baseline before training', { min: 0 }),
  localDir: str('', "where models trained on this network are written (one directory each); empty: 'models' beside store.path"),
  minTrainFlows: num(1000, 'fewest baseline flows a training (automatic or retrain) accepts', { int: true, min: 100 }),
  seed: num(D.seed, 'seed of every random choice in training: same seed and flows give the same model, bit for bit', { int: true, min: 0 }),
  validationFraction: num(D.validationFraction, "share of the flows held out for the autoencoder's early stopping", { min: 0.01, max: 0.5 }),
  calibrationFraction: num(D.calibrationFraction, 'share of the flows held out (seen by neither model) to calibrate scores', { min: 0.01, max: 0.5 }),
  maxTrainFlows: num(D.maxTrainFlows, 'training flows beyond this are subsampled (seeded) to bound time and memory on a Pi', { int: true, min: 100 }),
  autoencoder: {
    hidden: list(num(0, 'width', { int: true, min: 1 }), [...A.hidden], "widths of the encoder's hidden layers; the decoder mirrors them"),
    activation: oneOf(['relu', 'elu', 'tanh'] as const, A.activation, 'hidden-layer activation; the output layer is linear'),
    learningRate: num(A.learningRate, 'Adam step size', { min: 0 }),
    batchSize: num(A.batchSize, 'flows per gradient step', { int: true, min: 1 }),
    maxEpochs: num(A.maxEpochs, 'upper bound on passes over the training flows', { int: true, min: 1 }),
    patience: num(A.patience, 'epochs without a validation-loss improvement before stopping (the best epoch is kept)', { int: true, min: 1 }),
    minDelta: num(A.minDelta, 'smallest validation-loss decrease counted as an improvement', { min: 0 }),
    inferenceBatch: num(A.inferenceBatch, 'flows per inference call when scoring', { int: true, min: 1 }),
  },
  adapt: {
    enabled: bool(AD.enabled, "live: adapt the alert threshold to this network's own scores (peaks over a high level, a tail refitted in packet time; DSPOT): it moves toward the score this network's flows exceed alertBudgetPerDay times per device per day, between floorQuantile and maxStrictness"),
    initialQuantile: num(AD.initialQuantile, 'the high initial level: this quantile of the first initFlows scores; the scores above it are the peaks the tail is fitted to', { min: 0.5, max: 0.9999 }),
    initFlows: num(AD.initFlows, 'scores collected to set the initial level', { int: true, min: 100 }),
    minPeaks: num(AD.minPeaks, "fewest peaks before the threshold moves; until then the model's own threshold holds", { int: true, min: 10 }),
    maxPeaks: num(AD.maxPeaks, 'peaks kept (the latest): bounds memory and lets the tail follow a changing network', { int: true, min: 10 }),
    refitHours: num(AD.refitHours, 'hours of packet time between refits of the tail (the state is saved in the store at each)', { min: 0 }),
    floorQuantile: num(AD.floorQuantile, 'the loosest adapted threshold, as a calibrated score (0.999: a flow must look more unusual than 99.9 % of the training flows)', { min: 0.5, max: 1 }),
    maxStrictness: num(AD.maxStrictness, "the strictest adapted threshold: the score a training flow exceeds this many times less often than the model's own budget, on its fitted tail (the learning period uses 2)", { min: 1 }),
  },
  forest: {
    trees: num(D.forest.trees, 'isolation trees (100 or more; path lengths converge by then)', { int: true, min: 1 }),
    sampleSize: num(D.forest.sampleSize, 'flows subsampled to grow each tree (256 in the paper)', { int: true, min: 2 }),
  },
} as const;
