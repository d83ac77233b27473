/**
 * ModelManager: the life of the anomaly model on a running appliance.
 *
 * - At start it loads the active model of this network from the store's model registry (trained here before),
 *   else the configured one (models.dir, the bundled default).
 * - Learning: while no model of this network exists and models.learn is on, every exported flow is offered to
 *   a BaselineCollector (bounded, reservoir-sampled). The configured model keeps scoring meanwhile, so a new
 *   appliance is never blind. When learningPeriodHours of packet time have passed, training starts in a
 *   worker thread: capture, decoding and scoring go on while it runs.
 * - Retrain (dashboard, API): trains at once on the baseline collected so far, or, when that is too small, on
 *   the flows of the last learning period kept in the store.
 * - `argus-edge retrain` (another process) trains from the store and activates the result in the registry;
 *   `poll()` notices the change and switches to it, so the command works while the appliance runs.
 *
 * Every switch is recorded in the registry (the active model) and the audit log; every anomaly event carries
 * the id of the model that scored it.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FlowRecord } from '../flow/flow-record.js';
import type { Store } from '../store/db.js';
import type { ModelRow } from '../store/registry.js';
import type { TrafficShape } from './budget.js';
import { BaselineCollector } from './baseline.js';
import { EnsembleModel, type ModelMeta } from './ensemble.js';
import type { DeepPartial, ModelsConfig } from './models-config.js';
import { DEFAULT_ADAPT_CONFIG, OnlineThreshold, type AdaptConfig, type AdaptState } from './online-threshold.js';
import { agreedFlows, judgeRetrain, type GuardVerdict } from './retrain-guard.js';
import { trainInWorker } from './train-in-worker.js';
import { formatExclusions, noExclusions, trainingFilter, type Exclusions } from './training-set.js';

/** The models: section of the configuration (see src/config/models-schema.ts). */
export interface ModelsSection extends ModelsConfig {
  enabled: boolean;
  learn: boolean;
  localDir: string;
  minTrainFlows: number;
  /** the online adaptation of the threshold (online-threshold.ts); defaults when absent */
  adapt?: AdaptConfig;
}

/** The settings key (store) holding the adapted threshold's state (AdaptState JSON) of the model in use. */
export const ADAPT_SETTING = 'models.adaptiveThreshold';

/** What the Models page shows of the threshold in force. */
export interface ThresholdStatus {
  value: number;
  /** bundled: the model's own (models.dir or trained here); learning: raised while learning; adapted: online */
  source: 'model' | 'learning' | 'adapted';
  /** the model's own threshold (raised while learning) */
  modelThreshold: number;
  adaptEnabled: boolean;
  peaks: number;
  minPeaks: number;
  /** the bounds the adapted threshold moves within */
  lo: number;
  hi: number;
  /** share of benign flows allowed above it at the last refit; null before */
  q: number | null;
  /** packet time of the last refit (µs); 0 before */
  lastFitUs: number;
}

export type ModelState = 'off' | 'learning' | 'training' | 'scoring';

export interface ManagerOptions {
  config: ModelsSection;
  /** store.path, to place models.localDir beside it when that is empty */
  storePath: string;
  store: Store | null;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  /** called with each model that becomes active (the pipeline swaps its scorer) */
  onModel: (model: EnsembleModel) => void;
  /** worker script for a bundled build (see trainInWorker) */
  workerUrl?: URL | string;
}

/** Where models trained on this network go: models.localDir, or `models/` beside the store file. */
export function localModelDir(config: Pick<ModelsSection, 'localDir'>, storePath: string): string {
  if (config.localDir !== '') return resolve(config.localDir);
  return resolve(storePath === ':memory:' ? 'var' : dirname(storePath), 'models');
}

/** The model's directory name: its id with characters unsafe in file names replaced. */
const dirName = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

/** The registry row of a model saved in `dir`. */
export function registryRow(meta: ModelMeta, dir: string, active: boolean): ModelRow {
  return {
    id: meta.id,
    name: meta.name,
    createdUs: meta.trainedAtUs,
    featureSchema: meta.featureSchemaVersion,
    threshold: meta.threshold,
    path: dir,
    metrics: { flowCount: meta.flowCount, losses: meta.losses, backend: meta.backend },
    active,
  };
}

export class ModelManager {
  state: ModelState = 'off';
  model: EnsembleModel | null = null;
  lastError: string | null = null;
  readonly baseline: BaselineCollector | null;
  /** flows the last training left out, by reason (training-set.ts); null before any training */
  lastExclusions: Exclusions | null = null;
  /** the retrain guard's verdict on the last requested retrain; null before one */
  lastGuard: GuardVerdict | null = null;
  private training: Promise<void> | null = null;
  private readonly ac = new AbortController();
  /** the threshold adapted to this network's scores, for the model in use; null when off */
  private adapter: OnlineThreshold | null = null;
  /** lastFitUs of the adapter's state when it was last saved */
  private savedFitUs = 0;

