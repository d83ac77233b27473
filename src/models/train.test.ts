import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { syntheticBenign, syntheticScan } from '../../test/support/flow-records.js';
import { FEATURE_SCHEMA_VERSION } from '../features/flow-features.js';
import { EnsembleModel } from './ensemble.js';
import { featuresOf, trainModel, type TrainProgress } from './train.js';
import { trainInWorker } from './train-in-worker.js';
import { scoreRecords } from './scorer.js';

const config = { autoencoder: { maxEpochs: 6, patience: 2 }, forest: { trees: 100 } };
const benign = syntheticBenign(1500, 5);
const probe = [...syntheticBenign(300, 6), ...syntheticScan(50)];
const dir = mkdtempSync(join(tmpdir(), 'argus-models-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('train, score, save → load identical, same seed → identical model', async (t) => {
  const phases: string[] = [];
  const a = await trainModel(benign, { name: 'unit', config, onProgress: (p: TrainProgress) => phases.push(p.phase) });
  t.same([...new Set(phases)], ['features', 'preprocess', 'forest', 'autoencoder', 'calibrate', 'done'], 'progress through every phase');
  const m = a.meta;
  t.equal(m.flowCount, 1500);
  t.equal(m.trainFlows + m.validationFlows + m.calibrationFlows, 1500);
  t.equal(m.trainedAtUs, Math.max(...benign.map((r) => r.endUs)), 'training date is the last packet time');
  t.equal(m.id, `unit@${new Date(m.trainedAtUs / 1000).toISOString()}`);
  t.ok(m.losses.autoencoder.epochs >= 1 && m.losses.autoencoder.valLoss > 0);
  t.equal(m.featureSchemaVersion, FEATURE_SCHEMA_VERSION);
  t.ok(m.threshold > 0.99 && m.threshold < 1, `threshold ${m.threshold} near the 0.999 quantile`);

  const { x } = featuresOf(probe);
  const s = a.score(x);
  // scores are in [0, 1]; the scan probes (last 50) all alert, few benign flows do
  let benignAlerts = 0;
  for (let i = 0; i < probe.length; i++) {
    t.ok(s.score[i]! >= 0 && s.score[i]! <= 1, 'score in [0,1]');
    if (i < 300 && s.score[i]! >= a.threshold) benignAlerts++;
  }
  t.ok(benignAlerts <= 3, `${benignAlerts} of 300 benign flows alert`);
  for (let i = 300; i < probe.length; i++) t.ok(s.score[i]! >= a.threshold, `scan probe ${i - 300} alerts (${s.score[i]})`);

  // the JS forward pass agrees with TensorFlow.js predict()
  const scaled = a.preprocess.apply(x);
  const js = a.autoencoder.reconstructionError(scaled);
  const tfjs = a.autoencoder.reconstructionErrorTf(scaled);
  let worst = 0;
  for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(js[i]! - tfjs[i]!) / Math.max(1e-3, tfjs[i]!));
  t.ok(worst < 1e-3, `JS and tfjs reconstruction errors agree (worst relative difference ${worst})`);

  await a.save(join(dir, 'a'));
  const loaded = await EnsembleModel.load(join(dir, 'a'));
  const s2 = loaded.score(x);
  t.same(Array.from(s2.score), Array.from(s.score), 'save → load: identical combined scores');
  t.same(Array.from(s2.aeRaw), Array.from(s.aeRaw), 'identical autoencoder scores');
  t.same(Array.from(s2.forestRaw), Array.from(s.forestRaw), 'identical forest scores');
  t.same(loaded.meta, JSON.parse(JSON.stringify(a.meta)));

  const b = await trainModel(benign, { name: 'unit', config });
  await b.save(join(dir, 'b'));
  for (const f of ['model.json', 'weights.bin', 'forest.json', 'preprocess.json', 'meta.json']) {
    t.ok(readFileSync(join(dir, 'a', f)).equals(readFileSync(join(dir, 'b', f))), `same seed, same flows: ${f} byte-identical`);
  }
  t.same(Array.from(b.score(x).score), Array.from(s.score), 'same seed: identical scores');

  const c = await trainModel(benign, { name: 'unit', config: { ...config, seed: 2 } });
  t.not(readFileSync(join(dir, 'a', 'weights.bin')).toString('hex'), (await c.save(join(dir, 'c')), readFileSync(join(dir, 'c', 'weights.bin')).toString('hex')), 'another seed: other weights');

  const events = scoreRecords(loaded, probe);
  t.equal(events.length, probe.length);
  const ev = events[320]!;
  t.equal(ev.modelId, m.id, 'events carry the model id');
  t.equal(ev.flowId, probe[320]!.flowId);
  t.equal(ev.alert, ev.score >= m.threshold);
  t.same(ev.models.map((x) => x.name), ['autoencoder', 'isolation-forest']);
  t.equal(ev.models[0]!.raw, s.aeRaw[320]);
  for (const mdl of [a, b, c, loaded]) mdl.dispose();
});

