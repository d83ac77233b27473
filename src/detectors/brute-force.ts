/**
 * Password guessing against login services (`bruteforce.ssh|telnet|ftp|rdp|http`), judged two ways:
 *
 * - by the server's answers where they travel in clear text (FlowRecord.authReplies: HTTP 401/403, FTP 530):
 *   each failed login is an attempt, so a device polling a page that answers 200 never is one;
 * - by shape where they do not (SSH, telnet, RDP, and FTP/HTTP flows without a visible answer): an attempt is a
 *   TCP connection that completed its handshake, sent a little data and ended quickly, and the attempts are
 *   similar (the client's payload sizes barely vary), which is what a tool replaying the same dialogue with
 *   another password looks like (a person's sessions differ).
 *
 * Attempts are counted in two windows: a short one for fast guessing (`windowSeconds` / `minAttempts`) and a
 * long one for slow guessing, one attempt every 20-60 s (`slowWindowSeconds` / `slowMinAttempts`). A login
 * that succeeds after the guesses (a 2xx or FTP 230 answer, or an SSH/telnet/RDP session that outlasts an
 * attempt) raises a second, severity 1 alert: the password was probably found.
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

/** true when the flow has the shape of one login attempt: handshake done, a little data, over quickly */
export function hasAttemptShape(r: FlowRecord, c: DetectorConfig['bruteForce']): boolean {
  return r.history.includes('h') && r.payloadBytesToServer > 0 && r.payloadBytesToServer <= c.maxAttemptBytes && r.endUs - r.startUs <= c.maxAttemptSeconds * 1e6;
}

/**
 * true when the flow is a login attempt as the brute-force detector sees it: a failed login the server
 * answered, or an attempt-shaped connection to SSH, telnet, FTP or RDP (HTTP only counts by its answers).
 * Other detectors leave these flows to it (a password guesser's regular connections are not a beacon).
 */
export function isLoginAttempt(r: FlowRecord, c: DetectorConfig['bruteForce']): boolean {
  if ((r.authReplies?.failures ?? 0) > 0) return true;
  const kind = loginServiceKind(r);
  return kind !== null && kind !== 'bruteforce.http' && r.authReplies === undefined && hasAttemptShape(r, c);
}

interface Attempt {
  startUs: number;
  bytes: number;
  /** failed logins the server answered in this flow; 0 for an attempt judged by shape */
  failures: number;
  flowId: number;
  communityId: string;
}

interface ServiceState {
  kind: AlertKind;
  srcMac: string | null;
  /** most recent attempts, oldest first, at most `ringCap` */
  attempts: Attempt[];
  lastUs: number;
}

