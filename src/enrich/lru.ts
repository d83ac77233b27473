/**
 * A bounded least-recently-used map: a hit is made the most recently used, and at the cap the least recently
 * used goes. Keys come from the wire (remote addresses), so the cap is what bounds the memory; `evicted`
 * counts what it pushed out. The order is the detectors' LruMap (a linked list beside a Map): with the Map's
 * own insertion order, deleting its first key on a full cache walked every entry deleted before it (~37 µs
 * a new address at 20,000 entries).
 */
import { LruMap } from '../detectors/window.js';

export class LruCache<K, V> {
  private readonly map: LruMap<K, V> | null;

  /** `capacity` 0 turns the cache off (every get misses, set keeps nothing). */
  constructor(readonly capacity: number) {
    this.map = capacity > 0 ? new LruMap<K, V>(capacity) : null;
  }

  get evicted(): number {
    return this.map?.evicted ?? 0;
  }

  get size(): number {
    return this.map?.size ?? 0;
  }

  /** The value, made the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (this.map === null || this.map.peek(key) === undefined) return undefined;
    return this.map.touch(key, () => undefined as V);
  }

  set(key: K, value: V): void {
    if (this.map === null) return;
    this.map.delete(key);
    this.map.touch(key, () => value);
  }

  clear(): void {
    this.map?.clear();
  }
}
