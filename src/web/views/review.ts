/**
 * The review page a notification's approval link opens: what is proposed, for which device and why, and two
 * buttons that POST the decision (with the session and its CSRF token). Opening the link changes nothing.
 */
import type { ActionRow } from '../../store/actions.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtTime, stateBadge } from './format.js';

export interface ReviewPageData {
  action: ActionRow;
  deviceName: string | null;
  csrf: string;
  canAct: boolean;
  dryRun: boolean;
}

export function reviewPage(d: ReviewPageData): Html {
  const a = d.action;
  const target = a.mac !== null ? html`<a href="/devices/${a.mac}">${d.deviceName ?? a.mac}</a>` : html`<code>${a.ip ?? ''}</code>`;
  const what = a.kind === 'quarantine' ? 'Quarantine' : a.kind === 'block' ? 'Block' : 'Rate-limit';
  const decide = (verb: 'approve' | 'deny', label: string, cls: string) =>
    html`<form method="post" action="/actions/${a.id}/${verb}" class="inline">${csrfField(d.csrf)}<input type="hidden" name="via" value="review"><input type="hidden" name="back" value="/actions/${a.id}/review"><button type="submit" class="${cls}">${label}</button></form>`;
  return html`<h1>${what} ${target}?</h1>
  ${a.mac !== null && d.deviceName !== null ? html`<p class="muted small"><code>${a.mac}</code></p>` : ''}
  <section class="card">
    <dl class="facts">
      <dt>Proposed</dt><dd>${fmtTime(a.createdUs)} UTC by ${a.actor}</dd>
      <dt>Reason</dt><dd>${a.reason}</dd>
      <dt>Lasts</dt><dd>${a.expiresUs !== null ? html`until ${fmtTime(a.expiresUs)} UTC` : 'until released'}</dd>
      <dt>State</dt><dd>${stateBadge(a.state)}${a.dryRun || d.dryRun ? html` <span class="muted small">dry run: recorded, not enforced</span>` : ''}</dd>
    </dl>
    ${a.state !== 'pending'
      ? html`<p>This action is no longer waiting for a decision.</p>`
      : d.canAct
        ? html`<p>${decide('approve', `Approve: ${what.toLowerCase()} it`, 'danger')} ${decide('deny', 'Deny', '')}</p>`
        : html`<p class="muted">Only an administrator can decide.</p>`}
  </section>`;
}
