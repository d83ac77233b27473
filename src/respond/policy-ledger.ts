/**
 * The policy's questions to the store (policy.ts): which actions are open, what a device's addresses are, how many
 * times it was quarantined lately. Reads through the ActionStore/DeviceStore accessors, plus two statements
 * ActionStore lacks (a count of open actions, and setting an action's expiry when it is approved), which belong
 * there and are kept here, in one place, until they move.
 */
import type { ActionKind, ActionRow, ActionState } from '../store/actions.js';
import type { Store } from '../store/db.js';
import type { AllowList } from './allow-list.js';
import { canonicalPrefix } from './firewall-address.js';

/** What the policy uses of the store. */
export type PolicyStore = Pick<Store, 'actions' | 'devices' | 'registry'>;

/** The device (MAC and/or address) or remote address/prefix an action is about. */
export interface Target {
  mac: string | null;
  /** quarantine/rate-limit: the device's address; block: the remote address or prefix */
  ip: string | null;
}

const DAY_US = 86_400_000_000;
/** device addresses put into a quarantine at most (the newest ones) */
const MAX_DEVICE_IPS = 16;

export class ActionLedger {
  constructor(
    private readonly store: PolicyStore,
    private readonly allow: AllowList,
    private readonly escalationWindowHours: number,
  ) {}

  /**
   * Addresses to quarantine with a device: the given one and those it used within a week, newest first, but
   * only where this MAC is the address's most recent user (an ARP spoofer claims others' addresses) and never a
   * protected or allow-listed address.
   */
  deviceIps(mac: string | null, ip: string | null, tsUs: number): string[] {
    const candidates: string[] = [];
    if (ip !== null) candidates.push(ip);
    if (mac !== null) for (const a of this.store.devices.addresses(mac)) if (a.lastSeenUs >= tsUs - 7 * DAY_US) candidates.push(a.ip);
    const out: string[] = [];
    for (const c of candidates) {
      const p = canonicalPrefix(c);
      if (p === null || c.includes('/') || out.includes(p.text)) continue;
      if (mac !== null) {
        const user = this.store.devices.macForIp(c);
        if (user !== undefined && user !== mac) continue;
      }
      if (this.allow.exemption(null, [p.text]) !== null) continue;
      out.push(p.text);
      if (out.length >= MAX_DEVICE_IPS) break;
    }
    return out;
  }

  /** A pending or active action of this kind on the same device (or the same block target). */
  inForce(kind: ActionKind, t: Target): ActionRow | undefined {
    for (const state of ['active', 'pending'] as const) {
      const rows = kind === 'block' || t.mac === null ? this.allRows(state, kind).filter((a) => a.ip === t.ip) : this.store.actions.query({ state, kind, mac: t.mac, limit: 1 });
      if (rows[0] !== undefined) return rows[0];
    }
    return undefined;
  }

  /**
   * An active, enforced (not dry-run) quarantine of the device (by MAC, or by address when the MAC is unknown)
   * or block of the source address or one of the targets. Asked once per EVE alert line, not per packet.
   */
  enforcedAgainst(mac: string | null, ip: string, targets: readonly string[]): boolean {
    const enforced = (rows: ActionRow[]): boolean => rows.some((r) => !r.dryRun);
    if (mac !== null && enforced(this.store.actions.query({ state: 'active', kind: 'quarantine', mac, limit: 8 }))) return true;
    if (mac === null && enforced(this.allRows('active', 'quarantine').filter((r) => r.ip === ip))) return true;
    const addrs = new Set([ip, ...targets]);
    return enforced(this.allRows('active', 'block').filter((r) => r.ip !== null && addrs.has(r.ip)));
  }

  /**
   * Earlier quarantines of this device within the escalation window: enforced or recorded ones, not denied or
   * still pending ones, and not a new-device hold (the only quarantine without an expiry): being new is no offence.
   */
  recentQuarantines(mac: string | null, ip: string | null, tsUs: number): number {
    const windowUs = this.escalationWindowHours * 3_600_000_000;
    if (windowUs <= 0) return 0;
    const rows = mac !== null ? this.store.actions.query({ kind: 'quarantine', mac, limit: 1000 }) : this.allRows(undefined, 'quarantine').filter((a) => a.ip === ip);
    return rows.filter((a) => a.createdUs >= tsUs - windowUs && a.createdUs <= tsUs && a.state !== 'denied' && a.state !== 'pending' && a.expiresUs !== null).length;
  }

  /** Every action in a state (and kind), paging through the store. */
  allRows(state?: ActionState, kind?: ActionKind): ActionRow[] {
    const out: ActionRow[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = this.store.actions.query({ state, kind, beforeId, limit: 1000 });
      out.push(...page);
      if (page.length < 1000) return out;
      beforeId = page[page.length - 1]!.id;
    }
  }
}
