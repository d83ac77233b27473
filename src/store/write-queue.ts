/**
 * The store's write queue: flows, alerts, anomaly events and deferred writes wait in memory and are committed
 * together in one transaction every `batchSize` items or `flushIntervalMs` of packet time, whichever comes
 * first. One transaction per batch instead of per row is what makes 50,000 rows/s possible and keeps the
 * number of WAL commits (and SD card writes) low.
 *
 * The queue is bounded: when a flush keeps failing (disk full, a locked file) new items are dropped and
 * counted per kind, so memory stays bounded and capture never waits on the disk.
 */
import type Database from 'better-sqlite3';
import type { FlowRecord } from '../flow/flow-record.js';
import type { Alert } from '../detectors/alert.js';
import type { AnomalyEvent } from '../models/anomaly.js';
import type { FlowStore } from './flows.js';
import type { AlertStore } from './alerts.js';
import type { IncidentEvent } from '../incidents/types.js';
import type { IncidentStore } from './incidents.js';

export interface WriteQueueOptions {
  /** commit when this many items wait (store.batchSize, default 1000) */
  batchSize: number;
  /** commit when the oldest waiting item is this old in packet time (store.flushIntervalMs, default 1000) */
  flushIntervalMs: number;
  /** items kept while flushes fail; beyond it new items are dropped (default 100,000) */
  maxQueue: number;
}

/** What one committed transaction held; passed to `onCommit` after COMMIT returned. */
export interface CommitReport {
  flows: number;
  alertIds: string[];
  anomalies: number;
  /** incident changes written */
  incidents: number;
  deferred: number;
  /** items that failed on their own (bad data) and were left out of the batch */
  rejected: number;
}

export type QueueItemKind = 'flow' | 'alert' | 'anomaly' | 'incident' | 'deferred';

export interface WriteQueueStats {
  depth: number;
  committedItems: number;
  batches: number;
  /** items dropped because the queue was full, by kind */
  dropped: Record<QueueItemKind, number>;
  /** items that threw on their own and were skipped */
  rejected: number;
  /** whole-batch failures (the batch stayed queued and is retried) */
  flushErrors: number;
  lastError: string | null;
  /**
   * 'ok'; 'full' while commits fail because the disk is full (SQLITE_FULL); 'failing' while they fail for
   * another reason of the disk or the lock (I/O error, read-only, busy). Capture goes on either way.
   */
  state: 'ok' | 'full' | 'failing';
  /** wall time the current failure began, ms (null when ok) */
  failingSinceMs: number | null;
  /** items dropped (queue full) during the current or the last failure */
  droppedWhileFailing: number;
}

type Item =
  | { k: 'flow'; v: FlowRecord }
  | { k: 'alert'; v: Alert }
  | { k: 'anomaly'; v: AnomalyEvent }
  | { k: 'incident'; v: IncidentEvent }
  | { k: 'deferred'; v: (db: Database.Database) => void };

/** the longest wait between two tries while commits fail, packet time µs */
const MAX_RETRY_US = 10_000_000;

