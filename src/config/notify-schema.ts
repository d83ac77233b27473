/**
 * The `notify:` section: where notifications go (src/notify) and how they are grouped.
 */
import { checkChannel, type ChannelConfig } from '../notify/channel-config.js';
import { num, objects, str } from './fields.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export const notifySchema = {
  channels: objects<ChannelConfig>(
    checkChannel,
    [],
    "where notifications go: a list of {type: webhook|ntfy|email|mqtt|syslog, minSeverity: low|medium|high|critical, kinds, devices, topics, and the type's settings}; see README 'Notifications'",
  ),
  dashboardUrl: str('', 'the dashboard address used in links of messages (e.g. https://argus.lan:8080); empty: from web.host and web.port'),
  groupSeconds: num(300, "after a device's incident is sent, its further incidents within this many seconds are sent as one message", { min: 0 }),
  quietHours: str('', "HH:MM-HH:MM (local time, e.g. 22:00-07:00): low and medium notices are held and sent as one message when it ends; empty: off", (s) =>
    s === '' || (s.split('-').length === 2 && s.split('-').every((p) => HHMM.test(p))) ? null : 'HH:MM-HH:MM, e.g. 22:00-07:00',
  ),
  dailySummaryHour: num(8, 'local hour (0–23) of the daily summary (last 24 h: alerts, devices whose trust fell, new devices, actions, capture health); -1: none', { int: true, min: -1, max: 23 }),
  queueSize: num(1000, 'notices waiting per channel at most; past it new ones are refused and counted', { int: true, min: 1 }),
  maxAttempts: num(8, 'delivery attempts per notice (exponential back-off from 2 s to 10 min) before it is a dead letter', { int: true, min: 1 }),
} as const;
