/**
 * The rules of the trust score as data and pure functions: how much an alert costs (the penalty table), how
 * the components combine into a score, the levels, and the wording of explanation lines. score.ts applies them
 * over time.
 *
 * The combination is the weighted *harmonic* mean Σw / Σ(w/c), not the weighted arithmetic mean: with the
 * arithmetic mean a device whose behaviour is as bad as it gets (behavioral 0) could not fall below 50 while
 * the other components are clean, so a LAN host running nmap could never become critical. The harmonic mean
 * keeps the weights' meaning (a heavier component moves the score more) but lets one failing component pull
 * the whole score down, as a chain is as strong as its weakest link.
 */
import type { Alert, Severity } from '../detectors/alert.js';
import type { TrustLevel } from './types.js';

export interface TrustWeights {
  behavioral: number;
  vulnerability: number;
  reputation: number;
}

export type Component = 'behavioral' | 'vulnerability' | 'reputation';
export const COMPONENTS: readonly Component[] = ['behavioral', 'vulnerability', 'reputation'];

/**
 * Points an alert takes off its component: SEVERITY_PENALTY[severity] × confidence, and the evidence of one kind
 * never holds more than KIND_CAP[kind] points at a time. The severity alone says how bad a behaviour is (the
 * detectors set it by what the behaviour means: see the table in src/detectors/alert.ts), so the trust level
 * and the alert list agree: a high alert alone can make its source critical, a medium one a warning, and only
 * several medium ones together make it critical. With the default weights (behavioral 0.5, the others clean):
 *  - high (1) at confidence ≥ 0.67, e.g. a LAN sweep or an nmap scan from a LAN host (0.7-0.99): ≥ 100 off,
 *    capped at 100 → behavioral 0 → score < 1 (critical); at 0.6: 90 → score 18 (critical); at 0.5: 75 → 40 (alert);
 *  - medium (2), e.g. SSH password guessing at 0.65: 45.5 → behavioral 54.5 → score 70.6 (warning); a second
 *    medium alert of another kind → critical;
 *  - low (3), one anomalous flow at 0.6: 7 → score 96 (normal); a flood of them is capped at 50 → 67 (warning).
 */
export const SEVERITY_PENALTY: Record<Severity, number> = { 1: 150, 2: 70, 3: 12 };

/** Most points the evidence of one kind may hold at once (default 100): many weak signals are still weak. */
export const KIND_CAP: Record<string, number> = { anomaly: 50 };

/** The level of a score: ≥ 75 normal, 50–75 warning, 20–50 alert, < 20 critical (TRUST_LEVELS in types.ts). */
export function levelOf(score: number): TrustLevel {
  return score >= 75 ? 'normal' : score >= 50 ? 'warning' : score >= 20 ? 'alert' : 'critical';
}

/** The weighted harmonic mean of the components (see the file comment); 0..100. */
export function combine(c: Record<Component, number>, w: TrustWeights): number {
  let sw = 0;
  let inv = 0;
  for (const k of COMPONENTS) {
    if (w[k] <= 0) continue;
    sw += w[k];
    inv += w[k] / Math.max(0.5, c[k]); // 0.5: a component at 0 gives a score near 0, not a division by zero
  }
  return sw === 0 ? 100 : Math.min(100, sw / inv);
}

/** "14:02", UTC, of a packet time */
export function hhmm(tsUs: number): string {
  return new Date(Math.floor(tsUs / 1000)).toISOString().slice(11, 16);
}

/** "−18", "+3", "−0.4" (a real minus sign) */
export function fmtDelta(d: number): string {
  const a = Math.abs(d);
  const n = a >= 0.95 ? String(Math.round(a)) : a.toFixed(1);
  return (d < 0 ? '\u2212' : '+') + n;
}

/** one decimal: what scores and components are reported with */
export const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * What an alert is about, in a few words for an explanation line. `peer`: the other party when the device is
 * the alert's target rather than its source (a blocklisted host connecting in).
 */
export function describeAlert(a: Alert, peer: string = a.targets[0] ?? 'host'): string {
  const n = a.evidence[0]?.count;
  const count = n === undefined ? '' : n.toLocaleString('en-US');
  switch (a.kind) {
    case 'scan.port.vertical':
      return `port scan of ${a.targets[0] ?? 'a host'}${count ? ` (${count} ports)` : ''}`;
    case 'scan.port.horizontal':
      return `port scan of ${count || 'many'} hosts${a.destPort !== null ? ` on port ${a.destPort}` : ''}`;
    case 'scan.arp':
      return `ARP sweep of ${count || 'many'} addresses`;
    case 'scan.lan.sweep':
      return `sweep of ${count || 'most'} LAN hosts`;
    case 'scan.service':
      return `service scan of ${a.targets[0] ?? 'a host'}${count ? ` (${count} services)` : ''}`;
    case 'anomaly':
      return `unusual flow to ${a.targets[0] ?? '?'}${a.destPort !== null ? `:${a.destPort}` : ''}`;
    case 'intel.blocklist':
      return `contact with blocklisted ${peer}`;
    default:
      if (a.kind.startsWith('bruteforce.')) return `${a.kind.slice(11)} password guessing against ${a.targets[0] ?? 'a host'}${count ? ` (${count} attempts)` : ''}`;
      return a.signature.length > 90 ? a.signature.slice(0, 89) + '…' : a.signature;
  }
}

/** Points an alert takes off its component before the per-kind cap (see SEVERITY_PENALTY). */
export function alertPenalty(a: Alert): number {
  return SEVERITY_PENALTY[a.severity] * Math.min(1, Math.max(0, a.confidence));
}