/** SQLite result codes that mean "the disk or the lock", not "this row": retry the batch later. */
const TRANSIENT = /^SQLITE_(FULL|BUSY|LOCKED|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;

export class WriteQueue {
  private items: Item[] = [];
  /** packet time of the oldest waiting item; -1 when empty */
  private oldestUs = -1;
  readonly stats: WriteQueueStats = {
    depth: 0,
    committedItems: 0,
    batches: 0,
    dropped: { flow: 0, alert: 0, anomaly: 0, incident: 0, deferred: 0 },
    rejected: 0,
    flushErrors: 0,
    lastError: null,
    state: 'ok',
    failingSinceMs: null,
    droppedWhileFailing: 0,
  };
  private readonly reported = new Set<string>();
  /** while failing: packet time before which no new commit is tried (a failing commit costs a disk round) */
  private retryAtUs = -1;
  /** the wait before the next try, doubling from flushIntervalMs up to MAX_RETRY_US */
  private retryDelayUs = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly flows: FlowStore,
    private readonly alerts: AlertStore,
    private readonly opts: WriteQueueOptions,
    private readonly onCommit: ((r: CommitReport) => void) | undefined,
    private readonly log: (msg: string) => void,
    /** runs after every successful commit (the size-cap check) */
    private readonly afterCommit: () => void = () => {},
    private readonly incidents: IncidentStore | null = null,
  ) {}

  get depth(): number {
    return this.items.length;
  }

  addFlow(f: FlowRecord): void {
    this.push({ k: 'flow', v: f }, f.endUs);
  }

  addAlert(a: Alert): void {
    this.push({ k: 'alert', v: a }, a.tsUs);
  }

  addAnomaly(e: AnomalyEvent): void {
    this.push({ k: 'anomaly', v: e }, e.tsUs);
  }

  /** Queues an incident change (row upsert plus the memberships it adds). */
  addIncident(e: IncidentEvent): void {
    this.push({ k: 'incident', v: e }, e.tsUs);
  }

  /** Queues a write to run inside the next batch transaction (device sightings, trust points, …). */
  defer(tsUs: number, fn: (db: Database.Database) => void): void {
    this.push({ k: 'deferred', v: fn }, tsUs);
  }

  /**
   * Advances packet time: commits when the oldest waiting item is older than the flush interval. While
   * commits fail, a try waits flushIntervalMs, then twice that, … up to 10 s of packet time, so a full disk
   * costs little and writing resumes within 10 s of space returning.
   */
  tick(tsUs: number): void {
    if (this.stats.state !== 'ok') {
      if (this.retryAtUs < 0) this.retryAtUs = tsUs + this.retryDelayUs;
      if (tsUs >= this.retryAtUs) {
        this.retryDelayUs = Math.min(MAX_RETRY_US, this.retryDelayUs * 2);
        this.retryAtUs = tsUs + this.retryDelayUs;
        this.flush();
      }
      return;
    }
    if (this.oldestUs >= 0 && tsUs - this.oldestUs >= this.opts.flushIntervalMs * 1000) this.flush();
  }

  private push(item: Item, tsUs: number): void {
    if (this.items.length >= this.opts.maxQueue) {
      this.stats.dropped[item.k]++;
      if (this.stats.state !== 'ok') this.stats.droppedWhileFailing++;
      this.tick(tsUs);
      return;
    }
    this.items.push(item);
    this.stats.depth = this.items.length;
    if (this.oldestUs < 0 || tsUs < this.oldestUs) this.oldestUs = tsUs;
    if (this.items.length >= this.opts.batchSize && this.stats.state === 'ok') this.flush();
    else this.tick(tsUs);
  }

  /**
   * Commits everything queued in one transaction. Returns the report, or null when nothing was committed
   * (empty queue, or a transient failure: then the items stay queued and the next flush retries them).
   */
  flush(): CommitReport | null {
    if (this.items.length === 0) return null;
    const batch = this.items;
    let report: CommitReport;
    try {
      report = this.db.transaction(() => this.writeAll(batch, false))();
    } catch (err) {
      this.flows.discardRollups();
      const code = (err as { code?: string }).code ?? '';
      if (TRANSIENT.test(code)) {
        this.fail(err);
        return null;
      }
      // one bad item must not hold back the others: redo the batch with a savepoint per item
      try {
        report = this.db.transaction(() => this.writeAll(batch, true))();
      } catch (err2) {
        this.flows.discardRollups();
        this.fail(err2);
        return null;
      }
    }
    this.items = [];
    this.oldestUs = -1;
    this.stats.depth = 0;
    if (this.stats.state !== 'ok') this.recovered();
    this.stats.batches++;
    this.stats.committedItems += batch.length - report.rejected;
    this.stats.rejected += report.rejected;
    this.onCommit?.(report);
    this.afterCommit();
    return report;
  }

  private writeAll(batch: Item[], isolate: boolean): CommitReport {
    const r: CommitReport = { flows: 0, alertIds: [], anomalies: 0, incidents: 0, deferred: 0, rejected: 0 };
    const one = (it: Item): void => {
      switch (it.k) {
        case 'flow':
          this.flows.insert(it.v);
          r.flows++;
          break;
        case 'alert':
          this.alerts.insert(it.v);
          r.alertIds.push(it.v.id);
          break;
        case 'anomaly':
          this.alerts.insertAnomalyEvent(it.v);
          r.anomalies++;
          break;
        case 'incident':
          if (this.incidents === null) throw new Error('an incident was queued on a write queue without an incident store');
          this.incidents.write(it.v);
          r.incidents++;
          break;
        case 'deferred':
          it.v(this.db);
          r.deferred++;
          break;
      }
    };
    if (!isolate) {
      for (const it of batch) one(it);
    } else {
      // a nested better-sqlite3 transaction is a SAVEPOINT: a failing item rolls back only itself
      const guarded = this.db.transaction(one);
      for (const it of batch) {
        try {
          guarded(it);
        } catch (err) {
          const code = (err as { code?: string }).code ?? '';
          if (TRANSIENT.test(code)) throw err;
          r.rejected++;
          this.report(`store: a queued ${it.k} was rejected and skipped: ${(err as Error).message}`);
        }
      }
    }
    this.flows.commitRollups();
    return r;
  }

  /**
   * A whole batch failed on the disk or the lock: one error when the failure begins (not one per batch), then
   * silence until it ends; the items stay queued up to maxQueue, newer ones are dropped and counted.
   */
  private fail(err: unknown): void {
    this.stats.flushErrors++;
    this.stats.lastError = (err as Error).message ?? String(err);
    if (this.stats.state !== 'ok') return;
    const full = /^SQLITE_FULL/.test((err as { code?: string }).code ?? '');
    this.stats.state = full ? 'full' : 'failing';
    this.stats.failingSinceMs = Date.now();
    this.stats.droppedWhileFailing = 0;
    this.retryAtUs = -1;
    this.retryDelayUs = this.opts.flushIntervalMs * 1000;
    this.log(
      full
        ? `store: ERROR the disk holding the store is full (${this.stats.lastError}): writing is paused, capture and detection go on; ` +
            `up to ${this.opts.maxQueue} items wait in memory, newer ones are dropped and counted. Writing resumes by itself when space is freed.`
        : `store: ERROR writing the store fails (${this.stats.lastError}): writing is paused, capture and detection go on; ` +
            `up to ${this.opts.maxQueue} items wait in memory and the write is retried every ${this.opts.flushIntervalMs} ms.`,
    );
  }

  private recovered(): void {
    const secs = this.stats.failingSinceMs === null ? 0 : Math.round((Date.now() - this.stats.failingSinceMs) / 1000);
    this.log(`store: writing resumed after ${secs} s; ${this.stats.droppedWhileFailing} items were dropped meanwhile (queue full)`);
    this.stats.state = 'ok';
    this.stats.failingSinceMs = null;
  }

  /** Logs a message once per distinct text prefix, so a failing disk does not flood the log. */
  private report(msg: string): void {
    const key = msg.slice(0, 60);
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log(msg);
  }
}
