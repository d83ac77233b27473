/**
 * Detection models: scoring throughput and training time.
 *
 *   npx tsx bench/models.ts [--train-flows N] [--score-flows N] [--seconds S]
 *
 * - scoring: flows/s on one core (this thread), batched 4096 at a time; "model only" is EnsembleModel.score
 *   on ready feature rows, "end to end" is FlowScorer (feature extraction + both models + calibration +
 *   building AnomalyEvents). Target ≥ 100,000 flows/s.
 * - training: wall time to train on N synthetic benign flows (default 1,000,000; models.maxTrainFlows
 *   subsamples beyond its default 300,000) in a worker thread, and the process's peak RSS meanwhile.
 *   Target ≤ 5 minutes for 1 M.
 * Flows come from test/support/flow-records.ts's seeded generator. Prints figures only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURE_COUNT, extractFeatures } from '../src/features/flow-features.js';
import type { AnomalyEvent } from '../src/models/anomaly.js';
import { FlowScorer } from '../src/models/scorer.js';
import { trainModel } from '../src/models/train.js';
import { trainInWorker } from '../src/models/train-in-worker.js';
import { syntheticBenign, syntheticScan } from '../test/support/flow-records.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const trainFlows = arg('--train-flows', 1_000_000);
const scoreFlows = arg('--score-flows', 200_000);
const seconds = arg('--seconds', 3);
const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;

// ---- scoring -------------------------------------------------------------------------------------------
const model = await trainModel(syntheticBenign(20_000, 1), { name: 'bench' });
const records = [...syntheticBenign(scoreFlows - 1000, 2), ...syntheticScan(1000)];
const x = new Float32Array(records.length * FEATURE_COUNT);
records.forEach((r, i) => extractFeatures(r, x, i * FEATURE_COUNT));

function rate(run: () => number): number {
  run(); // warm-up: JIT and buffers
  let flows = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) flows += run();
  const cpu = process.cpuUsage(cpu0);
  return flows / ((cpu.user + cpu.system) / 1e6);
}

const batch = 4096;
const modelOnly = rate(() => {
  for (let s = 0; s < records.length; s += batch) model.score(x.subarray(s * FEATURE_COUNT, Math.min(records.length, s + batch) * FEATURE_COUNT));
  return records.length;
});
let alerts = 0;
const scorer = new FlowScorer(model, (ev: AnomalyEvent) => void (alerts += ev.alert ? 1 : 0), { batchSize: batch, maxDelayUs: Infinity });
const endToEnd = rate(() => {
  for (const r of records) scorer.add(r);
  scorer.flush();
  return records.length;
});
console.log(`scoring (one core, CPU time, batches of ${batch}, ${records.length} flows):`);
console.log(`  model only (features ready):      ${Math.round(modelOnly).toLocaleString('en')} flows/s`);
console.log(`  end to end (FlowScorer → events): ${Math.round(endToEnd).toLocaleString('en')} flows/s   (target ≥ 100,000)`);
console.log(`  alerts among the ${records.length} flows per pass: ${alerts / (scorer.scored / records.length)}`);
model.dispose();

// ---- training ------------------------------------------------------------------------------------------
// Features are generated here in chunks; training runs as on a live appliance, in a worker thread, while
// this thread samples the process's RSS (all threads) every 100 ms.
const big = new Float32Array(trainFlows * FEATURE_COUNT);
let last = 0;
for (let s = 0; s < trainFlows; s += 10_000) {
  const chunk = syntheticBenign(Math.min(10_000, trainFlows - s), 100 + s, 1_700_000_000_000_000 + s * 50_000);
  chunk.forEach((r, i) => extractFeatures(r, big, (s + i) * FEATURE_COUNT));
  last = chunk[chunk.length - 1]!.endUs;
}
global.gc?.();
const rssBefore = process.memoryUsage().rss / 1024;
let rssPeak = rssBefore;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 1024)), 100);
const outDir = mkdtempSync(join(tmpdir(), 'argus-bench-model-'));
const t0 = performance.now();
let epochs = 0;
const m = await trainInWorker(big, {
  outDir,
  name: 'bench',
  trainedAtUs: last,
  transfer: true,
  onProgress: (p) => {
    if (p.epoch !== undefined) epochs = p.epoch;
  },
});
const secs = (performance.now() - t0) / 1000;
clearInterval(sampler);
rmSync(outDir, { recursive: true, force: true });
console.log(`training on ${trainFlows.toLocaleString('en')} flows in a worker (used ${(m.trainFlows + m.validationFlows + m.calibrationFlows).toLocaleString('en')}: ${m.trainFlows} train, ${m.validationFlows} validation, ${m.calibrationFlows} calibration):`);
console.log(`  time ${secs.toFixed(1)} s   (target ≤ 300 s for 1 M)   autoencoder epochs ${epochs} (best ${m.losses.autoencoder.bestEpoch}), backend ${m.backend}`);
console.log(`  RSS before training ${mb(rssBefore)} (incl. the ${mb((trainFlows * FEATURE_COUNT * 4) / 1024)} feature matrix, handed over to the worker), peak while training ${mb(rssPeak)}`);
