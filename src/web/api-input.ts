/**
 * Checking what API clients send: query parameters and bodies become typed values or an `ApiError` with a
 * message that names the parameter and says what was expected. Handlers check everything before they change
 * anything, so a refused request changes nothing.
 */
import type { Context } from 'hono';
import { isIP } from 'node:net';
import type { WebEnv } from './env.js';

/** A refusal with its HTTP status; api.ts turns it into `{ error }`. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}

const bad = (msg: string): ApiError => new ApiError(400, msg);

/** 'aa:bb:cc:dd:ee:ff' (':' or '-', any case) → lower case with ':'; undefined when it is no MAC. */
export function normalizeMac(s: string): string | undefined {
  return /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(s) ? s.toLowerCase().replaceAll('-', ':') : undefined;
}

export function mac(s: string | undefined, name: string): string {
  const m = s === undefined ? undefined : normalizeMac(s);
  if (m === undefined) throw bad(`${name} must be a MAC address like aa:bb:cc:dd:ee:ff`);
  return m;
}

export function ip(s: string | undefined, name: string): string {
  if (s === undefined || isIP(s) === 0) throw bad(`${name} must be an IPv4 or IPv6 address`);
  return s;
}

/** An address or a prefix ('192.0.2.0/24', '2001:db8::/32'); the prefix length must fit the family. */
export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return isIP(s) !== 0;
  const family = isIP(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (family === 4 ? 32 : 128);
}

export function ipOrCidr(s: string | undefined, name: string): string {
  if (s === undefined || !isCidr(s)) throw bad(`${name} must be an IPv4/IPv6 address or prefix like 192.0.2.0/24`);
  return s;
}

/** A MAC, an address or a prefix (allow-list entries). */
export function allowEntry(s: string | undefined, name: string): string {
  if (s !== undefined) {
    const m = normalizeMac(s);
    if (m !== undefined) return m;
    if (isCidr(s)) return s;
  }
  throw bad(`${name} must be a MAC address, an IP address or a prefix like 192.0.2.0/24`);
}

/** An integer parameter: `def` when absent. */
export function int(s: string | undefined, name: string, o: { min: number; max: number; def?: number }): number | undefined {
  if (s === undefined || s === '') return o.def;
  if (!/^-?\d{1,16}$/.test(s) || Number(s) < o.min || Number(s) > o.max) throw bad(`${name} must be an integer from ${o.min} to ${o.max}`);
  return Number(s);
}

/** A positive database id (path parameter or body field). */
export function id(s: string | undefined, name = 'id'): number {
  return int(s ?? 'x', name, { min: 1, max: Number.MAX_SAFE_INTEGER })!;
}

export function oneOf<const T extends string>(s: string | undefined, name: string, values: readonly T[]): T | undefined {
  if (s === undefined || s === '') return undefined;
  if (!(values as readonly string[]).includes(s)) throw bad(`${name} must be one of ${values.join(', ')}`);
  return s as T;
}

/** A time: microseconds since the epoch, or an ISO 8601 date/time ('2026-11-21T06:00:00Z'). */
export function time(s: string | undefined, name: string): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (/^\d{1,17}$/.test(s)) return Number(s);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(ms)) throw bad(`${name} must be microseconds since the epoch or an ISO 8601 time like 2026-11-21T06:00:00Z`);
  return ms * 1000;
}

/** Free text (a label, a reason, a token name): trimmed, no control characters, at most `max` characters. */
export function text(v: unknown, name: string, o: { max: number; required?: boolean }): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (o.required === true) throw bad(`${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  const s = v.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) throw bad(`${name} must not contain control characters`);
  if ([...s].length > o.max) throw bad(`${name} must have at most ${o.max} characters`);
  if (s === '' && o.required === true) throw bad(`${name} is required`);
  return s === '' ? undefined : s;
}

/** The request body as an object: JSON, or a form (htmx posts forms). An empty body is `{}`. */
export async function body(c: Context<WebEnv>): Promise<Record<string, unknown>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') {
    let b: Record<string, unknown>;
    try {
      b = await c.req.parseBody();
    } catch {
      throw bad('the form body could not be read (malformed multipart or encoding)');
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) if (k !== '_csrf' && typeof v === 'string') out[k] = v;
    return out;
  }
  const raw = await c.req.text();
  if (raw.trim() === '') return {};
  if (type !== 'application/json' && type !== '') throw new ApiError(415, 'send the body as application/json');
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw bad('the body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('the body must be a JSON object');
  return v as Record<string, unknown>;
}

/** Refuses body fields the endpoint does not know (a typo must not be silently ignored). */
export function onlyFields(b: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(b).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw bad(`unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k.slice(0, 40)}'`).join(', ')}; allowed: ${allowed.join(', ') || 'none'}`);
}

/** Refuses query parameters the endpoint does not know. */
export function onlyQuery(c: Context<WebEnv>, allowed: readonly string[]): Record<string, string> {
  const q = c.req.query();
  const extra = Object.keys(q).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw bad(`unknown parameter${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k.slice(0, 40)}'`).join(', ')}; allowed: ${allowed.join(', ') || 'none'}`);
  return q;
}