  constructor(private readonly opts: ManagerOptions) {
    const c = opts.config;
    this.baseline =
      c.enabled && c.learn && c.learningPeriodHours > 0 ? new BaselineCollector({ learningPeriodHours: c.learningPeriodHours, maxFlows: c.maxTrainFlows, seed: c.seed }) : null;
  }

  /** Loads the model to score with; returns its id (null when models are off). */
  async start(): Promise<string | null> {
    const c = this.opts.config;
    if (!c.enabled) return null;
    const active = this.opts.store?.registry.activeModel();
    let model: EnsembleModel | null = null;
    if (active !== undefined && existsSync(active.path)) {
      try {
        model = await EnsembleModel.load(active.path);
      } catch (err) {
        this.opts.log.warn(`models: cannot load this network's model ${active.id} from ${active.path}: ${(err as Error).message}; using ${c.dir}`);
      }
    }
    const own = model !== null;
    if (model === null) {
      try {
        model = await EnsembleModel.load(c.dir);
      } catch (err) {
        throw new Error(`cannot load the anomaly model from '${c.dir}': ${(err as Error).message} (set models.enabled: false to run without it)`);
      }
    }
    this.state = own || this.baseline === null ? 'scoring' : 'learning';
    if (this.state === 'learning') {
      const t = model.useStricterThreshold(LEARNING_STRICTNESS);
      this.opts.log.info(`models: learning this network; meanwhile ${model.id} alerts only far out in its tail (threshold ${t.toFixed(6)})`);
    }
    this.use(model);
    if (this.state === 'learning') {
      this.opts.log.info(`models: learning this network for ${c.learningPeriodHours} h (scoring with ${model.id} meanwhile)`);
    }
    return model.id;
  }

  private use(model: EnsembleModel): void {
    const old = this.model;
    this.model = model;
    this.adaptFor(model);
    this.opts.onModel(model);
    if (old !== null && old !== model) old.dispose();
  }

  /**
   * The online threshold of `model`: continued from the store when its saved state belongs to this model,
   * else started afresh (a new model's scores are another distribution).
   */
  private adaptFor(model: EnsembleModel): void {
    const c = this.opts.config;
    const a = c.adapt ?? DEFAULT_ADAPT_CONFIG;
    // like the learning period, only a live appliance adapts: a replay is a measurement of the model as it is
    if (!a.enabled || !c.learn) {
      this.adapter = null;
      model.setAdaptedThreshold(null);
      return;
    }
    const saved = this.opts.store?.registry.setting<AdaptState>(ADAPT_SETTING);
    const hi = model.tailThreshold(a.maxStrictness);
    this.adapter = new OnlineThreshold(a, { lo: Math.min(a.floorQuantile, hi), hi, budgetPerDay: c.alertBudgetPerDay, quantile: c.threshold }, model.id, saved);
    this.savedFitUs = this.adapter.state.lastFitUs;
    model.setAdaptedThreshold(this.adapter.threshold);
    if (this.adapter.threshold !== null) {
      this.opts.log.info(`models: alert threshold ${this.adapter.threshold.toFixed(6)} adapted to this network (${this.adapter.peaksSeen} peaks; ${model.id}'s own ${model.modelThreshold.toFixed(6)})`);
    }
  }

  /**
   * One scored flow (after its anomaly event): feeds the online threshold, which refits every
   * models.adapt.refitHours of packet time; a refit is saved in the store and a changed threshold put in force.
   */
  observe(score: number, rec: FlowRecord, modelId: string): void {
    const a = this.adapter;
    const m = this.model;
    if (a === null || m === null || modelId !== m.id) return;
    const before = a.threshold;
    a.observe(score, rec.endUs, rec.srcMac ?? rec.srcIp);
    if (a.state.lastFitUs === this.savedFitUs) return;
    this.saveAdapter();
    if (a.threshold !== before && a.threshold !== null) {
      m.setAdaptedThreshold(a.threshold);
      if (before === null) this.opts.log.info(`models: alert threshold adapted to this network: ${a.threshold.toFixed(6)} (${a.peaksSeen} peaks; ${m.id}'s own ${m.modelThreshold.toFixed(6)})`);
    }
  }

