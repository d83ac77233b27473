/**
 * What every syslog sender of the appliance shares (the notification channel in src/notify/syslog.ts and the
 * EVE forwarder in ./syslog.ts): RFC 5424 message assembly, RFC 6587 / RFC 5425 octet-counting framing
 * (`LEN SP MSG`, LEN the byte length of MSG) and opening the TCP or TLS stream.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
 *
 * PRI = facility × 8 + severity. Header fields are PRINTUSASCII without spaces, '-' when empty (RFC 5424 §6).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export const SYSLOG_FACILITIES = { kern: 0, user: 1, daemon: 3, auth: 4, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23 } as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** RFC 5424 severities by name (§6.2.1) */
export const SYSLOG_SEVERITY = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;

export type SyslogTransport = 'udp' | 'tcp' | 'tls';

/** An SD-PARAM value with `"`, `\` and `]` escaped (RFC 5424 §6.3.3). */
export function sdValue(s: string): string {
  return s.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** PRINTUSASCII without space, at most `max` characters, '-' when empty (RFC 5424 header fields). */
export function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return v === '' ? '-' : v;
}

export interface SyslogHeader {
  facility: SyslogFacility;
  /** 0–7 (SYSLOG_SEVERITY) */
  severity: number;
  /** RFC 3339 timestamp with at most 6 fractional digits, or '-' */
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** STRUCTURED-DATA, already formatted ('-' for none) */
  sd: string;
}

/**
 * The message's header, up to and including the space before MSG. Header fields are cut to RFC 5424's
 * lengths (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32).
 */
export function syslogHeader(h: SyslogHeader): string {
  const pri = SYSLOG_FACILITIES[h.facility] * 8 + h.severity;
  return `<${pri}>1 ${h.timestamp} ${headerField(h.hostname, 255)} ${headerField(h.appName, 48)} ${headerField(h.procId, 128)} ${headerField(h.msgId, 32)} ${h.sd} `;
}

/** One message framed by octet counting (RFC 6587 §3.4.1, RFC 5425 §4.3): `LEN SP MSG`. */
export function octetFrame(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]);
}

export interface StreamTarget {
  transport: 'tcp' | 'tls';
  host: string;
  port: number;
  /** TLS: verify the server's certificate (off only for a self-signed lab collector) */
  tlsVerify: boolean;
  /** TLS: PEM CA certificates to trust besides the system's ('' for none) */
  ca: string;
  timeoutMs: number;
}

const isIpLiteral = (host: string): boolean => host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host);

/**
 * Opens a TCP or TLS stream to a syslog receiver. Resolves once connected (TLS: after the handshake, the
 * certificate checked unless tlsVerify is off); rejects with `where: CODE` on an error or after timeoutMs.
 * The socket's later errors are the caller's to handle; it is unref'd (it never keeps the process up).
 */
export function openSyslogStream(t: StreamTarget): Promise<Socket> {
  const where = `syslog ${t.transport} ${t.host}:${t.port}`;
  return new Promise<Socket>((resolve, reject) => {
    const opts = { host: t.host, port: t.port };
    const sock: Socket =
      t.transport === 'tls'
        ? tlsConnect({ ...opts, servername: isIpLiteral(t.host) ? undefined : t.host, rejectUnauthorized: t.tlsVerify, ...(t.ca ? { ca: t.ca } : {}) })
        : netConnect(opts);
    const ready = t.transport === 'tls' ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => sock.destroy(new Error(`no connection within ${t.timeoutMs} ms`)), t.timeoutMs);
    sock.once(ready, () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.unref();
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new Error(`${where}: ${err.code ?? err.message}`));
    });
  });
}
