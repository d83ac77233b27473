/**
 * `argus-edge token create NAME [--role viewer|admin]`: a new API token for scripts, printed once on standard
 * output (the store keeps only its SHA-256). The token belongs to a dashboard user (--user, default the admin
 * named 'admin', else the first admin) and never exceeds that user's role: viewer gives a read token (GET only),
 * admin an admin one. Audited as token.create with actor 'cli'. Works on the store file while the appliance runs.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import { Store } from '../store/db.js';
import type { TokenScope, WebRole } from '../store/web-auth.js';
import { sha256Hex } from '../web/session.js';
import { tokenTerms } from '../web/token-scope.js';

export interface TokenCommandOptions {
  name: string;
  role: WebRole;
  user?: string;
  days?: string;
  json?: boolean;
  out?: Writable;
  err?: Writable;
}

const SCOPE_OF_ROLE: Record<WebRole, TokenScope> = { viewer: 'read', admin: 'admin' };

export async function commandTokenCreate(cfg: Config, o: TokenCommandOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  // the same rule as the Settings form: one printable line of at most 64 characters
  // eslint-disable-next-line no-control-regex
  if (o.name.trim() === '' || o.name.length > 64 || /[\u0000-\u001f\u007f]/.test(o.name)) {
    err.write('token create: NAME must be one line of 1 to 64 characters\n');
    return 1;
  }
  if (cfg.store.path === ':memory:' || cfg.store.path === '') {
    err.write("token create: store.path must name the appliance's database file\n");
    return 1;
  }
  const store = Store.open({ path: cfg.store.path, log: (m) => err.write(m + '\n') });
  try {
    const users = store.auth.users().filter((u) => !u.disabled);
    const owner = o.user !== undefined ? users.find((u) => u.username === o.user) : (users.find((u) => u.username === 'admin' && u.role === 'admin') ?? users.find((u) => u.role === 'admin'));
    if (owner === undefined) {
      err.write(o.user !== undefined ? `token create: no enabled dashboard user '${o.user}'\n` : "token create: no enabled admin user yet: create one with 'argus-edge passwd --user admin'\n");
      return 1;
    }
    const nowUs = Date.now() * 1000;
    const terms = tokenTerms(SCOPE_OF_ROLE[o.role], o.days, owner.role, nowUs);
    if (!terms.ok) {
      err.write(`token create: ${terms.error.replace(/^expiresDays/, '--days')} (the token would belong to '${owner.username}', a ${owner.role})\n`);
      return 1;
    }
    const token = 'ae_' + randomBytes(32).toString('base64url');
    const name = o.name.trim();
    store.db.transaction(() => {
      store.auth.createToken(owner.id, name, sha256Hex(token), nowUs, { scope: terms.scope, expiresUs: terms.expiresUs });
      store.actions.audit({ tsUs: nowUs, actor: 'cli', action: 'token.create', target: name, reason: 'API token created on the command line', detail: { scope: terms.scope, days: terms.days, owner: owner.username } });
    })();
    const expires = new Date(terms.expiresUs / 1000).toISOString();
    if (o.json) out.write(JSON.stringify({ token, name, scope: terms.scope, owner: owner.username, expires }) + '\n');
    else {
      out.write(`${token}\n`);
      err.write(`API token '${name}' of ${owner.username}, scope ${terms.scope}, valid until ${expires}. It is shown only now; send it as\n  Authorization: Bearer <token>\nRevoke it in Settings → API tokens.\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}
