/**
 * Settings that change things: the configuration keys of src/config/edit.ts (written back into the file the
 * appliance started from, applied at once where the stage allows), users (add, role, remove) and one's own
 * password. Every change is audited with the user as actor.
 *
 * Audit verbs written here:
 * - settings.change: one entry per changed key (target: the key; detail: from, to, applied 'now' or 'restart')
 * - user.create / user.role / user.remove: an admin managed an account (target: the user name)
 * - user.password: a user changed their own password (their sessions end: they sign in again)
 */
import type { Hono } from 'hono';
import type { WebEnv } from './env.js';
import type { WebRole } from '../store/web-auth.js';
import { applyLive, configOrigin, EDITABLE_KEYS, parseChanges, writeConfigChanges } from '../config/edit.js';
import { hashPassword, passwordProblem, usernameProblem, verifyPassword } from './password.js';
import { audit } from './web-context.js';
import { form, parseIntParam, putFlash, redirectDone, refuse, userOf, type Ctx } from './pages-common.js';

const ROLES: readonly WebRole[] = ['admin', 'viewer'];

export function registerSettingsPages(app: Hono<WebEnv>): void {
  app.post('/settings/config', async (c) => {
    const deps = c.get('deps');
    const origin = configOrigin(deps.config);
    if (origin.file === null) return refuse(c, 409, 'this appliance started without a configuration file (built-in defaults): start it with --config FILE to change settings here', '/settings#config');
    const f = await form(c);
    // keys an environment variable or flag sets cannot be changed in the file: the override would win
    for (const path of origin.overridden.keys()) delete f[path];
    const { changes, problems } = parseChanges(deps.config, f);
    if (problems.length > 0) return refuse(c, 400, `Not saved: ${problems.join('; ')}`, '/settings#config');
    if (changes.length === 0) return redirectDone(c, '/settings#config', 'settings-unchanged');
    const written = writeConfigChanges(origin.file, changes);
    if (!written.ok) return refuse(c, 400, `Not saved: ${written.problems.join('; ')}`, '/settings#config');
    const restart = new Set(applyLive(deps.config, changes));
    const user = userOf(c).username;
    for (const ch of changes) audit(deps, { actor: user, action: 'settings.change', target: ch.path, detail: { from: ch.from, to: ch.to, applied: restart.has(ch.path) ? 'restart' : 'now' } });
    const label = (p: string) => EDITABLE_KEYS.find((k) => k.path === p)!.label;
    const now = changes.filter((ch) => !restart.has(ch.path)).map((ch) => label(ch.path));
    const later = [...restart].map(label);
    putFlash(c, {
      kind: 'ok',
      text: `Saved to ${origin.file}.${now.length > 0 ? ` In effect now: ${now.join(', ')}.` : ''}${later.length > 0 ? ` From the next start (restart the service): ${later.join(', ')}.` : ''}`,
    });
    return c.redirect('/settings#config', 303);
  });

  app.post('/settings/users', async (c) => {
    const f = await form(c);
    const username = (f['username'] ?? '').trim();
    const role = f['role'] as WebRole;
    const bad = usernameProblem(username) ?? (ROLES.includes(role) ? null : 'the role must be admin or viewer') ?? passwordProblem(f['password'] ?? '');
    if (bad !== null) return refuse(c, 400, bad, '/settings#users');
    const deps = c.get('deps');
    if (deps.store.auth.userByName(username) !== undefined) return refuse(c, 409, `a user named ${username} exists already`, '/settings#users');
    const hash = await hashPassword(f['password']!);
    deps.store.db.transaction(() => {
      deps.store.auth.createUser(username, hash, role, Date.now() * 1000);
      audit(deps, { actor: userOf(c).username, action: 'user.create', target: username, detail: { role } });
    })();
    return redirectDone(c, '/settings#users', 'user-added');
  });

  /** The user named by :id, and whether they are the last admin (who may be neither demoted nor removed). */
  const target = (c: Ctx) => {
    const id = parseIntParam(c.req.param('id'));
    const deps = c.get('deps');
    const u = id !== undefined && Number.isSafeInteger(id) ? deps.store.auth.userById(id) : undefined;
    const lastAdmin = u?.role === 'admin' && deps.store.auth.users().filter((x) => x.role === 'admin').length === 1;
    return { u, lastAdmin };
  };

  app.post('/settings/users/:id/role', async (c) => {
    const { u, lastAdmin } = target(c);
    if (u === undefined) return refuse(c, 404, 'no such user', '/settings#users');
    const role = (await form(c))['role'] as WebRole;
    if (!ROLES.includes(role)) return refuse(c, 400, 'the role must be admin or viewer', '/settings#users');
    if (role === u.role) return redirectDone(c, '/settings#users', 'settings-unchanged');
    if (lastAdmin) return refuse(c, 409, `${u.username} is the only admin: make another user admin first`, '/settings#users');
    const deps = c.get('deps');
    deps.store.db.transaction(() => {
      deps.store.auth.setRole(u.id, role);
      audit(deps, { actor: userOf(c).username, action: 'user.role', target: u.username, detail: { from: u.role, to: role } });
    })();
    if (u.id === userOf(c).id) return c.redirect('/login', 303);
    return redirectDone(c, '/settings#users', 'user-role');
  });

  app.post('/settings/users/:id/remove', (c) => {
    const { u, lastAdmin } = target(c);
    if (u === undefined) return refuse(c, 404, 'no such user', '/settings#users');
    if (u.id === userOf(c).id) return refuse(c, 409, 'you cannot remove your own account while signed in with it', '/settings#users');
    if (lastAdmin) return refuse(c, 409, `${u.username} is the only admin`, '/settings#users');
    const deps = c.get('deps');
    deps.store.db.transaction(() => {
      deps.store.auth.deleteUser(u.id);
      audit(deps, { actor: userOf(c).username, action: 'user.remove', target: u.username, detail: { role: u.role } });
    })();
    return redirectDone(c, '/settings#users', 'user-removed');
  });

  /** One's own password (viewers too): the current one, then the new one twice. Ends every session of the user. */
  app.post('/settings/password', async (c) => {
    const f = await form(c);
    const me = userOf(c);
    const deps = c.get('deps');
    const row = deps.store.auth.userById(me.id);
    if (row === undefined || !(await verifyPassword(f['current'] ?? '', row.passwordHash))) return refuse(c, 400, 'the current password is not right', '/settings#password');
    const next = f['password'] ?? '';
    const bad = passwordProblem(next) ?? (next === f['repeat'] ? null : 'the two new passwords differ');
    if (bad !== null) return refuse(c, 400, bad, '/settings#password');
    const hash = await hashPassword(next);
    deps.store.db.transaction(() => {
      deps.store.auth.setPassword(me.id, hash);
      audit(deps, { actor: me.username, action: 'user.password', target: me.username });
    })();
    return c.redirect('/login', 303);
  });
}
