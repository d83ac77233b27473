/**
 * The embedded store: one SQLite file (WAL) opened at start-up, migrated to the current schema, written
 * through a batched queue, trimmed by a retention job and a size cap, checked by `integrityCheck`.
 *
 * Durability: WAL with synchronous=NORMAL. A killed process loses nothing committed (the WAL is in the
 * page cache); a pulled plug may lose the last commits before the previous checkpoint-sync but never
 * corrupts the file. synchronous=FULL would fsync on every batch, which an SD card pays for in wear.
 *
 * Time: every write takes packet time from the caller; only `retention` is given "now" by its caller (the
 * pipeline's clock: packet time in replay, wall time live).
 */
import Database from 'better-sqlite3';
import { sqliteNativeBinding } from '../assets.js';
import { statSync } from 'node:fs';
import type { Bus } from '../bus.js';
import { migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { checkOurs, openError, prepareStoreFile, stampOurs, StoreRefused } from './open-check.js';
import { FlowStore } from './flows.js';
import { AlertStore } from './alerts.js';
import { IncidentStore } from './incidents.js';
import { DeviceStore } from './devices.js';
import { FleetStore } from './fleet.js';
import { ActionStore } from './actions.js';
import { WebAuthStore } from './web-auth.js';
import { RegistryStore } from './registry.js';
import { WriteQueue, type CommitReport, type WriteQueueStats } from './write-queue.js';
import { runRetention, enforceSizeCap, type RetentionReport } from './retention.js';

export interface StoreOptions {
  /** store.path; ':memory:' for a throw-away store */
  path: string;
  /** store.flowRetentionDays: raw flows and anomaly events (default 7) */
  flowRetentionDays?: number;
  /** store.rollupRetentionDays: rollups, alerts, trust history, finished actions, scans, audit (default 90) */
  rollupRetentionDays?: number;
  /** store.maxSizeMB: cap on the database file plus its WAL (default 1024) */
  maxSizeMB?: number;
  /** store.maxDevices: devices stored at most (default 10,000); past it the shortest-lived unprotected go */
  maxDevices?: number;
  /** store.maxAddressesPerDevice: addresses stored per device at most (default 64), least recently used go */
  maxAddressesPerDevice?: number;
  /** store.batchSize (default 1000) */
  batchSize?: number;
  /** store.flushIntervalMs, packet time (default 1000) */
  flushIntervalMs?: number;
  /** items kept in memory while commits fail (default 100,000) */
  maxQueue?: number;
  /**
   * store.anomalyEvents: which anomaly events `attach` stores — 'all' (every scored flow, so the flow
   * page can show its score; doubles the rows written per flow) or 'alerts' (only those at the threshold).
   * Default 'all'.
   */
  anomalyEvents?: 'all' | 'alerts';
  /** called after each committed batch (the crash test prints the alert ids it gets here) */
  onCommit?: (r: CommitReport) => void;
  log?: (msg: string) => void;
}

export interface StoreSize {
  /** database file and WAL on disk, bytes */
  fileBytes: number;
  walBytes: number;
  /** pages holding data (the file minus its free list), bytes */
  usedBytes: number;
}

export interface StoreHealth {
  state: 'ok' | 'full' | 'failing';
  /** wall time the failure began, ms */
  sinceMs: number | null;
  lastError: string | null;
  /** items waiting in memory for the next commit */
  queued: number;
  /** items dropped because the queue was full while commits failed */
  droppedWhileFailing: number;
  path: string;
}

export class Store {
  readonly db: Database.Database;
  readonly flows: FlowStore;
  readonly alerts: AlertStore;
  readonly incidents: IncidentStore;
  readonly devices: DeviceStore;
  readonly actions: ActionStore;
  readonly auth: WebAuthStore;
  readonly fleet: FleetStore;
  readonly registry: RegistryStore;
  readonly queue: WriteQueue;
  readonly path: string;
  readonly flowRetentionDays: number;
  readonly rollupRetentionDays: number;
  /** bytes: the cap for the database file plus the WAL */
  readonly maxBytes: number;
  /** bytes the WAL may reach before it is checkpointed and truncated (a tenth of the cap, 256 KiB–16 MiB) */
  readonly walLimitBytes: number;
  /** rows deleted by the size cap (not by age), by table */
  readonly capEvictions: Record<string, number> = {};
  /** failed size-cap runs (logged once) */
  capErrors = 0;
  /** true while the evidence alone (which the size cap never deletes) keeps the store above its cap */
  overCap = false;
  readonly anomalyEvents: 'all' | 'alerts';
  private closed = false;
  private readonly log: (msg: string) => void;

  private constructor(opts: StoreOptions) {
    const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
    this.log = log;
    this.path = opts.path;
    const file = opts.path !== ':memory:' && opts.path !== '';
    if (file) prepareStoreFile(opts.path);
    try {
      this.db = new Database(opts.path, { nativeBinding: sqliteNativeBinding() });
    } catch (err) {
      throw file ? openError(opts.path, err) : err;
    }
    this.flowRetentionDays = opts.flowRetentionDays ?? 7;
    this.anomalyEvents = opts.anomalyEvents ?? 'all';
    this.rollupRetentionDays = opts.rollupRetentionDays ?? 90;
    this.maxBytes = Math.floor((opts.maxSizeMB ?? 1024) * 1024 * 1024);
    this.walLimitBytes = Math.min(16 << 20, Math.max(256 << 10, Math.floor(this.maxBytes / 10)));
    try {
      // refuses an unrelated or damaged file before anything is written to it
      if (file) checkOurs(this.db, opts.path, SCHEMA_VERSION);
      // before WAL and before any table: see migrate() on why auto_vacuum must be set first
      if (schemaVersion(this.db) === 0) this.db.pragma('auto_vacuum = INCREMENTAL');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      // WAL readers never block the writer; this covers a second writing connection (`argus-edge passwd`
      // run while the appliance is up) holding the write lock for a moment
      this.db.pragma('busy_timeout = 2000');
      this.db.pragma(`wal_autocheckpoint = ${Math.max(64, Math.floor(this.walLimitBytes / 4096))}`);
      this.db.pragma(`journal_size_limit = ${this.walLimitBytes}`);
      migrate(this.db, undefined, log);
      if (file) stampOurs(this.db);
    } catch (err) {
      this.db.close();
      if (!file) throw err;
      if (/newer than this program/.test((err as Error).message)) {
        throw new StoreRefused(opts.path, `the store ${opts.path}: ${(err as Error).message}; run the release that wrote it, or restore a backup`);
      }
      throw openError(opts.path, err);
    }
    this.flows = new FlowStore(this.db, opts.maxDevices);
    this.alerts = new AlertStore(this.db);
    this.incidents = new IncidentStore(this.db);
    this.devices = new DeviceStore(this.db, {
      ...(opts.maxDevices !== undefined ? { maxDevices: opts.maxDevices } : {}),
      ...(opts.maxAddressesPerDevice !== undefined ? { maxAddressesPerDevice: opts.maxAddressesPerDevice } : {}),
    });
    this.actions = new ActionStore(this.db);
    this.auth = new WebAuthStore(this.db);
    this.fleet = new FleetStore(this.db, () => this.checkSize());
    this.registry = new RegistryStore(this.db);
    this.queue = new WriteQueue(
      this.db,
      this.flows,
      this.alerts,
      { batchSize: opts.batchSize ?? 1000, flushIntervalMs: opts.flushIntervalMs ?? 1000, maxQueue: opts.maxQueue ?? 100_000 },
      opts.onCommit,
      log,
      () => this.checkSize(),
      this.incidents,
    );
  }

  /** Opens (creating and migrating as needed) the store at `opts.path`. Throws on an unusable file. */
  static open(opts: StoreOptions): Store {
    return new Store(opts);
  }

  /** Queues a flow record for the next batch. */
  addFlow(f: Parameters<WriteQueue['addFlow']>[0]): void {
    this.queue.addFlow(f);
  }

  addAlert(a: Parameters<WriteQueue['addAlert']>[0]): void {
    this.queue.addAlert(a);
  }

  addAnomaly(e: Parameters<WriteQueue['addAnomaly']>[0]): void {
    this.queue.addAnomaly(e);
  }

  /** Runs `fn` inside the next batch transaction (for frequent small writes such as device sightings). */
  defer(tsUs: number, fn: (db: Database.Database) => void): void {
    this.queue.defer(tsUs, fn);
  }

  /** Advances packet time; commits the queue when the flush interval has passed. */
  tick(tsUs: number): void {
    this.queue.tick(tsUs);
  }

  /** Commits what is queued now; see WriteQueue.flush. */
  flush(): CommitReport | null {
    return this.queue.flush();
  }

  /**
   * Subscribes the store to the bus's flow, alert, anomaly and incident events; returns the unsubscribe
   * function. Attach before the incident tracker, so an alert is queued before the incident change naming it.
   */
  attach(bus: Bus): () => void {
    const offs = [
      bus.on('flow.end', (f) => this.queue.addFlow(f)),
      bus.on('alert', (a) => this.queue.addAlert(a)),
      bus.on('incident', (e) => this.queue.addIncident(e)),
      bus.on('anomaly', (e) => {
        if (e.alert || this.anomalyEvents === 'all') this.queue.addAnomaly(e);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /**
   * Deletes what is older than the retention periods at `nowUs`, at most `maxRows` rows per call so a
   * big backlog is spread over several calls instead of blocking capture. `done` is false while more
   * remains. Also enforces the size cap.
   */
  retention(nowUs: number, maxRows = 50_000): RetentionReport {
    this.queue.flush();
    const r = runRetention(this.db, nowUs, this.flowRetentionDays, this.rollupRetentionDays, maxRows);
    // incidents outlive their raw alerts; only their number is bounded
    const trimmed = this.incidents.trim();
    if (trimmed > 0) r.deleted['incidents'] = (r.deleted['incidents'] ?? 0) + trimmed;
    this.checkSize();
    return r;
  }

  size(): StoreSize {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const st = (p: string): number => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    const mem = this.path === ':memory:';
    return {
      fileBytes: mem ? pages * pageSize : st(this.path),
      walBytes: mem ? 0 : st(this.path + '-wal'),
      usedBytes: (pages - free) * pageSize,
    };
  }

  /**
   * Cheap (three pragmas) after every commit; deletes oldest rows only when the cap is near. The data may
   * use the cap minus twice the WAL limit: the WAL is checkpointed at its limit, but the commit that crosses
   * it (an eviction round, a big batch) lands in the WAL before the checkpoint runs.
   */
  private checkSize(): void {
    let evicted: Record<string, number>;
    try {
      // the device cap first (counted in devices.evictions): it is what keeps a flood of MACs from the size cap
      this.devices.enforceCap();
      const before = this.devices.evictions.devices;
      const r = enforceSizeCap(this.db, this.maxBytes - 2 * this.walLimitBytes, Math.max(1000, this.walLimitBytes >> 10), (n) => this.devices.evictTransient(n));
      // devices the size cap took are counted here, not twice
      this.devices.evictions.devices = before;
      evicted = r.deleted;
      if (r.overCap && !this.overCap) {
        this.log(`store: the evidence alone (alerts, incidents, actions, audit, trust history) fills store.maxSizeMB (${Math.round(this.maxBytes / 1048576)} MiB); it is kept until its retention (store.rollupRetentionDays) and the file stays above the cap`);
      }
      this.overCap = r.overCap;
    } catch (err) {
      // a locked or full disk: the batch itself is committed; the cap is tried again after the next one
      this.capErrors++;
      // the eviction's transaction was rolled back: its devices are still stored
      try {
        this.devices.resync();
      } catch {
        // read again at the next failure or open
      }
      if (this.capErrors === 1) this.log(`store: size cap enforcement failed (further failures are counted): ${(err as Error).message}`);
      return;
    }
    for (const [table, n] of Object.entries(evicted)) this.capEvictions[table] = (this.capEvictions[table] ?? 0) + n;
  }

  /** `PRAGMA integrity_check`: ['ok'] when the file is sound, else SQLite's messages. */
  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  stats(): WriteQueueStats & { capEvictions: Record<string, number>; capErrors: number; countEvictions: Record<string, number>; overCap: boolean } {
    return {
      ...this.queue.stats,
      dropped: { ...this.queue.stats.dropped },
      capEvictions: { ...this.capEvictions },
      capErrors: this.capErrors,
      countEvictions: { ...this.devices.evictions },
      overCap: this.overCap,
    };
  }

  /**
   * Whether the store is writing: 'ok', 'full' (the disk is full: writing paused, resumes by itself) or
   * 'failing' (another disk or lock error). /healthz, the API and the dashboard show it.
   */
  health(): StoreHealth {
    const q = this.queue.stats;
    return {
      state: q.state,
      sinceMs: q.failingSinceMs,
      lastError: q.state === 'ok' ? null : q.lastError,
      queued: q.depth,
      droppedWhileFailing: q.droppedWhileFailing,
      path: this.path,
    };
  }

  /**
   * Commits the queue, checkpoints the WAL into the file and closes. Safe to call twice. On a full disk what
   * cannot be committed is reported in one line (the WAL keeps everything committed before) instead of thrown.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.flush();
    const left = this.queue.depth;
    if (left > 0) this.log(`store: closing with ${left} items not saved (${this.queue.stats.lastError ?? 'commit failed'})`);
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      // the WAL stays beside the file and is applied at the next open
      this.log(`store: the final checkpoint failed, the WAL is kept for the next start: ${(err as Error).message}`);
    } finally {
      this.db.close();
    }
  }
}

/**
 * Opens the store file read-only and runs `PRAGMA integrity_check` (for `argus-edge status`, which must not
 * migrate or write). Returns the schema version and SQLite's messages (['ok'] when sound).
 */
export function checkStoreFile(path: string): { ok: boolean; schemaVersion: number; messages: string[]; applicationId: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true, nativeBinding: sqliteNativeBinding() });
  try {
    let messages: string[];
    try {
      messages = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (err) {
      // "file is not a database" and the like: as damaged as it gets
      return { ok: false, schemaVersion: 0, messages: [(err as Error).message], applicationId: 0 };
    }
    let version = 0;
    let applicationId = 0;
    try {
      version = schemaVersion(db);
      applicationId = db.pragma('application_id', { simple: true }) as number;
    } catch (err) {
      messages = [...messages.filter((m) => m !== 'ok'), (err as Error).message];
    }
    return { ok: messages.length === 1 && messages[0] === 'ok', schemaVersion: version, messages, applicationId };
  } finally {
    db.close();
  }
}

export type { CommitReport, WriteQueueStats, RetentionReport };
