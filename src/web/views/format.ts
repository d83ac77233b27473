/**
 * Small formatting pieces shared by the pages: times, sizes, trust badges, severity labels, sparklines.
 * Pure functions from values to text or `Html`; nothing here touches the store.
 */
import { html, raw, type Html } from '../html.js';
import { DEVICE_TYPES, type DeviceType } from '../../device-type/guess.js';
import { typeSvg } from './type-icons.js';

/** µs since the epoch → "2026-11-21 14:02:03" in UTC (the appliance has no idea of the viewer's zone). */
export function fmtTime(us: number | null | undefined): string {
  if (us === null || us === undefined || us <= 0) return '—';
  return new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace('T', ' ');
}

/** How long before `nowUs` `us` was: "3 s", "5 min", "2 h", "4 d" (ago). */
export function fmtAgo(us: number | null | undefined, nowUs: number): string {
  if (us === null || us === undefined || us <= 0) return '—';
  const s = Math.max(0, Math.round((nowUs - us) / 1e6));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The trust level of a score, per DESIGN.md: ≥ 75 normal, 50–75 warning, 20–50 alert, < 20 critical. */
export function levelOf(score: number | null): string {
  if (score === null) return 'unknown';
  return score >= 75 ? 'normal' : score >= 50 ? 'warning' : score >= 20 ? 'alert' : 'critical';
}

/** A coloured trust badge ("82 normal"); the colour comes from the level class in style.css. */
export function trustBadge(score: number | null, level: string | null): Html {
  const lvl = level ?? levelOf(score);
  return html`<span class="badge lvl-${lvl}" title="trust level ${lvl}">${score === null ? '—' : Math.round(score)} <small>${lvl}</small></span>`;
}

/** Suricata's severities: 1 = high, 2 = medium, 3 = low. */
export const SEVERITY_NAMES: Record<number, string> = { 1: 'high', 2: 'medium', 3: 'low' };

export function severityBadge(sev: number): Html {
  const name = SEVERITY_NAMES[sev] ?? String(sev);
  return html`<span class="badge sev-${name}">${name}</span>`;
}

export function stateBadge(state: string): Html {
  return html`<span class="badge st-${state}">${state}</span>`;
}

/**
 * An inline SVG sparkline of `values` (0–100, oldest first), `w`×`h` px. Attributes only, no style
 * attribute (the CSP forbids inline styles); the stroke colour follows the last value's level.
 */
export function sparkline(values: readonly number[], w = 96, h = 24): Html {
  if (values.length === 0) return html`<span class="muted">—</span>`;
  const pts = values.length === 1 ? [values[0]!, values[0]!] : values;
  const step = w / (pts.length - 1);
  const d = pts.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (Math.max(0, Math.min(100, v)) / 100) * (h - 2)).toFixed(1)}`).join(' ');
  const lvl = levelOf(values[values.length - 1]!);
  return html`<svg class="spark lvl-${lvl}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="trust history">${raw(`<polyline fill="none" stroke-width="1.5" points="${d}"/>`)}</svg>`;
}

/** Query string from a record, skipping empty values; used for paging and sort links. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s === '' ? '' : '?' + s;
}

/** A message box for the result of an action ("Quarantine requested", or the refusal's reason). */
export function flash(kind: 'ok' | 'error', text: string): Html {
  return html`<p class="flash flash-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}

/** A device type's icon with its label for screen readers and on hover ("camera, guessed: made by D-Link"). */
export function typeIcon(t: { type: DeviceType; source: 'set' | 'guess'; because: string }): Html {
  const info = DEVICE_TYPES[t.type];
  return html`<span class="type-icon" role="img" aria-label="${info.label}" title="${info.label} (${t.source === 'set' ? 'set by an admin' : `guessed: ${t.because}`})">${typeSvg(t.type)}</span>`;
}

/** "online" / "offline" and "new" badges of a device. */
export function presenceBadges(f: { online: boolean; isNew: boolean; gateway: boolean }): Html {
  return html`<span class="badge ${f.online ? 'st-online' : 'st-offline'}">${f.online ? 'online' : 'offline'}</span>${f.isNew ? html` <span class="badge st-new" title="first seen in the last 24 hours">new</span>` : ''}${f.gateway ? html` <span class="badge st-gateway" title="traffic to the internet goes through it">gateway</span>` : ''}`;
}

/**
 * A DNS name as it fits any box: at most two lines, broken anywhere and cut with an ellipsis, the whole name in
 * its title (shown on hover). A DNS name runs to 253 characters, its labels to 63.
 */
export function dnsName(name: string): Html {
  return html`<span class="clip2" title="${name}">${name}</span>`;
}

/** a word this long (a DNS name, a 63-character label) would push a phone's page sideways */
const LONG_WORD = /\S{40,}/;

/** A line of text that may hold a DNS name (a title, an evidence line): cut as dnsName() when it has a long word. */
export function longText(text: string): Html {
  return LONG_WORD.test(text) ? dnsName(text) : html`${text}`;
}
