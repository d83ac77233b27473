/**
 * `argus-edge eval` as a library call: replay labelled capture files through the Pipeline users run — the
 * detectors, the anomaly models and the incident tracker, configured from the same Config — and measure what
 * it raised against the labels (types.ts). Replay mode, packet time, no store, no learning: the same files
 * and labels always give the same report.
 */
import { readFileSync } from 'node:fs';
import { replayFile } from '../capture/replay.js';
import type { Config } from '../config.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { Logger } from '../log.js';
import { PrefixSet } from '../detectors/addresses.js';
import { parseLabels } from '../models/eval.js';
import { Pipeline } from '../pipeline.js';
import { EvalAccumulator } from './score.js';
import type { EvalReport } from './types.js';

export interface EvalOptions {
  /** the labels TSV text */
  labels: string;
  /** seconds after a window's end in which its host's alerts still count for it (default 60) */
  graceS?: number;
  /** one line per file read */
  log?: (line: string) => void;
}

/**
 * Packet time advances in steps of one second, as a live appliance's idle tick does (`pipeline.tick`, once a
 * second of wall time): before a packet that comes more than a second after the last step, the steps in
 * between are ticked (at most MAX_IDLE_STEPS per gap, then one jump), so flows time out and the models' batch
 * is scored when they would be live, and delays do not depend on when the next packet happens to arrive.
 */
const STEP_US = 1_000_000;
const MAX_IDLE_STEPS = 600;

/**
 * Replay `paths` one after another, each through a fresh Pipeline (each file is its own replay, as with
 * `argus-edge replay`), and report against `opts.labels`. `cfg.models.dir` is the model scored with.
 */
export async function evaluatePipeline(cfg: Config, log: Logger, paths: readonly string[], opts: EvalOptions): Promise<EvalReport> {
  const labels = parseLabels(opts.labels);
  const home = new PrefixSet(cfg.homeNets);
  const acc = new EvalAccumulator(labels, { graceS: opts.graceS ?? 60, isHome: (ip) => home.has(ip) });
  const files: EvalReport['files'] = [];
  let model: EvalReport['model'] = null;
  let hours = 0;
  for (const path of paths) {
    const pipeline = new Pipeline({ ...cfg, mode: 'replay', eve: { ...cfg.eve, path: '' }, models: { ...cfg.models, learn: false } }, log, { store: false });
    await pipeline.loadModel();
    const m = pipeline.scorer?.currentModel;
    if (m !== undefined && model === null) model = { id: m.id, threshold: m.threshold, thresholdQuantile: m.meta.thresholdQuantile };
    // the scorer keeps the order of the flows it was given: each anomaly event is the oldest flow not yet scored
    const unscored: Pick<FlowRecord, 'flowId' | 'startUs' | 'endUs' | 'srcIp' | 'dstIp' | 'srcMac'>[] = [];
    let head = 0;
    if (pipeline.scorer === null) {
      pipeline.bus.on('flow.end', (r) => acc.addFlow(r, null));
    } else {
      pipeline.bus.on('flow.end', (r) => void unscored.push({ flowId: r.flowId, startUs: r.startUs, endUs: r.endUs, srcIp: r.srcIp, dstIp: r.dstIp, srcMac: r.srcMac }));
      pipeline.bus.on('anomaly', (ev) => {
        const rec = unscored[head++];
        if (rec === undefined || rec.flowId !== ev.flowId) throw new Error(`eval: anomaly event for flow ${ev.flowId} does not match the next exported flow ${rec?.flowId}`);
        acc.addFlow(rec, ev);
        if (head > 4096) unscored.splice(0, head), (head = 0);
      });
    }
    pipeline.bus.on('alert', (a) => acc.addAlert(a, pipeline.nowUs));
    pipeline.bus.on('incident', (e) => acc.addIncident(e, pipeline.nowUs));
    let nextStepUs = 0;
    const onPacket = pipeline.handlePacket;
    let r;
    try {
      r = await replayFile(path, pipeline.pkt, (p) => {
        if (nextStepUs === 0) nextStepUs = p.tsUs + STEP_US;
        for (let i = 0; p.tsUs > nextStepUs && i < MAX_IDLE_STEPS; i++, nextStepUs += STEP_US) pipeline.tick(nextStepUs);
        if (p.tsUs > nextStepUs) nextStepUs = p.tsUs + STEP_US;
        onPacket(p);
      }, { bpf: cfg.capture.bpf || undefined });
    } finally {
      await pipeline.shutdown();
    }
    const s = pipeline.summary();
    const span = s.packets > 0 ? (s.lastUs - s.firstUs) / 3.6e9 : 0;
    hours += span;
    files.push({ path, packets: s.packets, flows: s.flows, firstEpochS: s.firstUs / 1e6, lastEpochS: s.lastUs / 1e6, error: r.error ? `byte ${r.error.offset}: ${r.error.message}` : null });
    opts.log?.(`${path}: ${s.packets} packets, ${s.flows} flows, ${(span * 3600).toFixed(1)} s${r.error ? `; stopped at byte ${r.error.offset}: ${r.error.message}` : ''}`);
  }
  return acc.report(model, files, hours);
}

/** Read the labels file and evaluate; the CLI's entry. */
export function evaluatePipelineFiles(cfg: Config, log: Logger, paths: readonly string[], labelsPath: string, opts: Omit<EvalOptions, 'labels'> = {}): Promise<EvalReport> {
  return evaluatePipeline(cfg, log, paths, { ...opts, labels: readFileSync(labelsPath, 'utf8') });
}
