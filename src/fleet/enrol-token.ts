/**
 * Enrolment tokens: `argus-edge fleet enrol` on the head prints one; a sensor is started with it once.
 * The token is `ae1.` + base64url(JSON {u: head URL, f: SHA-256 fingerprint of the head's certificate, s: secret}).
 * The head keeps only the secret's hash, with an expiry, and accepts it once.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface EnrolToken {
  /** the head's fleet API, e.g. https://10.0.0.2:8443 */
  url: string;
  /** "AB:CD:…" as Node's X509Certificate.fingerprint256 writes it */
  fingerprint: string;
  secret: string;
}

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function encodeEnrolToken(t: EnrolToken): string {
  return `ae1.${Buffer.from(JSON.stringify({ u: t.url, f: t.fingerprint, s: t.secret })).toString('base64url')}`;
}

/** The token's parts, or an Error saying what is wrong with it. */
export function decodeEnrolToken(s: string): EnrolToken | Error {
  const m = /^ae1\.([A-Za-z0-9_-]+)$/.exec(s.trim());
  if (m === null) return new Error('not an Argus Edge enrolment token (it starts with "ae1.")');
  try {
    const o = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as { u?: unknown; f?: unknown; s?: unknown };
    if (typeof o.u !== 'string' || !/^https:\/\//.test(o.u)) return new Error('the token has no https head URL');
    if (typeof o.f !== 'string' || !/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(o.f)) return new Error('the token has no certificate fingerprint');
    if (typeof o.s !== 'string' || o.s.length < 16) return new Error('the token has no secret');
    return { url: o.u, fingerprint: o.f, secret: o.s };
  } catch {
    return new Error('the token is damaged (not base64url JSON)');
  }
}
