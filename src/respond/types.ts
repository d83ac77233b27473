/**
 * Contracts of the response stage: the action event it puts on the bus and the service the dashboard and the
 * API call. Every manual action goes through the same policy and audit path as an automatic one.
 */
import type { ActionRow } from '../store/actions.js';

/** An action was created or changed state (pending, active, expired, released, denied). */
export interface ActionEvent {
  tsUs: number;
  action: ActionRow;
  /** what happened, as written to the audit log: 'action.create', 'action.approve', 'action.release', … */
  verb: string;
}

/** The outcome of a manual request: done, or refused with a reason a person can read. */
export type ActionResult = { ok: true; action?: ActionRow } | { ok: false; error: string };

/** What the web UI and the API may ask of the response stage. `actor` is the web user name. */
export interface ActionService {
  /** quarantine a device; `seconds` overrides response.quarantineSeconds for this one (capped by maxQuarantineSeconds) */
  quarantine(mac: string, actor: string, reason: string, opts?: { seconds?: number }): ActionResult;
  /** lift an active or pending quarantine/block/rate-limit */
  release(actionId: number, actor: string, reason?: string): ActionResult;
  approve(actionId: number, actor: string): ActionResult;
  deny(actionId: number, actor: string, reason?: string): ActionResult;
  /** block a remote address or prefix (IPv4/IPv6) */
  block(target: string, actor: string, reason: string): ActionResult;
  /** add a MAC, IP or CIDR to the allow-list (never acted on from then on) */
  allowList(entry: string, actor: string, reason?: string): ActionResult;
  /** entries on the allow-list (configured ones and ones added at run time) */
  allowListEntries(): { entry: string; source: 'config' | 'runtime' }[];
  /** whether the firewall acts for real (inline mode) or only records commands (dry run) */
  readonly dryRun: boolean;
}
