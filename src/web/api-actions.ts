/**
 * /api/v1/actions and /api/v1/allow-list: quarantines and blocks, their approval and release, and the
 * allow-list. Every change goes through the ActionService (deps.actions), which applies the same policy as an
 * automatic response and writes the audit entry itself; a refusal by the policy is 409 with its reason.
 */
import type { Hono } from 'hono';
import { ACTION_KINDS, ACTION_STATES } from '../store/actions.js';
import type { ActionResult } from '../respond/types.js';
import type { WebEnv } from './env.js';
import { ApiError, allowEntry, body, id, int, ipOrCidr, mac, oneOf, onlyFields, onlyQuery, text } from './api-input.js';
import type { WebContext } from './web-context.js';

/** the body-level `kind` of POST /actions: what a person may start by hand */
const MANUAL_KINDS = ['quarantine', 'block'] as const;

export function registerActionApi(api: Hono<WebEnv>, ctx: WebContext): void {
  const { store, actions } = ctx.deps;

  const refusedOr = (r: ActionResult): never | void => {
    if (!r.ok) throw new ApiError(409, r.error);
  };

  api.get('/actions', (c) => {
    const q = onlyQuery(c, ['state', 'kind', 'mac', 'limit', 'beforeId']);
    const limit = int(q.limit, 'limit', { min: 1, max: 1000, def: 100 })!;
    const rows = store.actions.query({
      state: oneOf(q.state, 'state', ACTION_STATES),
      kind: oneOf(q.kind, 'kind', ACTION_KINDS),
      mac: q.mac === undefined ? undefined : mac(q.mac, 'mac'),
      beforeId: int(q.beforeId, 'beforeId', { min: 1, max: Number.MAX_SAFE_INTEGER }),
      limit,
    });
    const last = rows[rows.length - 1];
    return c.json({ actions: rows, dryRun: actions.dryRun, next: rows.length === limit && last !== undefined ? last.id : null });
  });

  api.post('/actions', async (c) => {
    const b = await body(c);
    const kind = oneOf(typeof b.kind === 'string' ? b.kind : undefined, 'kind', MANUAL_KINDS);
    if (kind === undefined) throw new ApiError(400, `kind is required: one of ${MANUAL_KINDS.join(', ')}`);
    const actor = c.get('user')!.username;
    let r: ActionResult;
    if (kind === 'quarantine') {
      onlyFields(b, ['kind', 'mac', 'reason', 'seconds']);
      const m = mac(typeof b.mac === 'string' ? b.mac : undefined, 'mac');
      const reason = text(b.reason, 'reason', { max: 500 }) ?? 'manual quarantine';
      const max = ctx.deps.config.response.maxQuarantineSeconds;
      const seconds = int(b.seconds === undefined ? undefined : String(b.seconds), 'seconds', { min: 1, max });
      r = actions.quarantine(m, actor, reason, seconds === undefined ? {} : { seconds });
    } else {
      onlyFields(b, ['kind', 'target', 'reason']);
      const target = ipOrCidr(typeof b.target === 'string' ? b.target : undefined, 'target');
      const reason = text(b.reason, 'reason', { max: 500 }) ?? 'manual block';
      r = actions.block(target, actor, reason);
    }
    refusedOr(r);
    return c.json({ action: r.ok ? (r.action ?? null) : null }, 201);
  });

  for (const verb of ['release', 'approve', 'deny'] as const) {
    api.post(`/actions/:id/${verb}`, async (c) => {
      const actionId = id(c.req.param('id'));
      const b = await body(c);
      onlyFields(b, verb === 'approve' ? [] : ['reason']);
      const reason = text(b.reason, 'reason', { max: 500 });
      if (store.actions.get(actionId) === undefined) throw new ApiError(404, `no action ${actionId}`);
      const actor = c.get('user')!.username;
      const r =
        verb === 'release' ? actions.release(actionId, actor, reason) : verb === 'approve' ? actions.approve(actionId, actor) : actions.deny(actionId, actor, reason);
      refusedOr(r);
      return c.json({ action: (r.ok ? r.action : undefined) ?? store.actions.get(actionId) ?? null });
    });
  }

  api.get('/allow-list', (c) => {
    onlyQuery(c, []);
    return c.json({ entries: actions.allowListEntries() });
  });

  api.post('/allow-list', async (c) => {
    const b = await body(c);
    onlyFields(b, ['entry', 'reason']);
    const entry = allowEntry(typeof b.entry === 'string' ? b.entry.trim() : undefined, 'entry');
    const reason = text(b.reason, 'reason', { max: 500 });
    refusedOr(actions.allowList(entry, c.get('user')!.username, reason));
    return c.json({ entry, entries: actions.allowListEntries() }, 201);
  });
}
