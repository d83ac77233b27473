/**
 * What every detector shares: its name, counters, the suppression of repeated alerts and the way an alert
 * is put together (id, bounded targets and evidence).
 */
import type { FlowRecord } from '../flow/flow-record.js';
import type { Alert, AlertEvidence } from './alert.js';
import type { DetectorConfig } from './config.js';
import { urlSafeAlertId } from './alert-id.js';
import { Suppressor } from './window.js';

/** Counters one detector reports (GET /api/stats, Prometheus, logs). */
export interface DetectorStats {
  name: string;
  /** events (flows, DNS messages, ARP packets) examined */
  events: number;
  alerts: number;
  /** triggers inside a suppression window that raised nothing */
  suppressed: number;
  /** keys currently held in the detector's tables */
  tracked: number;
  /** keys dropped to stay under the caps */
  evicted: number;
}

/** Most flow ids kept as evidence for one alert line. */
export const MAX_EVIDENCE_IDS = 20;

/**
 * The fields of an alert about one flow's source and its destination service: the flow's end time, its
 * originator (with `srcMac`, when the caller knows a better one than the flow's) and the responder as the target.
 */
export function aboutFlow(r: FlowRecord, srcMac: string | null = r.srcMac): Pick<Alert, 'tsUs' | 'srcIp' | 'srcMac' | 'targets' | 'destPort' | 'proto'> {
  return { tsUs: r.endUs, srcIp: r.srcIp, srcMac, targets: [r.dstIp], destPort: r.dstPort, proto: r.protoName };
}

export abstract class DetectorBase {
  events = 0;
  alerts = 0;
  protected readonly suppressor: Suppressor;

  constructor(
    readonly name: string,
    protected readonly cfg: DetectorConfig,
    private readonly emit: (alert: Alert) => void,
  ) {
    this.suppressor = new Suppressor(cfg.suppressSeconds * 1e6, cfg.maxTracked);
  }

  /**
   * Raise `alert` unless one with the same kind, source and `targetKey` was raised within the suppression
   * window. Returns true when it was raised. The id is derived from those and the packet time, so a replay
   * gives the same ids.
   */
  protected raise(targetKey: string, alert: Omit<Alert, 'id' | 'targets'> & { targets: readonly string[] }): boolean {
    const key = `${alert.kind}|${alert.srcIp}|${targetKey}`;
    if (!this.suppressor.allow(key, alert.tsUs)) return false;
    this.alerts++;
    this.emit({
      ...alert,
      id: urlSafeAlertId(`${alert.kind}:${alert.srcIp}:${targetKey}:${alert.tsUs}`),
      targets: alert.targets.slice(0, this.cfg.maxAlertTargets),
      evidence: alert.evidence.map(boundEvidence),
    });
    return true;
  }

  /** keys held and evicted in the detector's own tables */
  protected abstract tables(): { size: number; evicted: number }[];

  stats(): DetectorStats {
    let tracked = this.suppressor.size;
    let evicted = this.suppressor.evicted;
    for (const t of this.tables()) {
      tracked += t.size;
      evicted += t.evicted;
    }
    return { name: this.name, events: this.events, alerts: this.alerts, suppressed: this.suppressor.suppressed, tracked, evicted };
  }
}

function boundEvidence(e: AlertEvidence): AlertEvidence {
  const out: AlertEvidence = { text: e.text };
  if (e.flowIds !== undefined) out.flowIds = e.flowIds.slice(0, MAX_EVIDENCE_IDS);
  if (e.communityIds !== undefined) out.communityIds = e.communityIds.slice(0, MAX_EVIDENCE_IDS);
  if (e.count !== undefined) out.count = e.count;
  return out;
}

/** "1,234" */
export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Confidence that grows from `base` at the threshold toward 0.99 as `value` reaches several times it. */
export function confidenceAbove(value: number, threshold: number, base = 0.6): number {
  if (threshold <= 0) return 0.99;
  const over = Math.max(0, value / threshold - 1);
  return Math.min(0.99, Math.round((base + (1 - base) * (1 - Math.exp(-over))) * 100) / 100);
}
