/**
 * GET /events: server-sent events for the dashboard. Incident changes, trust changes and actions from the bus, and
 * capture statistics every 2 s, each as an HTML fragment wrapped in htmx 4 `<hx-partial>` elements that name
 * their target (`#attention`, `#incidents-body`, `#inc-<id>`, `#trust-<mac>`, `#capture-health`, `#toasts`), so
 * htmx's SSE extension swaps them in without a reload; a target missing from the open page is skipped.
 *
 * Incidents change in bursts (a scan adds a thousand anomaly alerts to one incident in a second), so their
 * frames are coalesced: changes mark the incident dirty and at most once per `incidentMs` each client gets the
 * Overview's "Needs attention" re-rendered, the changed rows of the Alerts page replaced in place, and new ones
 * prepended. A toast goes out when an incident opens or escalates, never per alert. Acknowledging or muting in
 * one tab (`incidentsChanged`) refreshes the others the same way. The capture statistics also go out
 * as a named `capture-stats` event (JSON) that app.js feeds to the live packet-rate chart. Card and JSON carry the
 * stamp of their reading (live-stamp.ts), so the page keeps the newest reading whichever path brought it last.
 *
 * Bounded: at most `maxClients` streams in total and `maxPerUser` per user (one account, however many tabs or
 * scripts, cannot take them all and lock the admin's dashboard out of live updates); each client has a queue of at most `queueLimit` frames, and a client
 * whose queue is full (it reads slower than events arrive) is dropped and counted — it reconnects and catches
 * up by loading the page. One bus subscription and one timer serve all clients; both stop with the last client.
 * A comment line every `heartbeatMs` keeps proxies and the browser from timing the stream out.
 */