  private saveAdapter(): void {
    const a = this.adapter;
    if (a === null) return;
    this.savedFitUs = a.state.lastFitUs;
    try {
      this.opts.store?.registry.setSetting(ADAPT_SETTING, a.toJSON(), Math.max(0, a.state.lastUs));
    } catch (err) {
      this.opts.log.warn(`models: cannot save the adapted threshold: ${(err as Error).message}`);
    }
  }

  /** The threshold in force and where it comes from (Models page). */
  thresholdStatus(): ThresholdStatus | null {
    const m = this.model;
    if (m === null) return null;
    const a = this.adapter;
    const cfg = this.opts.config.adapt ?? DEFAULT_ADAPT_CONFIG;
    return {
      value: m.threshold,
      source: m.thresholdSource,
      modelThreshold: m.modelThreshold,
      adaptEnabled: a !== null,
      peaks: a?.peaksSeen ?? 0,
      minPeaks: cfg.minPeaks,
      lo: a?.bounds.lo ?? m.modelThreshold,
      hi: a?.bounds.hi ?? m.modelThreshold,
      q: a?.state.q ?? null,
      lastFitUs: a?.state.lastFitUs ?? 0,
    };
  }

  /** Offer an exported flow to the learning period; starts training when the period is over. */
  onFlow(rec: FlowRecord): void {
    if (this.state !== 'learning' || this.baseline === null) return;
    if (this.baseline.add(rec) && this.training === null) {
      if (this.baseline.flows < this.opts.config.minTrainFlows) {
        // a quiet network: keep learning until there is enough to learn from
        return;
      }
      this.startTraining('system', 'learning period complete');
    }
  }

  /** Retrain now (dashboard, API). */
  /**
   * Train now. The new model replaces the current one only if it still alerts on the flows the current one
   * caught with a detector's agreement (retrain-guard.ts), unless `force`.
   */
  retrain(actor: string, opts: { force?: boolean } = {}): { ok: true } | { ok: false; error: string } {
    const c = this.opts.config;
    if (!c.enabled) return { ok: false, error: 'the anomaly models are turned off (models.enabled: false)' };
    if (this.training !== null) return { ok: false, error: 'a training is already running' };
    const have = this.baseline?.flows ?? 0;
    const stored = this.opts.store !== null;
    if (have < c.minTrainFlows && !stored) {
      return { ok: false, error: `only ${have} baseline flows collected; training needs at least ${c.minTrainFlows} (models.minTrainFlows)` };
    }
    this.startTraining(actor, opts.force === true ? 'retrain requested (forced)' : 'retrain requested', { guard: opts.force !== true });
    return { ok: true };
  }

  /** A training in flight (tests await it). */
  get pending(): Promise<void> | null {
    return this.training;
  }

  private startTraining(actor: string, why: string, opts: { guard?: boolean } = {}): void {
    const previous = this.state;
    this.state = 'training';
    this.training = this.train(actor, why, opts.guard === true)
      .then(
        () => {
          this.state = 'scoring';
          this.lastError = null;
        },
        (err: Error) => {
          this.lastError = err.message;
          this.state = previous === 'training' ? 'scoring' : previous;
          if (!this.ac.signal.aborted) this.opts.log.error(`models: training failed: ${err.message}`);
        },
      )
      .finally(() => {
        this.training = null;
      });
  }

