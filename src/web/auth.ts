/**
 * Authentication and authorisation for every route: who is asking (a session cookie, an API bearer token, or
 * nobody), whether they may (public paths, CSRF on state-changing requests, read-only viewers), and the routes
 * that sign people in and out, including the first-run setup page.
 *
 * Audit verbs written here:
 * - user.login: a successful sign-in (target: the user; detail: client address)
 * - user.login.failed: a wrong user name or password (actor 'anonymous', target: the name tried)
 * - user.logout: a sign-out
 * - user.create: the first administrator created on the setup page
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { randomInt, timingSafeEqual } from 'node:crypto';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Html } from './html.js';
import type { WebEnv, WebUser } from './env.js';
import { BadInput, formFields, hasControl } from './bad-input.js';
import { csrfToken, csrfValid, isUnsafeMethod, sameOriginOrTool } from './csrf.js';
import { hashPassword, passwordProblem, unknownUserHash, usernameProblem, verifyPassword } from './password.js';
import { sessionCookieName, sha256Hex } from './session.js';
import type { TokenScope } from '../store/web-auth.js';
import { covers, maxScopeFor, requiredScope } from './token-scope.js';
import { audit, clientAddress, isLoopback, type WebContext } from './web-context.js';
import { loginPage, refusedPage, setupPage, setupRefusedPage } from './views/auth-views.js';

/** Paths anyone may request without signing in. */
export function isPublicPath(path: string): boolean {
  return path === '/healthz' || path === '/metrics' || path === '/login' || path === '/setup' || path === '/favicon.ico' || path.startsWith('/static/');
}

const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/** API tokens: `ae_` + 32 random bytes base64url. */
export const API_TOKEN_RE = /^ae_[A-Za-z0-9_-]{43}$/;

function tokenUser(ctx: WebContext, token: string): { user: WebUser; scope: TokenScope } | 'expired' | undefined {
  if (!API_TOKEN_RE.test(token)) return undefined;
  const row = ctx.deps.store.auth.useToken(sha256Hex(token), ctx.nowMs() * 1000);
  if (row === undefined) return undefined;
  if (row.expired) return 'expired';
  const u = ctx.deps.store.auth.userById(row.userId);
  if (u === undefined || u.disabled) return undefined;
  // a token never exceeds its user's role (a viewer demoted from admin keeps read tokens only)
  const scope = covers(maxScopeFor(u.role), row.scope) ? row.scope : maxScopeFor(u.role);
  return { user: { id: u.id, username: u.username, role: u.role }, scope };
}

