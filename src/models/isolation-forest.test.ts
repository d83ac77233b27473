import t from 'tap';
import { IsolationForest, averagePathLength } from './isolation-forest.js';

t.test('c(n) matches the paper / scikit-learn', async (t) => {
  t.equal(averagePathLength(0), 0);
  t.equal(averagePathLength(1), 0);
  t.equal(averagePathLength(2), 1);
  // 2·(ln 2 + γ) − 2·2/3
  t.ok(Math.abs(averagePathLength(3) - (2 * (Math.log(2) + 0.5772156649015329) - 4 / 3)) < 1e-12);
  t.ok(Math.abs(averagePathLength(256) - 10.244770920116851) < 1e-9, `c(256) = ${averagePathLength(256)}`);
});

t.test('path lengths on tiny known data', async (t) => {
  // three identical points and one outlier, one feature: whatever the split value, the root separates the
  // outlier (depth 1, leaf of 1) from the three twins (depth 1, a leaf of 3 identical points: + c(3))
  const x = Float32Array.from([0, 0, 0, 10]);
  const f = IsolationForest.fit(x, 1, { trees: 50, sampleSize: 256, seed: 3 });
  t.equal(f.sampleSize, 4, 'ψ capped at the rows available');
  t.ok(Math.abs(f.pathLength(x, 3) - 1) < 1e-6, 'outlier isolated at depth 1');
  t.ok(Math.abs(f.pathLength(x, 0) - (1 + averagePathLength(3))) < 1e-5, 'twins: 1 + c(3)');
  const s = f.score(x);
  t.ok(Math.abs(s[3]! - 2 ** (-1 / averagePathLength(4))) < 1e-6, 'score of the outlier = 2^(−1/c(4))');
  t.ok(s[3]! > s[0]!, 'outlier scores higher');

  // two distinct points: always split at the root into two leaves of one: h = 1, s = 2^(−1/c(2)) = 0.5
  const two = Float32Array.from([1, 5, 2, 7]);
  const f2 = IsolationForest.fit(two, 2, { trees: 10, sampleSize: 256, seed: 1 });
  t.same(Array.from(f2.score(two)), [0.5, 0.5]);
});

t.test('outliers in 2-D score above the cluster; seeded and serialisable', async (t) => {
  let s = 12345;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const n = 1000;
  const x = new Float32Array((n + 2) * 2);
  for (let i = 0; i < n * 2; i++) x[i] = rnd() - 0.5;
  x.set([8, 8, -6, 9], n * 2);
  const f = IsolationForest.fit(x, 2, { trees: 100, sampleSize: 256, seed: 42 });
  const sc = f.score(x);
  let maxInlier = 0;
  for (let i = 0; i < n; i++) maxInlier = Math.max(maxInlier, sc[i]!);
  t.ok(sc[n]! > maxInlier && sc[n + 1]! > maxInlier, `outliers ${sc[n]}, ${sc[n + 1]} above every inlier (${maxInlier})`);
  t.ok(sc[n]! > 0.6, 'outlier score well above 0.5');

  const again = IsolationForest.fit(x, 2, { trees: 100, sampleSize: 256, seed: 42 });
  t.same(again.toJSON(), f.toJSON(), 'same seed, same data: same forest');
  const other = IsolationForest.fit(x, 2, { trees: 100, sampleSize: 256, seed: 43 });
  t.not(JSON.stringify(other.toJSON()), JSON.stringify(f.toJSON()), 'another seed: another forest');

  const loaded = IsolationForest.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
  t.same(Array.from(loaded.score(x)), Array.from(sc), 'JSON round trip: identical scores');
  t.equal(f.trees, 100);
  t.ok(f.feature.length < 100 * 511 + 1, 'height limit ceil(log2 256) = 8 bounds the nodes');
});

t.test('malformed JSON is refused', async (t) => {
  const f = IsolationForest.fit(Float32Array.from([0, 1, 2, 3]), 1, { trees: 2, sampleSize: 4, seed: 1 });
  const j = f.toJSON();
  t.throws(() => IsolationForest.fromJSON({ ...j, left: j.left.slice(1) }));
  t.throws(() => IsolationForest.fromJSON({ ...j, feature: j.feature.map((v) => (v >= 0 ? 5 : v)) }));
  t.throws(() => IsolationForest.fromJSON({ ...j, kind: 'x' as 'isolation-forest' }));
});
