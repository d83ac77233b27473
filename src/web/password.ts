/**
 * Password hashing (scrypt) and setting a user's password, shared by `argus-edge passwd` and the first-run
 * setup page.
 *
 * Hash format: `scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>`. The parameters travel inside the hash,
 * so raising them later leaves existing hashes verifiable. N = 2^15, r = 8, p = 1 costs about 32 MiB and
 * 0.1–0.2 s on a Raspberry Pi 4: slow enough to make an offline guess expensive, fast enough for a login.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/db.js';
import type { WebRole } from '../store/web-auth.js';

export const MIN_PASSWORD_LENGTH = 10;
/** long enough for any passphrase, short enough that hashing an attacker's megabyte costs nothing extra */
export const MAX_PASSWORD_LENGTH = 1024;

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
const SALT_LEN = 16;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    // maxmem: scrypt needs 128·N·r bytes; the default cap (32 MiB) is exactly N = 2^15, r = 8, so leave room
    scrypt(password.normalize('NFC'), salt, keyLen, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A new hash string of `password` with a random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const key = await derive(password, salt, LOG_N, R, P, KEY_LEN);
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `hash`; false for a wrong password and for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // bounds keep a tampered row from turning one login into a memory or CPU exhaustion
  if (![logN, r, p].every(Number.isInteger) || logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || want.length < 16 || want.length > 128) return false;
  const got = await derive(password, salt, logN, r, p, want.length);
  return timingSafeEqual(got, want);
}

/** A hash no password matches, verified against when a user name is unknown so the reply takes as long. */
let dummyHash: Promise<string> | undefined;
export function unknownUserHash(): Promise<string> {
  return (dummyHash ??= hashPassword(randomBytes(24).toString('base64')));
}

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/** User names: letters, digits and . _ - @, 1–64 characters (they appear in audit entries and page headers). */
export function usernameProblem(username: string): string | null {
  return /^[A-Za-z0-9._@-]{1,64}$/.test(username) ? null : 'a user name has 1–64 letters, digits or . _ - @';
}

/**
 * Creates `username` with `password` and `role`, or sets the password of an existing user (which ends all of
 * their sessions). Writes an audit entry with `actor`. Returns what it did; throws on a refused name or
 * password (callers check with `passwordProblem` / `usernameProblem` first to show a friendly message).
 */
export async function setUserPassword(
  store: Store,
  o: { username: string; password: string; role: WebRole; actor: string; tsUs: number },
): Promise<'created' | 'changed'> {
  const bad = usernameProblem(o.username) ?? passwordProblem(o.password);
  if (bad !== null) throw new Error(bad);
  const hash = await hashPassword(o.password);
  return store.db.transaction(() => {
    const existing = store.auth.userByName(o.username);
    if (existing === undefined) {
      store.auth.createUser(o.username, hash, o.role, o.tsUs);
    } else {
      store.auth.setPassword(existing.id, hash);
    }
    const what = existing === undefined ? 'created' : 'changed';
    store.actions.audit({
      tsUs: o.tsUs,
      actor: o.actor,
      action: existing === undefined ? 'user.create' : 'user.password',
      target: o.username,
      reason: null,
      detail: existing === undefined ? { role: o.role } : null,
    });
    return what;
  })();
}
