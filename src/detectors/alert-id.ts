/**
 * Alert ids that survive a URL: detectors build ids from wire data (`dns.tunnel:10.0.0.5:a b.evil.example:…`),
 * which may hold spaces, slashes, '%', '#', '?' or any byte a DNS label carries. `urlSafeAlertId` keeps the
 * characters that need no escaping in a path segment (letters, digits, `. _ ~ : -`), turns every other run
 * into '_' and, when anything changed, appends `~` and 8 hex digits of the SHA-256 of the original, so two
 * ids that differ only in such characters stay distinct. Deterministic (a replay gives the same ids) and
 * idempotent (a safe id is returned as it is).
 */
import { createHash } from 'node:crypto';

const SAFE = /^[A-Za-z0-9._~:-]+$/;

export function isUrlSafeAlertId(id: string): boolean {
  return id.length <= 200 && SAFE.test(id);
}

export function urlSafeAlertId(id: string): string {
  if (isUrlSafeAlertId(id)) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `${id.replace(/[^A-Za-z0-9._~:-]+/g, '_').slice(0, 190)}~${hash}`;
}
