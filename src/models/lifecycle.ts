/**
 * What `argus-edge train` does, as library calls: capture files → flows → a saved model. The CLI parses
 * arguments, prints and exits; everything else is here. (`argus-edge eval` replays the whole pipeline:
 * src/eval/.)
 */
import type { FlowRecord } from '../flow/flow-record.js';
import type { ModelMeta } from './ensemble.js';
import { flowsFromPcap } from './flows-from-pcap.js';
import { trainModel, type TrainOptions } from './train.js';

/** Flows of several capture files, in order; `log` gets one line per file. */
export async function flowsFromPcaps(paths: readonly string[], log: (line: string) => void = () => {}): Promise<FlowRecord[]> {
  const all: FlowRecord[] = [];
  for (const p of paths) {
    const { records, summary } = await flowsFromPcap(p);
    log(`${p}: ${summary.packets} packets (${summary.format}), ${records.length} flows${summary.error ? `; stopped at byte ${summary.error.offset}: ${summary.error.message}` : ''}`);
    for (const r of records) all.push(r);
  }
  return all;
}

/** Train on the flows of `paths` and save the model to `outDir`; returns its metadata. */
export async function trainFromPcaps(paths: readonly string[], outDir: string, opts: TrainOptions & { log?: (line: string) => void } = {}): Promise<ModelMeta> {
  const records = await flowsFromPcaps(paths, opts.log);
  const model = await trainModel(records, opts);
  await model.save(outDir);
  model.dispose();
  return model.meta;
}

/** A few lines summarising a trained model, for the end of `train`. */
export function formatTrainSummary(meta: ModelMeta, outDir: string): string {
  const ae = meta.losses.autoencoder;
  return [
    `model ${meta.id} written to ${outDir}`,
    `flows ${meta.flowCount}: ${meta.trainFlows} training, ${meta.validationFlows} validation, ${meta.calibrationFlows} calibration`,
    `autoencoder: ${ae.epochs} epochs (best ${ae.bestEpoch}), loss ${ae.trainLoss.toFixed(5)}, validation ${ae.valLoss.toFixed(5)}, backend ${meta.backend}`,
    `isolation forest: ${meta.losses.forest.trees} trees on samples of ${meta.losses.forest.sampleSize}`,
    `alert threshold ${meta.threshold.toFixed(6)} (quantile ${meta.thresholdQuantile} of benign), feature schema v${meta.featureSchemaVersion}`,
  ].join('\n');
}
