import t from 'tap';
import { BucketCounter, LruMap, meanCv, RecentSet, Suppressor } from './window.js';

t.test('LruMap evicts the least recently touched entry and counts it', async (t) => {
  const m = new LruMap<string, number>(2);
  m.touch('a', () => 1);
  m.touch('b', () => 2);
  m.touch('a', () => 99); // refreshes a; value kept
  m.touch('c', () => 3); // evicts b
  t.equal(m.peek('a'), 1);
  t.equal(m.peek('b'), undefined);
  t.equal(m.evicted, 1);
  t.equal(m.expire((v) => v < 2), 1, 'expires from the old end only');
  t.equal(m.size, 1);
  t.throws(() => new LruMap(0));
});

t.test('RecentSet counts distinct keys within a window, tolerating late sightings', async (t) => {
  const s = new RecentSet<number>(100);
  for (let i = 0; i < 10; i++) s.add(i, i * 1000);
  t.notOk(s.add(3, 500), 'already present');
  s.expire(5000);
  t.equal(s.size, 5, 'keys seen before 5000 are gone; the late sighting of 3 did not refresh it');
  t.same(s.sample(3), [5, 6, 7], 'oldest first');
  t.ok(s.add(3, 9000));
  t.same(s.sample(10), [5, 6, 7, 8, 9, 3]);
});

t.test('BucketCounter sums the window ending at the newest bucket', async (t) => {
  const c = new BucketCounter(10_000_000, 10);
  for (let i = 0; i < 100; i++) c.add(i * 100_000); // 10 s of events
  t.equal(c.total(), 100);
  c.add(15_000_000); // newest now 15 s: events before ~6 s fall out
  t.ok(c.total() < 60 && c.total() > 30, `total ${c.total()}`);
  c.add(1_000_000); // far too late: ignored
  const before = c.total();
  c.add(1_000_000);
  t.equal(c.total(), before);
});

t.test('Suppressor: one per key per window, in either time direction', async (t) => {
  const s = new Suppressor(600e6, 10);
  t.ok(s.allow('k', 1000e6));
  t.notOk(s.allow('k', 1300e6));
  t.notOk(s.allow('k', 900e6), 'an earlier-stamped trigger is the same event');
  t.ok(s.allow('k', 1700e6));
  t.ok(s.allow('other', 1300e6));
  t.equal(s.suppressed, 2);
});

t.test('meanCv', async (t) => {
  t.same(meanCv([2, 2, 2]), { mean: 2, cv: 0 });
  t.equal(meanCv([]).cv, Infinity);
  t.equal(Math.round(meanCv([1, 3]).cv * 100), 50);
});

t.test('LruMap keeps its order through touches, deletes and expiry; a full table costs O(1) per new key', async (t) => {
  const m = new LruMap<number, number>(4);
  for (let i = 0; i < 4; i++) m.touch(i, () => i * 10);
  m.touch(1, () => -1); // 1 moves to the recent end
  t.same([...m.entries()], [[0, 0], [2, 20], [3, 30], [1, 10]]);
  t.ok(m.delete(2));
  t.notOk(m.delete(2), 'already gone');
  t.same([...m.values()], [0, 30, 10]);
  m.touch(3, () => -1); // the tail touched again stays the tail
  m.touch(5, () => 50);
  m.touch(6, () => 60); // full: 0 goes
  t.same([...m.entries()].map(([k]) => k), [1, 3, 5, 6]);
  t.equal(m.evicted, 1);
  t.equal(m.expire((v) => v < 40), 2, 'stops at the first fresh entry');
  t.same([...m.entries()].map(([k]) => k), [5, 6]);
  t.equal(m.expire(() => true), 2);
  t.equal(m.size, 0);
  t.same([...m.entries()], []);
  m.touch(7, () => 70);
  t.same([...m.entries()], [[7, 70]], 'usable again once empty');

  // a flood of new keys through a full table: every touch evicts the oldest. With the Map's own order the
  // deleted entries piled up at its front and each eviction walked them (~20 µs a touch at 10,000 entries).
  const big = new LruMap<number, number>(10_000);
  const t0 = performance.now();
  for (let i = 0; i < 300_000; i++) {
    big.expire((v) => v < i - 1e9);
    big.touch(i, () => i);
  }
  const ms = performance.now() - t0;
  t.equal(big.size, 10_000);
  t.equal(big.evicted, 290_000);
  t.equal(big.peek(290_000), 290_000, 'the newest 10,000 are kept');
  t.equal(big.peek(289_999), undefined);
  t.ok(ms < 1500, `300,000 new keys through a full table in ${ms.toFixed(0)} ms`);
});
