/**
 * One incident as people read it: a human name for its kind, one sentence of what the device did, its severity
 * as a word, and the buttons to act on it. Shared by the Overview's "Needs attention", the Alerts page, the
 * device page and the live stream (SSE), so a row looks the same wherever it appears.
 */
import type { AlertKind } from '../../detectors/alert.js';
import type { IncidentRow } from '../../store/incidents.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtInt, fmtTime } from './format.js';

/** Human names of the alert kinds, one for every kind (the compiler checks); a stored kind this build does not know shows its code. */
export const KIND_NAMES: Readonly<Record<AlertKind, string>> = {
  'scan.port.vertical': 'Port scan',
  'scan.port.horizontal': 'Network sweep',
  'scan.lan.sweep': 'Sweep of the LAN for devices',
  'scan.service': 'Probing which software runs on a device',
  'scan.arp': 'ARP sweep of the LAN',
  'bruteforce.ssh': 'SSH password guessing',
  'bruteforce.telnet': 'Telnet password guessing',
  'bruteforce.ftp': 'FTP password guessing',
  'bruteforce.rdp': 'Remote desktop password guessing',
  'bruteforce.http': 'Web login guessing',
  'dos.synflood': 'SYN flood',
  'dns.tunnel': 'Data hidden in DNS',
  'c2.beacon': 'Calling home at a steady beat',
  'exfil.upload': 'Unusually large upload',
  'arp.spoof': 'ARP spoofing',
  'intel.blocklist': 'Contact with a known-bad address',
  'decoy.touch': 'Touched a decoy',
  'flood.devices': 'Flood of new devices',
  anomaly: 'Unusual traffic',
};

export function kindName(kind: string): string {
  return (KIND_NAMES as Readonly<Record<string, string>>)[kind] ?? kind;
}

/** What the device did, as the rest of a sentence that starts with its name. */
function didWhat(i: Pick<IncidentRow, 'kind' | 'target' | 'targets'>): string {
  const t = i.target === '*' ? (i.targets.length > 1 ? `${i.targets.length} hosts` : (i.targets[0] ?? 'several hosts')) : i.target;
  switch (i.kind) {
    case 'scan.port.vertical':
      return `probed the ports of ${t}, looking for services to attack`;
    case 'scan.port.horizontal':
      return `probed ${t} on the same port, looking for devices to attack`;
    case 'scan.lan.sweep':
      return `probed ${t} of the local network, looking for devices to attack`;
    case 'scan.service':
      return `asked the services of ${t} which software and version they run, as attackers do before an exploit`;
    case 'scan.arp':
      return `swept the local network with ARP requests to find every device`;
    case 'bruteforce.ssh':
    case 'bruteforce.telnet':
    case 'bruteforce.ftp':
    case 'bruteforce.rdp':
    case 'bruteforce.http':
      return `tried many ${i.kind.slice('bruteforce.'.length).toUpperCase()} logins on ${t}, as password guessing does`;
    case 'dos.synflood':
      return `flooded ${t} with half-open connections`;
    case 'dns.tunnel':
      return `sent data hidden in DNS names under ${t}`;
    case 'c2.beacon':
      return `contacted ${t} at a steady interval, as malware checking in with its controller does`;
    case 'exfil.upload':
      return `sent far more data than usual to ${t}`;
    case 'arp.spoof':
      return `answered for an address that belongs to another device (ARP spoofing)`;
    case 'intel.blocklist':
      return `contacted ${t}, which is on a threat-intelligence list`;
    case 'decoy.touch':
      return `connected to a decoy port that no real service uses`;
    case 'flood.devices':
      return `flooded ${t} with frames from new MAC addresses (counted, not stored one by one)`;
    case 'anomaly':
      return `made connections unlike this network's usual traffic`;
    default:
      return `raised ${i.kind} alerts about ${t}`;
  }
}

/** "garden-cam (192.168.1.30) probed the ports of 192.168.1.50, …" — the device part is the caller's. */
export function incidentSentence(i: IncidentRow): string {
  return didWhat(i);
}

/** How many alerts and over what time, in a few words: "1,025 alerts (1,024 unusual flows), 10:06–10:07". */
export function incidentTally(i: IncidentRow): string {
  const flows = i.anomalyCount > 0 && i.kind !== 'anomaly' ? ` (${fmtInt(i.anomalyCount)} unusual flows)` : '';
  const [a, b] = [fmtTime(i.firstUs), fmtTime(i.lastUs)];
  const span = a === b ? a : a.slice(0, 10) === b.slice(0, 10) ? `${a} – ${b.slice(11)}` : `${a} – ${b}`;
  return `${fmtInt(i.count)} alert${i.count === 1 ? '' : 's'}${flows}, ${span} UTC`;
}

export function incidentSeverityBadge(sev: IncidentRow['severity']): Html {
  // high and critical share the red of Suricata's "high"; critical says so in the word
  const cls = sev === 'critical' ? 'sev-high sev-critical' : `sev-${sev}`;
  return html`<span class="badge ${cls}">${sev}</span>`;
}

