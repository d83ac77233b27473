/**
 * Settings: the configuration keys a home admin changes (a form, views/settings-edit.ts), the rest of the
 * running configuration read-only, integrations with their health, the allow-list, API tokens (list, create,
 * revoke), users and one's own password.
 */
import type { ApiTokenRow } from '../../store/web-auth.js';
import type { IntegrationHealth } from '../deps.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtTime } from './format.js';
import { configEditor, passwordCard, usersCard, type ConfigEditorData, type UsersData } from './settings-edit.js';

export interface SettingsPageData {
  editor: ConfigEditorData;
  /** null for a viewer (who sees no user list) */
  users: UsersData | null;
  /** the values an admin looks for first (mode, weights, thresholds), label → value */
  summary: [string, unknown][];
  /** whole configuration sections, shown folded as dotted keys */
  sections: [string, unknown][];
  integrations: IntegrationHealth[];
  /** whether notification channels are configured (a test message can be sent) */
  notify: boolean;
  allowList: { entry: string; source: 'config' | 'runtime' }[];
  tokens: (ApiTokenRow & { owner: string })[];
  /** a token just created: shown once, never stored in clear */
  newToken: { name: string; token: string } | null;
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

function show(v: unknown): Html {
  if (Array.isArray(v)) return v.length === 0 ? html`<span class="muted">none</span>` : html`<code>${v.map(String).join(', ')}</code>`;
  if (v !== null && typeof v === 'object') return html`<code>${JSON.stringify(v)}</code>`;
  return html`<code>${String(v)}</code>`;
}

/** Nested configuration as dotted keys ("portScan.verticalMinPorts"), arrays kept whole. */
export function flatten(v: unknown, prefix = ''): [string, unknown][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [[prefix, v]];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => flatten(x, prefix === '' ? k : `${prefix}.${k}`));
}

export function settingsPage(d: SettingsPageData): Html {
  return html`<h1>Settings</h1>
  ${d.message}
  <section class="card" id="config"><h2>Configuration</h2>
    <div class="cfg-layout">
      <div>${d.canAct ? configEditor(d.editor, d.csrf) : html`<p class="muted small">Only an admin can change the configuration.</p>`}</div>
      <div><h3>Running values</h3>
        <dl class="kv">${d.summary.map(([k, v]) => html`<dt>${k}</dt><dd>${show(v)}</dd>`)}</dl>
        ${d.sections.map(
          ([name, v]) => html`<details class="section"><summary>${name}</summary><dl class="kv small">${flatten(v).map(([k, x]) => html`<dt>${k}</dt><dd>${show(x)}</dd>`)}</dl></details>`,
        )}
      </div>
    </div>
  </section>
  <div class="grid3 top">
    <section class="card"><h2>Integrations</h2>
      ${d.integrations.length === 0 ? html`<p class="muted">None configured.</p>` : html`<ul class="plain">${d.integrations.map(
        (i) => html`<li><span class="badge ${!i.enabled ? 'st-off' : i.ok ? 'st-active' : 'st-failed'}">${!i.enabled ? 'off' : i.ok ? 'ok' : 'failing'}</span> <b>${i.name}</b> <span class="muted small">${i.detail}</span></li>`,
      )}</ul>`}
    </section>
    <section class="card"><h2 id="notifications">Notifications</h2>
      ${d.notify
        ? html`<p class="muted small">Channels are listed above as "notify …" with their health.</p>${d.canAct ? html`<form method="post" action="/settings/notify/test" class="filters">${csrfField(d.csrf)}<button type="submit">Send a test message</button></form>` : ''}`
        : html`<p class="muted">No channel configured: add <code>notify.channels</code> to config.yaml (webhook, ntfy, email, mqtt, syslog; see the README).</p>`}
    </section>
    <section class="card" id="allow-list"><h2>Allow-list</h2>
      ${d.allowList.length === 0 ? html`<p class="muted">Empty.</p>` : html`<ul class="plain">${d.allowList.map((a) => html`<li><code>${a.entry}</code> <span class="muted small">${a.source}</span></li>`)}</ul>`}
      ${d.canAct ? html`<form method="post" action="/settings/allow" class="filters">${csrfField(d.csrf)}
        <label>MAC, IP or CIDR <input name="entry" required maxlength="64"></label><button type="submit">Add</button></form>` : ''}
    </section>
  </div>
  <div class="grid2 top">
    ${d.users !== null ? usersCard(d.users, d.csrf) : ''}
    ${passwordCard(d.csrf)}
  </div>
  <section class="card" id="tokens"><h2>API tokens</h2>
    ${d.newToken !== null ? html`<div class="flash flash-ok" role="status">Token <b>${d.newToken.name}</b> created. Copy it now, it is not shown again:
      <pre class="token">${d.newToken.token}</pre></div>` : ''}
    ${d.tokens.length === 0 ? html`<p class="muted">No tokens.</p>` : html`<div class="table-wrap"><table class="data"><thead><tr><th>Name</th><th class="hide-sm">Owner</th><th>Scope</th><th>Created (UTC, wall clock)</th><th class="hide-sm">Expires</th><th class="hide-sm">Last used</th><th>State</th><th></th></tr></thead><tbody>${d.tokens.map(
      (t) => html`<tr><td>${t.name}</td><td class="hide-sm">${t.owner}</td><td>${t.scope}</td><td class="nowrap">${fmtTime(t.createdUs)}</td><td class="hide-sm nowrap">${t.expiresUs === null ? 'never' : fmtTime(t.expiresUs)}</td><td class="hide-sm nowrap">${fmtTime(t.lastUsedUs)}</td>
        <td>${t.revoked ? html`<span class="badge st-released">revoked</span>` : t.expiresUs !== null && t.expiresUs <= Date.now() * 1000 ? html`<span class="badge st-expired">expired</span>` : html`<span class="badge st-active">valid</span>`}</td>
        <td>${d.canAct && !t.revoked ? html`<form method="post" action="/settings/tokens/${t.id}/revoke" class="inline">${csrfField(d.csrf)}<button type="submit" class="small danger">Revoke</button></form>` : ''}</td></tr>`,
    )}</tbody></table></div>`}
    ${d.canAct ? html`<form method="post" action="/settings/tokens" class="filters">${csrfField(d.csrf)}
      <label>Name <input name="name" required maxlength="64" placeholder="e.g. grafana"></label>
      <label>Scope <select name="scope"><option value="read" selected>read (GET only)</option><option value="write">write (acknowledge, label, quarantine, release)</option><option value="admin">admin (also approve, allow-list, retrain)</option></select></label>
      <label>Expires after <input name="expiresDays" type="number" min="1" max="3650" value="90" class="narrow"> days</label>
      <button type="submit">Create token</button></form>` : ''}
  </section>`;
}
