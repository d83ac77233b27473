/**
 * GET /events: server-sent events for the dashboard. New alerts, trust changes and actions from the bus, and
 * capture statistics every 2 s, each as an HTML fragment wrapped in htmx 4 `<hx-partial>` elements that name
 * their target (`#recent-alerts`, `#trust-<mac>`, `#capture-health`, `#toasts`), so htmx's SSE extension swaps
 * them in without a reload; a target missing from the open page is skipped. The capture statistics also go out
 * as a named `capture-stats` event (JSON) that app.js feeds to the live packet-rate chart.
 *
 * Bounded: at most `maxClients` streams; each client has a queue of at most `queueLimit` frames, and a client
 * whose queue is full (it reads slower than events arrive) is dropped and counted — it reconnects and catches
 * up by loading the page. One bus subscription and one timer serve all clients; both stop with the last client.
 * A comment line every `heartbeatMs` keeps proxies and the browser from timing the stream out.
 */
import type { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { Alert } from '../detectors/alert.js';
import type { ActionEvent } from '../respond/types.js';
import type { TrustChange } from '../trust/types.js';
import type { WebDeps } from './deps.js';
import type { WebEnv, WebUser } from './env.js';
import { html, type Html } from './html.js';
import { isMuted, loadMutes } from './pages-mutes.js';
import { alertRow } from './views/alerts.js';
import { trustBadgeId } from './views/devices.js';
import { trustBadge } from './views/format.js';
import { captureHealth } from './views/overview.js';

export interface SseOptions {
  /** concurrent streams at most (default 32); more get 503 */
  maxClients?: number;
  /** frames queued per client before it is dropped as too slow (default 256) */
  queueLimit?: number;
  /** capture statistics interval, ms (default 2000) */
  statsMs?: number;
  /** heartbeat comment interval, ms (default 15000) */
  heartbeatMs?: number;
  /**
   * a stream is closed after this long (default 30 min): the browser reconnects at once, and the reconnect goes
   * through the sign-in check again, so a stream never outlives its session by more than this
   */
  maxAgeMs?: number;
}

export interface SseStats {
  clients: number;
  /** clients dropped because their queue was full */
  dropped: number;
  /** connections refused at maxClients */
  refused: number;
}

interface Client {
  stream: SSEStreamingApi;
  user: WebUser;
  csrf: string;
  queue: string[];
  writing: boolean;
  done: () => void;
}

/** One SSE frame; multi-line data becomes several `data:` lines. */
function frame(data: string, event?: string): string {
  return (event !== undefined ? `event: ${event}\n` : '') + data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join('\n') + '\n\n';
}

function partial(target: string, swap: string, body: Html): Html {
  return html`<hx-partial hx-target="${target}" hx-swap="${swap}">${body}</hx-partial>`;
}

function toast(body: Html, kind: string): Html {
  return partial('#toasts', 'afterbegin', html`<div class="toast toast-${kind}" role="status">${body}</div>`);
}

class Hub {
  readonly clients = new Set<Client>();
  dropped = 0;
  refused = 0;
  private offs: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: WebDeps,
    private readonly o: Required<SseOptions>,
  ) {}

  get maxAgeMs(): number {
    return this.o.maxAgeMs;
  }

  hasRoom(): boolean {
    return this.clients.size < this.o.maxClients;
  }

  add(c: Client): boolean {
    if (this.clients.size >= this.o.maxClients) {
      this.refused++;
      return false;
    }
    this.clients.add(c);
    if (this.clients.size === 1) this.start();
    return true;
  }

  remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    c.done();
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    const bus = this.deps.bus;
    this.offs = [
      bus.on('alert', (a) => this.onAlert(a)),
      bus.on('trust.change', (t) => this.onTrust(t)),
      bus.on('action', (e) => this.onAction(e)),
    ];
    this.timers = [
      setInterval(() => this.onStats(), this.o.statsMs),
      setInterval(() => this.broadcast(': heartbeat\n\n'), this.o.heartbeatMs),
    ];
    for (const t of this.timers) t.unref();
  }

  private stop(): void {
    for (const off of this.offs) off();
    for (const t of this.timers) clearInterval(t);
    this.offs = [];
    this.timers = [];
  }

  /** Queues a frame for every client (or one rendered per client). */
  private broadcast(f: string | ((c: Client) => string)): void {
    for (const c of this.clients) this.send(c, typeof f === 'string' ? f : f(c));
  }

  send(c: Client, f: string): void {
    if (c.queue.length >= this.o.queueLimit) {
      this.dropped++;
      this.remove(c);
      // abort, not close: a close would wait behind the writes the client is not reading
      c.stream.abort();
      return;
    }
    c.queue.push(f);
    if (!c.writing) void this.pump(c);
  }

  private async pump(c: Client): Promise<void> {
    c.writing = true;
    try {
      while (c.queue.length > 0 && this.clients.has(c)) await c.stream.write(c.queue.shift()!);
    } finally {
      c.writing = false;
    }
  }

  private onAlert(a: Alert): void {
    if (isMuted(loadMutes(this.deps.store), a)) return;
    const dev = a.srcMac !== null ? this.deps.store.devices.get(a.srcMac) : undefined;
    const name = dev !== undefined ? (dev.label ?? dev.hostname) : null;
    this.broadcast((c) => {
      const row = alertRow({ ...a, acknowledged: false }, { csrf: c.csrf, canAct: c.user.role === 'admin', deviceName: name, fresh: true });
      const t = toast(html`<b>New alert</b> ${a.signature}`, `sev${a.severity}`);
      return frame(html`${partial('#recent-alerts', 'afterbegin', row)}${t}`.value);
    });
  }

  private onTrust(t: TrustChange): void {
    const badge = partial(`#${trustBadgeId(t.mac)}`, 'innerHTML', trustBadge(t.score, t.level));
    const moved = t.level !== t.previousLevel ? toast(html`<a href="/devices/${t.mac}">${t.ip ?? t.mac}</a> trust ${t.previousLevel} → <b>${t.level}</b>`, `lvl-${t.level}`) : html``;
    this.broadcast(frame(html`${badge}${moved}`.value));
  }

  private onAction(e: ActionEvent): void {
    const a = e.action;
    const target = a.mac !== null ? html`<a href="/devices/${a.mac}">${a.mac}</a>` : html`${a.ip ?? ''}`;
    this.broadcast(frame(toast(html`${a.kind} of ${target}: <b>${a.state}</b> <span class="muted">(${a.actor})</span>`, `st-${a.state}`).value));
  }

  private onStats(): void {
    const cap = this.deps.capture();
    // tMs (wall clock) measures the rates; tUs (the UI's clock: packet time in replay) places them on the chart
    const json = JSON.stringify({ tMs: Date.now(), tUs: this.deps.nowUs(), packets: cap.packets, bytes: cap.bytes, drops: cap.drops.kernel + cap.drops.interface, activeFlows: cap.activeFlows });
    const card = frame(partial('#capture-health', 'outerHTML', captureHealth(cap, this.deps.nowUs())).value);
    this.broadcast(card + frame(json, 'capture-stats'));
  }
}

