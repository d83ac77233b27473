import t from 'tap';
import { alertThreshold, Calibrator } from './calibration.js';
import { quantileSorted } from './preprocess.js';

t.test('empirical distribution of benign scores, by hand', async (t) => {
  const c = Calibrator.fit([3, 1, 2, 2, 4]); // sorted 1 2 2 3 4, n = 5
  t.same(c.json.values, [1, 2, 3, 4]);
  t.same(c.json.probs, [1 / 6, 3 / 6, 4 / 6, 5 / 6], 'ties take the highest rank: F(2) counts both 2s');
  t.equal(c.map(0.5), 0, 'below every benign score');
  t.equal(c.map(2), 0.5);
  t.ok(Math.abs(c.map(2.5) - (0.5 + 4 / 6) / 2) < 1e-12, 'linear between knots');
  t.equal(c.map(4), 5 / 6);
  // above the maximum: 1 − (1/6)·e^(−(x − 4)/tailScale), tailScale = max − p99 value
  const s = c.json.tailScale;
  t.ok(Math.abs(c.map(4 + s) - (1 - (1 / 6) * Math.exp(-1))) < 1e-12, 'exponential tail');
  t.ok(c.map(4 + 20 * s) < 1 && c.map(4 + 20 * s) > c.map(4 + 10 * s), 'still ordered well beyond the benign maximum');
  t.equal(c.map(NaN), 1, 'NaN counts as anomalous');
});

t.test('monotone, and the benign quantile maps to itself', async (t) => {
  let s = 7;
  const raw = Array.from({ length: 20_000 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) ** 3);
  const c = Calibrator.fit(raw);
  t.ok(c.json.values.length <= 4002, `${c.json.values.length} knots kept for 20 000 scores`);
  let prev = -1;
  let violations = 0;
  for (let x = -0.1; x < 1.5; x += 0.0005) {
    const y = c.map(x);
    if (y < prev) violations++;
    prev = y;
  }
  t.equal(violations, 0, 'monotone non-decreasing');
  const above = raw.filter((v) => c.map(v) >= 0.999).length;
  t.ok(above >= 15 && above <= 25, `${above} of 20 000 benign scores map to ≥ 0.999 (expected ~20)`);
  t.same(new Calibrator(JSON.parse(JSON.stringify(c.toJSON()))).map(0.3), c.map(0.3), 'JSON round trip');
  t.throws(() => Calibrator.fit([]));
});

t.test('alertThreshold: the quantile, raised above a block of identical benign scores', async (t) => {
  const ramp = Array.from({ length: 1000 }, (_, i) => i / 1000);
  t.equal(alertThreshold(ramp, 0.99), quantileSorted(ramp, 0.99), 'without ties it is the plain quantile');
  // 5 % of the benign flows tie at 0.97: a threshold inside the block would alert on all of them
  const tied = [...Array.from({ length: 950 }, (_, i) => i / 1000), ...Array(50).fill(0.97)].sort((a, b) => a - b);
  const t1 = alertThreshold(tied, 0.99);
  t.ok(t1 > 0.97 && t1 < 1, `moved above the top block (${t1})`);
  t.equal(tied.filter((v) => v >= t1).length, 0, 'no benign flow of the block alerts');
  // a block in the middle moves the threshold to the next higher benign score
  const mid = [...Array.from({ length: 900 }, (_, i) => i / 2000), ...Array(95).fill(0.6), 0.7, 0.8, 0.9, 0.95, 0.99].sort((a, b) => a - b);
  const t2 = alertThreshold(mid, 0.99);
  t.equal(t2, 0.7, 'the next distinct score');
  t.ok(mid.filter((v) => v >= t2).length <= 10, 'at most 1 % of benign flows alert');
  t.equal(alertThreshold([], 0.99), 0);
});
