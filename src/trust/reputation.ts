/**
 * Threat-intelligence feeds: lists of bad addresses and domains, loaded from files or URLs, kept fresh and
 * looked up per flow and per DNS name.
 *
 * Every feed (file or URL) has a last good copy in `intel.cacheDir`: at start the index is built from the
 * files and those copies, so the appliance protects from its first packet even without network; a refresh
 * fetches a URL (timeout, size cap, conditional GET), checks the body is a list (not an error page), replaces
 * the copy atomically and rebuilds the index. A failed refresh is logged and counted, never fatal: the last
 * good copy stays in use and the fetch is retried.
 *
 * The index (IpTable + DomainSet + the entries' feed names and notes) is immutable once built and swapped in
 * whole, so a lookup never sees half a refresh. Refresh scheduling runs on the wall clock (it is about the
 * network, not about packets); lookups never wait for it.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FeedSpec } from '../config/intel-schema.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { DomainSet } from './domain-set.js';
import { FeedCopies, fetchFeed } from './feed-copies.js';
import { parseFeed, type ConcreteFeedFormat, type FeedKind } from './feed-formats.js';
import { IpTable, ipv4Number } from './prefix-trie.js';

export type IntelConfig = Config['intel'];

/** One listed entry that matched. */
export interface ReputationHit {
  feed: string;
  kind: FeedKind;
  /** the entry as the list wrote it: "1.2.3.0/24", "198.51.100.7", "bad.example" */
  entry: string;
  /** what the list says about it, when it says anything: "SBL123", "Dridex, port 443" */
  note: string | null;
  /** other feeds listing exactly the same entry */
  alsoIn: string[];
}

/** Where a feed's entries currently come from and how its refreshes went. */
export interface FeedStatus {
  name: string;
  source: string;
  kind: FeedKind;
  /** the format used (detected when the feed says 'auto'); null before the feed was first read */
  format: ConcreteFeedFormat | null;
  ips: number;
  domains: number;
  /** lines that held no usable entry */
  bad: number;
  /** entries dropped at intel.maxEntries */
  dropped: number;
  /** ms since the epoch the current copy was fetched or read; null: nothing loaded yet */
  updatedAt: number | null;
  lastAttemptAt: number | null;
  /** refreshes that failed (fetch, read, or a body that was no list) */
  failures: number;
  lastError: string | null;
}

export interface ReputationOptions {
  /** config.store.path: the default cacheDir is 'intel' beside it */
  storePath?: string;
  /** wall clock in ms (tests) */
  now?: () => number;
  /** how often the refresh ticker looks for due feeds; default min(refresh interval, 15 min) */
  tickMs?: number;
  /** a failed fetch is retried after this long; default min(refresh interval, 1 h) */
  retryMs?: number;
}

interface Index {
  ips: IpTable;
  domains: DomainSet;
  /** per entry id: feed number, text, note, next entry id with the same key in another feed (-1: none) */
  feedOf: number[];
  text: string[];
  note: (string | null)[];
  next: number[];
}

const emptyIndex = (): Index => ({ ips: new IpTable(), domains: new DomainSet(), feedOf: [], text: [], note: [], next: [] });

export class Reputation {
  private index: Index = emptyIndex();
  private readonly status: FeedStatus[];
  readonly cacheDir: string;
  private readonly copies: FeedCopies;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  /** path feeds: the mtime last read, to re-read only on change */
  private readonly fileMtimes = new Map<string, number>();
  /** index rebuilds so far */
  builds = 0;

  constructor(
    private readonly cfg: IntelConfig,
    private readonly log: Logger,
    private readonly opts: ReputationOptions = {},
  ) {
    this.cacheDir = cfg.cacheDir !== '' ? cfg.cacheDir : join(dirname(opts.storePath ?? 'var/argus-edge.db'), 'intel');
    this.copies = new FeedCopies(this.cacheDir);
    this.now = opts.now ?? Date.now;
    this.status = cfg.feeds.map((f) => ({
      name: f.name,
      source: f.url ?? f.path ?? '',
      kind: f.kind,
      format: null,
      ips: 0,
      domains: 0,
      bad: 0,
      dropped: 0,
      updatedAt: null,
      lastAttemptAt: null,
      failures: 0,
      lastError: null,
    }));
    const names = new Set<string>();
    for (const f of cfg.feeds) {
      if (names.has(f.name)) throw new Error(`intel.feeds: the name '${f.name}' is used twice`);
      names.add(f.name);
    }
  }

  /** Build the index from the feed files and the last good copies on disk; resolves to the ready instance. */
  static async load(cfg: IntelConfig, log: Logger, opts: ReputationOptions = {}): Promise<Reputation> {
    const r = new Reputation(cfg, log, opts);
    r.loadLocal();
    return r;
  }

