/**
 * Decoys (`decoy.touch`): small TCP listeners on ports nothing on the appliance uses (telnet, SMB, RDP, VNC).
 * No legitimate device has a reason to connect to them, so any connection is a high-confidence sign of
 * lateral movement or a worm probing the LAN: severity 1.
 *
 * A decoy accepts, keeps the first `captureBytes` the client sends as evidence (as printable text with
 * escapes), executes and answers nothing, and closes the connection when the capture is full, when the
 * client closes, after `idleTimeoutSeconds` of silence, or after four times that in any case (a client
 * trickling bytes cannot hold a slot). The alert is raised when the connection closes, so it carries
 * the bytes; its time is the clock at accept. At most `maxConnections` are open over all ports; beyond it a
 * new connection is destroyed at once and counted. One sweeper on an interval handles every timeout.
 *
 * This is a live component, so its clock is the wall clock (injectable for tests). A port that cannot be
 * bound (in use, no permission) is logged and reported by start(); the others still work.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Alert } from './alert.js';
import { PrefixSet, unspecifiedLike } from './addresses.js';
import { Suppressor } from './window.js';
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

export type DecoyConfig = Config['decoys'];

export interface DecoyOptions {
  /** µs since the epoch; default the wall clock */
  clock?: () => number;
  /** homeNets: a touch from outside them is still reported, at severity 2 (a port forward, not lateral movement) */
  homeNets?: readonly string[];
  /** sweeper period in ms; default a quarter of the idle timeout, at most 1 s */
  sweepMs?: number;
  /** most (source, port) pairs remembered for suppression; default 10,000 */
  maxTracked?: number;
}

export interface DecoyPortStatus {
  port: number;
  ok: boolean;
  /** why it could not listen: "EADDRINUSE: address already in use" */
  error?: string;
}

export interface DecoyStats {
  /** connections accepted and handled */
  accepted: number;
  /** connections destroyed at once because maxConnections were open */
  refused: number;
  /** connections open now */
  open: number;
  alerts: number;
  /** touches inside a suppression window: counted, not raised */
  suppressed: number;
  /** bytes kept as evidence, over all connections */
  bytesCaptured: number;
}

interface Touch {
  socket: Socket;
  port: number;
  local: string;
  remote: string;
  remotePort: number;
  acceptUs: number;
  startMs: number;
  lastMs: number;
  captured: Buffer;
  n: number;
  total: number;
  done: boolean;
}

