/**
 * What the server's own modules (authentication, API) share beyond the Hono variables: the session table, the
 * login limiter, whether the server speaks TLS, the wall clock, plus small helpers about the client and the
 * audit log.
 */
import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { WebDeps } from './deps.js';
import type { WebEnv } from './env.js';
import type { HostCheck } from './host-check.js';
import type { LoginLimiter } from './rate-limit.js';
import type { Sessions } from './session.js';

export interface WebContext {
  deps: WebDeps;
  sessions: Sessions;
  limiter: LoginLimiter;
  /** the one-time code the first-run setup page asks for (printed in the log at start) */
  setupCode: string;
  /** the Host header check (its refusal count is in /api/v1/health) */
  hosts: HostCheck;
  /** served over TLS: cookies get Secure and the __Host- prefix */
  secure: boolean;
  /** wall clock, ms (sessions, login limits, token use) */
  nowMs: () => number;
}

/**
 * The client's address from the socket. Forwarded-for headers are ignored on purpose: the appliance is reached
 * directly, and a header is the client's word. Route tests pass `{ incoming: { socket: { remoteAddress } } }`
 * as the env of `app.request()`. '' when unknown.
 */
export function clientAddress(c: Context<WebEnv>): string {
  const env = c.env as { incoming?: Pick<IncomingMessage, 'socket'> } | undefined;
  const a = env?.incoming?.socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** 127.0.0.0/8 or ::1: a browser on the appliance itself. */
export function isLoopback(addr: string): boolean {
  return addr === '::1' || (isIP(addr) === 4 && addr.startsWith('127.'));
}

/** Appends an audit entry at the UI's "now" (packet time in replay, wall time live). */
export function audit(
  deps: WebDeps,
  e: { actor: string; action: string; target?: string | null; reason?: string | null; detail?: unknown },
): void {
  deps.store.actions.audit({ tsUs: deps.nowUs(), actor: e.actor, action: e.action, target: e.target ?? null, reason: e.reason ?? null, detail: e.detail ?? null });
}
