/**
 * Notifier: from bus events to channels. For each channel it applies the filters (minSeverity, kinds, devices,
 * topics), groups a device's incidents (after one is sent, the next ones within `groupSeconds` of packet time
 * become one "N more incidents from …" message), holds low and medium notices during quiet hours (one message
 * when they end) and hands the rest to the channel's queue. Critical notices are never grouped or held.
 * Grouping runs on the pipeline's ticks in packet time, so a replay sends the same messages every time.
 */
import { hostname } from 'node:os';
import type { Bus } from '../bus.js';
import { INCIDENT_SEVERITIES } from '../incidents/types.js';
import type { ChannelConfig } from './channel-config.js';
import { EmailChannel } from './email.js';
import { NtfyChannel, WebhookChannel } from './http-channels.js';
import { MqttChannel } from './mqtt.js';
import { actionNotice, deviceNotice, groupNotice, incidentNotice, type NoticeContext } from './notice.js';
import { ChannelQueue } from './queue.js';
import { resolveSecret } from './secret.js';
import type { PeriodFacts } from '../store/summary.js';
import { nextSummaryUs, summaryNotice, type CaptureFacts } from './summary.js';
import { SyslogChannel } from './syslog.js';
import type { Channel, ChannelHealth, DeviceState, Notice } from './types.js';

export interface NotifyConfig {
  channels: ChannelConfig[];
  dashboardUrl: string;
  groupSeconds: number;
  quietHours: string;
  dailySummaryHour: number;
  queueSize: number;
  maxAttempts: number;
}

export interface NotifierOptions {
  /** where links in messages point */
  dashboardUrl: string;
  deviceName(mac: string): string | null;
  /** response.newDevice: 'alert' and 'quarantine' announce new devices (a function: read at each new device, so a change from Settings applies at once) */
  newDevice: NewDevicePolicy | (() => NewDevicePolicy);
  warn(msg: string): void;
  /** the facts of a period for the daily summary (absent: no summary) */
  facts?(fromUs: number, toUs: number): PeriodFacts;
  capture?(): CaptureFacts;
  /** integrations with their health: one failing for an hour is announced (absent: not watched) */
  integrations?(): { name: string; enabled: boolean; ok: boolean; detail: string }[];
  /** wall clock, ms (tests move it) */
  wallMs?(): number;
  /** retry back-off; tests shorten it */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
}

/** devices remembered per channel for grouping (the least recently sent is forgotten first) */
const MAX_GROUP_DEVICES = 4096;
const MAX_HELD = 50;
/** devices whose state (trust, quarantine) is kept for state channels */
const MAX_STATE_DEVICES = 4096;

interface Held {
  notices: Notice[];
  extra: number;
}

interface Route {
  cfg: ChannelConfig;
  queue: ChannelQueue;
  /** device → packet time its last incident notice went out */
  lastSent: Map<string, number>;
  held: Map<string, Held>;
  quiet: Held | null;
}

/** Minutes after midnight, local time, of "HH:MM" */
function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

export function buildChannel(c: ChannelConfig, name: string, timeoutMs: number): Channel {
  const secret = (v: string, key: string) => resolveSecret(v, `notify channel ${name}: ${key}`);
  switch (c.type) {
    case 'webhook':
      return new WebhookChannel({ name, url: secret(c.url, 'url'), format: c.format, secret: secret(c.secret, 'secret'), headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, secret(v, `headers.${k}`)])), timeoutMs });
    case 'ntfy':
      return new NtfyChannel({ name, server: c.server, topic: c.topic, token: secret(c.token, 'token'), timeoutMs });
    case 'email':
      return new EmailChannel({ name, host: c.host, port: c.port, security: c.security, user: secret(c.user, 'user'), password: secret(c.password, 'password'), from: c.from, to: c.to, tlsVerify: c.tlsVerify, ca: c.ca, timeoutMs });
    case 'mqtt':
      return new MqttChannel({ name, url: c.url, username: secret(c.username, 'username'), password: secret(c.password, 'password'), topicPrefix: c.topicPrefix, discovery: c.discovery, discoveryPrefix: c.discoveryPrefix, tlsVerify: c.tlsVerify, maxDevices: MAX_STATE_DEVICES, timeoutMs });
    case 'syslog':
      return new SyslogChannel({ name, host: c.host, port: c.port, transport: c.transport, facility: c.facility, tlsVerify: c.tlsVerify, ca: c.ca, timeoutMs });
  }
}

