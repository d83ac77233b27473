/**
 * The `syslog` channel: one RFC 5424 message per notice, over UDP (one datagram each, RFC 5426), TCP (RFC 6587
 * octet counting: `LEN SP MSG`) or TLS (RFC 5425, the same framing). A SIEM that reads syslog gets
 *
 *   <PRI>1 2026-12-01T21:30:00.000Z HOST argus-edge - incident [argus@32473 topic="incident.open" severity="high"
 *   kind="scan.port.horizontal" device="02:…" id="inc-…"] garden-cam is sweeping the LAN …
 *
 * PRI = facility × 8 + severity (critical → 2 crit, high → 3 err, medium → 4 warning, low → 5 notice).
 * 32473 is the private enterprise number RFC 5612 reserves for documentation; SD parameter values escape
 * `"`, `\` and `]` as RFC 5424 §6.3.3 says. The header, the framing and the stream are shared with the EVE
 * forwarder (src/forward/syslog-wire.ts).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import { octetFrame, openSyslogStream, sdValue, syslogHeader, type SyslogFacility } from '../forward/syslog-wire.js';
import type { Channel, Notice } from './types.js';

export { SYSLOG_FACILITIES, type SyslogFacility } from '../forward/syslog-wire.js';

export interface SyslogSettings {
  name: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  facility: SyslogFacility;
  /** TLS: verify the server's certificate (off only for a self-signed lab collector) */
  tlsVerify: boolean;
  /** TLS: a PEM CA file's contents to trust besides the system's */
  ca: string;
  timeoutMs: number;
}

const SEVERITY = { critical: 2, high: 3, medium: 4, low: 5 } as const;

export function formatSyslog(n: Notice, facility: SyslogFacility, host = hostname()): string {
  const params: [string, string | null][] = [
    ['id', n.id],
    ['topic', n.topic],
    ['severity', n.severity],
    ['kind', n.kind],
    ['device', n.device],
  ];
  const sd = `[argus@32473 ${params.filter(([, v]) => v !== null && v !== '').map(([k, v]) => `${k}="${sdValue(v!)}"`).join(' ')}]`;
  const msg = `${n.title} — ${n.text.replace(/\s*\n\s*/g, '; ')}`;
  const header = syslogHeader({
    facility,
    severity: SEVERITY[n.severity],
    timestamp: new Date(Math.floor(n.tsUs / 1000)).toISOString(),
    hostname: host,
    appName: 'argus-edge',
    procId: String(process.pid),
    msgId: n.topic.split('.')[0]!,
    sd,
  });
  return header + msg;
}

export class SyslogChannel implements Channel {
  readonly type = 'syslog';
  private udp: UdpSocket | null = null;
  private stream: Socket | null = null;
  private connecting: Promise<Socket> | null = null;

  constructor(private readonly s: SyslogSettings) {}

  get name(): string {
    return this.s.name;
  }

  async send(n: Notice): Promise<void> {
    const line = formatSyslog(n, this.s.facility);
    if (this.s.transport === 'udp') return this.sendUdp(Buffer.from(line, 'utf8'));
    const frame = octetFrame(Buffer.from(line, 'utf8'));
    const sock = await this.connected();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`syslog ${this.s.host}:${this.s.port}: write timed out`));
      }, this.s.timeoutMs);
      sock.write(frame, (err) => {
        clearTimeout(timer);
        if (err) {
          sock.destroy();
          reject(new Error(`syslog ${this.s.host}:${this.s.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        } else resolve();
      });
    });
  }

  private sendUdp(buf: Buffer): Promise<void> {
    if (this.udp === null) {
      this.udp = createSocket(this.s.host.includes(':') ? 'udp6' : 'udp4');
      this.udp.on('error', () => undefined);
      this.udp.unref();
    }
    const sock = this.udp;
    return new Promise((resolve, reject) => {
      sock.send(buf, this.s.port, this.s.host, (err) => (err ? reject(new Error(`syslog udp ${this.s.host}:${this.s.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)) : resolve()));
    });
  }

  /** The open stream, or a new connection (one at a time); a broken one is replaced on the next send. */
  private connected(): Promise<Socket> {
    if (this.stream !== null && !this.stream.destroyed) return Promise.resolve(this.stream);
    if (this.connecting !== null) return this.connecting;
    const transport = this.s.transport === 'tls' ? 'tls' : 'tcp';
    this.connecting = openSyslogStream({ transport, host: this.s.host, port: this.s.port, tlsVerify: this.s.tlsVerify, ca: this.s.ca, timeoutMs: this.s.timeoutMs })
      .then((sock) => {
        sock.on('error', () => sock.destroy());
        sock.on('close', () => {
          if (this.stream === sock) this.stream = null;
        });
        this.stream = sock;
        return sock;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  close(): void {
    this.udp?.close();
    this.udp = null;
    this.stream?.end();
    this.stream = null;
  }
}
