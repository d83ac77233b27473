/**
 * One entry of `notify.channels`: its type, its filters and the settings of that type, checked once at start
 * with a message that names the key. Example:
 *
 *   notify:
 *     channels:
 *       - type: webhook
 *         url: http://127.0.0.1:9000/hook
 *         minSeverity: medium
 */
import { Invalid } from '../config/fields.js';
import { INCIDENT_SEVERITIES } from '../incidents/types.js';
import { WEBHOOK_FORMATS, type WebhookFormat } from './message.js';
import { SYSLOG_FACILITIES, type SyslogFacility } from './syslog.js';
import { NOTICE_TOPICS, type NoticeSeverity, type NoticeTopic } from './types.js';

export const CHANNEL_TYPES = ['webhook', 'ntfy', 'email', 'mqtt', 'syslog'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

interface Common {
  type: ChannelType;
  /** shown on Settings and in logs; empty: the type and its position in the list (webhook-1) */
  name: string;
  /** notices below this are not sent (default medium) */
  minSeverity: NoticeSeverity;
  /** only incidents of these alert kinds (empty: every kind) */
  kinds: string[];
  /** only notices about these device MACs (empty: every device) */
  devices: string[];
  /** only these topics (empty: every topic) */
  topics: NoticeTopic[];
}

export type ChannelConfig =
  | (Common & { type: 'webhook'; url: string; format: WebhookFormat; secret: string; headers: Record<string, string> })
  | (Common & { type: 'ntfy'; server: string; topic: string; token: string })
  | (Common & { type: 'email'; host: string; port: number; security: 'starttls' | 'tls' | 'none'; user: string; password: string; from: string; to: string[]; tlsVerify: boolean; ca: string })
  | (Common & { type: 'mqtt'; url: string; username: string; password: string; topicPrefix: string; discovery: boolean; discoveryPrefix: string; tlsVerify: boolean })
  | (Common & { type: 'syslog'; host: string; port: number; transport: 'udp' | 'tcp' | 'tls'; facility: SyslogFacility; tlsVerify: boolean; ca: string });

const COMMON_KEYS = ['type', 'name', 'minSeverity', 'kinds', 'devices', 'topics'];
const TYPE_KEYS: Record<ChannelType, string[]> = {
  webhook: ['url', 'format', 'secret', 'headers'],
  ntfy: ['server', 'topic', 'token'],
  email: ['host', 'port', 'security', 'user', 'password', 'from', 'to', 'tlsVerify', 'ca'],
  mqtt: ['url', 'username', 'password', 'topicPrefix', 'discovery', 'discoveryPrefix', 'tlsVerify'],
  syslog: ['host', 'port', 'transport', 'facility', 'tlsVerify', 'ca'],
};

class Bad extends Error {}

function str(o: Record<string, unknown>, k: string, def?: string): string {
  const v = o[k];
  if (v === undefined || v === null) {
    if (def === undefined) throw new Bad(`'${k}' is required`);
    return def;
  }
  if (typeof v !== 'string') throw new Bad(`'${k}' must be a string`);
  return v;
}

function strList(o: Record<string, unknown>, k: string): string[] {
  const v = o[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Bad(`'${k}' must be a list of strings`);
  return v as string[];
}

function oneOf<T extends string>(o: Record<string, unknown>, k: string, values: readonly T[], def: T): T {
  const v = str(o, k, def);
  if (!(values as readonly string[]).includes(v)) throw new Bad(`'${k}' must be one of ${values.join(', ')}`);
  return v as T;
}

function port(o: Record<string, unknown>, def: number): number {
  const v = o.port ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new Bad(`'port' must be an integer from 1 to 65535`);
  return v;
}

function flag(o: Record<string, unknown>, k: string, def: boolean): boolean {
  const v = o[k] ?? def;
  if (typeof v !== 'boolean') throw new Bad(`'${k}' must be true or false`);
  return v;
}

function httpUrl(o: Record<string, unknown>, k: string): string {
  const v = str(o, k);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Bad(`'${k}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Bad(`'${k}' must be an http or https URL`);
  return v;
}

/** Check one channel object; an Invalid names the key that is wrong. */
export function checkChannel(o: Record<string, unknown>): ChannelConfig | Invalid {
  try {
    const type = oneOf(o, 'type', CHANNEL_TYPES, 'webhook');
    if (o.type === undefined) throw new Bad(`'type' is required (${CHANNEL_TYPES.join(', ')})`);
    for (const k of Object.keys(o)) if (!COMMON_KEYS.includes(k) && !TYPE_KEYS[type].includes(k)) throw new Bad(`unknown key '${k}' for a ${type} channel (known: ${[...COMMON_KEYS, ...TYPE_KEYS[type]].join(', ')})`);
    const topics = strList(o, 'topics');
    for (const t of topics) if (!(NOTICE_TOPICS as readonly string[]).includes(t)) throw new Bad(`'topics' has '${t}'; topics are ${NOTICE_TOPICS.join(', ')}`);
    const common: Common = {
      type,
      name: str(o, 'name', ''),
      minSeverity: oneOf(o, 'minSeverity', INCIDENT_SEVERITIES, 'medium'),
      kinds: strList(o, 'kinds'),
      devices: strList(o, 'devices').map((d) => d.toLowerCase()),
      topics: topics as NoticeTopic[],
    };
    switch (type) {
      case 'webhook': {
        const h = o.headers ?? {};
        if (typeof h !== 'object' || h === null || Array.isArray(h) || Object.values(h).some((x) => typeof x !== 'string')) throw new Bad(`'headers' must map header names to strings`);
        return { ...common, type, url: httpUrl(o, 'url'), format: oneOf(o, 'format', WEBHOOK_FORMATS, 'json'), secret: str(o, 'secret', ''), headers: h as Record<string, string> };
      }
      case 'ntfy': {
        const topic = str(o, 'topic');
        if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) throw new Bad(`'topic' must be 1–64 letters, digits, '-' or '_'`);
        return { ...common, type, server: httpUrl({ server: o.server ?? 'https://ntfy.sh' }, 'server'), topic, token: str(o, 'token', '') };
      }
      case 'email': {
        const security = oneOf(o, 'security', ['starttls', 'tls', 'none'] as const, 'starttls');
        const to = strList(o, 'to');
        if (to.length === 0) throw new Bad(`'to' must list at least one address`);
        const from = str(o, 'from');
        for (const a of [from, ...to]) if (!/^[^@\s<>]+@[^@\s<>]+$/.test(a.replace(/^.*<(.+)>$/, '$1'))) throw new Bad(`'${a}' is not an e-mail address`);
        return { ...common, type, host: str(o, 'host'), port: port(o, security === 'tls' ? 465 : security === 'starttls' ? 587 : 25), security, user: str(o, 'user', ''), password: str(o, 'password', ''), from, to, tlsVerify: flag(o, 'tlsVerify', true), ca: str(o, 'ca', '') };
      }
      case 'mqtt': {
        const url = str(o, 'url', 'mqtt://127.0.0.1:1883');
        if (!/^mqtts?:\/\/[^/]+/.test(url)) throw new Bad(`'url' must be mqtt://host[:port] or mqtts://host[:port]`);
        const prefix = str(o, 'topicPrefix', 'argus-edge');
        if (!/^[^#+\s]+$/.test(prefix)) throw new Bad(`'topicPrefix' must not contain '#', '+' or spaces`);
        return { ...common, type, url, username: str(o, 'username', ''), password: str(o, 'password', ''), topicPrefix: prefix, discovery: flag(o, 'discovery', true), discoveryPrefix: str(o, 'discoveryPrefix', 'homeassistant'), tlsVerify: flag(o, 'tlsVerify', true) };
      }
      case 'syslog': {
        return {
          ...common,
          type,
          host: str(o, 'host'),
          port: port(o, 514),
          transport: oneOf(o, 'transport', ['udp', 'tcp', 'tls'] as const, 'udp'),
          facility: oneOf(o, 'facility', Object.keys(SYSLOG_FACILITIES) as SyslogFacility[], 'local0'),
          tlsVerify: flag(o, 'tlsVerify', true),
          ca: str(o, 'ca', ''),
        };
      }
    }
  } catch (err) {
    if (err instanceof Bad) return new Invalid(`a notification channel: ${err.message}`);
    throw err;
  }
}
