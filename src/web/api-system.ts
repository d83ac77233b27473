/**
 * /api/v1/models, /api/v1/health and /api/v1/tokens.
 *
 * Tokens are created and revoked only from a signed-in browser session (with its CSRF token): a leaked API
 * token cannot mint more. The token is returned once; the store keeps its SHA-256. A token has a scope
 * (read, write, admin; token-scope.ts, default read) and an expiry (expiresDays, default 90).
 *
 * Audit verbs: model.retrain (the request; the models module audits the switch itself), token.create,
 * token.revoke (target: the token's name; detail: its id).
 */
import type { Context, Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import type { WebEnv } from './env.js';
import { ApiError, body, id, onlyFields, onlyQuery, text } from './api-input.js';
import { sha256Hex } from './session.js';
import { tokenTerms } from './token-scope.js';
import { sseStats } from './sse.js';
import { audit, type WebContext } from './web-context.js';

function sessionOnly(c: Context<WebEnv>): void {
  if (c.get('auth') !== 'session') throw new ApiError(403, 'API tokens are managed from a signed-in browser session (Settings), not with a token');
}

export function registerSystemApi(api: Hono<WebEnv>, ctx: WebContext): void {
  const deps = ctx.deps;
  const store = deps.store;

  api.get('/models', (c) => {
    onlyQuery(c, []);
    return c.json({ status: deps.models.status(), models: store.registry.models() });
  });

  api.post('/models/retrain', async (c) => {
    const b = await body(c);
    onlyFields(b, ['force']);
    if (b.force !== undefined && typeof b.force !== 'boolean') throw new ApiError(400, 'force must be true or false');
    const user = c.get('user')!;
    const r = deps.models.retrain(user.username, { force: b.force === true });
    audit(deps, { actor: user.username, action: 'model.retrain', target: null, reason: r.ok ? null : r.error, detail: { ok: r.ok, via: c.get('auth') } });
    if (!r.ok) throw new ApiError(409, r.error);
    return c.json({ ok: true, status: deps.models.status() }, 202);
  });

  api.post('/models/rollback', async (c) => {
    onlyFields(await body(c), []);
    if (deps.models.rollback === undefined) throw new ApiError(409, 'this appliance cannot roll back its model');
    const r = await deps.models.rollback(c.get('user')!.username);
    if (!r.ok) throw new ApiError(409, r.error);
    return c.json({ ok: true, activeId: r.id, status: deps.models.status() });
  });

  api.get('/health', (c) => {
    onlyQuery(c, []);
    const m = deps.models.status();
    return c.json({
      nowUs: deps.nowUs(),
      mode: deps.config.mode,
      capture: deps.capture(),
      integrations: deps.integrations(),
      models: { state: m.state, activeId: m.activeId, lastError: m.lastError },
      respond: { dryRun: deps.actions.dryRun },
      store: { ...store.size(), ...store.health() },
      // the web server's own bounded tables and refusals
      web: { hostRefused: ctx.hosts.refused, login: ctx.limiter.stats(), streams: sseStats(deps) },
    });
  });

  api.get('/tokens', (c) => {
    onlyQuery(c, []);
    const user = c.get('user')!;
    const names = new Map(store.auth.users().map((u) => [u.id, u.username]));
    const rows = user.role === 'admin' ? store.auth.tokens() : store.auth.tokens(user.id);
    return c.json({
      tokens: rows.map((t) => ({
        id: t.id,
        name: t.name,
        user: names.get(t.userId) ?? null,
        scope: t.scope,
        createdUs: t.createdUs,
        expiresUs: t.expiresUs,
        expired: t.expiresUs !== null && t.expiresUs <= ctx.nowMs() * 1000,
        lastUsedUs: t.lastUsedUs,
        revoked: t.revoked,
      })),
    });
  });

  api.post('/tokens', async (c) => {
    sessionOnly(c);
    const b = await body(c);
    onlyFields(b, ['name', 'scope', 'expiresDays']);
    const name = text(b.name, 'name', { max: 64, required: true })!;
    const user = c.get('user')!;
    const nowUs = ctx.nowMs() * 1000;
    const terms = tokenTerms(b.scope, b.expiresDays, user.role, nowUs);
    if (!terms.ok) throw new ApiError(400, terms.error);
    const token = 'ae_' + randomBytes(32).toString('base64url');
    const tokenId = store.db.transaction(() => {
      const tokenId = store.auth.createToken(user.id, name, sha256Hex(token), nowUs, { scope: terms.scope, expiresUs: terms.expiresUs });
      audit(deps, { actor: user.username, action: 'token.create', target: name, detail: { id: tokenId, scope: terms.scope, days: terms.days } });
      return tokenId;
    })();
    return c.json({ id: tokenId, name, scope: terms.scope, expiresUs: terms.expiresUs, token, note: 'shown only now: store it, it cannot be displayed again' }, 201);
  });

  api.delete('/tokens/:id', (c) => {
    sessionOnly(c);
    const tokenId = id(c.req.param('id'));
    const user = c.get('user')!;
    const t = store.auth.tokens().find((r) => r.id === tokenId);
    if (t === undefined || (user.role !== 'admin' && t.userId !== user.id)) throw new ApiError(404, `no token ${tokenId}`);
    if (t.revoked) return c.json({ id: tokenId, revoked: true });
    store.db.transaction(() => {
      store.auth.revokeToken(tokenId);
      audit(deps, { actor: user.username, action: 'token.revoke', target: t.name, detail: { id: tokenId } });
    })();
    return c.json({ id: tokenId, revoked: true });
  });
}