export interface IncidentViewOptions {
  csrf: string;
  /** admins get the buttons */
  canAct: boolean;
  /** the device's name (label or hostname) when known */
  deviceName: string | null;
  /** the device's open quarantine (active or pending), when it has one: offer Release instead of Quarantine */
  quarantineId: number | null;
  /** where the forms come back to */
  back: string;
  /** whether the firewall only records (dry run): said on the button */
  dryRun: boolean;
  /** render a selection checkbox for bulk acknowledge (Alerts page) */
  selectable?: boolean;
  fresh?: boolean;
}

/** Element id of an incident's row or card. */
export function incidentDomId(id: string): string {
  return 'inc-' + Buffer.from(id).toString('base64url');
}

function hidden(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/** An incident whose own evidence calls for cutting the device off: the Quarantine button is red. */
function urgent(i: IncidentRow): boolean {
  return i.suggestedResponse === 'quarantine' || i.suggestedResponse === 'block' || i.severity === 'high' || i.severity === 'critical';
}

/** The action buttons of one incident (plain forms posting back to `o.back`). */
export function incidentActions(i: IncidentRow, o: IncidentViewOptions): Html {
  if (!o.canAct) return i.acknowledged ? html`<span class="muted small">seen</span>` : html``;
  const base = `/incidents/${encodeURIComponent(i.id)}`;
  const f = (verb: string, label: string, cls: string, title: string): Html =>
    html`<form method="post" action="${base}/${verb}" class="inline">${csrfField(o.csrf)}${hidden('back', o.back)}<button type="submit" class="${cls}" title="${title}">${label}</button></form>`;
  const mac = i.srcMac;
  const respond =
    mac === null
      ? html``
      : o.quarantineId !== null
        ? f('release', 'Release', 'small', 'lift the quarantine of this device')
        : html`${f('quarantine', o.dryRun ? 'Quarantine (dry run)' : 'Quarantine', urgent(i) ? 'small danger' : 'small', o.dryRun ? 'record the firewall commands of a quarantine without running them (not inline)' : 'cut this device off the network')}${f('allow', 'Allow', 'small', 'trust this device: add it to the allow-list and acknowledge')}`;
  const ack = i.acknowledged ? html`<span class="muted small">seen</span>` : f('ack', 'Acknowledge', 'small', 'mark this incident and all its alerts seen');
  const mute = mac === null ? html`` : i.muted ? f('unmute', 'Unmute', 'small link', 'show this kind of incident of this device again') : f('mute', 'Mute', 'small link', 'hide this kind of incident of this device from the lists');
  return html`<span class="inc-actions">${respond}${ack}${mute}</span>`;
}

/** Who: the device's name and address, linked to its page. */
export function incidentWho(i: IncidentRow, name: string | null): Html {
  const label = name ?? i.srcIp;
  const addr = name !== null && i.srcIp !== '0.0.0.0' && i.srcIp !== '::' ? html` <span class="muted small">${i.srcIp}</span>` : html``;
  return i.srcMac !== null ? html`<a href="/devices/${i.srcMac}"><b>${label}</b></a>${addr}` : html`<b>${label}</b>`;
}

/** One incident as a card for "Needs attention": device, sentence, tally, buttons. */
export function incidentCard(i: IncidentRow, o: IncidentViewOptions): Html {
  return html`<li class="incident sev-border-${i.severity}${i.acknowledged ? ' acked' : ''}${o.fresh === true ? ' fresh' : ''}" id="${incidentDomId(i.id)}">
    <div class="inc-head">${incidentSeverityBadge(i.severity)} <span class="inc-kind">${kindName(i.kind)}</span> <code class="small">${i.kind}</code></div>
    <p class="inc-text" title="${i.title}">${incidentWho(i, o.deviceName)} ${incidentSentence(i)}.</p>
    <div class="inc-foot"><a class="muted small" href="/incidents/${encodeURIComponent(i.id)}">${incidentTally(i)}</a>${incidentActions(i, o)}</div>
  </li>`;
}

/** One incident as a table row (Alerts page, device page). */
export function incidentRow(i: IncidentRow, o: IncidentViewOptions): Html {
  return html`<tr id="${incidentDomId(i.id)}" class="${i.acknowledged ? 'acked' : ''}${o.fresh === true ? ' fresh' : ''}">
    ${o.selectable === true ? html`<td class="sel">${o.canAct && !i.acknowledged ? html`<input type="checkbox" name="id" value="${i.id}" form="bulk-ack" aria-label="select">` : ''}</td>` : ''}
    <td class="nowrap">${incidentSeverityBadge(i.severity)}${i.state === 'open' ? '' : html` <span class="muted small">closed</span>`}</td>
    <td class="sig"><b>${kindName(i.kind)}</b> <code class="small">${i.kind}</code>
      <div>${incidentWho(i, o.deviceName)} ${incidentSentence(i)}.</div>
      <div class="muted small">${i.title} · ${incidentTally(i)} · <a href="/incidents/${encodeURIComponent(i.id)}">details</a></div></td>
    <td class="actions">${incidentActions(i, o)}</td>
  </tr>`;
}

export function incidentTableHead(selectable: boolean): Html {
  return html`<thead><tr>${selectable ? html`<th class="sel"></th>` : ''}<th>Severity</th><th>What happened</th><th></th></tr></thead>`;
}
