/**
 * The pure parts of the response policy (policy.ts): what a trust level asks for, how long a repeat offender's
 * quarantine lasts, which addresses of a blocklist alert may be blocked, and the notice the policy puts on the bus
 * when it decides something that is not an action (a warning recorded, an alert notified, a response skipped).
 */
import type { Config } from '../config.js';
import type { Alert } from '../detectors/alert.js';
import type { TrustChange, TrustLevel } from '../trust/types.js';
import { canonicalPrefix, prefixContains, type Prefix } from './firewall-address.js';

/** What the policy reads from the configuration. */
export type PolicyConfig = Pick<Config, 'mode' | 'homeNets' | 'response'>;

/**
 * Kinds of notice.
 * - warning: a device fell to the warning level; recorded only
 * - alert: a device fell to the alert level (a rate limit may follow when response.rateLimitOnAlert is on)
 * - critical: a device fell to the critical level (a quarantine may follow when response.autoQuarantine is on)
 * - new-device: a device was seen for the first time and response.newDevice is 'alert' or 'quarantine'
 * - skipped: a response was due but not taken (allow-listed or protected, already in force, at the cap, no address)
 */
export type NoticeKind = 'warning' | 'alert' | 'critical' | 'new-device' | 'skipped';

/** A decision that is not an action row; also written to the audit log (auditId). */
export interface ResponseNotice {
  tsUs: number;
  kind: NoticeKind;
  mac: string | null;
  ip: string | null;
  reason: string;
  auditId: number;
}

declare module '../bus.js' {
  interface BusEvents {
    /** the response stage decided something that created no action: a warning recorded, an alert notified, a skip */
    'respond.notice': ResponseNotice;
  }
}

const RANK: Readonly<Record<TrustLevel, number>> = { normal: 0, warning: 1, alert: 2, critical: 3 };

/** The level a trust change asks a response for: only a fall to a worse level does, once per fall. */
export function levelToAct(c: TrustChange): Exclude<TrustLevel, 'normal'> | null {
  if (c.level === 'normal' || RANK[c.level] <= RANK[c.previousLevel]) return null;
  return c.level;
}

/** "trust warning → critical (score 12): −18: port scan of 43 hosts at 14:02" */
export function trustReason(c: TrustChange): string {
  const why = c.explanation[0]?.text;
  return `trust ${c.previousLevel} → ${c.level} (score ${Math.round(c.score)})${why ? `: ${why}` : ''}`;
}

/**
 * Seconds a quarantine lasts after `previous` earlier quarantines within the escalation window (fail2ban's
 * bantime.increment): base × factor^previous, at most `max`.
 */
export function escalatedSeconds(base: number, factor: number, previous: number, max: number): number {
  const s = base * Math.pow(factor, Math.max(0, previous));
  return Math.round(Math.min(max, Number.isFinite(s) ? s : max));
}

/** homeNets, parsed once; entries the schema accepted always parse. */
export function parseHomeNets(homeNets: readonly string[]): Prefix[] {
  return homeNets.map((h) => canonicalPrefix(h)).filter((p): p is Prefix => p !== null);
}

/**
 * The remote addresses or prefixes an 'intel.blocklist' alert asks to block: its targets that are addresses or
 * prefixes outside homeNets. An alert about a domain (DNS, TLS SNI, HTTP Host) blocks nothing by address: the
 * address behind a listed name is often a shared host or CDN that serves many other sites.
 */
export function blocklistTargets(a: Alert, home: readonly Prefix[], max = 16): string[] {
  if (a.kind !== 'intel.blocklist' || a.suggestedResponse !== 'block') return [];
  const parsed = a.targets.map((t) => canonicalPrefix(t));
  if (parsed.some((p) => p === null)) return [];
  const out: string[] = [];
  for (const p of parsed as Prefix[]) {
    if (home.some((h) => prefixContains(h, p))) continue;
    if (!out.includes(p.text)) out.push(p.text);
    if (out.length >= max) break;
  }
  return out;
}
