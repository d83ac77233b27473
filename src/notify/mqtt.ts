/**
 * The `mqtt` channel: incidents and per-device state on an MQTT broker, with Home Assistant MQTT discovery so a
 * Home Assistant user sees every LAN device without writing YAML.
 *
 * Topics (prefix `argus-edge` by default; <id> is the MAC without colons):
 *   <prefix>/status                 online / offline (retained; offline is the connection's last will)
 *   <prefix>/notice                 every notice as JSON (QoS 1)
 *   <prefix>/device/<id>/state      {"trust_score", "trust_level", "quarantined", "ip"} (retained)
 *   <prefix>/device/<id>/incident   {"event_type": "incident", "kind", "severity", "title", …} (QoS 1)
 * Discovery (retained, under `homeassistant/` by default), one HA device per LAN device:
 *   sensor/<nodeid>/trust_score/config, sensor/<nodeid>/trust_level/config,
 *   binary_sensor/<nodeid>/quarantined/config, event/<nodeid>/incident/config
 * State is coalesced: only each device's latest state is kept (bounded by maxDevices) and all of it is
 * published again after a reconnect, so nothing needs queueing while the broker is away.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Channel, DeviceState, Notice } from './types.js';

export interface MqttSettings {
  name: string;
  /** mqtt://host:1883 or mqtts://host:8883 */
  url: string;
  username: string;
  password: string;
  topicPrefix: string;
  discovery: boolean;
  discoveryPrefix: string;
  tlsVerify: boolean;
  maxDevices: number;
  timeoutMs: number;
}

const nodeId = (mac: string): string => `argus_${mac.toLowerCase().replace(/[^0-9a-f]/g, '')}`;
const devId = (mac: string): string => mac.toLowerCase().replace(/[^0-9a-f]/g, '');

export class MqttChannel implements Channel {
  readonly type = 'mqtt';
  private readonly client: MqttClient;
  private readonly states = new Map<string, DeviceState>();
  private readonly announced = new Set<string>();
  /** devices whose state was not published yet (the broker was away) */
  private readonly dirty = new Set<string>();

  constructor(private readonly s: MqttSettings) {
    const status = `${s.topicPrefix}/status`;
    this.client = mqtt.connect(s.url, {
      ...(s.username !== '' ? { username: s.username, password: s.password } : {}),
      clientId: `argus-edge-${process.pid}-${Math.floor(Math.random() * 1e6)}`,
      connectTimeout: s.timeoutMs,
      reconnectPeriod: 5000,
      rejectUnauthorized: s.tlsVerify,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      // notices wait in our own bounded queue, not in the client's
      queueQoSZero: false,
    });
    this.client.on('connect', () => {
      this.client.publish(status, 'online', { qos: 1, retain: true });
      // after a reconnect the broker may have restarted without persistence: announce and publish again
      this.announced.clear();
      for (const mac of this.states.keys()) this.dirty.add(mac);
      this.flushStates();
    });
    this.client.on('error', () => undefined);
  }

  get name(): string {
    return this.s.name;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async send(n: Notice): Promise<void> {
    if (!this.client.connected) throw new Error(`mqtt ${redact(this.s.url)}: not connected`);
    await this.publish(`${this.s.topicPrefix}/notice`, JSON.stringify({ id: n.id, topic: n.topic, severity: n.severity, title: n.title, text: n.text, kind: n.kind, device: n.device, links: n.links, time: new Date(Math.floor(n.tsUs / 1000)).toISOString(), ...n.data }), false);
    if (n.device !== null && (n.topic === 'incident.open' || n.topic === 'incident.escalate' || n.topic === 'incident.group')) {
      this.ensureDevice(n.device, n.deviceName);
      await this.publish(`${this.s.topicPrefix}/device/${devId(n.device)}/incident`, JSON.stringify({ event_type: 'incident', kind: n.kind, severity: n.severity, title: n.title, topic: n.topic }), false);
    }
  }

  /** A device's latest state; published now when connected, else after the next connect. */
  deviceState(st: DeviceState): void {
    const mac = st.mac.toLowerCase();
    if (!this.states.has(mac) && this.states.size >= this.s.maxDevices) {
      const oldest = this.states.keys().next().value as string;
      this.states.delete(oldest);
      this.dirty.delete(oldest);
    }
    this.states.delete(mac);
    this.states.set(mac, { ...st, mac });
    this.dirty.add(mac);
    this.flushStates();
  }

  private flushStates(): void {
    if (!this.client.connected) return;
    for (const mac of [...this.dirty]) {
      const st = this.states.get(mac);
      this.dirty.delete(mac);
      if (st === undefined) continue;
      this.ensureDevice(mac, st.name);
      this.client.publish(`${this.s.topicPrefix}/device/${devId(mac)}/state`, JSON.stringify({ trust_score: Math.round(st.trustScore * 10) / 10, trust_level: st.trustLevel, quarantined: st.quarantined, ip: st.ip }), { qos: 1, retain: true });
    }
  }

  /** Home Assistant discovery for one device, once per connection. */
  private ensureDevice(mac: string, name: string | null): void {
    if (!this.s.discovery || this.announced.has(mac) || !this.client.connected) return;
    this.announced.add(mac);
    const node = nodeId(mac);
    const base = `${this.s.topicPrefix}/device/${devId(mac)}`;
    const device = { identifiers: [node], connections: [['mac', mac]], name: name ?? `Device ${mac}`, via_device: 'argus_edge' };
    const availability = { availability_topic: `${this.s.topicPrefix}/status` };
    const p = this.s.discoveryPrefix;
    const cfg = (component: string, object: string, body: Record<string, unknown>): void => {
      this.client.publish(`${p}/${component}/${node}/${object}/config`, JSON.stringify({ ...body, unique_id: `${node}_${object}`, object_id: `${node}_${object}`, device, ...availability }), { qos: 1, retain: true });
    };
    cfg('sensor', 'trust_score', { name: 'Trust score', state_topic: `${base}/state`, value_template: '{{ value_json.trust_score }}', state_class: 'measurement', icon: 'mdi:shield-check' });
    cfg('sensor', 'trust_level', { name: 'Trust level', state_topic: `${base}/state`, value_template: '{{ value_json.trust_level }}', icon: 'mdi:shield-alert' });
    cfg('binary_sensor', 'quarantined', { name: 'Quarantined', state_topic: `${base}/state`, value_template: "{{ 'ON' if value_json.quarantined else 'OFF' }}", payload_on: 'ON', payload_off: 'OFF', device_class: 'problem' });
    cfg('event', 'incident', { name: 'Incident', state_topic: `${base}/incident`, event_types: ['incident'], icon: 'mdi:alert' });
  }

  private publish(topic: string, payload: string, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mqtt ${redact(this.s.url)}: no PUBACK within ${this.s.timeoutMs} ms`)), this.s.timeoutMs);
      this.client.publish(topic, payload, { qos: 1, retain }, (err) => {
        clearTimeout(timer);
        if (err) reject(new Error(`mqtt ${redact(this.s.url)}: ${err.message}`));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.client.connected) await new Promise<void>((r) => this.client.publish(`${this.s.topicPrefix}/status`, 'offline', { qos: 1, retain: true }, () => r()));
    await new Promise<void>((r) => this.client.end(false, {}, () => r()));
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid URL)';
  }
}
