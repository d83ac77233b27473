/**
 * A bounded cache that keeps the recently used keys, O(1) per operation whatever the keys (hashlru's scheme,
 * as quick-lru uses it): two Maps, `young` and `old`. A set goes into `young`; a hit in `old` is copied into
 * `young`. When `young` holds half the capacity (rounded up), it becomes `old` and the previous `old` is
 * dropped whole. So at most `capacity` keys are held, and a working set of up to half the capacity, used
 * over and over, is never evicted. Keys come from the wire (remote addresses), so the cap is what bounds the memory; `evicted`
 * counts the keys dropped.
 *
 * (A single Map used as an exact LRU — a hit moved to the end by delete + set, its first key evicted — is
 * not O(1) under a stream of distinct addresses: V8 leaves deleted entries as holes that `keys().next()`
 * walks past and rehashes the table as they pile up; it managed 16,000 lookups/s where a flood of new
 * sources needs millions.)
 */
export class LruCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  evicted = 0;

  /** `capacity` 0 turns the cache off (every get misses, set keeps nothing). */
  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.ceil(capacity / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** The value, kept as recently used; undefined when absent. */
  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.put(key, o);
    }
    return o;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    if (this.young.has(key)) this.young.set(key, value);
    else {
      this.old.delete(key);
      this.put(key, value);
    }
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private put(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.evicted += this.old.size;
      this.old = this.young;
      this.young = new Map();
    }
  }
}