/** The dashboard address for links: notify.dashboardUrl, else from web.tls, web.host and web.port. */
export function dashboardUrlOf(cfg: { notify: { dashboardUrl: string }; web: { host: string; port: number; tls: boolean } }): string {
  if (cfg.notify.dashboardUrl !== '') return cfg.notify.dashboardUrl.replace(/\/+$/, '');
  const host = cfg.web.host === '0.0.0.0' || cfg.web.host === '::' ? hostname() : cfg.web.host.includes(':') ? `[${cfg.web.host}]` : cfg.web.host;
  return `${cfg.web.tls ? 'https' : 'http'}://${host}:${cfg.web.port}`;
}

type NewDevicePolicy = 'allow' | 'alert' | 'quarantine';

export class Notifier {
  private readonly routes: Route[];
  private readonly ctx: NoticeContext;
  private readonly quiet: { start: number; end: number } | null;
  private off: (() => void)[] = [];
  /** packet time of the last tick */
  private nowUs = 0;
  /** packet time of the next daily summary (0: not scheduled yet) */
  private nextSummaryUs = 0;
  /** integration name → wall-clock ms since it has been failing; announced ones are marked */
  private readonly failing = new Map<string, { sinceMs: number; announced: boolean }>();
  private lastHealthCheckMs = 0;
  /** each device's latest state, for channels that publish state */
  private readonly states = new Map<string, DeviceState>();

  constructor(
    private readonly cfg: NotifyConfig,
    private readonly opts: NotifierOptions,
    /** channels by position; built from the configuration when absent */
    channels?: Channel[],
  ) {
    this.ctx = { dashboardUrl: opts.dashboardUrl.replace(/\/+$/, ''), deviceName: (m) => opts.deviceName(m) };
    this.routes = cfg.channels.map((c, i) => {
      const name = c.name || `${c.type}-${i + 1}`;
      const channel = channels?.[i] ?? buildChannel(c, name, opts.timeoutMs ?? 10_000);
      const queue = new ChannelQueue(channel, { maxQueue: cfg.queueSize, maxAttempts: cfg.maxAttempts, baseDelayMs: opts.baseDelayMs ?? 2000, maxDelayMs: opts.maxDelayMs ?? 600_000, warn: opts.warn });
      return { cfg: { ...c, name }, queue, lastSent: new Map(), held: new Map(), quiet: null };
    });
    const [qs, qe] = cfg.quietHours === '' ? [] : cfg.quietHours.split('-');
    this.quiet = qs !== undefined && qe !== undefined ? { start: minutes(qs), end: minutes(qe) } : null;
  }

  get channelCount(): number {
    return this.routes.length;
  }

  /** Subscribe to incidents, actions and new devices. */
  attach(bus: Bus): void {
    if (this.routes.length === 0) return;
    this.off.push(
      bus.on('incident', (e) => this.offer(incidentNotice(e, this.ctx))),
      bus.on('action', (e) => this.offer(actionNotice(e, this.ctx))),
      bus.on('device.new', (e) => {
        const policy = typeof this.opts.newDevice === 'function' ? this.opts.newDevice() : this.opts.newDevice;
        if (policy !== 'allow') this.offer(deviceNotice(e, this.ctx, policy === 'quarantine'));
      }),
    );
    if (this.routes.some((r) => r.queue.channel.deviceState !== undefined)) {
      this.off.push(
        bus.on('trust.change', (c) => this.state(c.mac, { ip: c.ip, trustScore: c.score, trustLevel: c.level })),
        bus.on('action', (e) => {
          const a = e.action;
          if (a.kind !== 'quarantine' || a.mac === null) return;
          this.state(a.mac, { quarantined: a.state === 'active' });
        }),
      );
    }
  }