t.test('trainInWorker trains and saves the same model as training in-process', async (t) => {
  const progress: string[] = [];
  const meta = await trainInWorker(benign, { outDir: join(dir, 'w'), name: 'unit', config, onProgress: (p) => progress.push(p.phase) });
  t.ok(progress.includes('autoencoder') && progress.includes('save'), 'progress crosses the thread');
  t.equal(meta.flowCount, 1500);
  t.ok(readFileSync(join(dir, 'w', 'weights.bin')).equals(readFileSync(join(dir, 'a', 'weights.bin'))), 'worker result identical to in-process training');
  await t.rejects(trainInWorker(benign.slice(0, 10), { outDir: join(dir, 'bad') }), /at least 50 flows/, 'worker errors reach the caller');
});

t.test('the alert budget sets the threshold from the fitted tail; models.threshold is the loosest it may be', async (t) => {
  const day = 86_400e6;
  // 1,500 flows of one device in a day: a budget of 2 a day allows 1 benign flow in 750 — looser than 0.999
  const loose = await trainModel(benign, { name: 'unit', config: { ...config, alertBudgetPerDay: 2 }, traffic: { devices: 1, spanUs: day, flows: 1500 } });
  t.equal(loose.meta.alertBudget?.from, 'quantile');
  t.ok(Math.abs(loose.meta.alertBudget!.q - 0.001) < 1e-12);
  // a budget of 0.01 a day: 1 benign flow in 150,000, far beyond the 300 calibration flows
  const strict = await trainModel(benign, { name: 'unit', config: { ...config, alertBudgetPerDay: 0.01 }, traffic: { devices: 1, spanUs: day, flows: 1500 } });
  const b = strict.meta.alertBudget!;
  t.equal(b.from, 'budget');
  t.ok(Math.abs(b.q - 1 / 150_000) < 1e-12);
  t.equal(b.flowsPerDevicePerDay, 1500);
  t.ok(b.tail.peaks >= 10, `the tail is fitted to ${b.tail.peaks} peaks`);
  t.ok(strict.meta.threshold > loose.meta.threshold, `stricter budget, higher threshold (${strict.meta.threshold} > ${loose.meta.threshold})`);
  const { x } = featuresOf(benign);
  const count = (m: EnsembleModel): number => Array.from(m.score(x).score).filter((s) => s >= m.meta.threshold).length;
  t.ok(count(strict) <= count(loose), `benign training flows at or above the threshold: ${count(strict)} ≤ ${count(loose)}`);
  const scan = featuresOf(syntheticScan(50)).x;
  t.ok(Array.from(strict.score(scan).score).filter((s) => s >= strict.meta.threshold).length >= 40, 'a scan still alerts under the strict budget');
  // while learning, a model made elsewhere alerts only far out in its tail
  const own = strict.threshold;
  const learning = strict.useStricterThreshold(10);
  t.ok(learning > own, `learning threshold ${learning} above the model's ${own}`);
  t.equal(strict.threshold, learning, 'in force for scoring');
  t.ok(Array.from(strict.score(scan).score).filter((s) => s >= strict.threshold).length >= 40, 'a scan still alerts while learning');
  t.equal(strict.useStricterThreshold(1), own, 'factor 1: back to its own');
  loose.dispose();
  strict.dispose();
});
