/** `argus-edge train`, `eval` and `retrain`: build a model from captures or the store, and measure one against labels. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { evaluatePipelineFiles, formatReport } from '../eval/index.js';
import { captureFiles, formatTrainSummary, trainFromPcaps } from '../models/lifecycle.js';
import { initTf } from '../models/tf-backend.js';
import { localModelDir, registryRow, storedBaseline } from '../models/manager.js';
import { agreedFlows, judgeRetrain } from '../models/retrain-guard.js';
import { formatExclusions } from '../models/training-set.js';
import type { DeepPartial, ModelsConfig } from '../models/models-config.js';
import { trainModel } from '../models/train.js';
import { Store } from '../store/db.js';

function checkFiles(paths: string[], what: string): void {
  if (paths.length === 0) throw new Error(`give at least one ${what} with --pcap FILE`);
  for (const p of paths) if (!existsSync(p)) throw new Error(`${what} '${p}' does not exist`);
}

export async function commandTrain(cfg: Config, log: Logger, pcaps: string[], out: string, opts: { name?: string; maxFlowsPerPcap?: number } = {}): Promise<number> {
  if (pcaps.length === 0) throw new Error('give at least one capture file or directory with --pcap PATH');
  const files = captureFiles(pcaps);
  process.stderr.write(`training on ${files.length} capture file${files.length === 1 ? '' : 's'}\n`);
  await initTf((m) => log.info(m));
  const { enabled: _enabled, ...models } = cfg.models;
  const meta = await trainFromPcaps(files, out, {
    name: opts.name,
    maxFlowsPerPcap: opts.maxFlowsPerPcap,
    config: structuredClone(models) as NonNullable<Parameters<typeof trainFromPcaps>[2]>['config'],
    log: (line) => process.stderr.write(line + '\n'),
    onProgress: (p) => process.stderr.write(`  ${p.phase}: ${p.message}\n`),
  });
  process.stdout.write(formatTrainSummary(meta, out) + '\n');
  return 0;
}

/**
 * `argus-edge eval`: replay labelled captures through the whole pipeline (detectors, models, incidents) with
 * `model` (default models.dir) and print the report (src/eval/types.ts), as JSON with `json`.
 */
export async function commandEval(cfg: Config, log: Logger, opts: { model?: string; pcaps: string[]; labels?: string; json: boolean; graceS?: number }): Promise<number> {
  checkFiles(opts.pcaps, 'capture file');
  if (opts.labels === undefined) throw new Error('give the labels file (TSV: start_epoch_s end_epoch_s ip label) with --labels FILE');
  if (!existsSync(opts.labels)) throw new Error(`labels file '${opts.labels}' does not exist`);
  if (opts.model !== undefined && !existsSync(opts.model)) throw new Error(`model directory '${opts.model}' does not exist`);
  const run = { ...cfg, models: { ...cfg.models, dir: opts.model ?? cfg.models.dir } };
  const r = await evaluatePipelineFiles(run, log, opts.pcaps, opts.labels, { graceS: opts.graceS, log: (line) => process.stderr.write(line + '\n') });
  process.stdout.write((opts.json ? JSON.stringify(r) : formatReport(r)) + '\n');
  return 0;
}

/**
 * `argus-edge retrain`: a model of this network from the flows the appliance stored. Runs beside a running
 * appliance (the store is in WAL mode: readers never block its writer); the appliance notices the newly
 * active model in the registry and switches to it.
 */
export async function commandRetrain(cfg: Config, log: Logger, hours: number | undefined, force = false): Promise<number> {
  if (!existsSync(cfg.store.path)) throw new Error(`store '${cfg.store.path}' does not exist: run the appliance first (it stores the flows to learn from), or give --store DB`);
  const store = Store.open({ ...cfg.store, log: (m) => log.warn(m) });
  try {
    const h = hours ?? cfg.models.learningPeriodHours;
    const { records, left, windowUs } = storedBaseline(store, h, cfg.models.maxTrainFlows);
    if (records.length < cfg.models.minTrainFlows) {
      throw new Error(`the store holds ${records.length} flows to learn from in the last ${h} h (${formatExclusions(left)}); training needs at least ${cfg.models.minTrainFlows} (models.minTrainFlows)`);
    }
    process.stderr.write(`${records.length} flows from the last ${h} h of ${cfg.store.path}; ${formatExclusions(left)}\n`);
    await initTf((m) => log.info(m));
    const root = localModelDir(cfg.models, cfg.store.path);
    const { enabled: _e, learn: _l, localDir: _d, minTrainFlows: _m, adapt: _a, ...hyper } = cfg.models;
    const model = await trainModel(records, {
      name: 'local',
      config: structuredClone(hyper) as DeepPartial<ModelsConfig>,
      onProgress: (p) => process.stderr.write(`  ${p.phase}: ${p.message}\n`),
    });
    // the stored anomaly alerts are the judgement of whichever model scored them (the bundled one or an earlier retrain)
    const verdict = judgeRetrain(model, agreedFlows(store, windowUs[0], windowUs[1]));
    process.stderr.write(`${verdict.text}\n`);
    if (!verdict.pass && !force) {
      store.actions.audit({ tsUs: Date.now() * 1000, actor: 'cli', action: 'model.refuse', target: model.meta.id, reason: verdict.text, detail: { checked: verdict.checked, stillAlerted: verdict.stillAlerted, leftOut: left } });
      model.dispose();
      process.stdout.write(`not activated: ${verdict.text}\n`);
      return 1;
    }
    const dir = join(root, model.meta.id.replace(/[^A-Za-z0-9._-]/g, '_'));
    await model.save(dir);
    model.dispose();
    store.registry.putModel(registryRow(model.meta, dir, true));
    store.actions.audit({ tsUs: Date.now() * 1000, actor: 'cli', action: 'model.activate', target: model.meta.id, reason: 'argus-edge retrain', detail: { flows: model.meta.flowCount, dir, leftOut: left } });
    process.stdout.write(`${formatTrainSummary(model.meta, dir)}\n${formatExclusions(left)}\nactive in the registry: a running appliance switches to it within 10 s\n`);
    return 0;
  } finally {
    store.close();
  }
}
