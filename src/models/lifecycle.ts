/**
 * What `argus-edge train` does, as library calls: capture files → flows → a saved model. The CLI parses
 * arguments, prints and exits; everything else is here. (`argus-edge eval` replays the whole pipeline:
 * src/eval/.)
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowRecord } from '../flow/flow-record.js';
import type { ModelMeta } from './ensemble.js';
import { flowsFromPcap } from './flows-from-pcap.js';
import { Prng } from './prng.js';
import { trainModel, type TrainOptions } from './train.js';

const CAPTURE_EXT = /\.(pcap|pcapng)$/i;

/**
 * The capture files named by `paths`: a file as given, a directory as every .pcap/.pcapng under it
 * (recursively, sorted by path so the order never depends on the file system). Throws a message naming the
 * path for one that is missing, unreadable, or a directory without captures.
 */
export function captureFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, acc: string[]): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, acc);
      else if (CAPTURE_EXT.test(e.name)) acc.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`capture '${p}' does not exist`);
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(p, found);
      if (found.length === 0) throw new Error(`directory '${p}' holds no .pcap or .pcapng file`);
      out.push(...found);
    } else out.push(p);
  }
  for (const f of out) {
    try {
      accessSync(f, constants.R_OK);
    } catch (e) {
      throw new Error(`capture '${f}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return out;
}

export interface FlowsFromPcapsOptions {
  /** one line per file */
  log?: (line: string) => void;
  /** keep at most this many flows of each file, a seeded subsample in time order (default: all) */
  maxFlowsPerPcap?: number;
  /** seed of that subsample (default 1) */
  seed?: number;
}

/** At most `max` of `records`, chosen with `seed`, in their original order. */
export function subsampleFlows<T>(records: readonly T[], max: number, seed: number): T[] {
  if (!(max < records.length)) return [...records];
  const pick = new Prng(seed).permutation(records.length).subarray(0, Math.max(0, Math.floor(max))).sort();
  return Array.from(pick, (i) => records[i]!);
}

/** Flows of several capture files (directories expanded by captureFiles), in order. */
export async function flowsFromPcaps(paths: readonly string[], o: FlowsFromPcapsOptions = {}): Promise<FlowRecord[]> {
  const log = o.log ?? (() => {});
  const files = captureFiles(paths);
  const all: FlowRecord[] = [];
  for (let k = 0; k < files.length; k++) {
    const p = files[k]!;
    const { records, summary } = await flowsFromPcap(p);
    const kept = o.maxFlowsPerPcap !== undefined ? subsampleFlows(records, o.maxFlowsPerPcap, (o.seed ?? 1) + k) : records;
    const note = kept.length < records.length ? ` (${kept.length} kept)` : '';
    log(`[${k + 1}/${files.length}] ${p}: ${summary.packets} packets (${summary.format}), ${records.length} flows${note}${summary.error ? `; stopped at byte ${summary.error.offset}: ${summary.error.message}` : ''}`);
    for (const r of kept) all.push(r);
  }
  return all;
}

/** Train on the flows of `paths` and save the model to `outDir`; returns its metadata. */
export async function trainFromPcaps(
  paths: readonly string[],
  outDir: string,
  opts: TrainOptions & { log?: (line: string) => void; maxFlowsPerPcap?: number } = {},
): Promise<ModelMeta> {
  const records = await flowsFromPcaps(paths, { log: opts.log, maxFlowsPerPcap: opts.maxFlowsPerPcap, seed: opts.config?.seed });
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
