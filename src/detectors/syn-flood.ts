/**
 * SYN flood / DoS (`dos.synflood`): a high rate of connection attempts that never complete, to one host and
 * port. Counting per host:port (not per host) keeps a vertical port scan — one attempt per port — out of it.
 *
 * Flood sources are usually spoofed, so the alert names a source only when one address sent at least
 * `singleSourceShare` of the attempts; otherwise its srcIp is the unspecified address ('0.0.0.0' or '::'),
 * meaning "many sources", and the evidence gives how many distinct ones were seen.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount, MAX_EVIDENCE_IDS } from './detector.js';
import { unspecifiedLike } from './addresses.js';
import type { ConnState, FlowRecord } from '../flow/flow-record.js';
import { BucketCounter, LruMap } from './window.js';

/** Connection states of an attempt left half-open: no answer, or given up by the originator before any answer. */
const HALF_OPEN: ReadonlySet<ConnState> = new Set(['S0', 'RSTOS0', 'SH']);
const SYN = 0x02;

/**
 * true when the flow is a SYN that left the responder holding a half-open connection: no answer at all, or
 * a SYN-ACK the originator never acknowledged (history "Sh", "ShR": what a flood with real or spoofed
 * sources does to a listening port). A SYN refused with RST (REJ) costs the target nothing and is not counted:
 * clients stuck retrying a closed port do that all day.
 */
export function isHalfOpen(r: FlowRecord): boolean {
  if (r.proto !== 6 || (r.tcpFlagsToServer & SYN) === 0) return false;
  if (HALF_OPEN.has(r.connState)) return true;
  const h = r.history;
  return h.startsWith('S') && h.includes('h') && !h.includes('A') && !h.includes('D') && r.payloadBytesToServer === 0;
}

/** Distinct sources counted per target (enough to tell "one" from "thousands"). */
const MAX_SOURCES_PER_TARGET = 256;

interface TargetState {
  attempts: BucketCounter;
  /** attempts per source while the target is tracked, capped */
  sources: LruMap<string, number>;
  srcMacs: Set<string>;
  flowIds: number[];
  communityIds: string[];
  lastUs: number;
  /** packet time until which this target's flood was already reported (skips the per-source tally) */
  reportedUntilUs: number;
}

export class SynFloodDetector extends DetectorBase {
  private readonly targets: LruMap<string, TargetState>;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('syn-flood', cfg, emit);
    this.targets = new LruMap(cfg.maxTracked);
  }

  protected tables() {
    return [this.targets];
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.startUs > this.clockUs) this.clockUs = r.startUs;
    const windowUs = this.cfg.synFlood.windowSeconds * 1e6;
    if (isHalfOpen(r)) this.count(r, windowUs);
    // a late record can reach back by the TCP idle timeout, so keep targets a little longer than the window
    this.targets.expire((s) => s.lastUs < this.clockUs - 4 * windowUs);
  }

  private count(r: FlowRecord, windowUs: number): void {
    const c = this.cfg.synFlood;
    const key = `${r.dstIp}|${r.dstPort}`;
    const s = this.targets.touch(key, () => ({
      attempts: new BucketCounter(windowUs),
      sources: new LruMap<string, number>(MAX_SOURCES_PER_TARGET),
      srcMacs: new Set<string>(),
      flowIds: [],
      communityIds: [],
      lastUs: 0,
      reportedUntilUs: 0,
    }));
    if (r.startUs > s.lastUs) s.lastUs = r.startUs;
    s.attempts.add(r.startUs);
    const prev = s.sources.peek(r.srcIp) ?? 0;
    s.sources.delete(r.srcIp);
    s.sources.touch(r.srcIp, () => prev + 1);
    if (r.srcMac !== null && s.srcMacs.size < 8) s.srcMacs.add(r.srcMac);
    if (s.flowIds.length < MAX_EVIDENCE_IDS) {
      s.flowIds.push(r.flowId);
      s.communityIds.push(r.communityId);
    }
    const n = s.attempts.total();
    if (n < c.minHalfOpen || r.endUs < s.reportedUntilUs) return;
    s.reportedUntilUs = r.endUs + this.cfg.suppressSeconds * 1e6;

    let top = '';
    let topN = 0;
    let all = 0;
    for (const [ip, k] of s.sources.entries()) {
      all += k;
      if (k > topN) [top, topN] = [ip, k];
    }
    const single = all > 0 && topN / all >= c.singleSourceShare;
    const srcIp = single ? top : unspecifiedLike(r.dstIp);
    const nSources = s.sources.size;
    const many = nSources >= MAX_SOURCES_PER_TARGET ? `${fmtCount(nSources)}+` : fmtCount(nSources);
    const target = `${r.dstIp}:${r.dstPort}`;
    this.raise(target, {
      tsUs: r.endUs,
      kind: 'dos.synflood',
      signature: single
        ? `SYN flood against ${target} from ${srcIp} (${fmtCount(n)} half-open in ${c.windowSeconds} s)`
        : `SYN flood against ${target} from ${many} sources, likely spoofed (${fmtCount(n)} half-open in ${c.windowSeconds} s)`,
      severity: 1,
      confidence: confidenceAbove(n, c.minHalfOpen, 0.7),
      srcIp,
      srcMac: single || s.srcMacs.size === 1 ? ([...s.srcMacs][0] ?? null) : null,
      targets: [r.dstIp],
      destPort: r.dstPort,
      proto: 'TCP',
      evidence: [
        {
          text: `${fmtCount(n)} connection attempts to ${target} left half-open within ${c.windowSeconds} s (threshold ${c.minHalfOpen})`,
          count: n,
          flowIds: s.flowIds,
          communityIds: s.communityIds,
        },
        {
          text: single
            ? `${fmtCount(topN)} of ${fmtCount(all)} attempts came from ${top}`
            : `${many} distinct sources, the busiest (${top}) sent only ${fmtCount(topN)}`,
          count: nSources,
        },
        ...(s.srcMacs.size === 1 ? [{ text: `every attempt arrived from MAC ${[...s.srcMacs][0]} (the upstream router when sources are spoofed)` }] : []),
      ],
      suggestedResponse: single ? 'block' : 'rate-limit',
    });
  }
}