  private async train(actor: string, why: string, guard: boolean): Promise<void> {
    const c = this.opts.config;
    const store = this.opts.store;
    let input: Float32Array | FlowRecord[];
    let trainedAtUs: number;
    let traffic: TrafficShape | undefined;
    let n: number;
    let left: Exclusions;
    let window: [number, number] = [0, 0];
    const b = this.baseline;
    if (b !== null && b.flows >= c.minTrainFlows) {
      const f = b.features(store === null ? undefined : trainingFilter(store, b.startUs, b.lastEndUs));
      input = f.x;
      n = f.rows;
      left = f.left;
      trainedAtUs = b.lastEndUs;
      traffic = b.traffic();
      window = [b.startUs, b.lastEndUs];
    } else {
      const stored = store === null ? { records: [], left: noExclusions(), windowUs: [0, 0] as [number, number] } : storedBaseline(store, c.learningPeriodHours, c.maxTrainFlows);
      input = stored.records;
      n = stored.records.length;
      left = stored.left;
      trainedAtUs = stored.records.length > 0 ? stored.records[stored.records.length - 1]!.endUs : 0;
      window = stored.windowUs;
    }
    if (n < c.minTrainFlows) {
      throw new Error(`only ${n} flows to train on (baseline and store; ${formatExclusions(left)}); training needs at least ${c.minTrainFlows} (models.minTrainFlows)`);
    }
    this.lastExclusions = left;
    this.opts.log.info(`models: training on ${n} flows in the background (${why}; requested by ${actor}); ${formatExclusions(left)}`);
    const root = localModelDir(c, this.opts.storePath);
    const tmp = join(root, `.training-${trainedAtUs}`);
    mkdirSync(root, { recursive: true });
    const { enabled: _e, learn: _l, localDir: _d, minTrainFlows: _m, adapt: _a, ...hyper } = c;
    const meta = await trainInWorker(input, {
      outDir: tmp,
      ...(traffic ? { traffic } : {}),
      name: 'local',
      config: structuredClone(hyper) as DeepPartial<ModelsConfig>,
      trainedAtUs,
      transfer: true,
      signal: this.ac.signal,
      workerUrl: this.opts.workerUrl,
    });
    const dir = join(root, dirName(meta.id));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    const model = await EnsembleModel.load(dir);
    if (guard && store !== null && this.model !== null) {
      const verdict = judgeRetrain(model, agreedFlows(store, window[0], window[1]));
      this.lastGuard = verdict;
      if (!verdict.pass) {
        model.dispose();
        rmSync(dir, { recursive: true, force: true });
        store.actions.audit({ tsUs: trainedAtUs, actor, action: 'model.refuse', target: meta.id, reason: verdict.text, detail: { checked: verdict.checked, stillAlerted: verdict.stillAlerted, leftOut: left } });
        throw new Error(verdict.text);
      }
    }
    if (store !== null) {
      store.registry.putModel(registryRow(meta, dir, true));
      store.actions.audit({ tsUs: trainedAtUs, actor, action: 'model.activate', target: meta.id, reason: why, detail: { flows: meta.flowCount, threshold: meta.threshold, dir, leftOut: left } });
    }
    this.use(model);
    b?.reset();
    this.opts.log.info(`models: now scoring with ${meta.id} (trained on ${meta.flowCount} flows, threshold ${meta.threshold.toFixed(4)})`);
  }

  /**
   * Switch to the registry's active model when another process (`argus-edge retrain`) changed it. Cheap: one
   * indexed query; call it every few seconds.
   */
  async poll(): Promise<void> {
    const store = this.opts.store;
    if (store === null || this.model === null || this.training !== null) return;
    const active = store.registry.activeModel();
    if (active === undefined || active.id === this.model.id || !existsSync(active.path)) return;
    try {
      this.use(await EnsembleModel.load(active.path));
      this.state = 'scoring';
      this.opts.log.info(`models: switched to ${active.id} (activated in the registry)`);
    } catch (err) {
      this.lastError = `cannot load ${active.id}: ${(err as Error).message}`;
    }
  }

  /** Learning progress in [0, 1] (1 when not learning). */
  progress(): number {
    return this.state === 'learning' && this.baseline !== null ? this.baseline.progress() : 1;
  }

  /** Stops a training in flight (its worker is terminated). The model is disposed by the caller's scorer. */
  async stop(): Promise<void> {
    this.ac.abort();
    await this.training;
  }

  /** Save the online threshold's state (the peaks since the last refit too); call before the store closes. */
  persist(): void {
    if (this.adapter !== null && this.adapter.state.flows > 0) this.saveAdapter();
  }
}

/** The flows of the last `hours` of packet time in the store, subsampled evenly to at most `max`. */
/**
 * While learning, a model made elsewhere may alert on a benign flow this many times less often than its
 * budget. Measured on demo/demo.pcap with the bundled model: 2 keeps 1,018 of the camera's 1,029 scan flows
 * alerting and 0 of 226 others; 5 keeps 2 — its scan scores lie just above that tail.
 */
export const LEARNING_STRICTNESS = 2;

export function storedBaseline(store: Store, hours: number, max: number): { records: FlowRecord[]; left: Exclusions; windowUs: [number, number] } {
  const left = noExclusions();
  const last = store.db.prepare('SELECT max(end_us) AS t, count(*) AS n FROM flows').get() as { t: number | null; n: number };
  if (last.t === null) return { records: [], left, windowUs: [0, 0] };
  const fromUs = hours > 0 ? last.t - hours * 3600e6 : 0;
  const inRange = (store.db.prepare('SELECT count(*) AS n FROM flows WHERE end_us >= ?').get(fromUs) as { n: number }).n;
  const step = Math.max(1, inRange / max);
  const filter = trainingFilter(store, fromUs, last.t);
  const records: FlowRecord[] = [];
  let i = 0;
  let next = 0;
  for (const rec of store.flows.records(fromUs, last.t + 1)) {
    const why = filter.reason(rec);
    if (why !== null) {
      left[why]++;
      continue;
    }
    if (i++ >= next) {
      records.push(rec);
      next += step;
    }
  }
  return { records, left, windowUs: [fromUs, last.t] };
}
