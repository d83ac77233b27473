import t from 'tap';
import { DEFAULT_ADAPT_CONFIG, OnlineThreshold, type AdaptBounds } from './online-threshold.js';
import { Prng } from './prng.js';

const HOUR = 3600e6;
const DAY = 24 * HOUR;
const bounds: AdaptBounds = { lo: 0.5, hi: 1 - 1e-12, budgetPerDay: 1, quantile: 0.999 };

/**
 * Feeds `flows` scores over `days` of packet time from one device; the scores' surprise −ln(1 − s) is
 * Exp(1) (s uniform), or `rate`·Exp(1): P(surprise > z) = e^(−z / rate).
 */
function feed(u: OnlineThreshold, flows: number, days: number, seed: number, rate = 1, t0 = 0): number {
  const rng = new Prng(seed);
  let changes = 0;
  for (let i = 0; i < flows; i++) {
    const z = -Math.log(1 - rng.next()) * rate;
    if (u.observe(-Math.expm1(-z), t0 + (i / flows) * days * DAY, 'aa:bb:cc:dd:ee:01')) changes++;
  }
  return changes;
}

t.test('converges to the true budget quantile of a known distribution, in bounded memory', async (t) => {
  const u = new OnlineThreshold(DEFAULT_ADAPT_CONFIG, bounds, 'm1');
  t.equal(u.threshold, null, 'the model threshold holds before any peak');
  // 10,000 flows a day from one device and a budget of 1 a day: q = 1e-4, the true surprise quantile −ln 1e-4
  const changes = feed(u, 200_000, 20, 1);
  const q = u.state.q!;
  t.ok(Math.abs(q - 1e-4) < 1e-6, `q ${q}`);
  const want = -Math.log(1e-4);
  const got = -Math.log1p(-u.threshold!);
  t.ok(Math.abs(got - want) / want < 0.08, `adapted surprise ${got.toFixed(3)} against the true ${want.toFixed(3)}`);
  t.ok(changes >= 10, `refitted about hourly in packet time (${changes} changes in 20 days)`);
  const j = u.toJSON();
  t.ok(j.peaks.length <= DEFAULT_ADAPT_CONFIG.maxPeaks, `peaks held ${j.peaks.length} ≤ ${DEFAULT_ADAPT_CONFIG.maxPeaks}`);
  t.equal(j.init.length, 0, 'the first scores are dropped once the level is set');
  t.ok(u.peaksSeen > 3000, `every peak counted (${u.peaksSeen}), the latest ones kept`);
  t.equal(j.devices.length, 1);
});

t.test('follows a change of the network: a heavier tail raises the threshold', async (t) => {
  const u = new OnlineThreshold({ ...DEFAULT_ADAPT_CONFIG, maxPeaks: 500 }, bounds, 'm1');
  feed(u, 100_000, 10, 2);
  const before = -Math.log1p(-u.threshold!);
  // scores twice as surprising from now on: the latest peaks outweigh the old ones
  feed(u, 100_000, 10, 3, 2, 10 * DAY);
  const after = -Math.log1p(-u.threshold!);
  t.ok(after > before * 1.5, `threshold surprise ${before.toFixed(2)} → ${after.toFixed(2)}`);
});

t.test('bounded by the floor and the strict side; waits for minPeaks', async (t) => {
  const hi = 1 - Math.exp(-6);
  const strict = new OnlineThreshold(DEFAULT_ADAPT_CONFIG, { ...bounds, hi }, 'm1');
  feed(strict, 100_000, 10, 4);
  t.equal(strict.threshold, hi, 'never stricter than hi');
  t.ok(strict.state.n < 100_000, 'scores at or above hi are kept out of the tail');

  const lo = 1 - Math.exp(-20);
  const loose = new OnlineThreshold(DEFAULT_ADAPT_CONFIG, { ...bounds, lo }, 'm1');
  feed(loose, 100_000, 10, 5);
  t.equal(loose.threshold, lo, 'never looser than lo');

  const slow = new OnlineThreshold({ ...DEFAULT_ADAPT_CONFIG, minPeaks: 5000 }, bounds, 'm1');
  feed(slow, 100_000, 10, 6);
  t.equal(slow.threshold, null, `${slow.peaksSeen} peaks < minPeaks: the model's threshold still holds`);

  const off = new OnlineThreshold({ ...DEFAULT_ADAPT_CONFIG, enabled: false }, bounds, 'm1');
  t.equal(feed(off, 10_000, 1, 7), 0);
  t.equal(off.threshold, null, 'models.adapt.enabled false: never moves');
});

t.test('the JSON state continues where it stopped; another model starts afresh', async (t) => {
  const a = new OnlineThreshold(DEFAULT_ADAPT_CONFIG, bounds, 'm1');
  feed(a, 60_000, 6, 8);
  const saved = JSON.parse(JSON.stringify(a.toJSON()));
  const b = new OnlineThreshold(DEFAULT_ADAPT_CONFIG, bounds, 'm1', saved);
  t.equal(b.threshold, a.threshold);
  t.same(b.toJSON(), a.toJSON(), 'the same state');
  feed(a, 20_000, 2, 9, 1, 6 * DAY);
  feed(b, 20_000, 2, 9, 1, 6 * DAY);
  t.equal(b.threshold, a.threshold, 'and the same threshold after the same scores');
  const other = new OnlineThreshold(DEFAULT_ADAPT_CONFIG, bounds, 'm2', saved);
  t.equal(other.threshold, null, "a saved state of another model is not used");
  t.equal(other.state.flows, 0);
});
