/**
 * Bounded, packet-time state shared by the detectors.
 *
 * Every table here is keyed by something an attacker controls (addresses, ports, names), so each has a cap,
 * evicts the least recently touched entry when full and counts what it evicted (LruMap, src/lru-map.ts: O(1)
 * per operation, so a flood of new keys costs no more than normal traffic); eviction and expiry both work from
 * the least recent end.
 */

export { LruMap } from '../lru-map.js';
import { LruMap } from '../lru-map.js';

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