/** The `_csrf` field of a form body (Hono caches the parsed body, so the route can read it again). */
async function formCsrf(c: Context<WebEnv>): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  try {
    const v = (await c.req.parseBody())['_csrf'];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A refusal: JSON for the API and htmx, a small page for a browser's form post. */
function refuse(c: Context<WebEnv>, status: 401 | 403, error: string, title: string): Response {
  if (isApiPath(c.req.path) || c.req.header('hx-request') !== undefined) return c.json({ error }, status);
  return c.html(refusedPage({ title, text: error }).value, status);
}

/**
 * Sets the Hono variables `deps`, `user`, `csrf` and `auth` for every request and refuses what is not allowed:
 * 401 (API) or a redirect to /login (pages) without credentials; 403 for a state-changing request without the
 * session's CSRF token, from a viewer, or (before sign-in) from another site.
 */
export function authenticate(ctx: WebContext): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    c.set('deps', ctx.deps);
    c.set('user', null);
    c.set('csrf', '');
    c.set('auth', 'none');
    c.set('scope', null);
    const path = c.req.path;
    const api = isApiPath(path);
    const unsafe = isUnsafeMethod(c.req.method);
    let sessionId: string | undefined;
    const authorization = c.req.header('authorization');
    if (api && authorization !== undefined) {
      // a bearer token replaces the cookie entirely: no cookie is read, so no CSRF is possible or needed
      const m = /^Bearer +(\S+)$/i.exec(authorization);
      const found = m === null ? undefined : tokenUser(ctx, m[1]!);
      if (found === undefined || found === 'expired') {
        const error = found === 'expired' ? 'this API token has expired: make a new one in Settings' : 'invalid or revoked API token';
        return c.json({ error }, 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      }
      const need = requiredScope(c.req.method, path);
      if (!covers(found.scope, need)) {
        return c.json({ error: `this API token's scope is '${found.scope}'; ${c.req.method} ${path} needs '${need}'` }, 403, { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${need}"` });
      }
      c.set('user', found.user);
      c.set('auth', 'token');
      c.set('scope', found.scope);
    } else {
      const s = ctx.sessions.lookup(getCookie(c, sessionCookieName(ctx.secure)));
      if (s !== undefined) {
        sessionId = s.id;
        c.set('user', s.user);
        c.set('csrf', csrfToken(s.id));
        c.set('auth', 'session');
      }
    }
    const user = c.get('user');
    if (user === null) {
      if (isPublicPath(path)) {
        if (unsafe && !sameOriginOrTool(c.req.raw.headers, c.req.url)) return refuse(c, 403, 'cross-site request refused', 'Refused');
        return next();
      }
      if (api) return c.json({ error: 'authentication required: sign in, or send an API token as Authorization: Bearer <token>' }, 401, { 'WWW-Authenticate': 'Bearer' });
      if (c.req.header('hx-request') !== undefined) return c.body(null, 401, { 'HX-Redirect': '/login' });
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.redirect('/login', 303);
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    }
    if (unsafe && c.get('auth') === 'session') {
      const given = c.req.header('x-csrf-token') ?? (await formCsrf(c));
      if (!csrfValid(sessionId!, given)) return refuse(c, 403, 'missing or wrong CSRF token: reload the page and try again', 'Refused');
    }
    // a viewer may sign out and change their own password, nothing else
    if (unsafe && user.role !== 'admin' && path !== '/logout' && path !== '/settings/password') return refuse(c, 403, `the account '${user.username}' is read-only (viewer)`, 'Read-only account');
    return next();
  };
}

/**
 * A local path to return to after signing in: '/' when absent; null (the caller answers 400) unless it starts
 * with a single '/' and holds no backslash and no control character. Browsers drop tabs and newlines from a
 * URL and read '\\' as '/', so '/\t/evil.example' or '/\\evil.example' would lead to another site.
 */
export function safeNext(next: unknown): string | null {
  if (next === undefined || next === '') return '/';
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || hasControl(next)) return null;
  if (next.startsWith('/login') || next.startsWith('/setup') || next.startsWith('/logout')) return '/';
  return next;
}

function nextOrBad(v: unknown): string {
  const next = safeNext(v);
  if (next === null) throw new BadInput("'next' must be a path on this site: one leading '/', no backslash, no control characters");
  return next;
}

/** A one-time code for the first-run setup page, printed in the log: 8 letters and digits, no look-alikes. */
export function newSetupCode(): string {
  const abc = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < 8; i++) s += abc[randomInt(abc.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

function sameCode(given: string, want: string): boolean {
  const norm = (x: string) => Buffer.from(x.toUpperCase().replace(/[\s-]/g, ''));
  const a = norm(given);
  const b = norm(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

function page(c: Context<WebEnv>, h: Html, status: 200 | 401 | 403 | 400 | 409 | 429 = 200, headers?: Record<string, string>): Response {
  return c.html(h.value, status, headers);
}

/** the limiter's name for wrong setup codes (never a valid user name: it has a space) */
const SETUP_LIMIT_KEY = 'setup code';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function startSession(c: Context<WebEnv>, ctx: WebContext, userId: number): void {
  const s = ctx.sessions.create(userId);
  setCookie(c, sessionCookieName(ctx.secure), s.id, { httpOnly: true, sameSite: 'Strict', path: '/', secure: ctx.secure });
}

/** GET/POST /login, POST /logout, GET/POST /setup. */
export function registerAuthRoutes(app: Hono<WebEnv>, ctx: WebContext): void {
  const store = ctx.deps.store;
  const noUsers = (): boolean => store.auth.users().length === 0;

  app.get('/login', (c) => {
    const next = nextOrBad(c.req.query('next'));
    if (c.get('user') !== null) return c.redirect(next, 302);
    if (noUsers()) return c.redirect('/setup', 302);
    return page(c, loginPage({ next }));
  });

  app.post('/login', async (c) => {
    const body = await formFields(c);
    const username = str(body['username']).slice(0, 64);
    const password = str(body['password']);
    const next = nextOrBad(body['next']);
    const ip = clientAddress(c);
    const wait = ctx.limiter.retryAfterSeconds(ip, username);
    if (wait > 0) {
      const error = `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}.`;
      return page(c, loginPage({ next, error, username }), 429, { 'Retry-After': String(wait) });
    }
    // counted before the slow check and forgiven on success: parallel guesses must see each other's count
    ctx.limiter.fail(ip, username);
    const u = username === '' ? undefined : store.auth.userByName(username);
    // an unknown name costs one scrypt too, so the reply time does not tell which names exist
    const ok = (await verifyPassword(password.slice(0, 1024), u?.passwordHash ?? (await unknownUserHash()))) && u !== undefined && !u.disabled;
    if (!ok) {
      audit(ctx.deps, { actor: 'anonymous', action: 'user.login.failed', target: username, detail: { ip } });
      return page(c, loginPage({ next, error: 'Wrong user name or password.', username }), 401);
    }
    ctx.limiter.succeed(ip, username);
    const old = getCookie(c, sessionCookieName(ctx.secure));
    if (old !== undefined) ctx.sessions.destroy(old); // a fresh id on every sign-in: no session fixation
    startSession(c, ctx, u.id);
    audit(ctx.deps, { actor: u.username, action: 'user.login', target: u.username, detail: { ip } });
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    const user = c.get('user')!;
    const id = getCookie(c, sessionCookieName(ctx.secure));
    if (id !== undefined) ctx.sessions.destroy(id);
    deleteCookie(c, sessionCookieName(ctx.secure), { path: '/', secure: ctx.secure, httpOnly: true, sameSite: 'Strict' });
    audit(ctx.deps, { actor: user.username, action: 'user.logout', target: user.username, detail: { ip: clientAddress(c) } });
    if (c.req.header('hx-request') !== undefined) return c.body(null, 200, { 'HX-Redirect': '/login' });
    return c.redirect('/login', 303);
  });

  app.get('/setup', (c) => {
    if (!noUsers()) return c.redirect('/login', 302);
    if (!isLoopback(clientAddress(c))) return page(c, setupRefusedPage(), 403);
    return page(c, setupPage({}));
  });


  app.post('/setup', async (c) => {
    if (!noUsers()) return c.redirect('/login', 303);
    const ip = clientAddress(c);
    if (!isLoopback(ip)) return page(c, setupRefusedPage(), 403);
    const body = await formFields(c);
    const username = str(body['username']).trim();
    const password = str(body['password']);
    // the code from the log proves the person at the browser can read the appliance's console or journal
    const wait = ctx.limiter.retryAfterSeconds(ip, SETUP_LIMIT_KEY);
    if (wait > 0) return page(c, setupPage({ error: `Too many wrong setup codes. Try again in ${wait} s.`, username }), 429, { 'Retry-After': String(wait) });
    if (!sameCode(str(body['code']), ctx.setupCode)) {
      ctx.limiter.fail(ip, SETUP_LIMIT_KEY);
      return page(c, setupPage({ error: "Wrong setup code: use the one printed in the appliance's log at start ('setup code: …').", username }), 403);
    }
    const problem =
      usernameProblem(username) ?? passwordProblem(password) ?? (password !== str(body['confirm']) ? 'the two passwords differ' : null);
    if (problem !== null) return page(c, setupPage({ error: problem.charAt(0).toUpperCase() + problem.slice(1) + '.', username }), 400);
    const hash = await hashPassword(password);
    // checked again inside the transaction: two setup posts at once must not both create an administrator
    const id = store.db.transaction(() => {
      if (!noUsers()) return undefined;
      const id = store.auth.createUser(username, hash, 'admin', ctx.nowMs() * 1000);
      audit(ctx.deps, { actor: username, action: 'user.create', target: username, detail: { role: 'admin', via: 'setup page', ip } });
      return id;
    })();
    if (id === undefined) return c.redirect('/login', 303);
    startSession(c, ctx, id);
    return c.redirect('/', 303);
  });
}
