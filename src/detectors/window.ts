/**
 * Bounded, packet-time state shared by the detectors.
 *
 * Every table here is keyed by something an attacker controls (addresses, ports, names), so each has a cap,
 * evicts the least recently touched entry when full and counts what it evicted.
 */

interface LruNode<K, V> {
  key: K;
  value: V;
  /** toward the least recent end */
  older: LruNode<K, V> | null;
  /** toward the most recent end */
  newer: LruNode<K, V> | null;
}

/**
 * A map whose entries are kept in least-recently-touched order, capped at `cap` entries.
 *
 * The order is a linked list beside the Map, not the Map's own insertion order: V8 leaves a deleted entry in
 * place until the table is rebuilt, and an iterator started at the front walks over every one of them, so
 * "delete the oldest, add one" on a full Map costs thousands of steps per call (a flood of new keys — one
 * per spoofed MAC — made each touch of a full table cost ~20 µs). Here eviction and expiry start at the
 * list's head: O(1) per entry, whatever was deleted before.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, LruNode<K, V>>();
  /** least recently touched */
  private head: LruNode<K, V> | null = null;
  /** most recently touched */
  private tail: LruNode<K, V> | null = null;
  /** entries dropped to stay under the cap */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new Error(`LruMap cap must be >= 1, got ${cap}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value for `key` without changing its position. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** The value for `key`, moved to the most-recent end; created with `make` when absent (evicting if full). */
  touch(key: K, make: () => V): V {
    let n = this.map.get(key);
    if (n !== undefined) {
      if (n !== this.tail) {
        this.unlink(n);
        this.append(n);
      }
      return n.value;
    }
    if (this.map.size >= this.cap) this.evictOldest();
    n = { key, value: make(), older: null, newer: null };
    this.map.set(key, n);
    this.append(n);
    return n.value;
  }

  delete(key: K): boolean {
    const n = this.map.get(key);
    if (n === undefined) return false;
    this.map.delete(key);
    this.unlink(n);
    return true;
  }

  /** Drops every entry (not counted as evicted). */
  clear(): void {
    this.map.clear();
    this.head = this.tail = null;
  }

  /** Drop entries from the least-recent end while `stale(value)` says so; returns how many were dropped. */
  expire(stale: (v: V) => boolean): number {
    let n = 0;
    while (this.head !== null && stale(this.head.value)) {
      const h = this.head;
      this.map.delete(h.key);
      this.unlink(h);
      n++;
    }
    return n;
  }

  /** Values, least recently touched first. Not to be changed while iterating (copy first, then delete). */
  *values(): IterableIterator<V> {
    for (let n = this.head; n !== null; n = n.newer) yield n.value;
  }

  /** Entries, least recently touched first. Not to be changed while iterating (copy first, then delete). */
  *entries(): IterableIterator<[K, V]> {
    for (let n = this.head; n !== null; n = n.newer) yield [n.key, n.value];
  }

  private append(n: LruNode<K, V>): void {
    n.older = this.tail;
    n.newer = null;
    if (this.tail !== null) this.tail.newer = n;
    else this.head = n;
    this.tail = n;
  }

  private unlink(n: LruNode<K, V>): void {
    if (n.older !== null) n.older.newer = n.newer;
    else this.head = n.newer;
    if (n.newer !== null) n.newer.older = n.older;
    else this.tail = n.older;
    n.older = n.newer = null;
  }

  private evictOldest(): void {
    const h = this.head;
    if (h === null) return;
    this.map.delete(h.key);
    this.unlink(h);
    this.evicted++;
  }
}

/**
 * A set of keys with the packet time each was last seen, for "distinct things within a window" counts
 * (ports probed, hosts swept, subdomains asked for). Capped; entries older than the window are dropped.
 */
export class RecentSet<K> {
  private readonly seen: LruMap<K, number>;

  constructor(cap: number) {
    this.seen = new LruMap<K, number>(cap);
  }

  get size(): number {
    return this.seen.size;
  }

  get evicted(): number {
    return this.seen.evicted;
  }

  /** Record `key` at `tsUs`; returns true when it was not in the set. */
  add(key: K, tsUs: number): boolean {
    const prev = this.seen.peek(key);
    // A late (out-of-order) sighting neither ages the entry nor moves it: the order stays by time seen.
    if (prev !== undefined && prev >= tsUs) return false;
    this.seen.delete(key);
    this.seen.touch(key, () => tsUs);
    return prev === undefined;
  }

  /** Drop keys last seen before `minUs`. */
  expire(minUs: number): void {
    this.seen.expire((ts) => ts < minUs);
  }

  /** Up to `n` keys, most recently seen last. */
  sample(n: number): K[] {
    const out: K[] = [];
    for (const [k] of this.seen.entries()) {
      if (out.length >= n) break;
      out.push(k);
    }
    return out;
  }
}

/**
 * Counts events in fixed buckets of packet time so "how many in the last W seconds" tolerates records that
 * arrive late (a half-open TCP flow is exported only after its idle timeout). Events older than the window
 * relative to the newest bucket seen are ignored.
 */
export class BucketCounter {
  private readonly counts: Float64Array;
  private readonly starts: Float64Array;
  private newest = -Infinity;

  constructor(
    readonly windowUs: number,
    readonly buckets = 12,
  ) {
    this.counts = new Float64Array(buckets);
    this.starts = new Float64Array(buckets).fill(-1);
  }

  private get bucketUs(): number {
    return Math.max(1, Math.ceil(this.windowUs / this.buckets));
  }

  add(tsUs: number, n = 1): void {
    const b = Math.floor(tsUs / this.bucketUs);
    if (b > this.newest) this.newest = b;
    if (b <= this.newest - this.buckets) return;
    const slot = b % this.buckets;
    if (this.starts[slot] !== b) {
      this.starts[slot] = b;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += n;
  }

  /** Sum over the buckets inside the window that ends at the newest bucket seen. */
  total(): number {
    let sum = 0;
    for (let i = 0; i < this.buckets; i++) {
      if (this.starts[i]! > this.newest - this.buckets) sum += this.counts[i]!;
    }
    return sum;
  }
}

/**
 * One alert per (kind, source, target) per suppression window: later triggers inside the window are counted,
 * not raised. Bounded like everything else; an evicted key can alert again early, which errs on the side of
 * telling the admin.
 */
export class Suppressor {
  private readonly last: LruMap<string, number>;
  suppressed = 0;

  constructor(
    readonly windowUs: number,
    cap: number,
  ) {
    this.last = new LruMap<string, number>(cap);
  }

  get evicted(): number {
    return this.last.evicted;
  }

  get size(): number {
    return this.last.size;
  }

  /** true when an alert for `key` may be raised at `tsUs` (and records it); false when suppressed. */
  allow(key: string, tsUs: number): boolean {
    const prev = this.last.peek(key);
    // records arrive in export order, so a trigger may carry an earlier time than the alert it repeats
    if (prev !== undefined && Math.abs(tsUs - prev) < this.windowUs) {
      this.suppressed++;
      return false;
    }
    this.last.delete(key);
    this.last.touch(key, () => tsUs);
    return true;
  }
}

/** Mean and coefficient of variation (std / mean) of a series; cv is Infinity for an empty or zero-mean series. */
export function meanCv(xs: ArrayLike<number>): { mean: number; cv: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, cv: Infinity };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i]!;
  const mean = sum / n;
  if (mean === 0) return { mean, cv: Infinity };
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (xs[i]! - mean) ** 2;
  return { mean, cv: Math.sqrt(sq / n) / mean };
}
