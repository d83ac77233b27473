/**
 * The parts of Settings that change things: the configuration form (src/config/edit.ts keys), users and one's
 * own password. Each form posts to a route of src/web/pages-settings.ts and comes back here.
 */
import type { EditableKey } from '../../config/edit.js';
import type { WebRole } from '../../store/web-auth.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtTime } from './format.js';

export interface ConfigEditorData {
  /** the file the appliance started from; null: built-in defaults only */
  file: string | null;
  keys: { key: EditableKey; value: unknown; overriddenBy: string | null }[];
}

export interface UsersData {
  users: { id: number; username: string; role: WebRole; createdUs: number }[];
  meId: number;
}

function input(k: EditableKey, value: unknown, disabled: boolean): Html {
  const name = k.path;
  const off = disabled ? html` disabled` : '';
  switch (k.input.kind) {
    case 'bool':
      return html`<select name="${name}" id="cfg-${name}"${off}><option value="true" ${value === true ? 'selected' : ''}>on</option><option value="false" ${value === false ? 'selected' : ''}>off</option></select>`;
    case 'choice':
      return html`<select name="${name}" id="cfg-${name}"${off}>${k.input.values.map((v) => html`<option value="${v}" ${v === value ? 'selected' : ''}>${v}</option>`)}</select>`;
    case 'number':
      return html`<input name="${name}" id="cfg-${name}" inputmode="decimal" value="${String(value)}" class="narrow"${off}>`;
    case 'list':
      return html`<input name="${name}" id="cfg-${name}" value="${(value as unknown[]).map(String).join(', ')}"${off}>`;
    case 'text':
      return html`<input name="${name}" id="cfg-${name}" value="${String(value)}"${off}>`;
  }
}

export function configEditor(d: ConfigEditorData, csrf: string): Html {
  if (d.file === null) {
    return html`<p class="muted" id="config-readonly">This appliance started on its built-in defaults, without a configuration file, so there is nothing to save changes to.
      Start it with <code>--config FILE</code> (the installed service uses <code>/etc/argus-edge/config.yaml</code>) to change settings here.</p>`;
  }
  return html`<form method="post" action="/settings/config" class="config-form" id="config-form">${csrfField(csrf)}
    <p class="muted small">Saved into <code>${d.file}</code> (its comments are kept) after the same checks as at start.</p>
    <div class="cfg-rows">${d.keys.map(
      ({ key, value, overriddenBy }) => html`<div class="cfg-row${key.input.kind === 'list' || key.input.kind === 'text' ? ' wide' : ''}"><label for="cfg-${key.path}">${key.label}</label>
        <span class="cfg-value">${input(key, value, overriddenBy !== null)} <span class="muted small">${overriddenBy !== null ? html`set by <code>${overriddenBy}</code>, which wins over the file` : key.live ? 'applies at once' : 'after a restart'}</span></span></div>`,
    )}</div>
    <button type="submit">Save</button>
  </form>`;
}

export function usersCard(d: UsersData, csrf: string): Html {
  return html`<section class="card" id="users"><h2>Users</h2>
    <div class="table-wrap"><table class="data compact"><thead><tr><th>User</th><th>Role</th><th class="hide-sm">Created</th><th></th></tr></thead><tbody>${d.users.map(
      (u) => html`<tr><td>${u.username}${u.id === d.meId ? html` <span class="muted small">(you)</span>` : ''}</td>
        <td><form method="post" action="/settings/users/${u.id}/role" class="inline">${csrfField(csrf)}<select name="role" aria-label="Role of ${u.username}">${(['admin', 'viewer'] as const).map((r) => html`<option value="${r}" ${r === u.role ? 'selected' : ''}>${r}</option>`)}</select> <button type="submit" class="small">Set</button></form></td>
        <td class="hide-sm nowrap small">${fmtTime(u.createdUs)}</td>
        <td>${u.id === d.meId ? '' : html`<form method="post" action="/settings/users/${u.id}/remove" class="inline">${csrfField(csrf)}<button type="submit" class="small danger">Remove</button></form>`}</td></tr>`,
    )}</tbody></table></div>
    <form method="post" action="/settings/users" class="filters">${csrfField(csrf)}
      <label>User name <input name="username" required maxlength="64" autocomplete="off"></label>
      <label>Role <select name="role"><option value="viewer" selected>viewer (sees everything, changes nothing)</option><option value="admin">admin</option></select></label>
      <label>Password <input name="password" type="password" required minlength="10" autocomplete="new-password"></label>
      <button type="submit">Add user</button></form>
  </section>`;
}

export function passwordCard(csrf: string): Html {
  return html`<section class="card" id="password"><h2>Your password</h2>
    <form method="post" action="/settings/password" class="filters">${csrfField(csrf)}
      <label>Current <input name="current" type="password" required autocomplete="current-password"></label>
      <label>New <input name="password" type="password" required minlength="10" autocomplete="new-password"></label>
      <label>New again <input name="repeat" type="password" required minlength="10" autocomplete="new-password"></label>
      <button type="submit">Change password</button></form>
    <p class="muted small">You sign in again afterwards, on every device.</p>
  </section>`;
}
