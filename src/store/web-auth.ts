/**
 * Web users, sessions and API tokens. The web module hashes passwords (scrypt) and session ids / tokens
 * (SHA-256) before they reach this file: the store keeps only hashes, so a copied database opens no door.
 */
import type Database from 'better-sqlite3';

/**
 * Roles.
 * - admin: everything, including approving actions, settings and user management
 * - viewer: read-only dashboard
 */
export type WebRole = 'admin' | 'viewer';

export interface WebUserRow {
  id: number;
  username: string;
  passwordHash: string;
  role: WebRole;
  createdUs: number;
  disabled: boolean;
}

export interface WebSessionRow {
  idHash: string;
  userId: number;
  createdUs: number;
  lastSeenUs: number;
  expiresUs: number;
}

/**
 * What an API token may do, each including the one before: read (GET), write (acknowledge alerts, label
 * devices, quarantine, block, release), admin (also approve and deny actions, the allow-list, retraining).
 * A token never exceeds its user's role.
 */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface ApiTokenRow {
  id: number;
  userId: number;
  name: string;
  tokenHash: string;
  createdUs: number;
  lastUsedUs: number | null;
  revoked: boolean;
  scope: TokenScope;
  /** wall time after which the token is refused, µs */
  expiresUs: number | null;
}

const USER_COLS = 'id, username, password_hash AS passwordHash, role, created_us AS createdUs, disabled';
const TOKEN_COLS = `id, user_id AS userId, name, token_hash AS tokenHash, created_us AS createdUs,
  last_used_us AS lastUsedUs, revoked, scope, expires_us AS expiresUs`;

type Raw<T, K extends keyof T> = Omit<T, K> & { [P in K]: number };

const user = (r: Raw<WebUserRow, 'disabled'> | undefined): WebUserRow | undefined =>
  r === undefined ? undefined : { ...r, disabled: r.disabled === 1 };
const token = (r: Raw<ApiTokenRow, 'revoked'> | undefined): ApiTokenRow | undefined =>
  r === undefined ? undefined : { ...r, revoked: r.revoked === 1 };

export class WebAuthStore {
  constructor(private readonly db: Database.Database) {}

  /** Creates a user; returns its id. Throws (SQLITE_CONSTRAINT_UNIQUE) when the name is taken. */
  createUser(username: string, passwordHash: string, role: WebRole, tsUs: number): number {
    const r = this.db
      .prepare('INSERT INTO web_users (username, password_hash, role, created_us) VALUES (?, ?, ?, ?)')
      .run(username, passwordHash, role, tsUs);
    return Number(r.lastInsertRowid);
  }

  userByName(username: string): WebUserRow | undefined {
    return user(this.db.prepare(`SELECT ${USER_COLS} FROM web_users WHERE username = ?`).get(username) as Raw<WebUserRow, 'disabled'> | undefined);
  }

  userById(id: number): WebUserRow | undefined {
    return user(this.db.prepare(`SELECT ${USER_COLS} FROM web_users WHERE id = ?`).get(id) as Raw<WebUserRow, 'disabled'> | undefined);
  }

  users(): WebUserRow[] {
    return (this.db.prepare(`SELECT ${USER_COLS} FROM web_users ORDER BY username`).all() as Raw<WebUserRow, 'disabled'>[]).map(
      (r) => user(r)!,
    );
  }

  /** Sets a new password hash and ends the user's sessions (a changed password logs everyone out). */
  setPassword(userId: number, passwordHash: string): boolean {
    return this.db.transaction(() => {
      const n = this.db.prepare('UPDATE web_users SET password_hash = ? WHERE id = ?').run(passwordHash, userId).changes;
      this.db.prepare('DELETE FROM web_sessions WHERE user_id = ?').run(userId);
      return n > 0;
    })();
  }

  /** Changes a user's role and ends their sessions (the next page they open asks them to sign in again). */
  setRole(userId: number, role: WebRole): boolean {
    return this.db.transaction(() => {
      const n = this.db.prepare('UPDATE web_users SET role = ? WHERE id = ?').run(role, userId).changes;
      this.db.prepare('DELETE FROM web_sessions WHERE user_id = ?').run(userId);
      return n > 0;
    })();
  }

