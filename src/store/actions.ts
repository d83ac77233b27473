/**
 * Response actions (quarantine, block, rate limit) with their life cycle, and the audit log.
 * The respond module decides; this file records what was decided, by whom, and why.
 */
import type Database from 'better-sqlite3';

/**
 * Action kinds.
 * - quarantine: a LAN device may reach only the appliance (and, by policy, DNS/DHCP)
 * - block: traffic to/from one remote address is dropped
 * - rate-limit: a device's new connections are limited
 */
export const ACTION_KINDS = ['quarantine', 'block', 'rate-limit'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/**
 * Action states.
 * - pending: proposed, waiting for an admin's approval (approval mode) or for the firewall
 * - active: enforced in the firewall (or recorded only, when dry_run)
 * - expired: its expiry passed and the rule was removed
 * - released: an admin lifted it before expiry
 * - denied: an admin rejected the proposal; it was never enforced
 */
export const ACTION_STATES = ['pending', 'active', 'expired', 'released', 'denied'] as const;
export type ActionState = (typeof ACTION_STATES)[number];

export interface NewAction {
  tsUs: number;
  kind: ActionKind;
  state: ActionState;
  mac: string | null;
  ip: string | null;
  reason: string;
  alertId: string | null;
  /** 'system' for automatic responses, else the web user name */
  actor: string;
  /** null: until released */
  expiresUs: number | null;
  dryRun: boolean;
}

export interface ActionRow extends Omit<NewAction, 'tsUs'> {
  id: number;
  createdUs: number;
  updatedUs: number;
}

export interface AuditEntry {
  tsUs: number;
  /** 'system' or the web user name */
  actor: string;
  /** dotted verb: 'action.approve', 'user.login', 'settings.change', 'device.label', … */
  action: string;
  target: string | null;
  reason: string | null;
  detail: unknown;
}

export interface AuditRow extends AuditEntry {
  id: number;
}

const ACTION_COLS = `id, created_us AS createdUs, updated_us AS updatedUs, kind, state, mac, ip, reason,
  alert_id AS alertId, actor, expires_us AS expiresUs, dry_run AS dryRun`;

type RawActionRow = Omit<ActionRow, 'dryRun'> & { dryRun: number };

function toActionRow(r: RawActionRow): ActionRow {
  return { ...r, dryRun: r.dryRun === 1 };
}

export class ActionStore {
  private readonly insertStmt: Database.Statement;
  private readonly stateStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly auditStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertStmt = db.prepare(`
      INSERT INTO actions (created_us, updated_us, kind, state, mac, ip, reason, alert_id, actor, expires_us, dry_run)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.stateStmt = db.prepare('UPDATE actions SET state = ?, updated_us = ? WHERE id = ? AND state = ?');
    this.getStmt = db.prepare(`SELECT ${ACTION_COLS} FROM actions WHERE id = ?`);
    this.auditStmt = db.prepare('INSERT INTO audit_log (ts_us, actor, action, target, reason, detail) VALUES (?, ?, ?, ?, ?, ?)');
  }

  /** Records a new action; returns its id. */
  create(a: NewAction): number {
    const r = this.insertStmt.run(a.tsUs, a.tsUs, a.kind, a.state, a.mac, a.ip, a.reason, a.alertId, a.actor, a.expiresUs, a.dryRun ? 1 : 0);
    return Number(r.lastInsertRowid);
  }

  /**
   * Moves an action from state `from` to `to`; false when it was not in `from` (someone else moved it
   * first), so two admins approving at once cannot both succeed.
   */
  transition(id: number, from: ActionState, to: ActionState, tsUs: number): boolean {
    return this.stateStmt.run(to, tsUs, id, from).changes > 0;
  }

  /** Pending plus active actions (one COUNT over the state index). */
  openCount(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM actions WHERE state IN ('pending', 'active')`).get() as { n: number }).n;
  }

  /** Sets an action's expiry (approval starts the planned duration; transition keeps expires_us). */
  setExpiry(id: number, expiresUs: number | null): boolean {
    return this.db.prepare('UPDATE actions SET expires_us = ? WHERE id = ?').run(expiresUs, id).changes > 0;
  }

  get(id: number): ActionRow | undefined {
    const r = this.getStmt.get(id) as RawActionRow | undefined;
    return r === undefined ? undefined : toActionRow(r);
  }

  /** Active actions whose expiry is at or before `nowUs`: the respond module lifts them. */
  due(nowUs: number): ActionRow[] {
    return (
      this.db
        .prepare(`SELECT ${ACTION_COLS} FROM actions WHERE state = 'active' AND expires_us IS NOT NULL AND expires_us <= ? ORDER BY expires_us`)
        .all(nowUs) as RawActionRow[]
    ).map(toActionRow);
  }

  /** Pending actions created at or before `tsUs`: proposals nobody decided on in time. */
  pendingSince(tsUs: number): ActionRow[] {
    return (this.db.prepare(`SELECT ${ACTION_COLS} FROM actions WHERE state = 'pending' AND created_us <= ? ORDER BY id`).all(tsUs) as RawActionRow[]).map(toActionRow);
  }

  /** Newest first, keyset-paged by id. */
  query(q: { state?: ActionState; mac?: string; kind?: ActionKind; beforeId?: number; limit?: number } = {}): ActionRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.state !== undefined) {
      where.push('state = ?');
      args.push(q.state);
    }
    if (q.mac !== undefined) {
      where.push('mac = ?');
      args.push(q.mac);
    }
    if (q.kind !== undefined) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    if (q.beforeId !== undefined) {
      where.push('id < ?');
      args.push(q.beforeId);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const sql = `SELECT ${ACTION_COLS} FROM actions ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as RawActionRow[]).map(toActionRow);
  }

  /** Appends to the audit log; returns the entry's id. */
  audit(e: AuditEntry): number {
    const detail = e.detail === undefined || e.detail === null ? null : JSON.stringify(e.detail);
    return Number(this.auditStmt.run(e.tsUs, e.actor, e.action, e.target, e.reason, detail).lastInsertRowid);
  }

  /** Newest first, keyset-paged by id. */
  auditLog(q: { actor?: string; actionPrefix?: string; fromUs?: number; beforeId?: number; limit?: number } = {}): AuditRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.actor !== undefined) {
      where.push('actor = ?');
      args.push(q.actor);
    }
    if (q.actionPrefix !== undefined) {
      where.push('substr(action, 1, ?) = ?');
      args.push(q.actionPrefix.length, q.actionPrefix);
    }
    if (q.fromUs !== undefined) {
      where.push('ts_us >= ?');
      args.push(q.fromUs);
    }
    if (q.beforeId !== undefined) {
      where.push('id < ?');
      args.push(q.beforeId);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const sql = `SELECT id, ts_us AS tsUs, actor, action, target, reason, detail FROM audit_log
      ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as (Omit<AuditRow, 'detail'> & { detail: string | null })[]).map((r) => ({
      ...r,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }
}