  /** Synchronous start-up load: path feeds from their files (copied to the cache), URL feeds from their cached copies. */
  loadLocal(): void {
    const err = this.copies.ensureDir();
    if (err !== null) this.log.warn(`intel: cannot create the feed cache ${this.cacheDir}: ${err}; URL feeds will not survive a restart`);
    this.cfg.feeds.forEach((f, i) => {
      if (f.path !== null) this.readPathFeed(f, i);
    });
    this.rebuild();
  }

  /** Fetch URL feeds that are due (and re-read changed files) now, then every tick; the timer does not hold the process. */
  startRefresh(): void {
    if (this.timer !== null || this.cfg.feeds.length === 0) return;
    const refreshMs = this.cfg.refreshHours * 3_600_000;
    const tick = this.opts.tickMs ?? Math.min(refreshMs, 15 * 60_000);
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One refresh round: every URL feed whose copy is older than intel.refreshHours (and whose last failure is
   * older than the retry interval) is fetched; every file feed whose mtime changed is re-read; the index is
   * rebuilt when anything changed. `force` fetches every URL feed. Never rejects.
   */
  refresh(force = false): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    this.refreshing = this.refreshRound(force).finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refreshRound(force: boolean): Promise<void> {
    const refreshMs = this.cfg.refreshHours * 3_600_000;
    const retryMs = this.opts.retryMs ?? Math.min(refreshMs, 3_600_000);
    let changed = false;
    for (const [i, f] of this.cfg.feeds.entries()) {
      const st = this.status[i]!;
      try {
        if (f.path !== null) {
          changed = this.readPathFeed(f, i) || changed;
          continue;
        }
        const now = this.now();
        const fresh = st.updatedAt !== null && now - st.updatedAt < refreshMs;
        const backingOff = st.lastAttemptAt !== null && st.lastError !== null && now - st.lastAttemptAt < retryMs;
        if (!force && (fresh || backingOff)) continue;
        changed = (await this.fetchUrlFeed(f, i)) || changed;
      } catch (err) {
        this.fail(i, (err as Error).message);
      }
    }
    if (changed) this.rebuild();
  }

  // ---- lookups ----

  /** Entry id of the most specific listed entry covering the IPv4 address `n` (unsigned 32-bit), or -1. */
  lookupIpv4(n: number): number {
    return this.index.ips.lookupV4(n);
  }

  /** The listed entry covering `ip` (text form, v4 or v6), or null. */
  lookupIp(ip: string): ReputationHit | null {
    const n = ipv4Number(ip);
    const id = n >= 0 ? this.index.ips.lookupV4(n) : this.index.ips.lookup(ip);
    return id < 0 ? null : this.hit(id);
  }

  /** The listed domain that `name` equals or lies below, or null. */
  lookupDomain(name: string): ReputationHit | null {
    const id = this.index.domains.lookup(name);
    return id < 0 ? null : this.hit(id);
  }

  /** The entry behind an id from lookupIpv4 (valid until the next rebuild). */
  hit(id: number): ReputationHit {
    const x = this.index;
    const feed = this.cfg.feeds[x.feedOf[id]!]!;
    const alsoIn: string[] = [];
    for (let n = x.next[id]!; n >= 0 && alsoIn.length < 10; n = x.next[n]!) alsoIn.push(this.cfg.feeds[x.feedOf[n]!]!.name);
    return { feed: feed.name, kind: feed.kind, entry: x.text[id]!, note: x.note[id]!, alsoIn };
  }

  /** true when some feed is loaded with at least one IP entry / one domain */
  get hasIps(): boolean {
    return this.status.some((s) => s.ips > 0);
  }
  get hasDomains(): boolean {
    return this.status.some((s) => s.domains > 0);
  }

  feeds(): FeedStatus[] {
    return this.status.map((s) => ({ ...s }));
  }

  /** entries in the current index */
  get size(): number {
    return this.index.text.length;
  }

  // ---- loading ----

  /** Re-read a file feed when its mtime changed; keeps a copy in the cache. Returns true when it changed. */
  private readPathFeed(f: FeedSpec, i: number): boolean {
    const st = this.status[i]!;
    const path = f.path!;
    let mtime: number;
    let text: string;
    try {
      mtime = statSync(path).mtimeMs;
      if (this.fileMtimes.get(f.name) === mtime) return false;
      st.lastAttemptAt = this.now();
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const cached = this.copies.meta(f.name)?.source === path;
      const why = `${(err as Error).message}${cached ? '; using the last good copy' : ''}`;
      if (st.lastError !== why) this.fail(i, why); // once per distinct problem, not every tick
      return false;
    }
    this.fileMtimes.set(f.name, mtime);
    if (!this.plausible(f, i, text)) return false;
    try {
      this.copies.write(f.name, text, { source: path, fetchedAt: this.now() });
    } catch (err) {
      this.log.warn(`intel: feed ${f.name}: cannot keep a copy in ${this.cacheDir}: ${(err as Error).message}`);
    }
    st.updatedAt = this.now();
    st.lastError = null;
    return true;
  }

  /** Fetch a URL feed (conditional GET against its copy). Returns true when the copy changed. */
  private async fetchUrlFeed(f: FeedSpec, i: number): Promise<boolean> {
    const st = this.status[i]!;
    const url = f.url!;
    st.lastAttemptAt = this.now();
    const meta = this.copies.meta(f.name);
    const r = await fetchFeed(url, {
      timeoutMs: this.cfg.fetchTimeoutSeconds * 1000,
      capBytes: Math.floor(this.cfg.maxFeedMB * 1048576),
      meta: meta?.source === url && st.updatedAt !== null ? meta : null,
    });
    if (!r.changed) {
      this.copies.write(f.name, null, { ...meta!, fetchedAt: this.now() });
      st.updatedAt = this.now();
      st.lastError = null;
      this.log.debug(`intel: feed ${f.name} unchanged (304)`);
      return false;
    }
    if (!this.plausible(f, i, r.body)) return false;
    try {
      this.copies.write(f.name, r.body, {
        source: url,
        fetchedAt: this.now(),
        ...(r.etag ? { etag: r.etag } : {}),
        ...(r.lastModified ? { lastModified: r.lastModified } : {}),
      });
    } catch (err) {
      throw new Error(`cannot keep the copy in ${this.cacheDir}: ${(err as Error).message}`);
    }
    st.updatedAt = this.now();
    st.lastError = null;
    this.log.info(`intel: feed ${f.name} fetched (${r.body.length.toLocaleString('en-US')} bytes)`);
    return true;
  }

  /** A body with lines but no usable entry is an error page or a changed format: refuse it, keep the old copy. */
  private plausible(f: FeedSpec, i: number, text: string): boolean {
    const r = parseFeed(text, f.format, { ip: () => {}, domain: () => {} });
    if (r.ips + r.domains === 0 && r.bad > 0) {
      this.fail(i, `no ${f.format === 'auto' ? '' : f.format + ' '}entries in ${r.bad} lines (first: ${JSON.stringify(r.badSamples[0])}); keeping the last good copy`);
      return false;
    }
    return true;
  }

  private fail(i: number, why: string): void {
    const st = this.status[i]!;
    st.failures++;
    st.lastError = why;
    this.log.warn(`intel: feed ${st.name}: ${why}`);
  }

  /** Build a new index from every feed's current copy and swap it in. */
  private rebuild(): void {
    const x = emptyIndex();
    const notes = new Map<string, string>();
    const intern = (s: string | null): string | null => {
      if (s === null) return null;
      const have = notes.get(s);
      if (have !== undefined) return have;
      notes.set(s, s);
      return s;
    };
    let total = 0;
    for (const [i, f] of this.cfg.feeds.entries()) {
      const st = this.status[i]!;
      const meta = this.copies.meta(f.name);
      let text = this.copies.read(f.name, f.url ?? f.path!);
      if (text === null && f.path !== null) {
        // a file feed whose copy could not be written: the file itself
        try {
          text = readFileSync(f.path, 'utf8');
        } catch {
          // nothing to load: the failure was reported when the file was read
        }
      }
      if (text === null) continue;
      if (st.updatedAt === null && meta !== null) st.updatedAt = meta.fetchedAt;
      let dropped = 0;
      const add = (text: string, note: string | null, insert: (id: number) => number): void => {
        if (total >= this.cfg.maxEntries) {
          dropped++;
          return;
        }
        const id = x.text.length;
        const old = insert(id);
        if (old >= 0) {
          // chain behind the first feed that listed it, unless this list already did (the same entry twice)
          let last = old;
          for (;;) {
            if (x.feedOf[last] === i) return;
            if (x.next[last]! < 0) break;
            last = x.next[last]!;
          }
          x.next[last] = id;
        }
        x.feedOf.push(i);
        x.text.push(text);
        x.note.push(intern(note));
        x.next.push(-1);
        total++;
      };
      const r = parseFeed(text, f.format, {
        ip: (c, t, note) => add(t, note, (id) => x.ips.insert(c, id)),
        domain: (name, note) => add(name, note, (id) => x.domains.insert(name, id)),
      });
      Object.assign(st, { format: r.format, ips: r.ips, domains: r.domains, bad: r.bad, dropped });
      if (r.bad > 0) this.log.debug(`intel: feed ${f.name}: ${r.bad} unusable lines (first: ${JSON.stringify(r.badSamples[0])})`);
      if (dropped > 0) this.log.warn(`intel: feed ${f.name}: ${dropped} entries dropped at intel.maxEntries (${this.cfg.maxEntries})`);
    }
    this.index = x;
    this.builds++;
    this.log.info(`intel: ${total.toLocaleString('en-US')} entries from ${this.status.filter((s) => s.format !== null).length} of ${this.cfg.feeds.length} feeds`);
  }
}
