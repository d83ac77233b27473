/**
 * Peaks over threshold: the upper tail of a score distribution modelled by a generalized Pareto
 * distribution (GPD), as in SPOT (Siffer et al., "Anomaly Detection in Streams with Extreme Value Theory",
 * KDD 2017). Above a high initial threshold t the excesses X − t of almost any continuous distribution are
 * close to GPD(σ, γ) (Pickands–Balkema–de Haan), so a quantile far beyond the sample — one alert in a
 * million flows, where a few hundred calibration flows say nothing empirically — is
 *
 *     z_q = t + σ/γ · ((q·n / N_t)^(−γ) − 1)        (γ ≠ 0)
 *     z_q = t − σ · ln(q·n / N_t)                    (γ = 0)
 *
 * with n the sample size and N_t the number of peaks above t.
 *
 * The fit is maximum likelihood by Grimshaw's reduction, as in SPOT: for θ = γ/σ the likelihood's maximum
 * over the other parameter is closed-form (γ = mean ln(1 + θ·x), σ = γ/θ), so the fit is a search over one
 * variable, here a grid refined by golden-section search; θ = 0 is the exponential tail.
 */

export interface GpdFit {
  /** the initial threshold t: the peaks are the values above it */
  t: number;
  /** scale σ > 0 */
  sigma: number;
  /** shape γ: 0 exponential tail, > 0 heavy (Pareto-like), < 0 bounded */
  gamma: number;
  /** number of peaks N_t */
  peaks: number;
  /** sample size n */
  n: number;
}

/** fewest peaks a fit is made from; with fewer the tail is taken as exponential with the peaks' mean */
export const MIN_PEAKS = 10;

/** Fit a GPD to the excesses over the `initialQuantile` quantile of `sample` (not modified). */
export function fitTail(sample: ArrayLike<number>, initialQuantile = 0.9): GpdFit {
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  if (n === 0) throw new Error('tail: empty sample');
  if (!(initialQuantile > 0 && initialQuantile < 1)) throw new Error('tail: initialQuantile must lie in (0, 1)');
  const t = sorted[Math.min(n - 1, Math.floor(initialQuantile * n))]!;
  const excess: number[] = [];
  for (let i = n - 1; i >= 0 && sorted[i]! > t; i--) excess.push(sorted[i]! - t);
  return fitExcesses(excess, t, n, excess.length);
}

/**
 * Fit a GPD to `excess` (values above `t` minus `t`, all > 0) of a sample of size `n` with `peaks` values
 * above `t` in all: `excess` may be a bounded subset of them (the online updater keeps the latest ones).
 */
export function fitExcesses(excess: readonly number[], t: number, n: number, peaks = excess.length): GpdFit {
  const k = excess.length;
  if (k === 0) return { t, sigma: Math.max(Math.abs(t) * 1e-6, 1e-12), gamma: 0, peaks, n };
  let mean = 0;
  let max = 0;
  for (const e of excess) {
    mean += e / k;
    if (e > max) max = e;
  }
  if (k < MIN_PEAKS || !(max > 0)) return { t, sigma: Math.max(mean, 1e-12), gamma: 0, peaks, n };
  const { gamma, sigma } = gpdMle(excess, mean, max);
  return { t, sigma, gamma, peaks, n };
}

/** profile log-likelihood of the excesses at θ = γ/σ, with γ and σ at their conditional maximum */
function profile(x: readonly number[], theta: number, mean: number): { ll: number; gamma: number; sigma: number } {
  const N = x.length;
  if (Math.abs(theta) < 1e-12 / mean) return { ll: -N * Math.log(mean) - N, gamma: 0, sigma: mean };
  let s = 0;
  for (const e of x) s += Math.log1p(theta * e);
  const gamma = s / N;
  const sigma = gamma / theta;
  if (!(sigma > 0)) return { ll: -Infinity, gamma, sigma };
  return { ll: -N * Math.log(sigma) - (1 + 1 / gamma) * s, gamma, sigma };
}

function gpdMle(x: readonly number[], mean: number, max: number): { gamma: number; sigma: number } {
  // θ > −1/max keeps every 1 + θx positive; the positive side spans heavy tails up to γ of a few
  const lo = -(1 - 1e-6) / max;
  const hi = 50 / mean;
  const grid: number[] = [0];
  for (let k = 1; k <= 60; k++) {
    const f = (k / 60) ** 3;
    grid.push(lo * f, hi * f);
  }
  grid.sort((a, b) => a - b);
  let best = 0;
  let bestLl = -Infinity;
  for (let i = 0; i < grid.length; i++) {
    const ll = profile(x, grid[i]!, mean).ll;
    if (ll > bestLl) {
      bestLl = ll;
      best = i;
    }
  }
  // golden-section search between the best grid point's neighbours
  let a = grid[Math.max(0, best - 1)]!;
  let b = grid[Math.min(grid.length - 1, best + 1)]!;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 60; k++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (profile(x, c, mean).ll >= profile(x, d, mean).ll) b = d;
    else a = c;
  }
  const at = profile(x, (a + b) / 2, mean);
  const fit = at.ll >= bestLl ? at : profile(x, grid[best]!, mean);
  return { gamma: fit.gamma, sigma: fit.sigma };
}

/** The value exceeded with probability `q` under the fitted tail (q below the peaks' share N_t/n). */
export function tailQuantile(fit: GpdFit, q: number): number {
  if (!(q > 0 && q < 1)) throw new Error('tail: q must lie in (0, 1)');
  if (fit.peaks === 0) return fit.t + fit.sigma;
  const ratio = (q * fit.n) / fit.peaks;
  if (ratio >= 1) return fit.t; // q not inside the tail: the initial threshold already has that share above it
  if (Math.abs(fit.gamma) < 1e-9) return fit.t - fit.sigma * Math.log(ratio);
  // for a bounded tail (γ < 0) this stays below its end t − σ/γ
  return fit.t + (fit.sigma / fit.gamma) * (ratio ** -fit.gamma - 1);
}
