/** Human-readable numbers and the replay summary text. */
import type { PipelineSummary } from '../pipeline.js';

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) [n, i] = [n / 1000, i + 1];
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

const list = (o: Record<string, number | undefined>): string =>
  Object.entries(o)
    .filter(([, v]) => (v ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${int(v ?? 0)}`)
    .join(', ') || 'none';

export function summaryText(s: PipelineSummary, seconds: number, extra: string[] = []): string {
  const pps = seconds > 0 ? s.packets / seconds : 0;
  return [
    `packets   ${int(s.packets)} (${bytes(s.bytes)}) in ${seconds.toFixed(2)} s: ${int(pps)} packets/s, ${bytes(seconds > 0 ? s.bytes / seconds : 0)}/s`,
    `span      ${s.packets > 0 ? `${new Date(s.firstUs / 1000).toISOString()} to ${new Date(s.lastUs / 1000).toISOString()}` : 'no packets'}`,
    `flows     ${int(s.flows)}: ${list(s.flowsByConnState)}`,
    `ended by  ${list(s.flowsByEndReason)}`,
    ...(s.flowsFolded > 0 ? [`folded    ${int(s.flowsFolded)} half-open flows of a SYN flood counted into its incident, not exported`] : []),
    `decoder   ${list(s.decodeEvents)}${s.undecoded > 0 ? `; ${int(s.undecoded)} frames not decoded` : ''}`,
    ...extra,
  ].join('\n');
}

/** A one-line progress bar for a terminal: [#####.....]  42%  1.2 GB of 2.9 GB */
export function progressLine(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ${bytes(done)} of ${bytes(total)}`;
}
