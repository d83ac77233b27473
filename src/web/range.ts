/**
 * The time range picker of the Overview and the device pages: `?range=1h|24h|7d` (default 24 h). The
 * charts, the traffic figures and the top lists of the page all use it; the chosen range stays in the URL,
 * so a reload or a shared link shows the same view.
 */
import { html, type Html } from './html.js';
import { qs } from './views/format.js';

export const RANGES = { '1h': { hours: 1, label: '1 hour' }, '24h': { hours: 24, label: '24 hours' }, '7d': { hours: 168, label: '7 days' } } as const;
export type RangeKey = keyof typeof RANGES;
export const DEFAULT_RANGE: RangeKey = '24h';

export interface TimeRange {
  key: RangeKey;
  hours: number;
  label: string;
}

/** The range a `range` query value names, or an error sentence for a bad one. */
export function parseRange(value: string | undefined): TimeRange | string {
  const key = (value ?? DEFAULT_RANGE) as RangeKey;
  if (!Object.hasOwn(RANGES, key)) return `range must be one of ${Object.keys(RANGES).join(', ')}`;
  return { key, ...RANGES[key] };
}

/** The picker: one link per range, the current one marked (links, so it works without script). */
export function rangePicker(path: string, current: TimeRange, extra: Record<string, string | number> = {}): Html {
  return html`<nav class="range" aria-label="Time range">${(Object.keys(RANGES) as RangeKey[]).map(
    (k) =>
      html`<a href="${path}${qs({ ...extra, range: k })}" ${k === current.key ? html`aria-current="true" class="on"` : ''} data-range="${k}">${k}</a>`,
  )}</nav>`;
}
