/**
 * A TensorFlow.js IOHandler that saves and loads a layers model as `model.json` + `weights.bin` in a
 * directory (tfjs's own `file://` handler exists only in tfjs-node). Loading never touches the network.
 *
 * model.json follows the tfjs "layers-model" format (modelTopology, weightsManifest pointing at
 * weights.bin), so standard tools can read it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { io } from '@tensorflow/tfjs';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** reads one file of the model directory by name; the default reads from the file system */
export type ModelFileReader = (name: string) => Buffer;

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** IOHandler whose save() writes into `dir` (created if missing) and whose load() reads through `read`. */
export function fileSystemIO(dir: string, read: ModelFileReader = (name) => readFileSync(join(dir, name))): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
      const data = artifacts.weightData;
      const weights = data === undefined ? Buffer.alloc(0) : Array.isArray(data) ? Buffer.concat(data.map((d) => Buffer.from(d))) : Buffer.from(data);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        trainingConfig: artifacts.trainingConfig,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, WEIGHTS_BIN), weights);
      writeFileSync(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(0), // a model file records no wall-clock time: saves are reproducible
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<io.ModelArtifacts> {
      const json = JSON.parse(read(MODEL_JSON).toString('utf8')) as {
        modelTopology: {};
        trainingConfig?: io.TrainingConfig;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
      };
      if (!Array.isArray(json.weightsManifest)) throw new Error(`${MODEL_JSON}: no weightsManifest`);
      const specs: io.WeightsManifestEntry[] = [];
      const chunks: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          // a manifest names files inside the model directory only
          if (p.includes('/') || p.includes('\\') || p.startsWith('.')) throw new Error(`${MODEL_JSON}: weight path '${p}' leaves the model directory`);
          chunks.push(read(p));
        }
      }
      return {
        modelTopology: json.modelTopology,
        trainingConfig: json.trainingConfig,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: toArrayBuffer(Buffer.concat(chunks)),
      };
    },
  };
}
