/**
 * EVE lines to a syslog collector, one RFC 5424 message per line:
 *
 *   <PRI>1 2026-11-21T04:54:25.123456+00:00 HOST argus-edge 4242 flow - {"timestamp":"2026-11-21T04:54:25.123456+0000",…}
 *
 * TIMESTAMP is the line's own (packet time), MSGID its event type, STRUCTURED-DATA '-', MSG the EVE JSON
 * unchanged (no BOM: it is MSG-ANY, as rsyslog, syslog-ng and Suricata's own syslog output expect). PRI is the
 * facility and, for alert lines, Suricata's severity (1 → err, 2 → warning, 3 → notice); every other line is
 * info.
 *
 * UDP (RFC 5426): one datagram per message on a connected socket, at most maxMessageBytes (a longer line is
 * dropped and counted, not cut: a cut JSON object is of no use); the kernel's "port unreachable" comes back
 * as ECONNREFUSED and pauses sending with back-off. TCP (RFC 6587) and TLS (RFC 5425): octet counting.
 *
 * Never blocking: the socket's own buffer is filled to STREAM_HIGH_WATER at most; past it the forwarder waits
 * for 'drain' while lines pile up in the bounded queue (oldest dropped). A connection that accepts nothing for
 * timeoutMs while data waits is closed and opened again, its unsent lines back at the head of the queue.
 * The connection that follows such a stall has to prove itself: the kernel's buffers of a fresh connection
 * take megabytes from a collector that reads nothing, so it is called healthy again (and the back-off reset)
 * only once it has taken lines for timeoutMs; otherwise a hung collector would be reported as "delivering
 * again" after every reconnect, and retried every 0.5 s forever.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { LineBuffer } from '../store/line-buffer.js';
import { lineAlertSeverity, lineEventType, lineTimestamp } from './eve-line.js';
import { octetFrame, openSyslogStream, SYSLOG_SEVERITY, syslogHeader, type SyslogFacility, type SyslogTransport } from './syslog-wire.js';
import { backoffMs, type Forwarder, type ForwarderStats } from './types.js';

export interface SyslogForwardSettings {
  transport: SyslogTransport;
  host: string;
  port: number;
  facility: SyslogFacility;
  appName: string;
  /** HOSTNAME of the messages; empty: this machine's host name */
  hostname: string;
  /** TLS: PEM CA certificates to trust besides the system's ('' for none) */
  ca: string;
  /** TLS: accept any certificate (a self-signed lab collector) */
  insecure: boolean;
  /** UDP: the largest datagram sent */
  maxMessageBytes: number;
  queueLines: number;
  timeoutMs: number;
  /** a delivery problem, said once when the receiver starts failing and once when it works again */
  warn: (msg: string) => void;
}

/** bytes the stream socket may hold in user space before the forwarder waits for 'drain' */
const STREAM_HIGH_WATER = 256 * 1024;
/** lines formatted per turn of the event loop, so a long queue never holds the loop for long */
const LINES_PER_TURN = 512;
/** UDP datagrams handed to the kernel and not yet confirmed */
const UDP_IN_FLIGHT = 64;
/** UDP: no error for this long after one means the receiver is back */
const UDP_QUIET_MS = 10_000;

const ALERT_SEVERITY: Record<number, number> = { 1: SYSLOG_SEVERITY.err, 2: SYSLOG_SEVERITY.warning, 3: SYSLOG_SEVERITY.notice };

/** The RFC 5424 message of one EVE line. */
export function eveSyslogMessage(line: string, s: Pick<SyslogForwardSettings, 'facility' | 'appName' | 'hostname'>, host = s.hostname || osHostname()): string {
  const type = lineEventType(line);
  const sev = type === 'alert' ? (ALERT_SEVERITY[lineAlertSeverity(line) ?? 0] ?? SYSLOG_SEVERITY.warning) : SYSLOG_SEVERITY.info;
  const header = syslogHeader({ facility: s.facility, severity: sev, timestamp: lineTimestamp(line) ?? new Date().toISOString(), hostname: host, appName: s.appName, procId: String(process.pid), msgId: type ?? '-', sd: '-' });
  return header + line;
}

