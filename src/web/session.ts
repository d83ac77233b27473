/**
 * Sign-in sessions. The cookie holds 32 random bytes (base64url); the store keeps only their SHA-256, so a
 * copied database cannot be replayed as a cookie. A session ends after `idle` without a request and, however
 * active, `max` after the password was entered. Times are wall-clock milliseconds (the caller's clock, so tests
 * can move it).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/db.js';
import type { WebUser } from './env.js';

/** The cookie name; over TLS the `__Host-` prefix makes browsers refuse it unless Secure, Path=/ and host-only. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-argus_session' : 'argus_session';
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export interface SessionOptions {
  idleMs: number;
  maxMs: number;
  /** wall clock, ms */
  nowMs: () => number;
}

export interface ActiveSession {
  /** the raw id from the cookie (the CSRF token is derived from it) */
  id: string;
  idHash: string;
  user: WebUser;
}

/** the expiry slides at most this often, so a page that polls does not write on every request */
const TOUCH_EVERY_MS = 60_000;

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly opts: SessionOptions,
  ) {}

  /** Starts a session for `userId`; returns the raw id for the cookie. Also drops expired sessions. */
  create(userId: number): { id: string; maxAgeSeconds: number } {
    const now = this.opts.nowMs();
    this.store.auth.deleteExpiredSessions(now * 1000);
    const id = randomBytes(32).toString('base64url');
    const createdUs = now * 1000;
    this.store.auth.createSession({ idHash: sha256Hex(id), userId, createdUs, lastSeenUs: createdUs, expiresUs: this.expiry(createdUs, createdUs) });
    return { id, maxAgeSeconds: Math.ceil(this.opts.maxMs / 1000) };
  }

  /** The live session behind a cookie value, sliding its idle expiry; undefined when unknown, expired or its user is disabled. */
  lookup(id: string | undefined): ActiveSession | undefined {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const nowUs = this.opts.nowMs() * 1000;
    const idHash = sha256Hex(id);
    const s = this.store.auth.session(idHash, nowUs);
    if (s === undefined) return undefined;
    const u = this.store.auth.userById(s.userId);
    if (u === undefined || u.disabled || s.createdUs + this.opts.maxMs * 1000 <= nowUs) {
      this.store.auth.deleteSession(idHash);
      return undefined;
    }
    if (nowUs - s.lastSeenUs >= TOUCH_EVERY_MS * 1000) {
      try {
        this.store.auth.touchSession(idHash, nowUs, this.expiry(s.createdUs, nowUs));
      } catch {
        // a full or failing disk: the session keeps its old expiry rather than refusing the request (the
        // dashboard must stay readable to say that the store is full)
      }
    }
    return { id, idHash, user: { id: u.id, username: u.username, role: u.role } };
  }

  destroy(id: string): boolean {
    return this.store.auth.deleteSession(sha256Hex(id));
  }

  private expiry(createdUs: number, nowUs: number): number {
    return Math.min(nowUs + this.opts.idleMs * 1000, createdUs + this.opts.maxMs * 1000);
  }
}
