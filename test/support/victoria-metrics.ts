/**
 * Starts Debian's `victoria-metrics` on 127.0.0.1 for tests: it accepts the InfluxDB v2 write API
 * (/api/v2/write) and reads back through its export API (/api/v1/export).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const VM_BIN = '/usr/bin/victoria-metrics';

export function haveVictoriaMetrics(): boolean {
  return existsSync(VM_BIN);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** One exported series: labels plus parallel value/timestamp (ms) arrays. */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetricsOptions {
  /**
   * keep one sample per series and millisecond, as InfluxDB overwrites a point written twice (default true);
   * false keeps every sample, so the sample count equals the lines written
   */
  dedup?: boolean;
  /** false: the server's default retention (1 month), as a packaged server runs; default: keep 100 years */
  longRetention?: boolean;
}

/**
 * Each measurement the sink writes, with a field every one of its lines carries: a measurement's line count
 * is the sample count of that field. `unlisted()` finds series of a measurement missing here.
 */
export const LINE_FIELDS: Record<string, string> = {
  device_traffic: 'bytes_out',
  capture: 'packets',
  alerts: 'count',
  incidents: 'count',
  anomaly: 'scored',
  trust: 'score',
  trust_levels: 'devices',
  influx_sink: 'queued',
  store: 'queue_depth',
  notify: 'queued',
  remote_flows: 'count',
};

export class VictoriaMetrics {
  private proc: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly opts: VictoriaMetricsOptions = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the server and waits until /health answers OK (at most 30 s). */
  async start(): Promise<void> {
    if (this.proc !== null) throw new Error('already running');
    const proc = spawn(
      VM_BIN,
      [
        `-storageDataPath=${this.dataDir}`,
        `-httpListenAddr=127.0.0.1:${this.port}`,
        // captures are old: keep everything
        ...(this.opts.longRetention === false ? [] : ['-retentionPeriod=100y']),
        // InfluxDB overwrites a point written twice (same series and time); this makes VictoriaMetrics do the same
        ...(this.opts.dedup === false ? [] : ['-dedup.minScrapeInterval=1ms']),
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`victoria-metrics exited with ${proc.exitCode}: ${stderr}`);
      try {
        const r = await fetch(`${this.url}/health`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`victoria-metrics did not become healthy: ${stderr}`);
      await sleep(50);
    }
  }

  /** Stops the server gracefully (SIGTERM; SIGKILL after 20 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    this.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** Makes recently written samples visible to the export API. */
  async forceFlush(): Promise<void> {
    const r = await fetch(`${this.url}/internal/force_flush`);
    if (!r.ok) throw new Error(`force_flush: HTTP ${r.status}`);
  }

  /** Samples on the server of every line the sink wrote with `sensor` (see LINE_FIELDS). */
  async lines(sensor: string): Promise<number> {
    let n = 0;
    for (const [m, f] of Object.entries(LINE_FIELDS)) for (const s of await this.export(`${m}_${f}{sensor="${sensor}"}`)) n += s.values.length;
    return n;
  }

  /** Names of the series for `sensor` that belong to no measurement of LINE_FIELDS (their lines would go uncounted). */
  async unlisted(sensor: string): Promise<string[]> {
    const names = new Set((await this.export(`{sensor="${sensor}"}`)).map((s) => s.metric.__name__!));
    return [...names].filter((n) => !Object.keys(LINE_FIELDS).some((m) => n.startsWith(`${m}_`))).sort();
  }

  /**
   * Samples on the server for `sensor` once they stop growing towards `expected`: rows written just before
   * a request returned can take a moment to become searchable on a loaded machine (at most `ms`).
   */
  async settledLines(sensor: string, expected: number, ms = 15_000): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      await this.forceFlush();
      const n = await this.lines(sensor);
      if (n >= expected || Date.now() > deadline) return n;
      await sleep(250);
    }
  }

  /** Every series matching a series selector, over all time (up to a day ahead: a replay at wall time runs ahead of it). */
  async export(selector: string): Promise<ExportedSeries[]> {
    const q = new URLSearchParams({ 'match[]': selector, start: '0', end: String(Math.ceil(Date.now() / 1000) + 86_400) });
    const r = await fetch(`${this.url}/api/v1/export?${q}`);
    if (!r.ok) throw new Error(`export: HTTP ${r.status}: ${await r.text()}`);
    const text = await r.text();
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ExportedSeries);
  }
}
