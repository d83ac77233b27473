/**
 * The daily summary: once a day, at notify.dailySummaryHour local time (packet time), one message with the last
 * 24 hours: alerts by kind, devices whose trust fell, new devices, actions taken and capture health.
 */
import type { PeriodFacts } from '../store/summary.js';
import type { Notice } from './types.js';

export interface CaptureFacts {
  packets: number;
  drops: number;
}

function day(tsUs: number): string {
  const d = new Date(Math.floor(tsUs / 1000));
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function summaryNotice(f: PeriodFacts, capture: CaptureFacts, dashboardUrl: string): Notice {
  const alerts = f.alertsByKind.reduce((a, k) => a + k.count, 0);
  const lines = [
    alerts === 0 ? 'No alerts.' : `Alerts: ${alerts} (${f.alertsByKind.map((k) => `${k.kind} ${k.count}`).join(', ')})`,
    f.trustFell.length === 0 ? 'No device lost trust.' : `Trust fell: ${f.trustFell.map((d) => `${d.name ?? d.mac} ${Math.round(d.from)} → ${Math.round(d.to)}`).join(', ')}`,
    f.newDevices.length === 0 ? 'No new devices.' : `New devices: ${f.newDevices.map((d) => d.name ?? (d.vendor ? `${d.vendor} ${d.mac}` : d.mac)).join(', ')}`,
    f.actions.length === 0 ? 'No actions taken.' : `Actions: ${f.actions.map((a) => `${a.kind} ${a.state} ${a.count}`).join(', ')}`,
    `Capture: ${capture.packets.toLocaleString('en-US')} packets so far, ${capture.drops.toLocaleString('en-US')} dropped.`,
  ];
  const worst = f.trustFell.some((d) => d.to < 20) ? 'high' : f.trustFell.length > 0 || alerts > 0 ? 'medium' : 'low';
  return {
    id: `summary-${day(f.toUs)}`,
    topic: 'summary.daily',
    severity: worst,
    tsUs: f.toUs,
    title: `Daily summary for ${day(f.fromUs)}: ${alerts} alert${alerts === 1 ? '' : 's'}, ${f.trustFell.length} device${f.trustFell.length === 1 ? '' : 's'} lost trust, ${f.newDevices.length} new`,
    text: lines.join('\n'),
    kind: null,
    device: null,
    deviceName: null,
    links: [{ label: 'Open dashboard', url: `${dashboardUrl}/` }],
    data: { summary: { from: new Date(Math.floor(f.fromUs / 1000)).toISOString(), to: new Date(Math.floor(f.toUs / 1000)).toISOString(), alertsByKind: f.alertsByKind, trustFell: f.trustFell, newDevices: f.newDevices, actions: f.actions, capture } },
  };
}

/** The packet time, µs, of the next `hour`:00 local time strictly after `afterUs`. */
export function nextSummaryUs(afterUs: number, hour: number): number {
  const d = new Date(Math.floor(afterUs / 1000));
  const at = new Date(d.getFullYear(), d.getMonth(), d.getDate(), hour, 0, 0, 0);
  if (at.getTime() * 1000 <= afterUs) at.setDate(at.getDate() + 1);
  return at.getTime() * 1000;
}
