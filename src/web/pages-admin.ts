/**
 * Quarantine (approve, deny, release), Models (status, retrain, roll back), Audit log, Settings (configuration, integrations,
 * allow-list, API tokens). Response actions go through deps.actions; token routes call the store directly with
 * the same token format and hashing as the API (`ae_` + 32 random bytes, stored as SHA-256).
 *
 * Audit verbs written here:
 * - token.create / token.revoke: an API token made or revoked from Settings (target: the token's name)
 */
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { ActionRow, ActionState } from '../store/actions.js';
import type { WebEnv } from './env.js';
import { sha256Hex } from './session.js';
import { tokenTerms } from './token-scope.js';
import { audit } from './web-context.js';
import { backTo, canAct, cleanText, doneMessage, form, page, parseIntParam, problem, putFlash, redirectDone, refuse, takeFlash, userOf, type Ctx } from './pages-common.js';
import { namesFor } from './pages-overview.js';
import { auditPage } from './views/audit.js';
import { modelsPage } from './views/models.js';
import { quarantinePage } from './views/quarantine.js';
import { reviewPage } from './views/review.js';
import { settingsPage, type SettingsPageData } from './views/settings.js';
import { flash } from './views/format.js';
import { configOrigin, EDITABLE_KEYS, getPath } from '../config/edit.js';

const FINISHED: ActionState[] = ['expired', 'released', 'denied'];

function actionId(c: Ctx): number | Response {
  const id = parseIntParam(c.req.param('id'));
  if (id === undefined || !Number.isSafeInteger(id)) return problem(c, 400, 'the action id must be a whole number', 'quarantine');
  if (c.get('deps').store.actions.get(id) === undefined) return problem(c, 404, `no action with id ${id}`, 'quarantine');
  return id;
}

function settingsData(c: Ctx, newToken: SettingsPageData['newToken'] = null, message: SettingsPageData['message'] = null): SettingsPageData {
  const deps = c.get('deps');
  const cfg = deps.config;
  const users = new Map(deps.store.auth.users().map((u) => [u.id, u.username]));
  const rec = cfg as unknown as Record<string, any>;
  const w = rec['trust']?.weights as Record<string, number> | undefined;
  const resp = rec['response'] as Record<string, unknown> | undefined;
  // the sections of the stages that use them (trust weights, response policy, …), when the schema has them
  const sections = ['trust', 'response', 'models', 'detectors', 'scan', 'intel', 'decoys', 'store', 'web']
    .filter((k) => rec[k] !== undefined)
    .map((k): [string, unknown] => [k, rec[k]]);
  const origin = configOrigin(cfg);
  const me = userOf(c);
  return {
    editor: {
      file: origin.file,
      keys: EDITABLE_KEYS.map((key) => ({ key, value: getPath(cfg, key.path), overriddenBy: origin.overridden.get(key.path) ?? null })),
    },
    users: me.role === 'admin' ? { users: deps.store.auth.users().map(({ id, username, role, createdUs }) => ({ id, username, role, createdUs })), meId: me.id } : null,
    summary: [
      ['mode', cfg.mode],
      ['interface', cfg.iface === '' ? '(none)' : cfg.iface],
      ['home networks', [...cfg.homeNets]],
      ['firewall', deps.actions.dryRun ? 'dry run (records, does not enforce)' : 'enforcing'],
      ['trust weights', w === undefined ? '—' : `behavioral ${w['behavioral']}, vulnerability ${w['vulnerability']}, reputation ${w['reputation']}`],
      ['trust levels', '≥ 75 normal, 50–75 warning, 20–50 alert, < 20 critical'],
      ...(resp === undefined
        ? []
        : ([
            ['auto-quarantine', resp['autoQuarantine']],
            ['approval required', resp['requireApproval']],
            ['quarantine length', `${resp['quarantineSeconds']} s`],
          ] as [string, unknown][])),
      ['unusual traffic', unusualTrafficText(cfg.models as typeof cfg.models & { threshold?: unknown; alertBudgetPerDay?: unknown })],
      ['dashboard', `${cfg.web.host}:${cfg.web.port}`],
    ],
    sections,
    integrations: deps.integrations(),
    notify: deps.notifyTest !== undefined,
    allowList: deps.actions.allowListEntries(),
    tokens: deps.store.auth.tokens().map((t) => ({ ...t, owner: users.get(t.userId) ?? `#${t.userId}` })),
    newToken,
    csrf: c.get('csrf'),
    canAct: canAct(c),
    message: message ?? doneMessage(c),
  };
}

