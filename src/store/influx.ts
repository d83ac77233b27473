/**
 * InfluxDB sink: the v2 write API (`POST /api/v2/write`, which InfluxDB 1.8+, 2.x and 3.x all accept, and so
 * do VictoriaMetrics and Telegraf's listener), through `@influxdata/influxdb-client`'s HTTP transport.
 *
 * The pipeline side is synchronous and never waits: events become lines (influx-points.ts) in a bounded
 * buffer (line-buffer.ts). One background loop sends batches; on a network error or a 5xx/429 it keeps the
 * batch and retries with exponential backoff; while the server is away the buffer fills and the oldest
 * lines are dropped and counted. A batch the server rejects as malformed (400/413/422) is dropped and
 * counted apart, since sending it again cannot succeed. Nothing here throws into the pipeline.
 *
 * Accounting, always: pointsQueued = pointsWritten + pointsDropped + pointsRejected + buffered + in flight.
 *
 * Timestamps are packet time (influx.clock 'packet'), or a replay shifted to the present ('wall'); the
 * series and their tags are listed in the README ("InfluxDB and Grafana") and built in influx-points.ts.
 */
import { InfluxDB, HttpError } from '@influxdata/influxdb-client';
import { hostname } from 'node:os';
import type { Bus } from '../bus.js';
import type { GeoLookup } from '../enrich/index.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { isRemoteAddress } from './top-rollups.js';
import type { Store } from './db.js';
import { LineBuffer } from './line-buffer.js';
import { InfluxAggregator, type CaptureTotals, type GaugeSource, type TrustPoint } from './influx-points.js';

/** Packet time this far behind the wall clock is beyond many servers' retention (VictoriaMetrics' default: 1 month). */
const OLD_POINTS_US = 7 * 86_400_000_000;

export interface InfluxOptions {
  /** influx.url, e.g. http://127.0.0.1:8086; the sink is off when empty */
  url: string;
  /** influx.token (InfluxDB 1.8: "user:password") */
  token: string;
  /** influx.org (ignored by 1.8) */
  org: string;
  /** influx.bucket (InfluxDB 1.8: "db/retention-policy") */
  bucket: string;
  /** influx.sensor: the `sensor` tag on every point (default: the host name) */
  sensor?: string;
  /** influx.intervalMs: aggregation interval in packet time (default 10,000) */
  intervalMs?: number;
  /** influx.batchSize: lines per request (default 5,000) */
  batchSize?: number;
  /** influx.flushIntervalMs: wall-clock wait before sending a partial batch (default 1,000) */
  flushIntervalMs?: number;
  /** influx.maxBufferLines: lines held while the server is away (default 50,000) */
  maxBufferLines?: number;
  /** first retry delay, doubled per failure up to retryMaxMs (defaults 1,000 and 30,000) */
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * influx.clock: 'packet' stamps points with packet time (live that is the wall clock; a replay then
   * matches the store and EVE); 'wall' shifts a replay's points by whole intervals so its first packet
   * lands at the moment it was read. Default 'packet'.
   */
  clock?: 'packet' | 'wall';
  /** request timeout (default 10,000) */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

export interface InfluxStats {
  pointsQueued: number;
  pointsWritten: number;
  /** dropped because the buffer was full (the oldest go first) or left unsent at close */
  pointsDropped: number;
  /** refused by the server as malformed */
  pointsRejected: number;
  buffered: number;
  inFlight: number;
  requests: number;
  failures: number;
  /** MACs summed under device="other" because the device tag cap was full within one interval */
  overflowDevices: number;
  /** MACs that took over the device tag of a less recently seen one (see influx-points.ts DeviceTags) */
  evictedDevices: number;
  /** µs added to every timestamp (influx.clock 'wall'); 0 with packet time */
  shiftUs: number;
  lastError: string | null;
}

export class InfluxSink {
  private readonly buffer: LineBuffer;
  private readonly agg: InfluxAggregator;
  private readonly write: (body: string) => Promise<unknown>;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly log: (msg: string) => void;
  private inFlight: string[] = [];
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** consecutive failures, for the backoff */
  private failuresInRow = 0;
  private backoffUntil = 0;
  private closed = false;
  private lastLogged = '';
  private readonly s = { queued: 0, written: 0, droppedAtClose: 0, rejected: 0, requests: 0, failures: 0, lastError: null as string | null };

