/**
 * The bundled model on networks it has never seen: leave-one-network-out over the inputs of models/default
 * (scripts/default-model-inputs.ts). For each network, a model is trained exactly as `npm run model:default`
 * trains the bundled one, on every other network, and the held-out network's flows are scored with the
 * appliance's scoring and threshold (FlowScorer via scoreRecords). Prints, per held-out network: flows, devices
 * (local hosts originating flows), capture hours, anomaly alerts and alerts per device per day, with days
 * counted as days begun (a 2-second capture is one day: its budget is one alert per device). Then the full
 * check: models/default on demo/demo.pcap, scan flows (the camera's, 192.168.1.30, refused or unanswered) and
 * benign flows alerted.
 *
 *   npx tsx bench/models-loo.ts
 *   ARGUS_LOO_MAX_FLOWS=1000 (flows kept per capture file for training, default as model:default)
 *   ARGUS_LOO_ONLY=laptop,demo-home (hold out only these)
 *   ARGUS_LOO_EPOCHS=N (cap the autoencoder epochs, for a quick look)
 *   ARGUS_LOO_MODEL=DIR (the model of the demo check, default models/default)
 * Skips with a message when the shared captures are absent. Prints figures only.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { PrefixSet } from '../src/detectors/addresses.js';
import type { FlowRecord } from '../src/flow/flow-record.js';
import { EnsembleModel } from '../src/models/ensemble.js';
import { flowsFromPcaps, subsampleFlows } from '../src/models/lifecycle.js';
import { modelsConfig } from '../src/models/models-config.js';
import { scoreRecords } from '../src/models/scorer.js';
import { initTf } from '../src/models/tf-backend.js';
import { trainModel } from '../src/models/train.js';
import { projectRoot } from '../src/assets.js';
import {
  DEMO_BENIGN_HOURS,
  DEMO_BENIGN_PCAP,
  MAX_FLOWS_PER_PCAP,
  TRAINING_NETWORKS,
  networkFiles,
  sharedPcapsDir,
} from '../scripts/default-model-inputs.js';

if (!existsSync(sharedPcapsDir())) {
  console.log(`models-loo: skipped, the shared captures are not present at ${sharedPcapsDir()}`);
  process.exit(0);
}
const root = projectRoot();
if (!existsSync(`${root}/${DEMO_BENIGN_PCAP}`)) {
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-demo-pcap.ts', '--benign-hours', String(DEMO_BENIGN_HOURS), DEMO_BENIGN_PCAP], { cwd: root, stdio: 'inherit' });
}
const maxFlows = Number(process.env.ARGUS_LOO_MAX_FLOWS ?? MAX_FLOWS_PER_PCAP);
const only = process.env.ARGUS_LOO_ONLY?.split(',').filter(Boolean);
const epochs = process.env.ARGUS_LOO_EPOCHS ? Number(process.env.ARGUS_LOO_EPOCHS) : undefined;
const seed = modelsConfig().seed;
await initTf(() => {});

const LOCAL = new PrefixSet(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10']);

interface Net {
  name: string;
  /** every flow, per file, for scoring */
  all: FlowRecord[];
  /** the training subsample (per file, as model:default keeps it) */
  train: FlowRecord[];
}
const t0 = performance.now();
const nets: Net[] = [];
for (const n of TRAINING_NETWORKS) {
  const files = networkFiles(n);
  const all: FlowRecord[] = [];
  const train: FlowRecord[] = [];
  for (const f of files) {
    const recs = await flowsFromPcaps([f]);
    // the same seed as model:default's subsample of that file: seed + its index among all inputs
    const index = TRAINING_NETWORKS.flatMap(networkFiles).indexOf(f);
    all.push(...recs);
    train.push(...subsampleFlows(recs, maxFlows, seed + index));
  }
  nets.push({ name: n.name, all, train });
}
const readS = (performance.now() - t0) / 1000;

function describe(recs: readonly FlowRecord[]): { devices: number; hours: number } {
  const dev = new Set<string>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of recs) {
    if (LOCAL.has(r.srcIp)) dev.add(r.srcIp);
    if (r.startUs < lo) lo = r.startUs;
    if (r.endUs > hi) hi = r.endUs;
  }
  return { devices: Math.max(1, dev.size), hours: recs.length > 0 ? (hi - lo) / 3.6e9 : 0 };
}

