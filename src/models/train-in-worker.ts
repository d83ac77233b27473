/**
 * trainInWorker: train and save a model in a worker_threads Worker, so a live appliance keeps capturing
 * and scoring while it learns. Features are computed here in slices that yield to the event loop, then the
 * matrix is transferred (not copied) to the worker.
 */
import { Worker } from 'node:worker_threads';
import { FEATURE_COUNT, extractFeatures } from '../features/flow-features.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { trafficOf, type TrafficShape } from './budget.js';
import type { ModelMeta } from './ensemble.js';
import type { DeepPartial, ModelsConfig } from './models-config.js';
import type { TrainProgress } from './train.js';
import type { TrainJob, TrainWorkerMessage } from './train-worker.js';

export interface TrainInWorkerOptions {
  /** directory the model is written to */
  outDir: string;
  name?: string;
  config?: DeepPartial<ModelsConfig>;
  /** training date in µs; default: the latest flow end (packet time) */
  trainedAtUs?: number;
  /** devices and span of the flows, for the alert budget; default: counted from FlowRecord input */
  traffic?: TrafficShape;
  onProgress?: (p: TrainProgress) => void;
  /**
   * a feature-matrix input is handed over to the worker instead of copied (it is unusable here afterwards):
   * saves its size in memory. Records given as input are always featurised into a matrix that is handed over.
   */
  transfer?: boolean;
  /** aborting terminates the worker and rejects */
  signal?: AbortSignal;
  /**
   * the worker script; default: train-worker.(ts|js) beside this module. A bundled build passes the path
   * of its emitted worker file.
   */
  workerUrl?: URL | string;
}

/** flows featurised between yields to the event loop */
const SLICE = 1024;

/** The default worker script, beside this module with this module's extension (.ts under tsx). */
export function defaultWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./train-worker${ext}`, import.meta.url);
}

/**
 * A Worker running `url`. A TypeScript worker (running from source under tsx, as in tests) gets tsx's
 * loader registered first: loader hooks registered in the main thread do not reach worker threads.
 */
function startWorker(url: URL | string): Worker {
  const href = url instanceof URL ? url.href : url;
  if (!href.endsWith('.ts')) return new Worker(url);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const script = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(href)}); })`;
  return new Worker(script, { eval: true, execArgv: [] });
}

/** Feature matrix of `records`, computed in slices that let the event loop run between them. */
export async function featuresInSlices(records: readonly FlowRecord[]): Promise<{ x: Float32Array; lastEndUs: number }> {
  const x = new Float32Array(records.length * FEATURE_COUNT);
  let lastEndUs = 0;
  for (let start = 0; start < records.length; start += SLICE) {
    const end = Math.min(records.length, start + SLICE);
    for (let i = start; i < end; i++) {
      const r = records[i]!;
      extractFeatures(r, x, i * FEATURE_COUNT);
      if (r.endUs > lastEndUs) lastEndUs = r.endUs;
    }
    if (end < records.length) await new Promise((res) => setImmediate(res));
  }
  return { x, lastEndUs };
}

/**
 * Train on `input` (FlowRecords, or a raw feature matrix together with opts.trainedAtUs) in a worker and
 * save the model to opts.outDir. Resolves with the model's metadata; load it with EnsembleModel.load.
 */
export async function trainInWorker(input: readonly FlowRecord[] | Float32Array, opts: TrainInWorkerOptions): Promise<ModelMeta> {
  let features: Float32Array;
  let trainedAtUs: number;
  let traffic = opts.traffic;
  if (input instanceof Float32Array) {
    if (opts.trainedAtUs === undefined) throw new Error('trainInWorker: a feature matrix needs opts.trainedAtUs');
    features = input;
    trainedAtUs = opts.trainedAtUs;
  } else {
    opts.onProgress?.({ phase: 'features', message: `computing features of ${input.length} flows` });
    const f = await featuresInSlices(input);
    features = f.x;
    trainedAtUs = opts.trainedAtUs ?? f.lastEndUs;
    traffic ??= trafficOf(input);
  }
  const worker = startWorker(opts.workerUrl ?? defaultWorkerUrl());
  return new Promise<ModelMeta>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, meta?: ModelMeta): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err) reject(err);
      else resolve(meta!);
    };
    const onAbort = (): void => finish(new Error('training aborted'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'progress') opts.onProgress?.(m.progress);
      else if (m.type === 'done') finish(null, m.meta);
      else {
        const e = new Error(`training failed: ${m.message}`);
        if (m.stack) e.stack = m.stack;
        finish(e);
      }
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', (code) => finish(new Error(`the training worker exited (code ${code}) before finishing`)));
    const job: TrainJob = { features, trainedAtUs, name: opts.name ?? 'default', config: opts.config ?? {}, outDir: opts.outDir, ...(traffic ? { traffic } : {}) };
    // hand over only a buffer the matrix spans whole, and a caller's matrix only when allowed
    const whole = features.byteOffset === 0 && features.byteLength === features.buffer.byteLength;
    const handOver = whole && (!(input instanceof Float32Array) || opts.transfer === true);
    worker.postMessage(job, handOver ? [features.buffer as ArrayBuffer] : []);
  });
}
