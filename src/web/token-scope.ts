/**
 * API token scopes: which scope a request needs, whether a token's scope covers it, and the checks for a new
 * token's scope and lifetime. Scopes nest: read ⊂ write ⊂ admin.
 *
 * - read: every GET/HEAD of the API
 * - write: also acknowledging alerts, labelling devices, starting a quarantine or a block, releasing one
 * - admin: also approving and denying actions, the allow-list, retraining the model
 *
 * Tokens are made and revoked only from a signed-in session (api-system.ts) or, on the appliance itself, with
 * `argus-edge token create` (src/commands/token.ts), so no scope covers that.
 */
import { TOKEN_SCOPES, type TokenScope } from '../store/web-auth.js';

/** Unsafe API routes a write token may call (path under /api/v1, with `*` for one segment). */
const WRITE_ROUTES: readonly [string, RegExp][] = [
  ['POST', /^\/alerts\/[^/]+\/ack$/],
  ['PATCH', /^\/devices\/[^/]+$/],
  ['POST', /^\/actions$/],
  ['POST', /^\/actions\/[^/]+\/release$/],
];

/** The scope an API request needs; `path` is the full request path. */
export function requiredScope(method: string, path: string): TokenScope {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read';
  const sub = path.replace(/^\/api\/v1/, '');
  return WRITE_ROUTES.some(([m, re]) => m === method && re.test(sub)) ? 'write' : 'admin';
}

export function covers(have: TokenScope, need: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(have) >= TOKEN_SCOPES.indexOf(need);
}

/** The widest scope a user of `role` may give a token. */
export function maxScopeFor(role: 'admin' | 'viewer'): TokenScope {
  return role === 'admin' ? 'admin' : 'read';
}

/** default and longest lifetime of a new token, days */
export const TOKEN_DEFAULT_DAYS = 90;
export const TOKEN_MAX_DAYS = 3650;

/**
 * Checks a new token's scope and lifetime from a request body or form: undefined fields take the defaults
 * (read, 90 days). Returns the values or the reason they are refused.
 */
export function tokenTerms(
  scope: unknown,
  days: unknown,
  role: 'admin' | 'viewer',
  nowUs: number,
): { ok: true; scope: TokenScope; expiresUs: number; days: number } | { ok: false; error: string } {
  const s = scope === undefined || scope === '' ? 'read' : scope;
  if (typeof s !== 'string' || !(TOKEN_SCOPES as readonly string[]).includes(s)) return { ok: false, error: `scope must be one of ${TOKEN_SCOPES.join(', ')}` };
  if (!covers(maxScopeFor(role), s as TokenScope)) return { ok: false, error: `a ${role} can make ${maxScopeFor(role)} tokens only` };
  const d = days === undefined || days === '' ? TOKEN_DEFAULT_DAYS : typeof days === 'string' && /^\d{1,4}$/.test(days) ? Number(days) : days;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > TOKEN_MAX_DAYS) return { ok: false, error: `expiresDays must be a whole number of days from 1 to ${TOKEN_MAX_DAYS}` };
  return { ok: true, scope: s as TokenScope, expiresUs: nowUs + d * 86_400_000_000, days: d };
}
