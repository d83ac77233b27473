/**
 * Beaconing (`c2.beacon`): one host connecting to one destination service again and again at a regular
 * interval — how implants check in with their command-and-control server. Judged on the start times of new
 * connections that were answered (see `isNewAnsweredConnection`): at least `minConnections`
 * of them, and a coefficient of variation (std / mean) of the intervals at most `maxIntervalCv`, so a jittered
 * timer (± 25 %) still counts while human browsing does not.
 *
 * Connections closer together than `minIntervalSeconds` are one burst; a series where such bursts are common
 * (a quarter of its connections or more) is polling — a dashboard or a sensor asking once a second — and is not
 * judged. A gap longer than `maxIntervalSeconds` starts the series again. Infrastructure ports (DNS, NTP, …)
 * are ignored; LAN destinations are judged too unless `ignoreHomeDestinations` (an implant may talk to a pivot
 * on the LAN), at severity 2 where an outside destination is severity 1.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { aboutFlow, confidenceAbove, DetectorBase, fmtCount } from './detector.js';
import { isGroupAddress, isLoopback, PrefixSet } from './addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { isLoginAttempt } from './brute-force.js';
import { LruMap, meanCv } from './window.js';

/**
 * A new connection that the destination answered: TCP with the originator's SYN and the responder's SYN-ACK,
 * or a UDP exchange with a reply. Keep-alive packets of one long connection, re-exported as separate records
 * after each idle timeout, are not new connections; SYN retries to a dead server are not check-ins.
 */
export function isNewAnsweredConnection(r: FlowRecord): boolean {
  if (r.segment !== 0) return false;
  if (r.proto === 6) return r.history.includes('S') && r.history.includes('h');
  if (r.proto === 17) return r.pktsToClient > 0;
  return false;
}

interface SeriesState {
  /** connection start times, ascending, at most `cap` */
  starts: number[];
  bytes: number[];
  flowIds: number[];
  communityIds: string[];
  srcMac: string | null;
  host: string | null;
  /** connections of the series so far, and how many of them fell inside a burst */
  seen: number;
  bursts: number;
}

export class BeaconDetector extends DetectorBase {
  private readonly series: LruMap<string, SeriesState>;
  private readonly home: PrefixSet;
  private readonly ignorePorts: Set<number>;
  private readonly cap: number;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('beacon', cfg, emit);
    this.series = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
    this.ignorePorts = new Set(cfg.beacon.ignorePorts);
    this.cap = Math.max(2 * cfg.beacon.minConnections, 16);
  }

  protected tables() {
    return [this.series];
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.startUs > this.clockUs) this.clockUs = r.startUs;
    const c = this.cfg.beacon;
    const maxGapUs = c.maxIntervalSeconds * 1e6;
    this.series.expire((s) => s.starts[s.starts.length - 1]! < this.clockUs - maxGapUs);
    if (!isNewAnsweredConnection(r) || isGroupAddress(r.dstIp) || isLoopback(r.dstIp) || this.ignorePorts.has(r.dstPort)) return;
    if (c.ignoreHomeDestinations && this.home.has(r.dstIp)) return;
    // a password guesser's connections come at a steady pace too: they are the brute-force detector's
    if (isLoginAttempt(r, this.cfg.bruteForce)) return;

    const s = this.series.touch(`${r.srcIp}|${r.dstIp}|${r.proto}|${r.dstPort}`, () => ({
      starts: [],
      bytes: [],
      flowIds: [],
      communityIds: [],
      srcMac: r.srcMac,
      host: null,
      seen: 0,
      bursts: 0,
    }));
    s.host ??= r.tlsSni ?? r.httpHost;
    const t = r.startUs;
    const last = s.starts[s.starts.length - 1];
    if (last !== undefined && t - last > maxGapUs) {
      s.starts.length = s.bytes.length = s.flowIds.length = s.communityIds.length = 0;
      s.seen = s.bursts = 0;
    }
    s.seen++;
    // records arrive in export order, not start order: insert in place
    let i = s.starts.length;
    while (i > 0 && s.starts[i - 1]! > t) i--;
    if ((i > 0 && t - s.starts[i - 1]! < c.minIntervalSeconds * 1e6) || (i < s.starts.length && s.starts[i]! - t < c.minIntervalSeconds * 1e6)) {
      s.bursts++;
      return;
    }
    s.starts.splice(i, 0, t);
    s.bytes.splice(i, 0, r.payloadBytesToServer);
    s.flowIds.splice(i, 0, r.flowId);
    s.communityIds.splice(i, 0, r.communityId);
    if (s.starts.length > this.cap) {
      s.starts.shift();
      s.bytes.shift();
      s.flowIds.shift();
      s.communityIds.shift();
    }
    if (s.starts.length < c.minConnections || 4 * s.bursts >= s.seen) return;

    const intervals: number[] = [];
    for (let k = 1; k < s.starts.length; k++) intervals.push(s.starts[k]! - s.starts[k - 1]!);
    const { mean, cv } = meanCv(intervals);
    if (cv > c.maxIntervalCv) return;
    const size = meanCv(s.bytes);
    const target = `${r.dstIp}:${r.dstPort}`;
    // a Host header that is just the address says nothing more
    const named = s.host !== null && !s.host.startsWith(r.dstIp) && !s.host.startsWith(`[${r.dstIp}]`) ? ` (${s.host})` : '';
    const fromHome = this.home.has(r.srcIp);
    const toHome = this.home.has(r.dstIp);
    this.raise(target, {
      ...aboutFlow(r, s.srcMac),
      kind: 'c2.beacon',
      signature: `Beaconing from ${r.srcIp} to ${toHome ? 'LAN host ' : ''}${target}${named} every ${(mean / 1e6).toFixed(1)} s`,
      severity: toHome ? 2 : 1,
      confidence: confidenceAbove((c.maxIntervalCv - cv) * s.starts.length, c.maxIntervalCv * c.minConnections * 0.5, 0.5),
      evidence: [
        {
          text: `${fmtCount(s.starts.length)} connections to ${target}${named}, one every ${(mean / 1e6).toFixed(2)} s with ${(cv * 100).toFixed(0)} % jitter (threshold ${(c.maxIntervalCv * 100).toFixed(0)} %)`,
          count: s.starts.length,
          flowIds: s.flowIds,
          communityIds: s.communityIds,
        },
        { text: `each sent ${fmtCount(size.mean)} bytes on average (variation ${Number.isFinite(size.cv) ? (size.cv * 100).toFixed(0) : '-'} %)` },
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'monitor',
    });
  }
}