/** Bytes as text a person can read in an alert: printable ASCII as is, \r \n \t \\ and \xNN for the rest. */
export function printableEscape(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

/** '::ffff:10.0.0.1' → '10.0.0.1' (a dual-stack listener reports IPv4 clients that way). */
const plainIp = (ip: string | undefined): string => (ip === undefined ? '' : ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

export class Decoys {
  private readonly servers: Server[] = [];
  private readonly open = new Set<Touch>();
  private readonly suppressor: Suppressor;
  private readonly home: PrefixSet | null;
  private readonly clock: () => number;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly s: DecoyStats = { accepted: 0, refused: 0, open: 0, alerts: 0, suppressed: 0, bytesCaptured: 0 };

  constructor(
    private readonly cfg: DecoyConfig,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly opts: DecoyOptions = {},
  ) {
    this.clock = opts.clock ?? (() => Date.now() * 1000);
    this.suppressor = new Suppressor(cfg.suppressSeconds * 1e6, opts.maxTracked ?? 10_000);
    this.home = opts.homeNets !== undefined ? new PrefixSet(opts.homeNets) : null;
  }

  /**
   * Listen on every configured port (nothing when decoys.enabled is false). Resolves to one status per port;
   * never rejects because of a port.
   */
  async start(): Promise<DecoyPortStatus[]> {
    if (!this.cfg.enabled) return [];
    const out: DecoyPortStatus[] = [];
    for (const port of [...new Set(this.cfg.ports)]) out.push(await this.listen(port));
    const ok = out.filter((p) => p.ok).map((p) => p.port);
    if (ok.length > 0) this.log.info(`decoys listening on ${this.cfg.host} port ${ok.join(', ')}`);
    const idleMs = this.cfg.idleTimeoutSeconds * 1000;
    this.sweeper = setInterval(() => this.sweep(), this.opts.sweepMs ?? Math.min(1000, Math.max(20, idleMs / 4)));
    this.sweeper.unref();
    return out;
  }

  private async listen(port: number): Promise<DecoyPortStatus> {
    const tryHost = (host: string): Promise<Server> =>
      new Promise((resolve, reject) => {
        const server = createServer({ allowHalfOpen: false }, (s) => this.accept(s, port));
        server.once('error', reject);
        server.listen({ host, port, ipv6Only: false, exclusive: true }, () => {
          server.removeListener('error', reject);
          server.on('error', (err) => this.log.warn(`decoy port ${port}: ${err.message}`));
          resolve(server);
        });
      });
    try {
      let server: Server;
      try {
        server = await tryHost(this.cfg.host);
      } catch (err) {
        // '::' on a host with IPv6 turned off: the IPv4 wildcard does the job
        const code = (err as NodeJS.ErrnoException).code;
        if (this.cfg.host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
        server = await tryHost('0.0.0.0');
      }
      this.servers.push(server);
      return { port, ok: true };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? 'another program uses it' : e.code === 'EACCES' ? 'ports below 1024 need CAP_NET_BIND_SERVICE' : '';
      const error = `${e.code ?? 'error'}: ${e.message}`;
      this.log.error(`decoy port ${port}: cannot listen on ${this.cfg.host}:${port}: ${error}${why ? ` (${why})` : ''}; the other decoy ports still work`);
      return { port, ok: false, error };
    }
  }

  private accept(socket: Socket, port: number): void {
    if (this.open.size >= this.cfg.maxConnections) {
      this.s.refused++;
      socket.destroy();
      return;
    }
    this.s.accepted++;
    const now = Date.now();
    // read the peer at once: a client that resets takes it with it
    const t: Touch = {
      socket,
      port,
      local: plainIp(socket.localAddress),
      remote: plainIp(socket.remoteAddress),
      remotePort: socket.remotePort ?? 0,
      acceptUs: this.clock(),
      startMs: now,
      lastMs: now,
      captured: Buffer.alloc(this.cfg.captureBytes),
      n: 0,
      total: 0,
      done: false,
    };
    this.open.add(t);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      t.lastMs = Date.now();
      t.total += chunk.length;
      const take = Math.min(chunk.length, this.cfg.captureBytes - t.n);
      if (take > 0) {
        chunk.copy(t.captured, t.n, 0, take);
        t.n += take;
      }
      if (t.n >= this.cfg.captureBytes) this.finish(t);
    });
    socket.on('end', () => this.finish(t));
    socket.on('error', () => this.finish(t));
    socket.on('close', () => this.finish(t));
  }

  /** Close the connection (once) and report it. */
  private finish(t: Touch): void {
    if (t.done) return;
    t.done = true;
    this.open.delete(t);
    t.socket.destroy();
    this.s.bytesCaptured += t.n;
    this.report(t);
  }

  private sweep(): void {
    const now = Date.now();
    const idleMs = this.cfg.idleTimeoutSeconds * 1000;
    for (const t of this.open) if (now - t.lastMs >= idleMs || now - t.startMs >= 4 * idleMs) this.finish(t);
  }

  private report(t: Touch): void {
    if (!this.suppressor.allow(`${t.remote}|${t.port}`, t.acceptUs)) {
      this.s.suppressed++;
      return;
    }
    this.s.alerts++;
    // A client that resets right after the handshake (nmap -sT does) can be gone before the accept reaches
    // us: the kernel no longer knows the peer. The touch is still real; the alert names no single source.
    const known = t.remote !== '';
    const src = known ? t.remote : unspecifiedLike(this.cfg.host);
    const fromHome = !known || this.home === null || this.home.has(t.remote);
    const bytes = t.captured.subarray(0, t.n);
    const evidence: Alert['evidence'] = [
      known
        ? { text: `connection to decoy port ${t.port}/tcp on ${t.local} from ${t.remote}:${t.remotePort}: nothing legitimate uses this port` }
        : { text: `connection to decoy port ${t.port}/tcp reset by the client before its address could be read (a connect scan does this); the flow records of the capture name it` },
      t.n > 0
        ? { text: `first ${t.n} of ${t.total} bytes sent: "${printableEscape(bytes)}"`, count: t.total }
        : { text: 'the client sent nothing before the connection closed', count: 0 },
    ];
    if (!fromHome) evidence.push({ text: `${t.remote} is outside homeNets: a port forward or exposed appliance, not necessarily lateral movement` });
    const alert: Alert = {
      id: `decoy.touch:${t.remote}:${t.port}:${t.acceptUs}`,
      tsUs: t.acceptUs,
      kind: 'decoy.touch',
      signature: known ? `${t.remote} connected to decoy port ${t.port}/tcp${fromHome ? ': lateral movement' : ''}` : `Connect scan of decoy port ${t.port}/tcp`,
      severity: fromHome ? 1 : 2,
      confidence: fromHome ? 0.95 : 0.7,
      srcIp: src,
      srcMac: null,
      targets: t.local !== '' ? [t.local] : [],
      destPort: t.port,
      proto: 'TCP',
      evidence,
      suggestedResponse: !known ? 'monitor' : fromHome ? 'quarantine' : 'block',
    };
    this.bus.emit('alert', alert);
  }

  stats(): DecoyStats {
    return { ...this.s, open: this.open.size };
  }

  /** Close every listener and open connection (reporting them); resolves when the listeners are closed. */
  async stop(): Promise<void> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    const closing = this.servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const t of [...this.open]) this.finish(t);
    await Promise.all(closing);
  }
}