  constructor(opts: InfluxOptions) {
    if (opts.url === '') throw new Error('InfluxSink needs influx.url (use InfluxSink.fromConfig to get null when it is empty)');
    this.batchSize = opts.batchSize ?? 5000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
    this.buffer = new LineBuffer(opts.maxBufferLines ?? 50_000);
    const intervalMs = opts.intervalMs ?? 10_000;
    this.agg = new InfluxAggregator((l) => this.push(l), opts.sensor ?? hostname(), intervalMs);
    const clock = opts.clock ?? 'packet';
    this.agg.onFirstTime = (tsUs) => {
      const behindUs = Date.now() * 1000 - tsUs;
      const intervalUs = intervalMs * 1000;
      if (clock === 'wall') {
        // whole intervals keep the points on the interval grid; live packet time is the present already
        this.agg.shiftUs = Math.max(0, Math.floor(behindUs / intervalUs)) * intervalUs;
      } else if (behindUs > OLD_POINTS_US) {
        // a server drops points older than its retention, VictoriaMetrics without any error: say so once
        this.log(
          `influx: points are stamped with packet time, ${new Date(tsUs / 1000).toISOString()} (${Math.round(behindUs / 86_400_000_000)} days ago); ` +
            "a server keeps them only when its retention reaches back that far (VictoriaMetrics: -retentionPeriod, default 1 month; InfluxDB: the bucket's retention). " +
            'Set influx.clock: wall to write a replay at the present time.',
        );
      }
    };
    this.agg.addGauge({ measurement: 'influx_sink', read: () => this.gaugeFields() });
    const transport = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs ?? 10_000 }).transport;
    const path = `/api/v2/write?org=${encodeURIComponent(opts.org)}&bucket=${encodeURIComponent(opts.bucket)}&precision=us`;
    this.write = (body) =>
      transport.request(path, body, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, gzipThreshold: 1000 });
  }

  /** The sink for a config section, or null when `influx.url` is empty (the sink is off). */
  static fromConfig(opts: InfluxOptions): InfluxSink | null {
    return opts.url === '' ? null : new InfluxSink(opts);
  }

  // ---- pipeline side: synchronous, returns at once ----

  tick(tsUs: number): void {
    this.agg.tick(tsUs);
  }

  flow(f: Parameters<InfluxAggregator['flow']>[0]): void {
    this.agg.flow(f);
  }

  alert(a: Parameters<InfluxAggregator['alert']>[0]): void {
    this.agg.alert(a);
  }

  anomaly(e: Parameters<InfluxAggregator['anomaly']>[0]): void {
    this.agg.anomaly(e);
  }

  trust(t: TrustPoint): void {
    this.agg.trust(t);
  }

  /** Continues the trust gauge of the devices a previous run left (see lastTrustPoints). */
  restoreTrust(points: readonly TrustPoint[]): void {
    this.agg.restoreTrust(points);
  }

  /** Counts one event per interval under bounded tags (see InfluxAggregator.count): the hook for new event series. */
  count(measurement: string, tags: Record<string, string>, tsUs: number): void {
    this.agg.count(measurement, tags, tsUs);
  }

  /** Writes a health gauge once per interval (store, notifications, …). */
  addGauge(g: GaugeSource): void {
    this.agg.addGauge(g);
  }

  captureTotals(tsUs: number, c: CaptureTotals): void {
    this.agg.captureTotals(tsUs, c);
  }

  /** Queues one raw line-protocol line (timestamps in µs). */
  pushLine(line: string): void {
    this.push(line);
  }

  /**
   * Subscribes to every bus event that has a series: flows, alerts, anomaly scores, trust changes. The
   * pipeline calls this once for every mode, so `run` and `replay` write the same series. Returns the
   * unsubscribe function.
   */
  attach(bus: Bus, geo: GeoLookup | null = null): () => void {
    const offs = [
      bus.on('flow.end', (f) => this.flow(f)),
      ...(geo !== null ? [bus.on('flow.end', (f) => this.remoteFlow(f, geo))] : []),
      bus.on('alert', (a) => this.alert(a)),
      bus.on('anomaly', (e) => this.anomaly(e)),
      bus.on('trust.change', (c) => this.trust(c)),
      // one point per incident change that a person would hear of (open, escalate, close), never per alert
      bus.on('incident', (e) => {
        if (e.change !== 'update') this.count('incidents', { kind: e.incident.kind, severity: e.incident.severity, state: e.change === 'close' ? 'closed' : e.change === 'open' ? 'open' : 'escalated' }, e.tsUs);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /**
   * `remote_flows`: flows between the LAN and the internet by the remote end's country (ISO code, `unknown`
   * when the databases have none) and direction (`out`: a LAN device opened it). Both tags come from bounded
   * sets (some 250 countries), unlike the addresses, which never become tags.
   */
  private remoteFlow(f: FlowRecord, geo: GeoLookup): void {
    const srcRemote = isRemoteAddress(f.srcIp);
    if (srcRemote === isRemoteAddress(f.dstIp)) return;
    const remote = srcRemote ? f.srcIp : f.dstIp;
    this.count('remote_flows', { country: geo.lookup(remote)?.country ?? 'unknown', direction: srcRemote ? 'in' : 'out' }, f.endUs);
  }

  /** The sink's own counters as the `influx_sink` gauge writes them (as they stand before this line). */
  private gaugeFields(): Record<string, number> {
    const st = this.stats();
    return { queued: st.pointsQueued, written: st.pointsWritten, dropped: st.pointsDropped, rejected: st.pointsRejected, buffered: st.buffered + st.inFlight, failures: st.failures };
  }

  stats(): InfluxStats {
    return {
      pointsQueued: this.s.queued,
      pointsWritten: this.s.written,
      pointsDropped: this.buffer.dropped + this.s.droppedAtClose,
      pointsRejected: this.s.rejected,
      buffered: this.buffer.size,
      inFlight: this.inFlight.length,
      requests: this.s.requests,
      failures: this.s.failures,
      overflowDevices: this.agg.overflowDevices,
      evictedDevices: this.agg.evictedDevices,
      shiftUs: this.agg.shiftUs,
      lastError: this.s.lastError,
    };
  }

  private push(line: string): void {
    if (this.closed) return;
    this.s.queued++;
    this.buffer.push(line);
    this.schedule(this.buffer.size >= this.batchSize ? 0 : this.flushIntervalMs);
  }

  // ---- background side ----

  /** Arms the send timer (one timer for the sink, never one per line). */
  private schedule(delayMs: number): void {
    if (this.sending !== null || this.closed) return;
    const wait = Math.max(delayMs, this.backoffUntil - Date.now());
    if (this.timer !== null) {
      if (wait > 0) return; // already armed; a full batch below re-arms it at 0
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sending = this.sendLoop().finally(() => {
        this.sending = null;
        if (this.buffer.size > 0 && !this.closed) this.schedule(this.buffer.size >= this.batchSize ? 0 : this.flushIntervalMs);
      });
    }, wait);
  }

  /** Sends batches until the buffer is empty or a send fails. Never rejects. */
  private async sendLoop(): Promise<void> {
    while (this.buffer.size > 0) {
      if (!(await this.sendOne())) return;
    }
  }

  /** One request; true on success (or a rejected batch), false when the batch went back to wait. */
  private async sendOne(): Promise<boolean> {
    this.inFlight = this.buffer.take(this.batchSize);
    const n = this.inFlight.length;
    this.s.requests++;
    try {
      await this.write(this.inFlight.join('\n'));
      this.s.written += n;
      this.inFlight = [];
      this.failuresInRow = 0;
      this.backoffUntil = 0;
      return true;
    } catch (err) {
      this.s.failures++;
      const status = err instanceof HttpError ? err.statusCode : 0;
      this.s.lastError = status > 0 ? `HTTP ${status}: ${err instanceof Error ? err.message : String(err)}` : String((err as Error)?.message ?? err);
      if (status === 400 || status === 413 || status === 422) {
        this.s.rejected += n;
        this.inFlight = [];
        this.note(`influx: the server refused ${n} lines (${this.s.lastError}); they are dropped`);
        return true;
      }
      // network error, timeout, 5xx, 429 — and 401/403/404, which an admin can fix on the server
      this.buffer.putBack(this.inFlight);
      this.inFlight = [];
      this.failuresInRow++;
      const retryAfter = err instanceof HttpError ? err.retryAfter() : 0;
      const delay = Math.max(retryAfter, Math.min(this.retryMaxMs, this.retryMinMs * 2 ** (this.failuresInRow - 1)));
      this.backoffUntil = Date.now() + delay * (0.8 + 0.4 * Math.random());
      this.note(`influx: write failed (${this.s.lastError}); retrying with backoff, ${this.buffer.size} lines buffered`);
      return false;
    }
  }

  private note(msg: string): void {
    const key = msg.replace(/\d+/g, '#');
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.log(msg);
  }

  /**
   * Tries to send everything buffered now, ignoring the backoff; resolves when the buffer is empty or a
   * send failed (check stats().buffered). Never rejects.
   */
  async flush(): Promise<void> {
    if (this.sending !== null) await this.sending;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.size === 0) return;
    this.backoffUntil = 0;
    const run = this.sendLoop();
    this.sending = run;
    await run;
    this.sending = null;
    // a failed attempt leaves lines behind: hand them back to the timer and its backoff
    if (this.buffer.size > 0 && !this.closed) this.schedule(this.flushIntervalMs);
  }

  /**
   * Emits the open interval, makes one last attempt to send, stops the timers. Lines still unsent are
   * counted as dropped.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.agg.finish();
    await this.flush();
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.s.droppedAtClose += this.buffer.size;
    this.buffer.take(this.buffer.size);
  }
}

/** Each device's newest trust history row in the store, oldest first, at most `limit` (the newest ones). */
export function lastTrustPoints(store: Store, limit: number): TrustPoint[] {
  const rows = store.db
    .prepare(
      `SELECT h.mac, h.ts_us AS tsUs, h.score, h.behavioral, h.vulnerability, h.reputation, h.level FROM trust_history h
       JOIN (SELECT max(id) AS id FROM trust_history GROUP BY mac) l ON h.id = l.id ORDER BY h.ts_us DESC, h.id DESC LIMIT ?`,
    )
    .all(limit) as TrustPoint[];
  return rows.reverse();
}

/** The `store` health gauge: the write queue's depth and its counters since start. */
export function storeGauge(store: Store): GaugeSource {
  return {
    measurement: 'store',
    read: () => {
      const st = store.stats();
      return { queue_depth: st.depth, committed: st.committedItems, dropped: Object.values(st.dropped).reduce((a, b) => a + b, 0), rejected: st.rejected, flush_errors: st.flushErrors };
    },
  };
}