/** The anomaly models' settings in words: off, or how often normal traffic alerts (models.alertBudgetPerDay, models.threshold). */
function unusualTrafficText(m: { enabled: boolean; threshold?: unknown; alertBudgetPerDay?: unknown }): string {
  if (!m.enabled) return 'not checked';
  const q = typeof m.threshold === 'number' && m.threshold < 1 ? m.threshold : null;
  const most = q !== null ? `at most one in ${Math.round(1 / (1 - q)).toLocaleString('en-US')} normal flows alerts` : null;
  const b = typeof m.alertBudgetPerDay === 'number' ? m.alertBudgetPerDay : null;
  if (b !== null) return `about ${b} false alert${b === 1 ? '' : 's'} per device per day${most !== null ? `, ${most}` : ''}`;
  return most ?? 'checked';
}

export function registerAdminPages(app: Hono<WebEnv>): void {
  app.get('/quarantine', (c) => {
    const deps = c.get('deps');
    const q = deps.store.actions;
    const finished = FINISHED.flatMap((state) => q.query({ state, limit: 30 }))
      .sort((a, b) => b.id - a.id)
      .slice(0, 30);
    const pending = q.query({ state: 'pending', limit: 200 });
    const active = q.query({ state: 'active', limit: 200 });
    const all: ActionRow[] = [...pending, ...active, ...finished];
    return page(c, 'Quarantine', 'quarantine', quarantinePage({
      pending,
      active,
      finished,
      names: namesFor(deps.store, all.map((a) => a.mac)),
      dryRun: deps.actions.dryRun,
      csrf: c.get('csrf'),
      canAct: canAct(c),
      message: doneMessage(c),
    }));
  });

  // the page an approval link in a notification opens (after sign-in); the decision is a POST from it
  app.get('/actions/:id/review', (c) => {
    const id = actionId(c);
    if (id instanceof Response) return id;
    const deps = c.get('deps');
    const a = deps.store.actions.get(id);
    if (a === undefined) return problem(c, 404, `no action with id ${id}`, 'quarantine');
    const name = a.mac !== null ? (namesFor(deps.store, [a.mac]).get(a.mac) ?? null) : null;
    return page(c, 'Review', 'quarantine', reviewPage({ action: a, deviceName: name, csrf: c.get('csrf'), canAct: canAct(c), dryRun: deps.actions.dryRun }));
  });

  for (const verb of ['approve', 'deny', 'release'] as const) {
    app.post(`/actions/:id/${verb}`, async (c) => {
      const id = actionId(c);
      if (id instanceof Response) return id;
      const f = await form(c);
      const reason = cleanText(f['reason'] ?? '', 200);
      if (reason === null) return refuse(c, 400, 'the reason must be one line of at most 200 characters', backTo(f['back'], '/quarantine'));
      const actor = userOf(c).username;
      const actions = c.get('deps').actions;
      const r =
        verb === 'approve' ? actions.approve(id, actor) : verb === 'deny' ? actions.deny(id, actor, reason || undefined) : actions.release(id, actor, reason || undefined);
      if (!r.ok) return refuse(c, 409, r.error, backTo(f['back'], '/quarantine'));
      // how the decision was made: from the review page a notification links to, or from the Quarantine list
      if (f['via'] === 'review') audit(c.get('deps'), { actor, action: 'action.review', target: String(id), reason: `${verb} from the review page of a notification link`, detail: { id, decision: verb } });
      return redirectDone(c, backTo(f['back'], '/quarantine'), verb === 'approve' ? 'approved' : verb === 'deny' ? 'denied' : 'released');
    });
  }

  app.get('/models', (c) => {
    const deps = c.get('deps');
    const models = deps.store.registry.models();
    const active = models.find((r) => r.active);
    const cfg = deps.config.models as typeof deps.config.models & { alertBudgetPerDay?: number; threshold?: number };
    return page(c, 'Models', 'models', modelsPage({
      status: deps.models.status(),
      models,
      settings: {
        enabled: cfg.enabled,
        learn: cfg.learn,
        learningPeriodHours: cfg.learningPeriodHours,
        minTrainFlows: cfg.minTrainFlows,
        maxTrainFlows: cfg.maxTrainFlows,
        thresholdQuantile: typeof cfg.threshold === 'number' ? cfg.threshold : 0.999,
        alertBudgetPerDay: typeof cfg.alertBudgetPerDay === 'number' ? cfg.alertBudgetPerDay : null,
      },
      canRollBack: deps.models.rollback !== undefined && active !== undefined && models.some((r) => !r.active && r.createdUs < active.createdUs),
      csrf: c.get('csrf'),
      canAct: canAct(c),
      message: doneMessage(c),
    }));
  });

  app.post('/models/rollback', async (c) => {
    const svc = c.get('deps').models;
    if (svc.rollback === undefined) return refuse(c, 409, 'this appliance cannot roll back its model', '/models');
    const r = await svc.rollback(userOf(c).username);
    if (!r.ok) return refuse(c, 409, r.error, '/models');
    return redirectDone(c, '/models', 'rolled-back');
  });

  app.post('/models/retrain', async (c) => {
    const f = await form(c);
    const r = c.get('deps').models.retrain(userOf(c).username, { force: f.force === '1' });
    if (!r.ok) return refuse(c, 409, r.error, '/models');
    return redirectDone(c, '/models', 'retrain');
  });

  app.get('/audit', (c) => {
    const actor = cleanText(c.req.query('actor') ?? '', 64);
    const prefix = cleanText(c.req.query('action') ?? '', 64);
    if (actor === null || prefix === null) return problem(c, 400, 'actor and action must be one line of at most 64 characters', 'audit');
    const before = parseIntParam(c.req.query('before'));
    if (before !== undefined && !Number.isSafeInteger(before)) return problem(c, 400, 'before must be an entry id', 'audit');
    const rows = c.get('deps').store.actions.auditLog({ actor: actor || undefined, actionPrefix: prefix || undefined, beforeId: before, limit: 50 });
    return page(c, 'Audit log', 'audit', auditPage({ rows, filter: { actor, prefix }, next: rows.length === 50 ? rows[rows.length - 1]!.id : null }));
  });

  app.get('/settings', (c) => {
    const f = takeFlash(c);
    if (f?.kind === 'token') return page(c, 'Settings', 'settings', settingsPage(settingsData(c, { name: f.name, token: f.token }, flash('ok', 'Token created.'))));
    return page(c, 'Settings', 'settings', settingsPage(settingsData(c, null, f?.kind === 'error' || f?.kind === 'ok' ? flash(f.kind, f.text) : doneMessage(c))));
  });

  app.post('/settings/allow', async (c) => {
    const entry = ((await form(c))['entry'] ?? '').trim();
    if (!/^[0-9A-Fa-f:.\/-]{2,64}$/.test(entry)) return refuse(c, 400, 'enter a MAC, an IP address or a CIDR prefix', '/settings');
    const r = c.get('deps').actions.allowList(entry, userOf(c).username, 'added from Settings');
    if (!r.ok) return refuse(c, 409, r.error, '/settings');
    return redirectDone(c, '/settings', 'allowed');
  });

  app.post('/settings/notify/test', async (c) => {
    const deps = c.get('deps');
    if (deps.notifyTest === undefined) return problem(c, 409, 'no notification channel is configured (notify.channels)', 'settings');
    const channel = cleanText((await form(c))['channel'] ?? '', 64);
    if (channel === null) return problem(c, 400, 'the channel name must be one line of at most 64 characters', 'settings');
    const user = userOf(c).username;
    const results = await deps.notifyTest(user, channel || undefined);
    audit(deps, { actor: user, action: 'notify.test', target: channel || null, detail: { results } });
    if (results.length === 0) return problem(c, 404, `no notification channel named ${channel}`, 'settings');
    return redirectDone(c, '/settings#notifications', results.every((r) => r.ok) ? 'notify-sent' : 'notify-failed');
  });

  app.post('/settings/tokens', async (c) => {
    const f = await form(c);
    const name = cleanText(f['name'] ?? '', 64);
    if (name === null || name === '') return refuse(c, 400, 'the token needs a name of one line, at most 64 characters', '/settings');
    const user = userOf(c);
    const nowUs = Date.now() * 1000;
    const terms = tokenTerms(f['scope'], f['expiresDays'], user.role, nowUs);
    if (!terms.ok) return problem(c, 400, terms.error, 'settings');
    const token = 'ae_' + randomBytes(32).toString('base64url');
    const deps = c.get('deps');
    deps.store.db.transaction(() => {
      deps.store.auth.createToken(user.id, name, sha256Hex(token), nowUs, { scope: terms.scope, expiresUs: terms.expiresUs });
      audit(deps, { actor: user.username, action: 'token.create', target: name, detail: { scope: terms.scope, days: terms.days } });
    })();
    // shown once, on the page the redirect lands on (held in memory for this session until then)
    putFlash(c, { kind: 'token', name, token });
    return redirectDone(c, '/settings', 'token-created');
  });

  app.post('/settings/tokens/:id/revoke', (c) => {
    const id = parseIntParam(c.req.param('id'));
    if (id === undefined || !Number.isSafeInteger(id)) return refuse(c, 400, 'the token id must be a whole number', '/settings');
    const deps = c.get('deps');
    const t = deps.store.auth.tokens().find((x) => x.id === id);
    if (t === undefined) return refuse(c, 404, `no token with id ${id}`, '/settings');
    if (t.revoked) return refuse(c, 409, `token ${t.name} is already revoked`, '/settings');
    deps.store.db.transaction(() => {
      deps.store.auth.revokeToken(id);
      audit(deps, { actor: userOf(c).username, action: 'token.revoke', target: t.name, detail: { id } });
    })();
    return redirectDone(c, '/settings', 'revoked');
  });
}
