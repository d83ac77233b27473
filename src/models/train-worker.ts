/**
 * worker_threads entry for training (see train-in-worker.ts): receives one TrainJob, trains, saves the
 * model to job.outDir, posts progress messages and then 'done' with the model's metadata (or 'error').
 * Runs TensorFlow.js in its own thread, so the capture thread's event loop is never blocked by training.
 */
import { parentPort } from 'node:worker_threads';
import type { TrafficShape } from './budget.js';
import type { ModelMeta } from './ensemble.js';
import type { DeepPartial, ModelsConfig } from './models-config.js';
import { trainFromFeatures, type TrainProgress } from './train.js';

export interface TrainJob {
  /** raw feature rows (n × FEATURE_COUNT), transferred */
  features: Float32Array;
  trainedAtUs: number;
  name: string;
  config: DeepPartial<ModelsConfig>;
  outDir: string;
  traffic?: TrafficShape;
}

export type TrainWorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; meta: ModelMeta }
  | { type: 'error'; message: string; stack?: string };

const port = parentPort;
if (port) {
  port.once('message', (job: TrainJob) => {
    const post = (m: TrainWorkerMessage): void => port.postMessage(m);
    (async () => {
      const model = await trainFromFeatures(job.features, {
        name: job.name,
        config: job.config,
        trainedAtUs: job.trainedAtUs,
        ...(job.traffic ? { traffic: job.traffic } : {}),
        onProgress: (progress) => post({ type: 'progress', progress }),
      });
      post({ type: 'progress', progress: { phase: 'save', message: `saving to ${job.outDir}` } });
      await model.save(job.outDir);
      post({ type: 'done', meta: model.meta });
      model.dispose();
    })().catch((err: Error) => post({ type: 'error', message: err.message, stack: err.stack }));
  });
}
