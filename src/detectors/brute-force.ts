/**
 * Password guessing against login services (`bruteforce.ssh|telnet|ftp|rdp|http`): many short, similar
 * connections from one source to one service. An attempt is a TCP connection that completed its handshake,
 * sent a little data and ended quickly; "similar" means the client's payload sizes barely vary, which is what
 * a tool replaying the same dialogue with another password looks like (a person's sessions differ).
 *
 * The service comes from the flow's payload-evidence hint first, then its well-known port.
 */
import type { Alert, AlertKind } from './alert.js';
import type { DetectorConfig } from './config.js';
import { aboutFlow, confidenceAbove, DetectorBase, fmtCount, MAX_EVIDENCE_IDS } from './detector.js';
import { PrefixSet } from './addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { LruMap, meanCv } from './window.js';

/** Login services by the flow's service hint. */
const BY_SERVICE: Readonly<Record<string, AlertKind>> = {
  ssh: 'bruteforce.ssh',
  telnet: 'bruteforce.telnet',
  ftp: 'bruteforce.ftp',
  rdp: 'bruteforce.rdp',
};

/** Login services by TCP port (HTTP only on the ports where admin pages and camera logins live). */
const BY_PORT: ReadonlyMap<number, AlertKind> = new Map([
  [22, 'bruteforce.ssh'],
  [23, 'bruteforce.telnet'],
  [2323, 'bruteforce.telnet'],
  [21, 'bruteforce.ftp'],
  [3389, 'bruteforce.rdp'],
  [80, 'bruteforce.http'],
  [8080, 'bruteforce.http'],
]);

/** The brute-force kind a flow's service belongs to, or null when it is not a login service. */
export function loginServiceKind(r: FlowRecord): AlertKind | null {
  if (r.proto !== 6) return null;
  const bySvc = r.service === null ? undefined : BY_SERVICE[r.service];
  return bySvc ?? BY_PORT.get(r.dstPort) ?? null;
}

interface Attempt {
  startUs: number;
  bytes: number;
  flowId: number;
  communityId: string;
}

interface ServiceState {
  kind: AlertKind;
  srcMac: string | null;
  /** most recent attempts, oldest first, at most `ringCap` */
  attempts: Attempt[];
  total: number;
  lastUs: number;
}

export class BruteForceDetector extends DetectorBase {
  private readonly byService: LruMap<string, ServiceState>;
  private readonly home: PrefixSet;
  private readonly ringCap: number;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('brute-force', cfg, emit);
    this.byService = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
    this.ringCap = Math.max(cfg.bruteForce.minAttempts, cfg.bruteForce.httpMinAttempts) * 2;
  }

  protected tables() {
    return [this.byService];
  }

  /** true when the flow is one login attempt: handshake done, a little data, over quickly */
  isAttempt(r: FlowRecord): boolean {
    const c = this.cfg.bruteForce;
    return (
      r.history.includes('h') &&
      r.payloadBytesToServer > 0 &&
      r.payloadBytesToServer <= c.maxAttemptBytes &&
      r.endUs - r.startUs <= c.maxAttemptSeconds * 1e6
    );
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.startUs > this.clockUs) this.clockUs = r.startUs;
    const kind = loginServiceKind(r);
    if (kind !== null && this.isAttempt(r)) this.record(r, kind);
    const maxWindowUs = Math.max(this.cfg.bruteForce.windowSeconds, this.cfg.bruteForce.httpWindowSeconds) * 1e6;
    this.byService.expire((s) => s.lastUs < this.clockUs - maxWindowUs);
  }

  private record(r: FlowRecord, kind: AlertKind): void {
    const c = this.cfg.bruteForce;
    const s = this.byService.touch(`${r.srcIp}|${r.dstIp}|${r.dstPort}`, () => ({
      kind,
      srcMac: r.srcMac,
      attempts: [],
      total: 0,
      lastUs: 0,
    }));
    s.total++;
    if (r.startUs > s.lastUs) s.lastUs = r.startUs;
    s.attempts.push({ startUs: r.startUs, bytes: r.payloadBytesToServer, flowId: r.flowId, communityId: r.communityId });
    if (s.attempts.length > this.ringCap) s.attempts.shift();

    const http = kind === 'bruteforce.http';
    const windowUs = (http ? c.httpWindowSeconds : c.windowSeconds) * 1e6;
    const need = http ? c.httpMinAttempts : c.minAttempts;
    const recent = s.attempts.filter((a) => a.startUs >= this.clockUs - windowUs);
    if (recent.length < need) return;
    const { mean, cv } = meanCv(recent.map((a) => a.bytes));
    if (cv > c.maxSizeCv) return;

    const service = kind.slice('bruteforce.'.length).toUpperCase();
    const target = `${r.dstIp}:${r.dstPort}`;
    const fromHome = this.home.has(r.srcIp);
    const ids = recent.slice(-MAX_EVIDENCE_IDS);
    this.raise(target, {
      ...aboutFlow(r, s.srcMac),
      kind,
      signature: `${service} brute force against ${target} from ${r.srcIp} (${fmtCount(recent.length)} attempts)`,
      severity: 2,
      confidence: confidenceAbove(recent.length, need, 0.65),
      evidence: [
        {
          text: `${fmtCount(recent.length)} short ${service} connections to ${target} within ${http ? c.httpWindowSeconds : c.windowSeconds} s (threshold ${need})`,
          count: recent.length,
          flowIds: ids.map((a) => a.flowId),
          communityIds: ids.map((a) => a.communityId),
        },
        { text: `client sent ${fmtCount(mean)} bytes per attempt on average (variation ${(cv * 100).toFixed(0)} %): one dialogue repeated` },
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'block',
    });
  }
}
