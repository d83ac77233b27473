/**
 * A head's fleet pages: the Sensors table (state, last heartbeat, capabilities, load, queue, version, model) with
 * the assign-scan form, and every sensor's incidents and devices with a sensor column and a sensor filter.
 * Heartbeats are wall-clock times (the fleet link is about the appliances, not the traffic); incident and
 * device times are the sensors' packet times.
 */
import type { FleetDeviceRow, FleetIncidentRow, FleetSensorRow } from '../../fleet/index.js';
import { html, type Html } from '../html.js';
import { csrfField } from './layout.js';
import { fmtAgo, fmtInt, fmtTime, qs, trustBadge } from './format.js';
import { incidentSeverityBadge, kindName } from './incident.js';

export interface FleetSensorsPageData {
  sensors: FleetSensorRow[];
  nowMs: number;
  csrf: string;
  canAct: boolean;
  message: Html | null;
  /** what the assign form sends back after a refusal */
  form: { sensor: string; targets: string; ports: string };
}

function tabs(active: 'sensors' | 'incidents' | 'devices'): Html {
  const t = (key: typeof active, label: string, href: string) => html`<a href="${href}"${key === active ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<p class="filters" id="fleet-tabs">${t('sensors', 'Sensors', '/fleet')} · ${t('incidents', 'Incidents', '/fleet/incidents')} · ${t('devices', 'Devices', '/fleet/devices')}</p>`;
}

function stateBadge(s: FleetSensorRow['status']): Html {
  return html`<span class="badge st-${s}">${s}</span>`;
}

function yesNo(label: string, on: boolean): Html {
  return on ? html`<span class="badge st-online">${label}</span>` : html`<span class="badge st-offline" title="${label}: no">no ${label}</span>`;
}

function capabilities(s: FleetSensorRow): Html {
  const c = s.capabilities;
  return html`<code>${c.mode}</code>${c.iface !== '' ? html` on <code>${c.iface}</code>` : ''} ${yesNo('inline', c.inline)} ${yesNo('nmap', c.nmap)} ${yesNo('decoys', c.decoys)} ${yesNo('assignments', c.assignments)}${c.scanScope.length > 0 ? html`<br><span class="muted small">scope ${c.scanScope.join(', ')}</span>` : ''}`;
}

function load(s: FleetSensorRow): Html {
  const l = s.load;
  if (l === null) return html`<span class="muted">no heartbeat yet</span>`;
  return html`${fmtInt(l.packetsPerSecond)} packets/s, ${fmtInt(l.drops)} drops<br><span class="muted small">${fmtInt(l.activeFlows)} active flows, ${fmtInt(l.rssMB)} MB memory${l.diskFreeMB !== null ? `, ${fmtInt(l.diskFreeMB)} MB disk free` : ''}</span>`;
}

function sensorOptions(sensors: FleetSensorRow[], selected: string, all: string): Html {
  return html`<option value="">${all}</option>${sensors.map((s) => html`<option value="${s.id}"${s.id === selected ? html` selected` : ''}>${s.name}</option>`)}`;
}

export function fleetSensorsPage(d: FleetSensorsPageData): Html {
  const online = d.sensors.filter((s) => s.status === 'online').length;
  const assignable = d.sensors.filter((s) => s.status !== 'offline');
  return html`<h1>Sensors</h1>
  ${d.message}
  ${tabs('sensors')}
  <p class="muted small">${d.sensors.length} sensor${d.sensors.length === 1 ? '' : 's'}, ${online} online. A sensor is stale after fleet.staleSeconds without a heartbeat, offline when revoked or silent for a day.</p>
  ${d.sensors.length === 0
    ? html`<p class="muted">No sensor has registered yet: run <code>argus-edge fleet enrol</code> on this head and start a sensor with the token.</p>`
    : html`<div class="table-wrap"><table class="data" id="fleet-sensors"><thead><tr><th>Sensor</th><th>Status</th><th>Last heartbeat</th><th class="hide-sm">Capabilities</th><th>Load</th><th>Queue</th><th class="hide-sm">Version</th><th class="hide-sm">Model</th></tr></thead><tbody>${d.sensors.map(
        (s) => html`<tr id="sensor-${s.id}"><td><b>${s.name}</b><br><code class="small">${s.id}</code></td>
          <td>${stateBadge(s.status)}</td>
          <td class="nowrap" title="${s.lastHeartbeat ?? 'never'}">${s.lastHeartbeatMs === null ? html`<span class="muted">never</span>` : fmtAgo(s.lastHeartbeatMs * 1000, d.nowMs * 1000)}</td>
          <td class="hide-sm">${capabilities(s)}</td>
          <td>${load(s)}</td>
          <td>${fmtInt(s.queue)} result${s.queue === 1 ? '' : 's'} waiting${s.load !== null && s.load.outboxDropped > 0 ? html`, <span class="badge sev-medium">${fmtInt(s.load.outboxDropped)} dropped</span>` : ''}<br><span class="muted small">${s.assignmentsWaiting} assignment${s.assignmentsWaiting === 1 ? '' : 's'} open</span></td>
          <td class="hide-sm"><code>${s.version}</code></td>
          <td class="hide-sm">${s.load === null ? html`<span class="muted">—</span>` : html`${s.load.modelId !== null ? html`<code class="small">${s.load.modelId}</code> ` : ''}<span class="badge st-${s.load.modelState}">${s.load.modelState || 'unknown'}</span>`}</td></tr>`,
      )}</tbody></table></div>`}
  <section class="card" id="assign"><h2>Assign a scan</h2>
    <p class="muted small">The sensor pulls the assignment with its next heartbeat and runs it only if its own configuration allows (fleet.acceptAssignments, scan.enabled, scan.scope, fleet.maxAssignmentsPerHour); a refusal comes back with its reason. "Automatic" picks the sensor whose scan scope holds the targets and whose queue is shortest.</p>
    ${d.canAct
      ? html`<form method="post" action="/fleet/assign" class="filters">${csrfField(d.csrf)}
      <label>Sensor <select name="sensor"><option value="auto"${d.form.sensor === 'auto' || d.form.sensor === '' ? html` selected` : ''}>automatic</option>${assignable.map((s) => html`<option value="${s.id}"${s.id === d.form.sensor ? html` selected` : ''}>${s.name}</option>`)}</select></label>
      <label>Targets <input name="targets" required maxlength="600" value="${d.form.targets}" placeholder="192.168.1.0/24, 192.168.1.7"></label>
      <label>Ports <input name="ports" maxlength="128" value="${d.form.ports}" placeholder="1-1000" class="narrow"></label>
      <button type="submit">Assign</button></form>`
      : html`<p class="muted">Only an admin can assign scans.</p>`}
  </section>`;
}

