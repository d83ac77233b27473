/** `argus-edge train` and `argus-edge eval`: build a model from captures, and measure one against labels. */
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { formatEval } from '../models/eval.js';
import { evalFromPcaps, formatTrainSummary, trainFromPcaps } from '../models/lifecycle.js';
import { initTf } from '../models/tf-backend.js';

function checkFiles(paths: string[], what: string): void {
  if (paths.length === 0) throw new Error(`give at least one ${what} with --pcap FILE`);
  for (const p of paths) if (!existsSync(p)) throw new Error(`${what} '${p}' does not exist`);
}

export async function commandTrain(cfg: Config, log: Logger, pcaps: string[], out: string, name: string | undefined): Promise<number> {
  checkFiles(pcaps, 'capture file');
  await initTf((m) => log.info(m));
  const { enabled: _enabled, ...models } = cfg.models;
  const meta = await trainFromPcaps(pcaps, out, {
    name,
    config: structuredClone(models) as NonNullable<Parameters<typeof trainFromPcaps>[2]>['config'],
    log: (line) => process.stderr.write(line + '\n'),
    onProgress: (p) => process.stderr.write(`  ${p.phase}: ${p.message}\n`),
  });
  process.stdout.write(formatTrainSummary(meta, out) + '\n');
  return 0;
}

export async function commandEval(cfg: Config, log: Logger, model: string | undefined, pcaps: string[], labels: string | undefined, json: boolean): Promise<number> {
  checkFiles(pcaps, 'capture file');
  if (labels === undefined) throw new Error('give the labels file (TSV: start_epoch_s end_epoch_s ip label) with --labels FILE');
  if (!existsSync(labels)) throw new Error(`labels file '${labels}' does not exist`);
  await initTf((m) => log.info(m));
  const r = await evalFromPcaps(model ?? cfg.models.dir, pcaps, labels, (line) => process.stderr.write(line + '\n'));
  process.stdout.write(json ? JSON.stringify(r) + '\n' : formatEval(r) + '\n');
  return 0;
}