/** One window's verdict over a service's attempts. */
interface Count {
  attempts: Attempt[];
  /** attempts in the window: failures where answered, connections otherwise */
  n: number;
  need: number;
  windowS: number;
  answered: boolean;
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
    const c = cfg.bruteForce;
    this.ringCap = Math.min(512, 2 * Math.max(c.minAttempts, c.httpMinAttempts, c.slowMinAttempts));
  }

  protected tables() {
    return [this.byService];
  }

  /** true when the flow has the shape of one login attempt: handshake done, a little data, over quickly */
  isAttempt(r: FlowRecord): boolean {
    return hasAttemptShape(r, this.cfg.bruteForce);
  }

  /** true when the flow is a login session: handshake done and more than an attempt (long, or much data) */
  private isSession(r: FlowRecord): boolean {
    const c = this.cfg.bruteForce;
    return r.history.includes('h') && r.payloadBytesToServer > 0 && (r.payloadBytesToServer > c.maxAttemptBytes || r.endUs - r.startUs > c.maxAttemptSeconds * 1e6);
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.startUs > this.clockUs) this.clockUs = r.startUs;
    const kind = loginServiceKind(r);
    if (kind !== null) this.judge(r, kind);
    const c = this.cfg.bruteForce;
    const maxWindowUs = Math.max(c.windowSeconds, c.httpWindowSeconds, c.slowWindowSeconds) * 1e6;
    this.byService.expire((s) => s.lastUs < this.clockUs - maxWindowUs);
  }

  private judge(r: FlowRecord, kind: AlertKind): void {
    const key = `${r.srcIp}|${r.dstIp}|${r.dstPort}`;
    const answers = r.authReplies;
    const failures = answers?.failures ?? 0;
    const successes = answers?.successes ?? 0;
    // where the server's answer is visible it decides; a flow with only successful answers is a login, not a guess
    const attempt = failures > 0 || (answers === undefined && kind !== 'bruteforce.http' && this.isAttempt(r));
    const success = successes > 0 || (answers === undefined && kind !== 'bruteforce.http' && kind !== 'bruteforce.ftp' && this.isSession(r));
    if (attempt) {
      const s = this.byService.touch(key, () => ({ kind, srcMac: r.srcMac, attempts: [], lastUs: 0 }));
      if (r.startUs > s.lastUs) s.lastUs = r.startUs;
      s.attempts.push({ startUs: r.startUs, bytes: r.payloadBytesToServer, failures, flowId: r.flowId, communityId: r.communityId });
      if (s.attempts.length > this.ringCap) s.attempts.shift();
      const verdict = this.verdict(s);
      if (verdict !== null) this.alertGuessing(r, s, verdict);
    }
    if (success) {
      const s = this.byService.peek(key);
      if (s === undefined) return;
      const verdict = this.verdict(s);
      if (verdict !== null) this.alertSuccess(r, s, verdict, successes);
    }
  }

  /** The window in which the attempts reach their threshold (the short one first), or null. */
  private verdict(s: ServiceState): Count | null {
    const c = this.cfg.bruteForce;
    const http = s.kind === 'bruteforce.http';
    const windows: [number, number][] = [
      [http ? c.httpWindowSeconds : c.windowSeconds, http ? c.httpMinAttempts : c.minAttempts],
      [c.slowWindowSeconds, c.slowMinAttempts],
    ];
    for (const [windowS, need] of windows) {
      const recent = s.attempts.filter((a) => a.startUs >= this.clockUs - windowS * 1e6);
      const answered = recent.filter((a) => a.failures > 0);
      const shaped = recent.filter((a) => a.failures === 0);
      let n = 0;
      for (const a of answered) n += a.failures;
      // attempts judged by shape must also be alike: one dialogue repeated with another password
      if (shaped.length > 0 && meanCv(shaped.map((a) => a.bytes)).cv <= c.maxSizeCv) n += shaped.length;
      if (n >= need) return { attempts: recent, n, need, windowS, answered: answered.length > 0 };
    }
    return null;
  }

  private evidence(s: ServiceState, v: Count, target: string): Alert['evidence'] {
    const service = s.kind.slice('bruteforce.'.length).toUpperCase();
    const ids = v.attempts.slice(-MAX_EVIDENCE_IDS);
    const what = v.answered ? `failed ${service} logins (answered by the server)` : `short ${service} connections`;
    const out: Alert['evidence'] = [
      {
        text: `${fmtCount(v.n)} ${what} to ${target} within ${fmtCount(v.windowS)} s (threshold ${v.need})`,
        count: v.n,
        flowIds: ids.map((a) => a.flowId),
        communityIds: ids.map((a) => a.communityId),
      },
    ];
    if (!v.answered) {
      const { mean, cv } = meanCv(v.attempts.map((a) => a.bytes));
      out.push({ text: `client sent ${fmtCount(mean)} bytes per attempt on average (variation ${(cv * 100).toFixed(0)} %): one dialogue repeated` });
    }
    return out;
  }

  private alertGuessing(r: FlowRecord, s: ServiceState, v: Count): void {
    const service = s.kind.slice('bruteforce.'.length).toUpperCase();
    const target = `${r.dstIp}:${r.dstPort}`;
    const slow = v.windowS > (s.kind === 'bruteforce.http' ? this.cfg.bruteForce.httpWindowSeconds : this.cfg.bruteForce.windowSeconds);
    this.raise(target, {
      ...aboutFlow(r, s.srcMac),
      kind: s.kind,
      signature: `${slow ? 'Slow ' : ''}${service} brute force against ${target} from ${r.srcIp} (${fmtCount(v.n)} attempts)`,
      severity: 2,
      confidence: confidenceAbove(v.n, v.need, v.answered ? 0.75 : 0.65),
      evidence: this.evidence(s, v, target),
      suggestedResponse: this.home.has(r.srcIp) ? 'quarantine' : 'block',
    });
  }

  private alertSuccess(r: FlowRecord, s: ServiceState, v: Count, successes: number): void {
    const service = s.kind.slice('bruteforce.'.length).toUpperCase();
    const target = `${r.dstIp}:${r.dstPort}`;
    const how =
      successes > 0
        ? `the server accepted a login (${r.dstPort === 21 ? 'FTP 230' : 'HTTP 2xx'}) on flow ${r.flowId}`
        : `a ${service} session followed: ${((r.endUs - r.startUs) / 1e6).toFixed(0)} s, ${fmtCount(r.payloadBytesToServer)} bytes sent (flow ${r.flowId})`;
    this.raise(`${target}|success`, {
      ...aboutFlow(r, s.srcMac),
      kind: s.kind,
      signature: `${service} brute force against ${target} from ${r.srcIp} succeeded after ${fmtCount(v.n)} attempts`,
      severity: 1,
      confidence: successes > 0 ? 0.9 : 0.7,
      evidence: [{ text: how, flowIds: [r.flowId], communityIds: [r.communityId] }, ...this.evidence(s, v, target)],
      suggestedResponse: this.home.has(r.srcIp) ? 'quarantine' : 'block',
    });
  }
}
