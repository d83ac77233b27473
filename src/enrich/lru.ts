/**
 * A bounded least-recently-used map: a Map keeps insertion order, so a hit is moved to the end by deleting
 * and setting it again, and at the cap the first key (the least recently used) goes. Keys come from the
 * wire (remote addresses), so the cap is what bounds the memory; `evicted` counts what it pushed out.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  evicted = 0;

  /** `capacity` 0 turns the cache off (every get misses, set keeps nothing). */
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, made the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      this.map.delete(this.map.keys().next().value as K);
      this.evicted++;
    }
  }

  clear(): void {
    this.map.clear();
  }
}
