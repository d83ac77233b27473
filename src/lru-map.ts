/**
 * A map kept in least-recently-touched order, capped, O(1) per operation whatever the keys. Every table keyed
 * by something from the wire (addresses, MACs, names, ports) uses it or a cap of its own: an attacker who
 * sends only new keys must cost the same per packet as normal traffic.
 *
 * The order is a doubly linked list of entry nodes beside a Map from key to node; the Map is never iterated.
 * (A Map alone — a touch moved to the end by delete + set, the first key evicted — is not O(1): V8 leaves a
 * deleted entry as a hole that `keys().next()` and iteration walk past until the table is rehashed, so at a
 * cap of 65,536 with new keys only it managed about 20,000 operations a second.)
 */
interface Node<K, V> {
  key: K;
  value: V;
  /** towards the least recent end */
  prev: Node<K, V> | null;
  /** towards the most recent end */
  next: Node<K, V> | null;
}

export class LruMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  /** least recently touched */
  private head: Node<K, V> | null = null;
  /** most recently touched */
  private tail: Node<K, V> | null = null;
  /** entries dropped to stay under the cap */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new Error(`LruMap cap must be >= 1, got ${cap}`);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** The value for `key` without changing its position. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** The value for `key`, made the most recent; undefined when absent. */
  get(key: K): V | undefined {
    const n = this.map.get(key);
    if (n === undefined) return undefined;
    this.toTail(n);
    return n.value;
  }

  /** Sets `key` and makes it the most recent, evicting the least recent entry when full. */
  set(key: K, value: V): this {
    const n = this.map.get(key);
    if (n !== undefined) {
      n.value = value;
      this.toTail(n);
    } else {
      if (this.map.size >= this.cap) this.evictOldest();
      this.append({ key, value, prev: null, next: null });
    }
    return this;
  }

  /** The value for `key`, made the most recent; created with `make` when absent (evicting if full). */
  touch(key: K, make: () => V): V {
    const n = this.map.get(key);
    if (n !== undefined) {
      this.toTail(n);
      return n.value;
    }
    if (this.map.size >= this.cap) this.evictOldest();
    const v = make();
    this.append({ key, value: v, prev: null, next: null });
    return v;
  }

  delete(key: K): boolean {
    const n = this.map.get(key);
    if (n === undefined) return false;
    this.unlink(n);
    this.map.delete(key);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.head = this.tail = null;
  }

  /** The least recently touched entry, or undefined when empty. */
  oldest(): [K, V] | undefined {
    return this.head === null ? undefined : [this.head.key, this.head.value];
  }

  /** Drops the least recently touched entry (counted as evicted); returns its key, undefined when empty. */
  evictOldest(): K | undefined {
    const h = this.head;
    if (h === null) return undefined;
    this.unlink(h);
    this.map.delete(h.key);
    this.evicted++;
    return h.key;
  }

  /** Drop entries from the least-recent end while `stale(value)` says so; returns how many were dropped. */
  expire(stale: (v: V) => boolean): number {
    let n = 0;
    while (this.head !== null && stale(this.head.value)) {
      const h = this.head;
      this.unlink(h);
      this.map.delete(h.key);
      n++;
    }
    return n;
  }

  /** Least recent first. Entries must not be added or moved while iterating; deleting the current one is fine. */
  *entries(): IterableIterator<[K, V]> {
    for (let n = this.head; n !== null; ) {
      const next = n.next;
      yield [n.key, n.value];
      n = next;
    }
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  private append(n: Node<K, V>): void {
    this.map.set(n.key, n);
    this.link(n);
  }

  private link(n: Node<K, V>): void {
    n.prev = this.tail;
    n.next = null;
    if (this.tail !== null) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }

  private unlink(n: Node<K, V>): void {
    if (n.prev !== null) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next !== null) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
  }

  private toTail(n: Node<K, V>): void {
    if (n === this.tail) return;
    this.unlink(n);
    this.link(n);
  }
}
