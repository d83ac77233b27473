/**
 * How the pages show what the offline databases know of a remote address: a short "where" next to it
 * (country code, AS number and organisation), tables of traffic by country and by network, and the credit
 * the databases' licence (CC BY 4.0) asks for wherever their results are shown.
 */
import { ATTRIBUTION, type GeoInfo } from '../../enrich/index.js';
import { html, type Html } from '../html.js';
import { countryName, type GeoShare } from '../geo-summary.js';
import { fmtBytes, fmtInt } from './format.js';

/** "DE · AS3320 Deutsche Telekom AG", with the country's name on hover; empty when nothing is known. */
export function whereOf(info: GeoInfo | undefined): Html {
  if (info === undefined) return html``;
  const cc = info.country !== undefined ? html`<abbr title="${countryName(info.country)}">${info.country}</abbr>` : '';
  const as = info.asn !== undefined ? html`<span title="autonomous system ${info.asn}">AS${info.asn}${info.org !== undefined ? html` ${info.org}` : ''}</span>` : '';
  return html`<span class="where small muted">${cc}${cc !== '' && as !== '' ? ' · ' : ''}${as}</span>`;
}

export function geoCredit(): Html {
  return html`<p class="muted small credit">${ATTRIBUTION.map((a, i) => html`${i > 0 ? ', ' : ''}<a href="${a.url}" rel="noopener noreferrer">${a.text}</a>`)} (CC BY 4.0)</p>`;
}

/** A compact table of shares ("By country", "By network"). */
export function sharesTable(title: string, rows: readonly GeoShare[]): Html {
  if (rows.length === 0) return html``;
  return html`<div class="table-wrap"><table class="data compact geo"><thead><tr><th>${title}</th><th>Addresses</th><th>Flows</th><th>Bytes</th></tr></thead><tbody>${rows.map(
    (r) => html`<tr><td class="name">${/^[A-Z]{2}$/.test(r.key) ? html`<code class="small">${r.key}</code> ` : ''}${r.label}</td><td>${fmtInt(r.addresses)}</td><td>${fmtInt(r.flows)}</td><td class="nowrap">${fmtBytes(r.bytes)}</td></tr>`,
  )}</tbody></table></div>`;
}
