/** The audit log: who did what, when and why, newest first, keyset-paged. */
import type { AuditRow } from '../../store/actions.js';
import { html, type Html } from '../html.js';
import { fmtTime, qs } from './format.js';

export interface AuditPageData {
  rows: AuditRow[];
  filter: { actor: string; prefix: string };
  next: number | null;
}

export function auditPage(d: AuditPageData): Html {
  const f = d.filter;
  return html`<h1>Audit log</h1>
  <form method="get" action="/audit" class="filters">
    <label>Actor <input name="actor" value="${f.actor}" placeholder="system or a user name" maxlength="64"></label>
    <label>Action <input name="action" value="${f.prefix}" placeholder="e.g. action. or device." maxlength="64"></label>
    <button type="submit">Filter</button>
  </form>
  <div class="table-wrap"><table class="data stack" id="audit-table"><thead><tr><th>Time (UTC)</th><th>Actor</th><th>Action</th><th>Target</th><th>Reason</th><th class="hide-sm">Detail</th></tr></thead><tbody>${d.rows.map(
    (r) => html`<tr><td class="nowrap">${fmtTime(r.tsUs)}</td><td>${r.actor}</td><td class="nowrap"><code>${r.action}</code></td><td>${r.target ?? ''}</td><td class="sig">${r.reason ?? ''}</td>
      <td class="hide-sm small"><code>${r.detail === null ? '' : JSON.stringify(r.detail).slice(0, 200)}</code></td></tr>`,
  )}</tbody></table></div>
  ${d.rows.length === 0 ? html`<p class="muted">Nothing recorded.</p>` : ''}
  <p class="pager">${d.next !== null ? html`<a href="/audit${qs({ actor: f.actor, action: f.prefix, before: d.next })}">Older →</a>` : ''}</p>`;
}