import type { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { IncidentEvent } from '../incidents/types.js';
import type { IncidentRow } from '../store/incidents.js';
import type { ActionEvent } from '../respond/types.js';
import type { TrustChange } from '../trust/types.js';
import type { WebDeps } from './deps.js';
import type { WebEnv, WebUser } from './env.js';
import { html, type Html } from './html.js';
import { isMuted, loadMutes } from './pages-mutes.js';
import { incidentViewsOf } from './pages-alerts.js';
import { attentionDataOf } from './pages-overview.js';
import { incidentDomId, incidentRow, kindName } from './views/incident.js';
import { attentionSection } from './views/overview.js';
import { trustBadgeId } from './views/devices.js';
import { trustBadge } from './views/format.js';
import { captureHealth } from './views/overview.js';
import { liveStamp } from './live-stamp.js';

export interface SseOptions {
  /** concurrent streams at most (default 32); more get 503 */
  maxClients?: number;
  /** concurrent streams of one user at most (web.sseStreamsPerUser, default 8); more get 429 */
  maxPerUser?: number;
  /** frames queued per client before it is dropped as too slow (default 256) */
  queueLimit?: number;
  /** capture statistics interval, ms (default 2000) */
  statsMs?: number;
  /** heartbeat comment interval, ms (default 15000) */
  heartbeatMs?: number;
  /** incident frames are coalesced to at most one per this many ms (default 1000) */
  incidentMs?: number;
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
  /** connections refused at maxClients or maxPerUser */
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
  /** incidents changed since the last incident frame: id → snapshot and whether it opened in that time */
  private dirty = new Map<string, { e: IncidentEvent; opened: boolean }>();
  /** the attention list needs a refresh (an incident changed, or one was acknowledged/muted/acted on) */
  private attentionDirty = false;
  private incidentTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: WebDeps,
    private readonly o: Required<SseOptions>,
  ) {}

  get maxAgeMs(): number {
    return this.o.maxAgeMs;
  }

  private readonly perUser = new Map<number, number>();

  /** null when `user` may open one more stream, else why not (and the status to answer) */
  noRoom(user: WebUser): { status: 429 | 503; text: string } | null {
    if ((this.perUser.get(user.id) ?? 0) >= this.o.maxPerUser) return { status: 429, text: `too many live connections for '${user.username}' (${this.o.maxPerUser}): close another tab` };
    if (this.clients.size >= this.o.maxClients) return { status: 503, text: 'too many live connections' };
    return null;
  }

  add(c: Client): boolean {
    if (this.noRoom(c.user) !== null) {
      this.refused++;
      return false;
    }
    this.clients.add(c);
    this.perUser.set(c.user.id, (this.perUser.get(c.user.id) ?? 0) + 1);
    if (this.clients.size === 1) this.start();
    return true;
  }

  remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    const n = (this.perUser.get(c.user.id) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(c.user.id);
    else this.perUser.set(c.user.id, n);
    c.done();
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    const bus = this.deps.bus;
    this.offs = [
      bus.on('incident', (e) => this.onIncident(e)),
      bus.on('trust.change', (t) => this.onTrust(t)),
      bus.on('action', (e) => {
        this.onAction(e);
        this.touch();
      }),
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
    if (this.incidentTimer !== null) clearTimeout(this.incidentTimer);
    this.incidentTimer = null;
    this.dirty.clear();
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

  private onIncident(e: IncidentEvent): void {
    const prev = this.dirty.get(e.incident.id);
    this.dirty.set(e.incident.id, { e, opened: (prev?.opened ?? false) || e.change === 'open' });
    if (e.change === 'open' || e.change === 'escalate') {
      const i = e.incident;
      if (!isMuted(loadMutes(this.deps.store), i)) {
        const sev = i.severity === 'low' ? 3 : i.severity === 'medium' ? 2 : 1;
        const verb = e.change === 'open' ? 'New incident' : `Now ${i.severity}`;
        this.broadcast(frame(toast(html`<b>${verb}</b> ${kindName(i.kind)}: ${i.title}`, `sev${sev}`).value));
      }
    }
    this.touch();
  }

  /** Something the incident lists show changed: send the coalesced frame within incidentMs. */
  touch(): void {
    this.attentionDirty = true;
    if (this.incidentTimer !== null || this.clients.size === 0) return;
    this.incidentTimer = setTimeout(() => this.flushIncidents(), this.o.incidentMs);
    this.incidentTimer.unref();
  }

  private flushIncidents(): void {
    this.incidentTimer = null;
    if (!this.attentionDirty && this.dirty.size === 0) return;
    const store = this.deps.store;
    // the rows read below include the changes still in the write queue
    store.flush();
    const changed = [...this.dirty.values()];
    this.dirty.clear();
    this.attentionDirty = false;
    const rows: { row: IncidentRow; opened: boolean }[] = [];
    for (const { e, opened } of changed) {
      const stored = store.incidents.get(e.incident.id);
      if (stored === undefined || stored.muted) continue;
      rows.push({ row: stored, opened });
    }
    this.broadcast((c) => {
      const who = { csrf: c.csrf, canAct: c.user.role === 'admin' };
      const views = incidentViewsOf(this.deps, who, rows.map((r) => r.row), '/alerts');
      const parts = rows.map(({ row, opened }) =>
        opened
          ? partial('#incidents-body', 'afterbegin', incidentRow(row, { ...views(row), selectable: true, fresh: true }))
          : partial(`#${incidentDomId(row.id)}`, 'outerHTML', incidentRow(row, { ...views(row), selectable: true })),
      );
      const attention = partial('#attention', 'outerHTML', attentionSection(attentionDataOf(this.deps, who)));
      return frame(html`${attention}${parts}`.value);
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
    // the stamp orders this reading against the page's and any other frame's (a late one is dropped by app.js)
    const taken = liveStamp();
    // tMs (wall clock) measures the rates; tUs (the UI's clock: packet time in replay) places them on the chart
    const json = JSON.stringify({ tMs: Date.now(), tUs: this.deps.nowUs(), taken, mode: cap.mode, packets: cap.packets, bytes: cap.bytes, drops: cap.drops.kernel + cap.drops.interface, activeFlows: cap.activeFlows });
    const card = frame(partial('#capture-health', 'outerHTML', captureHealth(cap, this.deps.nowUs(), taken)).value);
    this.broadcast(card + frame(json, 'capture-stats'));
  }
}

const hubs = new WeakMap<WebDeps, Hub>();

/** Incidents were acknowledged, muted or acted on from a page: the other open pages refresh their lists. */
export function incidentsChanged(deps: WebDeps): void {
  hubs.get(deps)?.touch();
}
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
  const base: Required<SseOptions> = { maxClients: 32, maxPerUser: 8, queueLimit: 256, statsMs: 2000, heartbeatMs: 15_000, maxAgeMs: 30 * 60_000, incidentMs: 1000, ...opts };
  app.get('/events', (c) => {
    const deps = c.get('deps');
    const user = c.get('user');
    if (user === null) return c.text('sign in first', 401);
    let hub = hubs.get(deps);
    if (hub === undefined) hubs.set(deps, (hub = new Hub(deps, { ...base, ...overrides.get(deps) })));
    const h = hub;
    const full = h.noRoom(user);
    if (full !== null) {
      h.refused++;
      return c.text(full.text, full.status, { 'Retry-After': '10' });
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
