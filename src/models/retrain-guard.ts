/**
 * The retrain guard: a new model must still alert on what the old one caught with a detector's agreement.
 * Those flows (an anomaly alert of the old model, from a source that had an incident at the time) are
 * attacks by two independent judgements; a model that no longer alerts on most of them has learnt the attack,
 * or lost its sense of it, and replacing the old one would silence the next. The guard says so, and the
 * new model is kept only when forced.
 */
import type { FlowRecord } from '../flow/flow-record.js';
import type { Store } from '../store/db.js';
import type { EnsembleModel } from './ensemble.js';
import { featuresOf } from './train.js';
import { trainingFilter } from './training-set.js';

/** share of the agreed flows the new model must still alert on */
export const GUARD_KEEP_SHARE = 0.5;
/** flows checked at most (the most recent) */
const MAX_CHECKED = 5000;

export interface GuardVerdict {
  /** agreed flows found (0: nothing to check, the new model passes) */
  checked: number;
  /** of them, the new model alerts on */
  stillAlerted: number;
  pass: boolean;
  /** one sentence for the CLI, the dashboard and the audit log */
  text: string;
}

/** Flows of [fromUs, toUs] on which the old model and a detector agreed, most recent last. */
export function agreedFlows(store: Store, fromUs: number, toUs: number): FlowRecord[] {
  const filter = trainingFilter(store, fromUs, toUs);
  const out: FlowRecord[] = [];
  for (const rec of store.flows.records(fromUs, toUs + 1)) {
    if (!filter.agreed(rec)) continue;
    out.push(rec);
    if (out.length > MAX_CHECKED) out.shift();
  }
  return out;
}

export function judgeRetrain(model: EnsembleModel, agreed: readonly FlowRecord[]): GuardVerdict {
  if (agreed.length === 0) return { checked: 0, stillAlerted: 0, pass: true, text: 'no flows on which the old model and a detector agreed: nothing to compare' };
  const { score } = model.score(featuresOf(agreed).x);
  let still = 0;
  for (const s of score) if (s >= model.threshold) still++;
  const pass = still >= Math.ceil(GUARD_KEEP_SHARE * agreed.length);
  const text = pass
    ? `the new model still alerts on ${still} of the ${agreed.length} flows the old one caught with a detector`
    : `the new model would alert on only ${still} of the ${agreed.length} flows the old one caught with a detector: it may have learnt an attack; the old model stays (force to replace it anyway)`;
  return { checked: agreed.length, stillAlerted: still, pass, text };
}
