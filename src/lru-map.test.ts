/**
 * LruMap against a reference (an array in least-recent-first order) over long random streams of touch, get,
 * set, peek, delete, expire and eviction at small caps, and its iteration order.
 */
import t from 'tap';
import { LruMap } from './lru-map.js';

t.test('agrees with a reference LRU over random operations', async (t) => {
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (const cap of [1, 2, 5, 64]) {
    const m = new LruMap<number, number>(cap);
    const ref: [number, number][] = [];
    let evicted = 0;
    let bad = 0;
    const find = (k: number): number => ref.findIndex((e) => e[0] === k);
    const front = (k: number): void => void ref.push(...ref.splice(find(k), 1));
    for (let i = 0; i < 30_000; i++) {
      const k = rnd(cap * 3);
      const op = rnd(6);
      if (op === 0) {
        const v = m.touch(k, () => i);
        if (find(k) >= 0) front(k);
        else {
          if (ref.length >= cap) (ref.shift(), evicted++);
          ref.push([k, i]);
        }
        if (v !== ref[ref.length - 1]![1]) bad++;
      } else if (op === 1) {
        const v = m.get(k);
        const at = find(k);
        if (at >= 0) front(k);
        if (v !== (at >= 0 ? ref[ref.length - 1]![1] : undefined)) bad++;
      } else if (op === 2) {
        m.set(k, i);
        const at = find(k);
        if (at >= 0) {
          front(k);
          ref[ref.length - 1]![1] = i;
        } else {
          if (ref.length >= cap) (ref.shift(), evicted++);
          ref.push([k, i]);
        }
      } else if (op === 3) {
        const at = find(k);
        if (m.peek(k) !== (at >= 0 ? ref[at]![1] : undefined)) bad++;
      } else if (op === 4) {
        const at = find(k);
        if (m.delete(k) !== at >= 0) bad++;
        if (at >= 0) ref.splice(at, 1);
      } else {
        const min = i - cap * 4;
        const n = m.expire((v) => v < min);
        let want = 0;
        while (ref.length > 0 && ref[0]![1] < min) (ref.shift(), want++);
        if (n !== want) bad++;
      }
      if (m.size !== ref.length) bad++;
    }
    t.equal(bad, 0, `cap ${cap}: every answer as the reference`);
    t.equal(m.evicted, evicted, `cap ${cap}: ${evicted} evictions`);
    t.same([...m.entries()], ref, `cap ${cap}: iteration is least recent first`);
    t.same([...m.keys()], ref.map((e) => e[0]), 'keys()');
    t.same(m.oldest(), ref[0], 'oldest()');
  }
});

t.test('deleting the current entry while iterating is allowed', async (t) => {
  const m = new LruMap<string, number>(10);
  for (const k of ['a', 'b', 'c', 'd']) m.set(k, k.charCodeAt(0));
  for (const [k] of m) if (k === 'b' || k === 'c') m.delete(k);
  t.same([...m.keys()], ['a', 'd']);
  m.clear();
  t.equal(m.size, 0);
  t.equal(m.evictOldest(), undefined, 'nothing to evict when empty');
  t.throws(() => new LruMap(0), /cap must be >= 1/);
});
