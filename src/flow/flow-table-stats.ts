/** The flow table's counters (GET /api/stats, Prometheus, the replay summary). */
import { END_REASONS, type EndReason } from './flow-record.js';

export interface FlowTableStats {
  /** flows in the table now */
  active: number;
  /** flows created */
  created: number;
  /** flows removed from the table (any reason; active-timeout segments are not removals) */
  ended: number;
  /** flows removed to make room at the cap */
  evicted: number;
  /** of `evicted`, one-packet half-open flows (evicted first) */
  evictedHalfOpen: number;
  /** one-packet half-open flows the fold hook counted instead of a record being exported */
  folded: number;
  /** times emergency mode was entered */
  emergencyEntered: number;
  emergency: boolean;
  /** records exported, by reason */
  byEndReason: Record<EndReason, number>;
}

export function newFlowTableStats(): FlowTableStats {
  const byEndReason = {} as Record<EndReason, number>;
  for (const r of END_REASONS) byEndReason[r] = 0;
  return { active: 0, created: 0, ended: 0, evicted: 0, evictedHalfOpen: 0, folded: 0, emergencyEntered: 0, emergency: false, byEndReason };
}
