/**
 * FlowScorer: scores exported FlowRecords with an EnsembleModel in batches and turns each into an
 * AnomalyEvent. Records are buffered until `batchSize` have arrived or the oldest buffered one has waited
 * `maxDelayUs` of packet time; `flush()` scores whatever is buffered (call it on a coarse timer when live,
 * and at the end of a replay). Feature rows and score arrays are allocated once and reused.
 */
import { FEATURE_COUNT, extractFeatures } from '../features/flow-features.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { AnomalyEvent } from './anomaly.js';
import { allocScores, type EnsembleModel, type EnsembleScores } from './ensemble.js';

export interface ScorerOptions {
  /** flows per scoring batch (default 1024) */
  batchSize?: number;
  /** longest a buffered flow waits, in packet-time µs (default 1 s) */
  maxDelayUs?: number;
}

export class FlowScorer {
  readonly batchSize: number;
  readonly maxDelayUs: number;
  /** flows scored, and of those alerting, since construction */
  scored = 0;
  alerts = 0;
  private readonly features: Float32Array;
  private readonly scores: EnsembleScores;
  private readonly pending: FlowRecord[] = [];

  /** `onEvent` receives every AnomalyEvent, in the order the records arrived. */
  constructor(
    private model: EnsembleModel,
    private readonly onEvent: (ev: AnomalyEvent, rec: FlowRecord) => void,
    opts: ScorerOptions = {},
  ) {
    this.batchSize = Math.max(1, opts.batchSize ?? 1024);
    this.maxDelayUs = opts.maxDelayUs ?? 1_000_000;
    this.features = new Float32Array(this.batchSize * FEATURE_COUNT);
    this.scores = allocScores(this.batchSize);
  }

  /** The model in use; swapping it (after a retrain) flushes the buffer with the old one first. */
  get currentModel(): EnsembleModel {
    return this.model;
  }

  setModel(model: EnsembleModel): void {
    this.flush();
    this.model = model;
  }

  /** Buffer one record; scores the buffer when full or when its oldest record has waited maxDelayUs. */
  add(rec: FlowRecord): void {
    this.pending.push(rec);
    if (this.pending.length >= this.batchSize || rec.endUs - this.pending[0]!.endUs >= this.maxDelayUs) this.flush();
  }

  /** Score everything buffered now. */
  flush(): void {
    const n = this.pending.length;
    if (n === 0) return;
    for (let i = 0; i < n; i++) extractFeatures(this.pending[i]!, this.features, i * FEATURE_COUNT);
    const s = this.model.score(this.features.subarray(0, n * FEATURE_COUNT), this.scores);
    const threshold = this.model.threshold;
    const modelId = this.model.id;
    const batch = this.pending.splice(0, n);
    for (let i = 0; i < n; i++) {
      const rec = batch[i]!;
      const score = s.score[i]!;
      const alert = score >= threshold;
      this.scored++;
      if (alert) this.alerts++;
      this.onEvent(
        {
          tsUs: rec.endUs,
          flowId: rec.flowId,
          communityId: rec.communityId,
          srcIp: rec.srcIp,
          dstIp: rec.dstIp,
          dstPort: rec.dstPort,
          proto: rec.protoName,
          score,
          models: [
            { name: 'autoencoder', raw: s.aeRaw[i]!, calibrated: s.aeCal[i]! },
            { name: 'isolation-forest', raw: s.forestRaw[i]!, calibrated: s.forestCal[i]! },
          ],
          threshold,
          alert,
          modelId,
        },
        rec,
      );
    }
  }
}

/** Score a list of records at once (evaluation, tests); returns the events in order. */
export function scoreRecords(model: EnsembleModel, records: readonly FlowRecord[], batchSize = 4096): AnomalyEvent[] {
  const out: AnomalyEvent[] = [];
  const scorer = new FlowScorer(model, (ev) => out.push(ev), { batchSize, maxDelayUs: Number.POSITIVE_INFINITY });
  for (const r of records) scorer.add(r);
  scorer.flush();
  return out;
}