  setDisabled(userId: number, disabled: boolean): boolean {
    return this.db.prepare('UPDATE web_users SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, userId).changes > 0;
  }

  /** Deletes a user with their sessions and tokens. */
  deleteUser(userId: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM web_sessions WHERE user_id = ?').run(userId);
      this.db.prepare('DELETE FROM api_tokens WHERE user_id = ?').run(userId);
      return this.db.prepare('DELETE FROM web_users WHERE id = ?').run(userId).changes > 0;
    })();
  }

  createSession(s: WebSessionRow): void {
    this.db
      .prepare('INSERT INTO web_sessions (id_hash, user_id, created_us, last_seen_us, expires_us) VALUES (?, ?, ?, ?, ?)')
      .run(s.idHash, s.userId, s.createdUs, s.lastSeenUs, s.expiresUs);
  }

  /** The session when it exists and has not expired at `nowUs`. */
  session(idHash: string, nowUs: number): WebSessionRow | undefined {
    return this.db
      .prepare(
        `SELECT id_hash AS idHash, user_id AS userId, created_us AS createdUs, last_seen_us AS lastSeenUs,
           expires_us AS expiresUs FROM web_sessions WHERE id_hash = ? AND expires_us > ?`,
      )
      .get(idHash, nowUs) as WebSessionRow | undefined;
  }

  /** Slides a session's expiry forward on use. */
  touchSession(idHash: string, nowUs: number, expiresUs: number): boolean {
    return this.db.prepare('UPDATE web_sessions SET last_seen_us = ?, expires_us = ? WHERE id_hash = ?').run(nowUs, expiresUs, idHash).changes > 0;
  }

  deleteSession(idHash: string): boolean {
    return this.db.prepare('DELETE FROM web_sessions WHERE id_hash = ?').run(idHash).changes > 0;
  }

  /** Removes sessions expired at `nowUs`; returns how many. */
  deleteExpiredSessions(nowUs: number): number {
    return this.db.prepare('DELETE FROM web_sessions WHERE expires_us <= ?').run(nowUs).changes;
  }

  /** Creates an API token row; returns its id. */
  createToken(userId: number, name: string, tokenHash: string, tsUs: number, o: { scope: TokenScope; expiresUs: number | null }): number {
    const r = this.db
      .prepare('INSERT INTO api_tokens (user_id, name, token_hash, created_us, scope, expires_us) VALUES (?, ?, ?, ?, ?, ?)')
      .run(userId, name, tokenHash, tsUs, o.scope, o.expiresUs);
    return Number(r.lastInsertRowid);
  }

  /**
   * The token when it exists and is not revoked (`expired` tells whether it is past its expiry at `nowUs`);
   * records the use of a live one.
   */
  useToken(tokenHash: string, nowUs: number): (ApiTokenRow & { expired: boolean }) | undefined {
    const r = token(
      this.db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE token_hash = ? AND revoked = 0`).get(tokenHash) as
        | Raw<ApiTokenRow, 'revoked'>
        | undefined,
    );
    if (r === undefined) return undefined;
    const expired = r.expiresUs !== null && r.expiresUs <= nowUs;
    if (!expired) this.db.prepare('UPDATE api_tokens SET last_used_us = ? WHERE id = ?').run(nowUs, r.id);
    return { ...r, expired };
  }

  tokens(userId?: number): ApiTokenRow[] {
    const rows = (
      userId === undefined
        ? this.db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens ORDER BY id`).all()
        : this.db.prepare(`SELECT ${TOKEN_COLS} FROM api_tokens WHERE user_id = ? ORDER BY id`).all(userId)
    ) as Raw<ApiTokenRow, 'revoked'>[];
    return rows.map((r) => token(r)!);
  }

  revokeToken(id: number): boolean {
    return this.db.prepare('UPDATE api_tokens SET revoked = 1 WHERE id = ?').run(id).changes > 0;
  }
}
