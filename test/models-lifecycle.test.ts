/**
 * The model's life on a running appliance: the learning period ends in a background training whose model
 * replaces the configured one (and survives a restart through the registry); retrain from the dashboard/API
 * path and from `argus-edge retrain` (another process, through the store) switch models too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { commandRetrain } from '../src/commands/models.js';
import { defaultConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { ADAPT_SETTING, ModelManager, registryRow, storedBaseline } from '../src/models/manager.js';
import { scoreRecords } from '../src/models/scorer.js';
import type { EnsembleModel } from '../src/models/ensemble.js';
import { initTf } from '../src/models/tf-backend.js';
import { Store } from '../src/store/db.js';
import { IncidentTracker } from '../src/incidents/index.js';
import type { Alert } from '../src/detectors/alert.js';
import { featuresOf, trainModel } from '../src/models/train.js';
import { syntheticBenign, syntheticScan } from './support/flow-records.js';

const quiet = createLogger('error', () => {});

function setup(t: { teardown(fn: () => void): void }, patch: Partial<Config['models']> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'argus-lifecycle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = defaultConfig();
  const config: Config = {
    ...base,
    store: { ...base.store, path: join(dir, 'argus.db'), log: () => {} } as Config['store'],
    models: {
      ...base.models,
      minTrainFlows: 300,
      autoencoder: { ...base.models.autoencoder, maxEpochs: 3 },
      forest: { ...base.models.forest, trees: 20 },
      ...patch,
    },
  };
  return { dir, config };
}

function manager(config: Config, store: Store | null, models: EnsembleModel[]): ModelManager {
  return new ModelManager({ config: config.models, storePath: config.store.path, store, log: quiet, onModel: (m) => models.push(m) });
}

t.before(() => initTf(() => {}));

t.test('the learning period ends in a model of this network, kept across a restart', async (t) => {
  const flows = syntheticBenign(1500, 21);
  const spanH = (flows[flows.length - 1]!.endUs - flows[0]!.startUs) / 3600e6;
  const { config } = setup(t, { learningPeriodHours: spanH / 2 });
  const store = Store.open(config.store);
  const used: EnsembleModel[] = [];
  const m = manager(config, store, used);
  const first = await m.start();
  t.equal(first, used[0]!.id, 'the bundled model scores while learning');
  t.equal(m.state, 'learning');
  t.equal(m.progress(), 0);
  let i = 0;
  while (m.state === 'learning' && i < flows.length) m.onFlow(flows[i++]!);
  t.equal(m.state, 'training', 'training starts once the period has passed');
  t.ok(i < flows.length && i > 300, `it started after ${i} flows, half way through the span`);
  for (; i < flows.length; i++) m.onFlow(flows[i]!); // capture goes on; nothing is collected twice
  t.equal(m.retrain('admin').ok, false, 'a second training is refused while one runs');
  await m.pending;
  t.equal(m.state, 'scoring');
  t.equal(m.lastError, null);
  const local = m.model!;
  t.not(local.id, first, 'a new model scores');
  t.match(local.id, /^local@/);
  t.equal(used.length, 2, 'the scorer was handed the new model');
  const active = store.registry.activeModel();
  t.equal(active?.id, local.id, 'the registry records it as active');
  t.match(store.actions.auditLog({ actionPrefix: 'model.' })[0], { actor: 'system', action: 'model.activate', target: local.id });
  await m.stop();
  local.dispose();
  store.close();

  // restart: the registry's model is loaded, no learning period again
  const store2 = Store.open(config.store);
  t.teardown(() => store2.close());
  const used2: EnsembleModel[] = [];
  const m2 = manager(config, store2, used2);
  t.equal(await m2.start(), local.id, 'after a restart the model of this network is loaded');
  t.equal(m2.state, 'scoring');
  t.equal(m2.progress(), 1);
  used2[0]!.dispose();
});

t.test('retrain: refused without enough flows, then trains on the stored flows', async (t) => {
  const { config } = setup(t, { learn: false });
  const store = Store.open(config.store);
  t.teardown(() => store.close());
  const used: EnsembleModel[] = [];
  const m = manager(config, store, used);
  await m.start();
  t.equal(m.state, 'scoring', 'learn: false scores with the configured model at once');
  t.equal(m.retrain('admin').ok, true, 'the request is accepted');
  await m.pending;
  t.match(m.lastError, /only 0 flows to train on.*at least 300/, 'an empty store is explained');
  t.equal(used.length, 1, 'the model did not change');

  for (const f of syntheticBenign(800, 5)) store.addFlow(f);
  store.flush();
  t.equal(storedBaseline(store, 0, 400).records.length, 400, 'the stored baseline is sampled down to maxTrainFlows');
  t.same(m.retrain('admin'), { ok: true });
  await m.pending;
  t.equal(m.lastError, null);
  t.equal(used.length, 2);
  t.equal(store.registry.activeModel()?.id, m.model!.id);
  t.match(store.actions.auditLog({ actionPrefix: 'model.' })[0], { actor: 'admin', reason: 'retrain requested' });
  await m.stop();
  m.model!.dispose();
});

t.test('argus-edge retrain trains from the store; a running appliance switches to it', async (t) => {
  const { config } = setup(t, { learn: false });
  const store = Store.open(config.store);
  t.teardown(() => store.close());
  const flows = syntheticBenign(600, 8);
  for (const f of flows) store.addFlow(f);
  store.flush();
  const used: EnsembleModel[] = [];
  const m = manager(config, store, used);
  const bundled = await m.start();

  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let code: number;
  try {
    code = await commandRetrain(config, quiet, 24 * 365);
  } finally {
    process.stdout.write = write;
    process.stderr.write = err;
  }
  t.equal(code, 0);
  t.match(out.join(''), /model local@.* written to .*\nflows 600/);
  const active = store.registry.activeModel()!;
  t.not(active.id, bundled);
  await m.poll();
  t.equal(m.model!.id, active.id, 'poll() switched the running appliance to the new model');
  t.equal(used.length, 2);
  await m.poll();
  t.equal(used.length, 2, 'polling again changes nothing');
  m.model!.dispose();

  await t.rejects(commandRetrain({ ...config, store: { ...config.store, path: join(config.store.path + '.missing') } }, quiet, 1), /does not exist/);
  await t.rejects(commandRetrain({ ...config, models: { ...config.models, minTrainFlows: 5000 } }, quiet, 24 * 365), /holds 600 flows .* at least 5000/);
});

t.test('a retrain during an attack leaves the attack out and still alerts on the next one', async (t) => {
  const { config } = setup(t, { learn: false });
  const store = Store.open(config.store);
  t.teardown(() => store.close());
  const benign = syntheticBenign(900, 31);
  // the scanner sweeps while the appliance collects: its flows are in the store, and a detector saw it
  const scan = syntheticScan(400, 32, benign[450]!.startUs);
  for (const f of [...benign, ...scan]) store.addFlow(f);
  const alert: Alert = {
    id: 'scan.port.vertical:10.99.0.66:1',
    tsUs: scan[20]!.endUs,
    kind: 'scan.port.vertical',
    signature: 'Vertical port scan',
    severity: 3,
    confidence: 0.9,
    srcIp: '10.99.0.66',
    srcMac: null,
    targets: ['10.99.0.10'],
    destPort: null,
    proto: 'tcp',
    evidence: [{ text: 'many ports of one host' }],
    suggestedResponse: 'quarantine',
  };
  store.alerts.insert(alert);
  const tracker = new IncidentTracker((e) => store.incidents.write(e));
  tracker.onAlert(alert);
  tracker.finish(scan[scan.length - 1]!.endUs, false);
  store.flush();

  const { records, left } = storedBaseline(store, 0, 10_000);
  t.same(left, { anomaly: 0, incident: 400, distrusted: 0 }, 'every flow of the scanner during its incident is left out, with its reason');
  t.equal(records.length, 900, 'the benign flows stay');
  t.notOk(records.some((r) => r.srcIp === '10.99.0.66'), 'no scanner flow among them');

  const used: EnsembleModel[] = [];
  const m = manager(config, store, used);
  await m.start();
  t.same(m.retrain('admin'), { ok: true });
  await m.pending;
  t.equal(m.lastError, null);
  t.same(m.lastExclusions, { anomaly: 0, incident: 400, distrusted: 0 });
  t.match(store.actions.auditLog({ actionPrefix: 'model.' })[0], { detail: { leftOut: { incident: 400 } } }, 'the audit log says what was left out');

  // the next scan: the retrained model still alerts on it; one trained on everything, scan included, alerts less
  const next = featuresOf(syntheticScan(100, 33, scan[scan.length - 1]!.endUs + 600e6)).x;
  const alerts = (mdl: EnsembleModel): number => Array.from(mdl.score(next).score).filter((s) => s >= mdl.threshold).length;
  const retrained = m.model!;
  const polluted = await trainModel([...benign, ...scan], { name: 'polluted', config: config.models });
  t.ok(alerts(retrained) >= 90, `the retrained model alerts on ${alerts(retrained)} of the next scan's 100 flows`);
  t.ok(alerts(polluted) < alerts(retrained), `a model that learnt the scan alerts on ${alerts(polluted)}: leaving it out is what keeps the alerts`);
  polluted.dispose();
  await m.stop();
  retrained.dispose();
});

t.test('the threshold adapted to this network survives a restart (store settings); a new model starts afresh', async (t) => {
  const { dir, config } = setup(t, {
    learningPeriodHours: 1e6, // learning, never training in this test
    adapt: { enabled: true, initialQuantile: 0.9, initFlows: 200, minPeaks: 20, maxPeaks: 100, refitHours: 0.01, floorQuantile: 0.5, maxStrictness: 2 },
  });
  const bundled = await trainModel(syntheticBenign(600, 31), { name: 'bundled', config: config.models });
  await bundled.save(join(dir, 'bundled'));
  bundled.dispose();
  const cfg: Config = { ...config, models: { ...config.models, dir: join(dir, 'bundled') } };
  const flows = syntheticBenign(1500, 32);

  const store = Store.open(cfg.store);
  const used: EnsembleModel[] = [];
  const m = manager(cfg, store, used);
  await m.start();
  t.equal(m.thresholdStatus()!.source, 'learning', "the bundled model's raised threshold before any peak");
  const own = m.thresholdStatus()!.modelThreshold;
  for (const [i, ev] of scoreRecords(m.model!, flows).entries()) m.observe(ev.score, flows[i]!, ev.modelId);
  const adapted = m.thresholdStatus()!;
  t.equal(adapted.source, 'adapted');
  t.ok(adapted.peaks >= 20, `${adapted.peaks} peaks`);
  t.ok(adapted.value >= adapted.lo && adapted.value <= adapted.hi, `${adapted.value} within [${adapted.lo}, ${adapted.hi}]`);
  t.equal(m.model!.threshold, adapted.value, 'the scorer reads the adapted threshold from the model');
  m.persist();
  await m.stop();
  store.close();

  const store2 = Store.open(cfg.store);
  t.teardown(() => store2.close());
  const saved = store2.registry.setting<{ modelId: string; peaksSeen: number }>(ADAPT_SETTING)!;
  t.equal(saved.modelId, m.model!.id, 'kept in the settings table under the model it belongs to');
  const m2 = manager(cfg, store2, []);
  await m2.start();
  const back = m2.thresholdStatus()!;
  t.equal(back.source, 'adapted', 'still adapted after the restart');
  t.equal(back.value, adapted.value);
  t.equal(back.peaks, adapted.peaks);
  t.equal(back.modelThreshold, own);

  // another model (trained here) does not inherit the bundled model's peaks
  const local = await trainModel(syntheticBenign(600, 33), { name: 'local', config: cfg.models });
  await local.save(join(dir, 'local'));
  store2.registry.putModel(registryRow(local.meta, join(dir, 'local'), true));
  local.dispose();
  await m2.poll();
  t.equal(m2.model!.meta.name, 'local');
  t.equal(m2.thresholdStatus()!.source, 'model');
  t.equal(m2.thresholdStatus()!.peaks, 0);
  await m2.stop();
});
