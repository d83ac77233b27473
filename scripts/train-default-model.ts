/**
 * Builds the bundled default model (models/default) from the demo capture, which the project regenerates
 * byte for byte with `npm run demo:capture` (scripts/make-demo-pcap.ts):
 *
 *   npx tsx scripts/make-demo-pcap.ts            # demo/demo.pcap
 *   npx tsx scripts/train-default-model.ts [--pcap demo/demo.pcap] [--out models/default] [--learn-seconds 300]
 *
 * Only flows that end within the first --learn-seconds of the capture are learned (default 300: the demo's
 * misbehaviour starts at minute 6), as a live appliance learns during its learning period. Training is deterministic:
 * the same capture gives the same model files.
 */
import { existsSync } from 'node:fs';
import { flowsFromPcap } from '../src/models/flows-from-pcap.js';
import { trainModel } from '../src/models/train.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}
const pcap = arg('--pcap', 'demo/demo.pcap');
const out = arg('--out', 'models/default');
const learnS = Number(arg('--learn-seconds', '300'));

if (!existsSync(pcap)) {
  console.error(`${pcap} does not exist: generate it first with \`npx tsx scripts/make-demo-pcap.ts\``);
  process.exit(1);
}
const { records, summary } = await flowsFromPcap(pcap);
if (records.length === 0) {
  console.error(`${pcap}: no flows`);
  process.exit(1);
}
const firstUs = Math.min(...records.map((r) => r.startUs));
const cutUs = firstUs + learnS * 1e6;
const learn = records.filter((r) => r.endUs <= cutUs);
console.log(`${pcap}: ${summary.packets} packets, ${records.length} flows; learning from the ${learn.length} that end in the first ${learnS} s`);
const model = await trainModel(learn, {
  name: 'default',
  onProgress: (p) => console.log(`  ${p.phase}: ${p.message}`),
});
await model.save(out);
const m = model.meta;
console.log(`wrote ${out}: ${m.id}, ${m.flowCount} flows, threshold ${m.threshold.toFixed(6)}, autoencoder validation loss ${m.losses.autoencoder.valLoss.toFixed(5)} after ${m.losses.autoencoder.epochs} epochs`);
model.dispose();