export interface FleetIncidentsPageData {
  rows: FleetIncidentRow[];
  sensors: FleetSensorRow[];
  sensor: string;
}

const s = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function fleetIncidentsPage(d: FleetIncidentsPageData): Html {
  return html`<h1>Fleet incidents</h1>
  ${tabs('incidents')}
  <form method="get" action="/fleet/incidents" class="filters"><label>Sensor <select name="sensor">${sensorOptions(d.sensors, d.sensor, 'every sensor')}</select></label><button type="submit">Filter</button></form>
  <p class="muted small">${d.rows.length} incident${d.rows.length === 1 ? '' : 's'}, the newest state of each as its sensor reported it; times are the sensor's packet time (UTC).</p>
  <div class="table-wrap"><table class="data" id="fleet-incidents"><thead><tr><th>Sensor</th><th>Last seen</th><th>Severity</th><th>What</th><th class="hide-sm">Source</th><th>Alerts</th><th>State</th></tr></thead><tbody>${d.rows.map((r) => {
    const i = r.incident;
    const sev = s(i.severity);
    return html`<tr><td><a href="/fleet/incidents${qs({ sensor: r.sensor })}">${r.sensorName}</a></td>
      <td class="nowrap">${fmtTime(n(i.lastUs) || r.tsUs)}</td>
      <td>${sev === 'low' || sev === 'medium' || sev === 'high' || sev === 'critical' ? incidentSeverityBadge(sev) : html`<span class="badge">${sev}</span>`}</td>
      <td>${s(i.title)}<br><span class="muted small">${kindName(s(i.kind))} <code class="small">${s(i.kind)}</code></span></td>
      <td class="hide-sm"><code>${s(i.srcIp)}</code>${i.srcMac ? html`<br><code class="small">${s(i.srcMac)}</code>` : ''}</td>
      <td>${fmtInt(n(i.count))}</td>
      <td><span class="badge st-${s(i.state)}">${s(i.state)}</span> <span class="muted small">${r.change}</span></td></tr>`;
  })}</tbody></table></div>
  ${d.rows.length === 0 ? html`<p class="muted">No incidents${d.sensor !== '' ? ' from this sensor' : ''}.</p>` : ''}`;
}

export interface FleetDevicesPageData {
  rows: FleetDeviceRow[];
  sensors: FleetSensorRow[];
  sensor: string;
}

export function fleetDevicesPage(d: FleetDevicesPageData): Html {
  return html`<h1>Fleet devices</h1>
  ${tabs('devices')}
  <form method="get" action="/fleet/devices" class="filters"><label>Sensor <select name="sensor">${sensorOptions(d.sensors, d.sensor, 'every sensor')}</select></label><button type="submit">Filter</button></form>
  <p class="muted small">${d.rows.length} device${d.rows.length === 1 ? '' : 's'}, from the summaries the sensors sent (new devices and trust level changes).</p>
  <div class="table-wrap"><table class="data" id="fleet-devices"><thead><tr><th>Sensor</th><th>Name</th><th>IP</th><th class="hide-sm">MAC</th><th class="hide-sm">Vendor</th><th>Trust</th><th class="hide-sm">Last summary</th></tr></thead><tbody>${d.rows.map(
    (r) => html`<tr><td><a href="/fleet/devices${qs({ sensor: r.sensor })}">${r.sensorName}</a></td>
      <td>${r.hostname ?? html`<span class="muted">unnamed</span>`}</td>
      <td>${r.ip !== null ? html`<code>${r.ip}</code>` : html`<span class="muted">—</span>`}</td>
      <td class="hide-sm"><code>${r.mac}</code></td>
      <td class="hide-sm">${r.vendor ?? ''}</td>
      <td>${r.trustScore === null && r.trustLevel === null ? html`<span class="muted">no change reported</span>` : trustBadge(r.trustScore, r.trustLevel)}</td>
      <td class="hide-sm nowrap">${fmtTime(r.lastUs)}</td></tr>`,
  )}</tbody></table></div>
  ${d.rows.length === 0 ? html`<p class="muted">No devices${d.sensor !== '' ? ' from this sensor' : ''}.</p>` : ''}`;
}