  private state(mac: string, change: Partial<DeviceState>): void {
    const prev = this.states.get(mac) ?? { mac, name: null, ip: null, trustScore: 100, trustLevel: 'normal', quarantined: false };
    const next: DeviceState = { ...prev, ...change, name: this.opts.deviceName(mac) ?? prev.name };
    this.states.delete(mac);
    this.states.set(mac, next);
    if (this.states.size > MAX_STATE_DEVICES) this.states.delete(this.states.keys().next().value as string);
    for (const r of this.routes) if (wantsDevice(r.cfg, mac)) r.queue.channel.deviceState?.(next);
  }

  /** Route one notice to every channel that wants it. */
  offer(n: Notice | null): void {
    if (n === null) return;
    if (n.tsUs > this.nowUs) this.nowUs = n.tsUs;
    for (const r of this.routes) if (wants(r.cfg, n)) this.route(r, n);
  }

  /** Packet time moved on: send what grouping and quiet hours held back and is now due. */
  tick(nowUs: number): void {
    if (nowUs > this.nowUs) this.nowUs = nowUs;
    this.summaryDue(nowUs);
    this.watchIntegrations(nowUs);
    const window = this.cfg.groupSeconds * 1e6;
    for (const r of this.routes) {
      for (const [device, h] of r.held) {
        if (nowUs - (r.lastSent.get(device) ?? 0) < window) continue;
        r.held.delete(device);
        r.lastSent.set(device, nowUs);
        r.queue.push(groupNotice(`${device}`, h.notices, h.extra, nowUs, this.ctx, 'group'));
      }
      if (r.quiet !== null && !this.inQuiet(nowUs)) {
        const q = r.quiet;
        r.quiet = null;
        r.queue.push(groupNotice('quiet', q.notices, q.extra, nowUs, this.ctx, 'quiet'));
      }
    }
  }

  private summaryDue(nowUs: number): void {
    const hour = this.cfg.dailySummaryHour;
    if (hour < 0 || this.opts.facts === undefined || this.routes.length === 0 || nowUs >= Number.MAX_SAFE_INTEGER / 4) return;
    if (this.nextSummaryUs === 0) this.nextSummaryUs = nextSummaryUs(nowUs, hour);
    if (nowUs < this.nextSummaryUs) return;
    const toUs = this.nextSummaryUs;
    this.nextSummaryUs = nextSummaryUs(nowUs, hour);
    this.offer(summaryNotice(this.opts.facts(toUs - 86_400_000_000, toUs), this.opts.capture?.() ?? { packets: 0, drops: 0 }, this.ctx.dashboardUrl));
  }

  /** An integration failing for an hour of wall-clock time is announced once, until it works again. */
  private watchIntegrations(nowUs: number): void {
    if (this.opts.integrations === undefined || this.routes.length === 0) return;
    const now = this.opts.wallMs?.() ?? Date.now();
    if (now - this.lastHealthCheckMs < 60_000) return;
    this.lastHealthCheckMs = now;
    const seen = new Set<string>();
    for (const i of this.opts.integrations()) {
      if (!i.enabled || i.ok) continue;
      seen.add(i.name);
      const f = this.failing.get(i.name) ?? { sinceMs: now, announced: false };
      this.failing.set(i.name, f);
      if (f.announced || now - f.sinceMs < 3_600_000) continue;
      f.announced = true;
      this.offer({
        id: `integration-${i.name}-${f.sinceMs}`,
        topic: 'integration.failing',
        severity: 'medium',
        tsUs: nowUs,
        title: `${i.name} has been failing for an hour`,
        text: i.detail,
        kind: null,
        device: null,
        deviceName: null,
        links: [{ label: 'Open Settings', url: `${this.ctx.dashboardUrl}/settings` }],
        data: { integration: { name: i.name, detail: i.detail, failingSince: new Date(f.sinceMs).toISOString() } },
      });
    }
    for (const name of [...this.failing.keys()]) if (!seen.has(name)) this.failing.delete(name);
  }

