/**
 * Notices built from bus events: the words a person reads on the phone. Pure functions of the event, the
 * device's name and the dashboard's address, so a replay sends the same messages.
 */
import type { Incident, IncidentEvent } from '../incidents/types.js';
import type { ActionEvent } from '../respond/types.js';
import type { DeviceEvent } from '../trust/types.js';
import type { Notice, NoticeLink, NoticeSeverity } from './types.js';

export interface NoticeContext {
  /** the dashboard's base URL, without a trailing slash */
  dashboardUrl: string;
  /** the name the dashboard shows for a device (label, hostname), or null */
  deviceName(mac: string): string | null;
}

function when(tsUs: number): string {
  return new Date(Math.floor(tsUs / 1000)).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function deviceLink(ctx: NoticeContext, mac: string | null): NoticeLink[] {
  return mac === null ? [] : [{ label: 'Open device', url: `${ctx.dashboardUrl}/devices/${encodeURIComponent(mac)}` }];
}

/** "garden-cam (192.168.1.30)" or "192.168.1.30" */
function who(ctx: NoticeContext, inc: Pick<Incident, 'srcMac' | 'srcIp'>): { name: string | null; label: string } {
  const name = inc.srcMac !== null ? ctx.deviceName(inc.srcMac) : null;
  return { name, label: name !== null ? `${name} (${inc.srcIp})` : inc.srcIp };
}

/** A notice for an incident that opened or escalated; null for the other changes. */
export function incidentNotice(e: IncidentEvent, ctx: NoticeContext): Notice | null {
  if (e.change !== 'open' && e.change !== 'escalate') return null;
  const inc = e.incident;
  const d = who(ctx, inc);
  const lines = [
    `${e.change === 'escalate' ? `Now ${inc.severity}: ` : ''}${inc.count} alert${inc.count === 1 ? '' : 's'} since ${when(inc.firstUs)}${inc.anomalyCount > 0 ? `, ${inc.anomalyCount} of them unusual flows` : ''}.`,
    ...inc.evidence.slice(0, 3).map((ev) => `• ${ev.text}`),
    'Open the dashboard to quarantine, allow or acknowledge it.',
  ];
  return {
    id: `${inc.id}:${e.change}:${inc.severity}`,
    topic: e.change === 'open' ? 'incident.open' : 'incident.escalate',
    severity: inc.severity,
    tsUs: e.tsUs,
    title: `${d.label}: ${inc.title}`,
    text: lines.join('\n'),
    kind: inc.kind,
    device: inc.srcMac,
    deviceName: d.name,
    links: [{ label: 'Open alerts', url: `${ctx.dashboardUrl}/alerts` }, ...deviceLink(ctx, inc.srcMac)],
    data: { incident: { id: inc.id, kind: inc.kind, severity: inc.severity, state: inc.state, count: inc.count, srcIp: inc.srcIp, srcMac: inc.srcMac, target: inc.target, firstUs: inc.firstUs, lastUs: inc.lastUs, evidence: inc.evidence.map((x) => x.text) } },
  };
}

/** A notice for an action that took effect, waits for approval, or was lifted; null for the rest. */
export function actionNotice(e: ActionEvent, ctx: NoticeContext): Notice | null {
  const a = e.action;
  const target = a.mac ?? a.ip ?? 'unknown';
  const name = a.mac !== null ? ctx.deviceName(a.mac) : null;
  const label = name !== null ? `${name} (${target})` : target;
  const what = a.kind === 'quarantine' ? 'quarantined' : a.kind === 'block' ? 'blocked' : 'rate-limited';
  const dry = a.dryRun ? ' (dry run: recorded, not enforced)' : '';
  let topic: Notice['topic'];
  let severity: NoticeSeverity;
  let title: string;
  const links = [...deviceLink(ctx, a.mac)];
  if (e.verb === 'action.create' && a.state === 'pending') {
    topic = 'action.pending';
    severity = 'high';
    title = `Waiting for your approval: ${label} to be ${what}`;
    links.unshift({ label: 'Review (approve or deny)', url: `${ctx.dashboardUrl}/actions/${a.id}/review` });
  } else if ((e.verb === 'action.create' && a.state === 'active') || e.verb === 'action.approve') {
    topic = 'action.active';
    severity = a.kind === 'quarantine' ? 'high' : 'medium';
    title = `${label} was ${what}${dry}`;
  } else if (e.verb === 'action.release' || e.verb === 'action.expire') {
    topic = 'action.release';
    severity = 'low';
    title = `${label} is no longer ${what}${e.verb === 'action.expire' ? ' (expired)' : ''}`;
  } else return null;
  return {
    id: `action-${a.id}:${e.verb}:${a.state}`,
    topic,
    severity,
    tsUs: e.tsUs,
    title,
    text: [`Reason: ${a.reason}`, `By: ${a.actor}`, ...(a.expiresUs !== null && topic !== 'action.release' ? [`Until: ${when(a.expiresUs)}`] : [])].join('\n'),
    kind: null,
    device: a.mac,
    deviceName: name,
    links,
    data: { action: { id: a.id, kind: a.kind, state: a.state, mac: a.mac, ip: a.ip, reason: a.reason, actor: a.actor, dryRun: a.dryRun, expiresUs: a.expiresUs } },
  };
}

/** A notice for a device seen for the first time (the caller decides whether the policy wants one). */
export function deviceNotice(e: DeviceEvent, ctx: NoticeContext, held: boolean): Notice {
  const desc = [e.hostname, e.vendor].filter((x) => x !== null).join(', ');
  return {
    id: `device-${e.mac}:new`,
    topic: 'device.new',
    severity: held ? 'high' : 'medium',
    tsUs: e.tsUs,
    title: `New device on the network: ${desc !== '' ? `${desc} ` : ''}(${e.mac})`,
    text: [`Addresses: ${e.ips.join(', ') || 'none yet'}`, ...(e.randomMac ? ['It uses a randomised MAC address (a phone or laptop with privacy addresses).'] : []), held ? 'It is held in quarantine until you release it.' : 'Rename it, or quarantine it if you do not know it.'].join('\n'),
    kind: null,
    device: e.mac,
    deviceName: e.hostname,
    links: deviceLink(ctx, e.mac),
    data: { device: { mac: e.mac, ips: e.ips, hostname: e.hostname, vendor: e.vendor, randomMac: e.randomMac } },
  };
}

/** One message for the notices held back for a device (grouping) or for the whole of quiet hours. */
export function groupNotice(key: string, held: Notice[], extra: number, tsUs: number, ctx: NoticeContext, why: 'group' | 'quiet'): Notice {
  const n = held.length + extra;
  const order = ['low', 'medium', 'high', 'critical'] as const;
  const severity = held.reduce<NoticeSeverity>((s, x) => (order.indexOf(x.severity) > order.indexOf(s) ? x.severity : s), 'low');
  const kinds = [...new Set(held.map((x) => x.kind ?? x.topic))];
  const first = held[0]!;
  const from = why === 'group' ? (first.deviceName ?? first.device ?? 'one device') : null;
  return {
    id: `group-${key}-${tsUs}`,
    topic: 'incident.group',
    severity,
    tsUs,
    title: why === 'group' ? `${n} more incident${n === 1 ? '' : 's'} from ${from}` : `${n} notification${n === 1 ? '' : 's'} held during quiet hours`,
    text: [`Kinds: ${kinds.join(', ')}`, ...held.slice(0, 5).map((x) => `• ${x.title}`), ...(n > 5 ? [`… and ${n - 5} more`] : [])].join('\n'),
    kind: kinds.length === 1 ? (first.kind ?? null) : null,
    device: why === 'group' ? first.device : null,
    deviceName: why === 'group' ? first.deviceName : null,
    links: why === 'group' ? [{ label: 'Open alerts', url: `${ctx.dashboardUrl}/alerts` }, ...deviceLink(ctx, first.device)] : [{ label: 'Open alerts', url: `${ctx.dashboardUrl}/alerts` }],
    data: { group: { count: n, kinds, titles: held.slice(0, 20).map((x) => x.title) } },
  };
}
