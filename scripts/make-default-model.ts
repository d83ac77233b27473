/**
 * `npm run model:default`: rebuilds models/default with the project's own `train` command from the inputs
 * listed in scripts/default-model-inputs.ts (the shared benign captures and the demo network's benign hours).
 * Deterministic: the demo capture is regenerated from its seed, the subsample and the training are seeded.
 * Exits 0 with a message, changing nothing, when ../shared/pcaps is absent.
 *
 *   npx tsx scripts/make-default-model.ts [--out DIR]     (default models/default)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { DEMO_BENIGN_HOURS, DEMO_BENIGN_PCAP, MAX_FLOWS_PER_PCAP, TRAINING_NETWORKS, networkFiles, sharedPcapsDir } from './default-model-inputs.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1]! : 'models/default';
const root = projectRoot();

if (!existsSync(sharedPcapsDir())) {
  process.stderr.write(`model:default: the shared captures are not present at ${sharedPcapsDir()}; models/default is left as it is\n`);
  process.exit(0);
}
const run = (argv: string[]): void => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...argv], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['scripts/make-demo-pcap.ts', '--benign-hours', String(DEMO_BENIGN_HOURS), DEMO_BENIGN_PCAP]);
const files = TRAINING_NETWORKS.flatMap(networkFiles);
const missing = files.filter((f) => !existsSync(f));
if (missing.length > 0) {
  process.stderr.write(`model:default: missing inputs:\n${missing.map((f) => `  ${f}`).join('\n')}\n`);
  process.exit(1);
}
run(['src/cli.ts', 'train', ...files.flatMap((f) => ['--pcap', f]), '--max-flows-per-pcap', String(MAX_FLOWS_PER_PCAP), '--out', resolve(root, out), '--name', 'default']);
