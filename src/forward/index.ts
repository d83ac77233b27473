/**
 * The EVE forwarders of a pipeline, built from `eve.forward` (src/config/forward-schema.ts): a syslog one and an
 * HTTP one, each with its own bounded queue, fed by the EVE writer with every line it writes.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { resolveSecret } from '../notify/secret.js';
import { HttpForwarder } from './http.js';
import { SyslogForwarder } from './syslog.js';
import type { Forwarder, ForwarderStats } from './types.js';

export type { Forwarder, ForwarderStats } from './types.js';

export type ForwardConfig = Config['eve']['forward'];

/** `udp://host:port` → its parts; the port defaults to 514 (6514 for tls). */
export function parseSyslogUrl(url: string): { transport: 'udp' | 'tcp' | 'tls'; host: string; port: number } {
  const m = /^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(url);
  if (m === null) throw new Error(`eve.forward.syslog.url: expected udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT, got ${url}`);
  const transport = m[1] as 'udp' | 'tcp' | 'tls';
  return { transport, host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] !== undefined ? Number(m[3]) : transport === 'tls' ? 6514 : 514 };
}

/** 'Name: value' list → header object, values through resolveSecret (env:NAME, file:/path). */
function headersOf(f: ForwardConfig['http']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of f.headers) {
    const i = h.indexOf(':');
    const name = h.slice(0, i).trim().toLowerCase();
    out[name] = resolveSecret(h.slice(i + 1).trim(), `eve.forward.http.headers ${name}`);
  }
  if (f.token !== '') out.authorization = `Bearer ${resolveSecret(f.token, 'eve.forward.http.token')}`;
  return out;
}

/**
 * The forwarders `eve.forward` turns on (none when both are off). Throws on settings that cannot work (an
 * unreadable caFile, an unset env: secret, an http forwarder without url): bad start-up configuration.
 */
export function createForwarders(f: ForwardConfig, warn: (msg: string) => void): Forwarder[] {
  const out: Forwarder[] = [];
  const timeoutMs = Math.round(f.timeoutSeconds * 1000);
  if (f.syslog.enabled) {
    const u = parseSyslogUrl(f.syslog.url);
    let ca = '';
    if (f.syslog.caFile !== '') {
      try {
        ca = readFileSync(f.syslog.caFile, 'utf8');
      } catch (err) {
        throw new Error(`eve.forward.syslog.caFile: cannot read ${f.syslog.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    out.push(
      new SyslogForwarder({
        ...u,
        facility: f.syslog.facility,
        appName: f.syslog.appName,
        hostname: f.syslog.hostname,
        ca,
        insecure: f.syslog.insecure,
        maxMessageBytes: f.syslog.maxMessageBytes,
        queueLines: f.queueLines,
        timeoutMs,
        warn,
      }),
    );
  }
  if (f.http.enabled) {
    if (f.http.url === '') throw new Error('eve.forward.http.enabled is on but eve.forward.http.url is empty');
    out.push(
      new HttpForwarder({
        url: f.http.url,
        format: f.http.format,
        index: f.http.index,
        job: 'argus-edge',
        host: hostname(),
        batchLines: f.http.batchLines,
        flushMs: Math.round(f.http.flushSeconds * 1000),
        gzip: f.http.gzip,
        headers: headersOf(f.http),
        queueLines: f.queueLines,
        timeoutMs,
        warn,
      }),
    );
  }
  return out;
}

/** Metric and status name of a forwarder: forward_syslog, forward_http. */
export function sinkName(s: Pick<ForwarderStats, 'kind'>): string {
  return `forward_${s.kind}`;
}
