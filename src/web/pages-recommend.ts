/**
 * Recommendations for one device: the trust stage's advice (src/trust/recommend.ts) when the appliance gives
 * it, else derived from its open alerts' suggested responses; then its last scan's findings. The strongest
 * first, one line per distinct suggestion.
 */
import type { AlertRow } from '../store/alerts.js';
import type { DeviceRow } from '../store/devices.js';
import type { ScanRow } from '../store/registry.js';
import type { Recommendation } from './views/device.js';

/** strongest first; 'none' is never shown */
const RANK: Record<string, number> = { quarantine: 0, block: 1, 'rate-limit': 2, monitor: 3 };

/** the trust stage's severities as the response they call for */
const BY_SEVERITY: Record<number, string> = { 1: 'quarantine', 2: 'monitor', 3: 'monitor' };

export function recommendationsFor(
  device: DeviceRow,
  alerts: readonly AlertRow[],
  scan: ScanRow | null,
  advice: readonly { severity: number; text: string }[] | null = null,
): Recommendation[] {
  const out: Recommendation[] = [];
  const seen = new Set<string>();
  if (advice !== null && advice.length > 0) {
    for (const r of advice) out.push({ response: BY_SEVERITY[r.severity] ?? 'monitor', text: r.text });
    return out.slice(0, 10);
  }
  for (const a of alerts) {
    if (a.acknowledged || a.suggestedResponse === 'none') continue;
    const key = `${a.suggestedResponse}|${a.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ response: a.suggestedResponse, text: a.signature, kind: a.kind });
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
