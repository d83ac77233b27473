/** The quarantine page: actions awaiting approval, active ones, and the recently finished. */
import type { ActionRow } from '../../store/actions.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtTime, stateBadge } from './format.js';

export interface QuarantinePageData {
  pending: ActionRow[];
  active: ActionRow[];
  /** expired, released and denied, newest first */
  finished: ActionRow[];
  names: Map<string, string>;
  dryRun: boolean;
  csrf: string;
  canAct: boolean;
  message: Html | null;
}

function button(id: number, verb: 'approve' | 'deny' | 'release', label: string, csrf: string, cls = ''): Html {
  return html`<form method="post" action="/actions/${id}/${verb}" class="inline">${csrfField(csrf)}<button type="submit" class="small ${cls}">${label}</button></form>`;
}

/** `none` says what an empty list means; on a phone the rows stack (a wide table hid the Release button). */
function table(rows: ActionRow[], d: QuarantinePageData, buttons: (a: ActionRow) => Html, none: string): Html {
  if (rows.length === 0) return html`<p class="muted">${none}</p>`;
  return html`<div class="table-wrap"><table class="data stack"><thead><tr><th>Since (UTC)</th><th>Kind</th><th>Target</th><th>Reason</th><th class="hide-sm">By</th><th class="hide-sm">Until</th><th>State</th><th></th></tr></thead><tbody>${rows.map(
    (a) => html`<tr id="action-${a.id}">
      <td class="nowrap">${fmtTime(a.createdUs)}</td><td>${a.kind}${a.dryRun ? html` <span class="muted small">(dry run)</span>` : ''}</td>
      <td>${a.mac !== null ? html`<a href="/devices/${a.mac}">${d.names.get(a.mac) ?? a.mac}</a>` : html`<code>${a.ip ?? ''}</code>`}</td>
      <td class="sig">${a.reason}</td><td class="hide-sm">${a.actor}</td><td class="hide-sm nowrap">${a.expiresUs !== null ? fmtTime(a.expiresUs) : 'until released'}</td>
      <td>${stateBadge(a.state)}</td><td class="actions">${d.canAct ? buttons(a) : ''}</td></tr>`,
  )}</tbody></table></div>`;
}

export function quarantinePage(d: QuarantinePageData): Html {
  return html`<h1>Quarantine</h1>
  ${d.message}
  ${d.dryRun ? html`<p class="muted">The firewall runs as a dry run: actions are recorded, not enforced.</p>` : ''}
  <section class="card"><h2>Awaiting approval</h2>${table(d.pending, d, (a) => html`${button(a.id, 'approve', 'Approve', d.csrf, 'danger')} ${button(a.id, 'deny', 'Deny', d.csrf)}`, 'Nothing is waiting for your approval (automatic actions wait here when response.requireApproval is on).')}</section>
  <section class="card"><h2>Active</h2>${table(d.active, d, (a) => button(a.id, 'release', 'Release', d.csrf), 'No device is cut off. Quarantine one from its incident or device page.')}</section>
  <section class="card"><h2>Finished</h2>${table(d.finished, d, () => html``, 'No quarantine has ended yet.')}</section>`;
}