  /** "Send a test message": one notice on every channel (or the one named), delivered now; the result of each. */
  async sendTest(actor: string, only?: string): Promise<{ channel: string; ok: boolean; error?: string }[]> {
    const tsUs = Date.now() * 1000;
    const n: Notice = {
      id: `test-${tsUs}`,
      topic: 'test',
      severity: 'low',
      tsUs,
      title: 'Argus Edge test message',
      text: `Sent from the dashboard by ${actor}. If you read this, notifications reach you here.`,
      kind: null,
      device: null,
      deviceName: null,
      links: [{ label: 'Open dashboard', url: `${this.ctx.dashboardUrl}/` }],
      data: {},
    };
    const out: { channel: string; ok: boolean; error?: string }[] = [];
    for (const r of this.routes) {
      if (only !== undefined && r.cfg.name !== only) continue;
      try {
        await r.queue.channel.send(n);
        out.push({ channel: r.cfg.name, ok: true });
      } catch (err) {
        out.push({ channel: r.cfg.name, ok: false, error: (err as Error).message });
      }
    }
    return out;
  }

  health(): ChannelHealth[] {
    return this.routes.map((r) => r.queue.health());
  }

  /** Stop listening, send what is held, wait up to `timeoutMs` for the queues, close the channels. */
  async close(timeoutMs = 3000): Promise<void> {
    for (const f of this.off.splice(0)) f();
    this.tick(Number.MAX_SAFE_INTEGER / 2);
    await Promise.all(this.routes.map((r) => r.queue.drain(timeoutMs)));
    await Promise.all(this.routes.map((r) => r.queue.close()));
  }

  private route(r: Route, n: Notice): void {
    const critical = n.severity === 'critical';
    if (!critical && n.topic !== 'test' && INCIDENT_SEVERITIES.indexOf(n.severity) <= 1 && this.inQuiet(n.tsUs)) {
      r.quiet ??= { notices: [], extra: 0 };
      hold(r.quiet, n);
      return;
    }
    const incident = n.topic === 'incident.open' || n.topic === 'incident.escalate';
    if (incident && n.device !== null && !critical && this.cfg.groupSeconds > 0) {
      const last = r.lastSent.get(n.device);
      if (last !== undefined && n.tsUs - last < this.cfg.groupSeconds * 1e6) {
        let h = r.held.get(n.device);
        if (h === undefined) r.held.set(n.device, (h = { notices: [], extra: 0 }));
        hold(h, n);
        return;
      }
      r.lastSent.delete(n.device);
      r.lastSent.set(n.device, n.tsUs);
      if (r.lastSent.size > MAX_GROUP_DEVICES) {
        const oldest = r.lastSent.keys().next().value as string;
        if (!r.held.has(oldest)) r.lastSent.delete(oldest);
      }
    }
    r.queue.push(n);
  }

  private inQuiet(tsUs: number): boolean {
    if (this.quiet === null) return false;
    const d = new Date(Math.floor(tsUs / 1000));
    const m = d.getHours() * 60 + d.getMinutes();
    const { start, end } = this.quiet;
    return start <= end ? m >= start && m < end : m >= start || m < end;
  }
}

function hold(h: Held, n: Notice): void {
  if (h.notices.length < MAX_HELD) h.notices.push(n);
  else h.extra++;
}

function wantsDevice(c: ChannelConfig, mac: string): boolean {
  return c.devices.length === 0 || c.devices.includes(mac.toLowerCase());
}

/** The channel's filters: severity, topics, kinds (incidents), devices. */
export function wants(c: ChannelConfig, n: Notice): boolean {
  if (n.topic === 'test') return true;
  if (n.topic === 'summary.daily') return c.topics.length === 0 || c.topics.includes(n.topic);
  if (INCIDENT_SEVERITIES.indexOf(n.severity) < INCIDENT_SEVERITIES.indexOf(c.minSeverity)) return false;
  if (c.topics.length > 0 && !c.topics.includes(n.topic)) return false;
  if (c.kinds.length > 0 && (n.kind === null || !c.kinds.includes(n.kind))) return false;
  if (c.devices.length > 0 && (n.device === null || !c.devices.includes(n.device.toLowerCase()))) return false;
  return true;
}