const hubs = new WeakMap<WebDeps, Hub>();
const overrides = new WeakMap<WebDeps, SseOptions>();

/**
 * Limits for the stream serving `deps`, over those given to registerSse; takes effect when its first client
 * connects (tests use it to shorten intervals on the server that server.ts assembles).
 */
export function setSseLimits(deps: WebDeps, o: SseOptions): void {
  overrides.set(deps, o);
}

/** Counters of the SSE hub serving `deps` (for tests and /metrics). */
export function sseStats(deps: WebDeps): SseStats {
  const h = hubs.get(deps);
  return { clients: h?.clients.size ?? 0, dropped: h?.dropped ?? 0, refused: h?.refused ?? 0 };
}

export function registerSse(app: Hono<WebEnv>, opts: SseOptions = {}): void {
  const base: Required<SseOptions> = { maxClients: 32, queueLimit: 256, statsMs: 2000, heartbeatMs: 15_000, maxAgeMs: 30 * 60_000, ...opts };
  app.get('/events', (c) => {
    const deps = c.get('deps');
    const user = c.get('user');
    if (user === null) return c.text('sign in first', 401);
    let hub = hubs.get(deps);
    if (hub === undefined) hubs.set(deps, (hub = new Hub(deps, { ...base, ...overrides.get(deps) })));
    const h = hub;
    if (!h.hasRoom()) {
      h.refused++;
      return c.text('too many live connections', 503, { 'Retry-After': '10' });
    }
    return streamSSE(c, async (stream) => {
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const client: Client = { stream, user, csrf: c.get('csrf'), queue: [], writing: false, done };
      if (!h.add(client)) return;
      stream.onAbort(() => h.remove(client));
      c.req.raw.signal.addEventListener('abort', () => h.remove(client));
      // the first bytes open the stream for the browser (and tell htmx it is an event stream)
      h.send(client, ': connected\nretry: 3000\n\n');
      const maxAge = setTimeout(() => h.remove(client), h.maxAgeMs);
      maxAge.unref();
      await finished;
      clearTimeout(maxAge);
    });
  });
}