export class SyslogForwarder implements Forwarder {
  readonly kind = 'syslog';
  readonly target: string;
  private readonly queue: LineBuffer;
  private readonly host: string;
  private readonly st = { sent: 0, dropped: 0, errors: 0, lastError: null as string | null, lastSentMs: null as number | null };
  private stream: Socket | null = null;
  private udp: UdpSocket | null = null;
  private udpReady = false;
  private connecting = false;
  private waitingDrain = false;
  /** lines written to the stream whose write callback has not come yet (put back when the stream breaks) */
  private unconfirmed: string[][] = [];
  private udpInFlight = 0;
  private failures = 0;
  private lastFailMs = 0;
  /** the last failure was a connection that stopped taking data */
  private stalled = false;
  /** after a stall, deliveries before this time do not make the collector healthy again */
  private provingUntilMs = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(private readonly s: SyslogForwardSettings) {
    this.queue = new LineBuffer(s.queueLines);
    this.host = s.hostname || osHostname();
    this.target = `${s.transport}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
  }

  offer(line: string): void {
    if (this.closed) return;
    this.queue.push(line);
    this.schedule();
  }

  stats(): ForwarderStats {
    const inSocket = this.unconfirmed.reduce((n, b) => n + b.length, 0);
    return { kind: this.kind, target: this.target, sent: this.st.sent, dropped: this.st.dropped + this.queue.dropped, errors: this.st.errors, queued: this.queue.size + inSocket, lastError: this.st.lastError, lastSentMs: this.st.lastSentMs };
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== null) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.retryTimer !== null) return;
    if (this.queue.size === 0) return this.checkIdle();
    if (this.s.transport === 'udp') return this.pumpUdp();
    if (this.stream === null) return this.connect();
    if (this.waitingDrain) return;
    const lines = this.queue.take(LINES_PER_TURN);
    const frames = lines.map((l) => octetFrame(Buffer.from(eveSyslogMessage(l, this.s, this.host), 'utf8')));
    const sock = this.stream;
    this.unconfirmed.push(lines);
    const roomLeft = sock.write(Buffer.concat(frames), (err) => {
      // the stream broke (or is being given up): close handling puts them back
      if (err || sock.destroyed || this.unconfirmed[0] !== lines) return;
      this.unconfirmed.shift();
      this.delivered(lines.length);
    });
    if (!roomLeft || sock.writableLength >= STREAM_HIGH_WATER) {
      this.waitingDrain = true;
      return;
    }
    this.schedule();
  }

  private delivered(n: number): void {
    this.st.sent += n;
    this.st.lastSentMs = Date.now();
    // a datagram handed to the kernel proves nothing: UDP is called healthy again only after a quiet spell
    if (this.s.transport === 'udp' && this.st.lastSentMs - this.lastFailMs < UDP_QUIET_MS) return this.checkIdle();
    if (this.s.transport !== 'udp' && this.st.lastSentMs < this.provingUntilMs) return this.checkIdle();
    if (this.failures > 0 || this.st.lastError !== null) {
      this.stalled = false;
      if (this.st.lastError !== null) this.s.warn(`forward syslog ${this.target}: delivering again`);
      this.failures = 0;
      this.st.lastError = null;
    }
    this.checkIdle();
  }

  private connect(): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    openSyslogStream({ transport: this.s.transport === 'tls' ? 'tls' : 'tcp', host: this.s.host, port: this.s.port, tlsVerify: !this.s.insecure, ca: this.s.ca, timeoutMs: this.s.timeoutMs }).then(
      (sock) => {
        this.connecting = false;
        if (this.closed) {
          sock.destroy();
          return;
        }
        this.stream = sock;
        this.waitingDrain = false;
        this.provingUntilMs = this.stalled ? Date.now() + this.s.timeoutMs : 0;
        sock.setTimeout(this.s.timeoutMs);
        sock.on('timeout', () => {
          // idle is fine; data waiting and nothing taken for timeoutMs is a receiver that stopped reading
          if (sock.writableLength > 0) {
            this.stalled = true;
            sock.destroy(new Error(`nothing accepted for ${this.s.timeoutMs} ms`));
          }
        });
        sock.on('drain', () => {
          this.waitingDrain = false;
          this.schedule();
        });
        sock.on('error', (err: NodeJS.ErrnoException) => this.fail(`${err.code ?? err.message}`));
        sock.on('close', () => this.onStreamClosed(sock));
        // a receiver that sends nothing is normal; reading keeps a TLS session healthy
        sock.resume();
        this.schedule();
      },
      (err: Error) => {
        this.connecting = false;
        this.fail(err.message.replace(/^syslog \S+ \S+: /, ''));
      },
    );
  }

  private onStreamClosed(sock: Socket): void {
    if (this.stream !== sock) return;
    this.stream = null;
    this.waitingDrain = false;
    // lines the kernel may not have taken go back to the head of the queue (at-least-once)
    for (let i = this.unconfirmed.length - 1; i >= 0; i--) this.queue.putBack(this.unconfirmed[i]!);
    this.unconfirmed = [];
    if (!this.closed && this.retryTimer === null) this.fail('connection closed');
  }

  /** One failed attempt: counted, said once, and the next one after a back-off. */
  private fail(why: string): void {
    this.st.errors++;
    this.lastFailMs = Date.now();
    this.failures++;
    if (this.st.lastError === null) this.s.warn(`forward syslog ${this.target}: ${why} (retrying; lines wait in a queue of ${this.s.queueLines})`);
    this.st.lastError = why;
    if (this.closed) return this.checkIdle();
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, backoffMs(this.failures));
    this.retryTimer.unref();
  }

  private pumpUdp(): void {
    if (this.udp === null) {
      const sock = createSocket(this.s.host.includes(':') ? 'udp6' : 'udp4');
      this.udp = sock;
      sock.unref();
      sock.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? err.message));
      sock.connect(this.s.port, this.s.host, () => {
        this.udpReady = true;
        this.schedule();
      });
      return;
    }
    if (!this.udpReady) return;
    const sock = this.udp;
    let n = 0;
    while (this.udpInFlight < UDP_IN_FLIGHT && n < LINES_PER_TURN && this.queue.size > 0) {
      const line = this.queue.take(1)[0]!;
      n++;
      const msg = Buffer.from(eveSyslogMessage(line, this.s, this.host), 'utf8');
      if (msg.length > this.s.maxMessageBytes) {
        this.st.dropped++;
        continue;
      }
      this.udpInFlight++;
      sock.send(msg, (err) => {
        this.udpInFlight--;
        if (err) {
          // ECONNREFUSED: an ICMP port unreachable came back for an earlier datagram; nobody listens
          this.st.dropped++;
          this.fail((err as NodeJS.ErrnoException).code ?? err.message);
        } else this.delivered(1);
        if (this.udpInFlight === 0) this.schedule();
      });
    }
    if (this.queue.size > 0 && this.udpInFlight < UDP_IN_FLIGHT) this.schedule();
  }

  private checkIdle(): void {
    if (this.idle.length === 0) return;
    if (this.queue.size === 0 && this.unconfirmed.length === 0 && this.udpInFlight === 0) for (const f of this.idle.splice(0)) f();
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        t.unref();
        this.idle.push(() => {
          clearTimeout(t);
          resolve();
        });
        this.checkIdle();
        // a line waiting for its retry goes now: the forwarder is stopping
        if (this.retryTimer !== null) {
          clearTimeout(this.retryTimer);
          this.retryTimer = null;
        }
        this.schedule();
      });
    }
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const left = this.queue.size + this.unconfirmed.reduce((n, b) => n + b.length, 0);
    this.st.dropped += left;
    this.queue.take(this.queue.size);
    this.unconfirmed = [];
    const sock = this.stream;
    this.stream = null;
    // what the kernel holds may still reach the receiver; what user space holds is given up
    if (sock !== null && sock.writableLength === 0) sock.end();
    else sock?.destroy();
    this.udp?.close();
    this.udp = null;
  }
}
