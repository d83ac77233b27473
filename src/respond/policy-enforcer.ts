/**
 * The policy's hands on the firewall: what each enforced action put into it (so a release lifts exactly that,
 * even when the device's addresses changed since), putting entries in and taking them out, with failures
 * counted, logged and audited rather than thrown. The decisions are policy.ts's; this only carries them out.
 */
import type { Logger } from '../log.js';
import type { ActionKind, ActionRow } from '../store/actions.js';
import { AddressError } from './firewall-address.js';
import { validateEntry } from './firewall-kernel.js';
import type { Firewall, FirewallEntry, TimedEntry } from './firewall.js';
import type { ActionLedger, PolicyStore } from './policy-ledger.js';
import type { ActionResult } from './types.js';

type ActionShape = { kind: ActionKind; mac: string | null; ip: string | null };

/** Seconds left until `expiresUs` as a kernel timeout: 0 for none, at least 1. */
export const timeoutSec = (expiresUs: number | null, tsUs: number): number => (expiresUs === null ? 0 : Math.max(1, (expiresUs - tsUs) / 1_000_000));

export class Enforcer {
  /** what each enforced action put into the firewall (bounded by the active actions) */
  private readonly applied = new Map<number, FirewallEntry>();

  constructor(
    readonly firewall: Firewall,
    private readonly store: PolicyStore,
    private readonly ledger: ActionLedger,
    private readonly stats: { firewallErrors: number },
    private readonly log: Logger | undefined,
  ) {}

  /** The firewall entry of an action; a quarantine covers the device's current addresses, not another's. */
  entryFor(row: ActionShape & { id?: number }, tsUs: number): FirewallEntry {
    if (row.id !== undefined) {
      const known = this.applied.get(row.id);
      if (known !== undefined) return known;
    }
    if (row.kind === 'block') return { kind: 'block', target: row.ip ?? '' };
    if (row.kind === 'rate-limit') return { kind: 'rate-limit', ip: row.ip ?? '' };
    return { kind: 'quarantine', mac: row.mac, ips: this.ledger.deviceIps(row.mac, row.ip, tsUs) };
  }

  /** Remembers the entry an active action holds. */
  remember(id: number, entry: FirewallEntry): void {
    this.applied.set(id, entry);
  }

  forget(id: number): void {
    this.applied.delete(id);
  }

  /** Puts an entry into the firewall; on failure audits 'action.fail' and returns the refusal. */
  enforce(row: ActionShape & { dryRun: boolean }, entry: FirewallEntry, expiresUs: number | null, tsUs: number, actor: string): ActionResult | null {
    if (row.dryRun !== this.firewall.dryRun) return null; // recorded by another backend: nothing to do here
    try {
      this.firewall.add(entry, timeoutSec(expiresUs, tsUs));
      return null;
    } catch (err) {
      this.stats.firewallErrors++;
      const error = (err as Error).message;
      this.log?.error(`response: ${row.kind} of ${row.mac ?? row.ip} failed: ${error}`);
      this.store.actions.audit({ tsUs, actor, action: 'action.fail', target: row.mac ?? row.ip, reason: error, detail: { kind: row.kind, entry } });
      return { ok: false, error: err instanceof AddressError ? error : `the firewall refused: ${error}` };
    }
  }

  /**
   * Start-up: makes the firewall hold exactly the entries of `rows` (active actions of this backend), each
   * with the time it has left; a row whose entry is no longer valid is logged and left out. Returns how many
   * were put back.
   */
  reapply(rows: readonly ActionRow[], nowUs: number): number {
    const entries: TimedEntry[] = [];
    for (const row of rows) {
      const entry = this.entryFor(row, nowUs);
      try {
        validateEntry(entry);
      } catch (err) {
        this.log?.warn(`response: action ${row.id} cannot be re-applied: ${(err as Error).message}`);
        continue;
      }
      this.remember(row.id, entry);
      entries.push({ entry, timeoutSec: timeoutSec(row.expiresUs, nowUs) });
    }
    this.firewall.sync(entries);
    return entries.length;
  }

  /** Lifts an entry, logging (not throwing) a failure: its kernel timeout still ends it. */
  lift(entry: FirewallEntry): string | null {
    try {
      this.firewall.del(entry);
      return null;
    } catch (err) {
      this.stats.firewallErrors++;
      this.log?.error(`response: lifting ${JSON.stringify(entry)} failed: ${(err as Error).message}`);
      return (err as Error).message;
    }
  }
}
