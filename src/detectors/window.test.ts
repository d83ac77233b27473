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
