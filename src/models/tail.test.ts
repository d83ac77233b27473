import t from 'tap';
import { Prng } from './prng.js';
import { fitTail, tailQuantile } from './tail.js';

const sample = (n: number, seed: number, draw: (u: number) => number): Float64Array => {
  const rng = new Prng(seed);
  return Float64Array.from({ length: n }, () => draw(1 - rng.next())); // u in (0, 1]
};
const near = (got: number, want: number, rel: number): boolean => Math.abs(got - want) <= rel * Math.abs(want);

t.test('exponential scores: shape near 0, a quantile beyond the sample is found', async (t) => {
  const x = sample(20000, 1, (u) => -Math.log(u)); // Exp(1): P(X > z) = e^−z
  const fit = fitTail(x, 0.9);
  t.ok(Math.abs(fit.gamma) < 0.1, `shape ${fit.gamma.toFixed(3)}`);
  t.equal(fit.peaks, 1999, 'the top tenth are the peaks');
  for (const q of [1e-3, 1e-5]) {
    const z = tailQuantile(fit, q);
    t.ok(near(z, -Math.log(q), 0.1), `q ${q}: ${z.toFixed(2)} against the true ${(-Math.log(q)).toFixed(2)}`);
  }
  const max = Math.max(...x);
  t.ok(tailQuantile(fit, 1e-5) > max, 'beyond every sampled score: the empirical quantile could only say "the maximum"');
});

t.test('Pareto scores (heavy tail, γ = 0.25): the fitted quantile follows the true one', async (t) => {
  const x = sample(20000, 2, (u) => u ** -0.25); // P(X > z) = z^−4
  const fit = fitTail(x, 0.9);
  t.ok(near(fit.gamma, 0.25, 0.3), `shape ${fit.gamma.toFixed(3)}`);
  for (const q of [1e-3, 1e-5]) {
    const want = q ** -0.25;
    const z = tailQuantile(fit, q);
    t.ok(near(z, want, 0.2), `q ${q}: ${z.toFixed(2)} against the true ${want.toFixed(2)}`);
  }
});

t.test('bounded scores (uniform): negative shape, the quantile never passes the end', async (t) => {
  const x = sample(5000, 3, (u) => u);
  const fit = fitTail(x, 0.9);
  t.ok(fit.gamma < -0.5, `shape ${fit.gamma.toFixed(3)}`);
  t.ok(tailQuantile(fit, 1e-9) <= 1.01, 'at most the end of the distribution');
  t.ok(near(tailQuantile(fit, 0.01), 0.99, 0.01), 'inside the sample it agrees with the empirical quantile');
});

t.test('small and degenerate samples', async (t) => {
  const few = fitTail([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 0.5);
  t.equal(few.gamma, 0, 'fewer than 10 peaks: an exponential tail');
  t.ok(tailQuantile(few, 1e-4) > 12, 'still beyond the sample');
  const tied = fitTail(new Float64Array(100).fill(0.3), 0.9);
  t.equal(tied.peaks, 0);
  t.ok(tailQuantile(tied, 1e-4) > 0.3, 'a block of identical scores: the threshold lies just above it');
  t.equal(tailQuantile(fitTail(sample(1000, 4, (u) => -Math.log(u)), 0.9), 0.5), fitTail(sample(1000, 4, (u) => -Math.log(u)), 0.9).t, 'q above the peaks\' share: the initial threshold');
  t.throws(() => fitTail([], 0.9));
  t.throws(() => tailQuantile(few, 0));
});