const DEMO = `${root}/demo/demo.pcap`;

/** How many of the demo camera's scan flows `model` alerts on, and how many of the other flows. */
async function scanCatch(model: EnsembleModel): Promise<string> {
  if (!existsSync(DEMO)) return 'demo/demo.pcap is absent';
  const recs = await flowsFromPcaps([DEMO]);
  const events = scoreRecords(model, recs);
  let scan = 0;
  let scanHit = 0;
  let benign = 0;
  let benignHit = 0;
  const alone = [0, 0, 0];
  events.forEach((e, i) => {
    const r = recs[i]!;
    // the camera's scan: its connections that were refused or never completed (its own traffic completes)
    const isScan = r.srcIp === '192.168.1.30' && r.connState !== 'SF';
    if (isScan) {
      scan++;
      if (e.alert) scanHit++;
      const [a, f] = [e.models[0]!.calibrated >= model.threshold, e.models[1]!.calibrated >= model.threshold];
      alone[0] += a ? 1 : 0;
      alone[1] += f ? 1 : 0;
      alone[2] += a && f ? 1 : 0;
    } else {
      benign++;
      if (e.alert) benignHit++;
    }
  });
  return `${scanHit} of ${scan} scan flows of the camera alerted (refused or unanswered; AE alone ${alone[0]}, IF alone ${alone[1]}, both ${alone[2]}), ${benignHit} of ${benign} other flows`;
}

const config = epochs !== undefined ? { autoencoder: { maxEpochs: epochs } } : {};
const rows: string[][] = [['held out', 'flows', 'devices', 'hours', 'alerts', 'AE alone', 'IF alone', 'both', 'per dev/day']];
let worst = 0;
let heldDemoScan = '';
for (const held of nets) {
  if (only && !only.includes(held.name)) continue;
  const train = nets.filter((n) => n !== held).flatMap((n) => n.train);
  const model = await trainModel(train, { name: `loo-${held.name}`, config });
  const events = scoreRecords(model, held.all);
  const alerts = events.filter((e) => e.alert).length;
  // which model would alert alone, at the same calibrated threshold
  const ae = events.filter((e) => e.models[0]!.calibrated >= model.threshold).length;
  const iforest = events.filter((e) => e.models[1]!.calibrated >= model.threshold).length;
  const both = events.filter((e) => e.models[0]!.calibrated >= model.threshold && e.models[1]!.calibrated >= model.threshold).length;
  if (held.name === 'demo-home') heldDemoScan = await scanCatch(model);
  model.dispose();
  const { devices, hours } = describe(held.all);
  const days = Math.max(1, Math.ceil(hours / 24));
  const rate = alerts / (devices * days);
  worst = Math.max(worst, rate);
  rows.push([held.name, String(held.all.length), String(devices), hours.toFixed(hours < 1 ? 3 : 1), String(alerts), String(ae), String(iforest), String(both), rate.toFixed(2)]);
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`leave-one-network-out, ${maxFlows} flows per capture file for training (read in ${readS.toFixed(0)} s, ${((performance.now() - t0) / 1000).toFixed(0)} s in all)`);
for (const r of rows) console.log(r.map((v, c) => (c === 0 ? v.padEnd(w[c]!) : v.padStart(w[c]!))).join('  '));
console.log(`worst: ${worst.toFixed(2)} anomaly alerts per device per day (target ≤ 1; days counted as days begun)`);
if (heldDemoScan !== '') console.log(`the model trained without demo-home, on demo/demo.pcap: ${heldDemoScan}`);

// ---- the bundled model on the demo capture ------------------------------------------------------------
const bundled = resolve(root, process.env.ARGUS_LOO_MODEL ?? 'models/default');
if (existsSync(DEMO) && existsSync(`${bundled}/meta.json`)) {
  const model = await EnsembleModel.load(bundled);
  console.log(`${relative(root, bundled)} on demo/demo.pcap: ${await scanCatch(model)}`);
  model.dispose();
}
