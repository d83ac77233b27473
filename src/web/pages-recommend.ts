/**
 * Recommendations for one device, derived from its open alerts' suggested responses and its last scan's
 * findings: the strongest response first, one line per distinct suggestion.
 */
import type { AlertRow } from '../store/alerts.js';
import type { DeviceRow } from '../store/devices.js';
import type { ScanRow } from '../store/registry.js';
import type { Recommendation } from './views/device.js';

/** strongest first; 'none' is never shown */
const RANK: Record<string, number> = { quarantine: 0, block: 1, 'rate-limit': 2, monitor: 3 };

export function recommendationsFor(device: DeviceRow, alerts: readonly AlertRow[], scan: ScanRow | null): Recommendation[] {
  const out: Recommendation[] = [];
  const seen = new Set<string>();
  for (const a of alerts) {
    if (a.acknowledged || a.suggestedResponse === 'none') continue;
    const key = `${a.suggestedResponse}|${a.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ response: a.suggestedResponse, text: `${a.signature} (${a.kind})` });
  }
  out.sort((x, y) => (RANK[x.response] ?? 9) - (RANK[y.response] ?? 9));
  if (scan !== null && scan.status === 'done') {
    for (const f of scan.findings as { text?: string }[]) if (typeof f.text === 'string') out.push({ response: 'fix', text: f.text });
  }
  if (device.trustLevel === 'critical' && !out.some((r) => r.response === 'quarantine')) {
    out.unshift({ response: 'quarantine', text: 'Trust is critical: consider quarantining the device until it is checked.' });
  }
  return out.slice(0, 10);
}
