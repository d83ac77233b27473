/**
 * CSRF tokens for cookie-authenticated requests. The token is an HMAC of a fixed label keyed with the raw
 * session id: only the holder of the cookie can compute it, it needs no server-side state, it survives a
 * restart (the store has only the id's hash, from which the token cannot be derived), and it changes with
 * every sign-in. Requests authenticated by an API bearer token carry no cookie and need none.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const LABEL = 'argus-edge csrf v1';

/** The token for the session with raw id `sessionId` (base64url, 43 characters). */
export function csrfToken(sessionId: string): string {
  return createHmac('sha256', sessionId).update(LABEL).digest('base64url');
}

/** True when `given` is the session's token (constant time). */
export function csrfValid(sessionId: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string' || given.length !== 43) return false;
  const want = Buffer.from(csrfToken(sessionId));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Methods that change state and therefore need the token. */
export function isUnsafeMethod(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

/**
 * For requests without a session (login, first-run setup): true unless the browser says the request comes from
 * another site. Browsers send `Sec-Fetch-Site` and `Origin` on form posts; a tool such as curl sends neither and
 * is allowed (it cannot be tricked by a web page).
 */
export function sameOriginOrTool(headers: { get(name: string): string | undefined | null }, requestUrl: string): boolean {
  const site = headers.get('sec-fetch-site');
  if (site !== undefined && site !== null && site !== 'same-origin' && site !== 'none') return false;
  // A browser that says same-origin is believed: with Referrer-Policy no-referrer, Chromium sends `Origin: null`
  // on same-origin form posts, which would otherwise refuse every sign-in.
  if (site === 'same-origin' || site === 'none') return true;
  const origin = headers.get('origin');
  if (origin === undefined || origin === null) return true;
  try {
    return new URL(origin).host === new URL(requestUrl).host;
  } catch {
    return false;
  }
}
