/**
 * Notifications: what the appliance tells a person who is not looking at the dashboard. A Notice is built once
 * from a bus event (an incident that opens or escalates, an action, a new device) and handed to every channel
 * whose filters it passes; each channel has its own bounded queue, retries and health, so a dead server never
 * slows capture (src/notify/queue.ts).
 */
import type { IncidentSeverity } from '../incidents/types.js';

export type NoticeSeverity = IncidentSeverity;

/**
 * What a notice is about.
 * - incident.open / incident.escalate: an incident at or above a channel's minSeverity opened or rose
 * - incident.group: the incidents of one device held back within `groupSeconds`, sent as one message
 * - action.active / action.pending / action.release: a quarantine or block took effect, waits for approval, was lifted
 * - device.new: a device was seen for the first time (sent when response.newDevice is 'notify' or 'hold')
 * - integration.failing: a threat feed, InfluxDB or another channel has been failing for an hour
 * - sensor.stale / sensor.back: on a fleet head, a sensor went silent for fleet.staleSeconds, or reports again
 * - summary.daily: the daily summary (notify.dailySummaryHour)
 * - test: "send a test message" from Settings or the API
 */
export const NOTICE_TOPICS = ['incident.open', 'incident.escalate', 'incident.group', 'action.active', 'action.pending', 'action.release', 'device.new', 'integration.failing', 'sensor.stale', 'sensor.back', 'summary.daily', 'test'] as const;
export type NoticeTopic = (typeof NOTICE_TOPICS)[number];

export interface NoticeLink {
  label: string;
  url: string;
}

export interface Notice {
  /** idempotency key: the same notice is never queued twice on one channel */
  id: string;
  topic: NoticeTopic;
  severity: NoticeSeverity;
  /** packet time of the event, µs */
  tsUs: number;
  /** one line: "garden-cam is scanning the LAN" */
  title: string;
  /** a few plain-text lines: what happened, the evidence, what to do */
  text: string;
  /** the alert kind for incident notices (channel `kinds` filters on it) */
  kind: string | null;
  /** the device (MAC) it is about, when there is one (channel `devices` filters on it) */
  device: string | null;
  /** the device's name as the dashboard shows it */
  deviceName: string | null;
  /** where to look: the incident or device page; approvals carry a review link */
  links: NoticeLink[];
  /** the machine-readable body of the `json` format (documented in README "Notifications") */
  data: Record<string, unknown>;
}

/** A LAN device's current state, for channels that publish state (MQTT / Home Assistant). */
export interface DeviceState {
  mac: string;
  name: string | null;
  ip: string | null;
  trustScore: number;
  trustLevel: string;
  quarantined: boolean;
}

/** Sends one notice; rejects with an Error whose message is safe to log (no secrets) when delivery failed. */
export interface Channel {
  readonly name: string;
  readonly type: string;
  send(notice: Notice): Promise<void>;
  /** channels that keep per-device state (MQTT) receive every trust or quarantine change */
  deviceState?(state: DeviceState): void;
  close?(): Promise<void> | void;
}

export interface ChannelHealth {
  name: string;
  type: string;
  queued: number;
  sent: number;
  /** delivery attempts that failed (each retry counts) */
  failures: number;
  /** notices given up after every retry */
  deadLetters: number;
  /** notices refused because the queue was full */
  dropped: number;
  lastError: string | null;
  /** wall-clock ms of the last successful delivery */
  lastSentMs: number | null;
}
