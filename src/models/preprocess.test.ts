import t from 'tap';
import { FEATURE_COUNT, FEATURES, extractFeatureMatrix } from '../features/flow-features.js';
import { syntheticBenign } from '../../test/support/flow-records.js';
import { Preprocessor, quantileSorted } from './preprocess.js';

t.test('quantiles interpolate like numpy', async (t) => {
  const a = [1, 2, 3, 4];
  t.equal(quantileSorted(a, 0.5), 2.5);
  t.equal(quantileSorted(a, 0.25), 1.75);
  t.equal(quantileSorted(a, 1), 4);
  t.equal(quantileSorted([], 0.5), 0);
});

t.test('fit → apply → invert round-trips; JSON round-trip applies identically', async (t) => {
  const x = extractFeatureMatrix(syntheticBenign(3000, 11));
  const p = Preprocessor.fit(x);
  const y = p.apply(x);
  const back = p.invert(y);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(back[i]! - x[i]!) / Math.max(1, Math.abs(x[i]!)));
  t.ok(worst < 1e-4, `relative round-trip error ${worst}`);

  const q = Preprocessor.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
  t.same(Array.from(q.apply(x)), Array.from(y), 'saved parameters give bit-identical output');

  // numeric columns are centred on their median; binary columns standardised by their share p of ones
  const n = x.length / FEATURE_COUNT;
  for (let j = 0; j < FEATURE_COUNT; j++) {
    const name = FEATURES[j]!.name;
    if (FEATURES[j]!.transform === 'binary') {
      let ones = 0;
      for (let i = 0; i < n; i++) ones += x[i * FEATURE_COUNT + j]!;
      const share = ones / n;
      t.ok(Math.abs(p.params.center[j]! - share) < 1e-12, `${name}: centre p`);
      const floor = name.startsWith('dport_') ? 0.2 : 0.1;
      t.ok(Math.abs(p.params.scale[j]! - Math.max(floor, Math.sqrt(share * (1 - share)))) < 1e-12, `${name}: scale max(${floor.toFixed(2)}, sqrt(p(1 − p)))`);
    } else {
      const col = Float32Array.from({ length: n }, (_, i) => y[i * FEATURE_COUNT + j]!).sort();
      t.ok(Math.abs(quantileSorted(col, 0.5)) < 1e-5, `${name} median 0`);
    }
  }
});

t.test('log1p then robust scaling, by hand', async (t) => {
  const d = FEATURE_COUNT;
  const rows = 5;
  const x = new Float32Array(rows * d);
  const dur = FEATURES.findIndex((f) => f.name === 'duration_s');
  const ratio = FEATURES.findIndex((f) => f.name === 'pkt_ratio_bwd');
  [0, 1, 3, 7, 15].forEach((v, i) => (x[i * d + dur] = v)); // log1p: 0, ln2, 2ln2, 3ln2, 4ln2
  [0.1, 0.2, 0.2, 0.2, 0.9].forEach((v, i) => (x[i * d + ratio] = v)); // IQR 0 → std fallback
  const p = Preprocessor.fit(x);
  const ln2 = Math.log(2);
  t.ok(Math.abs(p.params.center[dur]! - 2 * ln2) < 1e-6, 'median of log1p values');
  t.ok(Math.abs(p.params.scale[dur]! - 2 * ln2) < 1e-6, 'IQR of log1p values (3ln2 − ln2)');
  const m = (0.1 + 0.2 * 3 + 0.9) / 5;
  const sd = Math.sqrt(([0.1, 0.2, 0.2, 0.2, 0.9].reduce((s, v) => s + (v - m) ** 2, 0)) / 5);
  t.ok(Math.abs(p.params.scale[ratio]! - sd) < 1e-6, 'IQR 0 falls back to the standard deviation');
  const y = p.apply(x);
  t.ok(Math.abs(y[4 * d + dur]! - 1) < 1e-6, '(4ln2 − 2ln2) / 2ln2 = 1');
  // a constant feature gets the minimum scale (0.25) instead of a division by 0
  const urg = FEATURES.findIndex((f) => f.name === 'urg');
  t.equal(p.params.scale[urg], 0.25);
  // a binary indicator never set in training: centre 0, minimum scale 0.1, so a flow that has it moves by 10
  const other = FEATURES.findIndex((f) => f.name === 'proto_other');
  t.equal(p.params.center[other], 0);
  t.equal(p.params.scale[other], 0.1);
  // a service class never seen (the synthetic flows have no SSH): its own larger floor, so it moves a flow by 5
  const remote = FEATURES.findIndex((f) => f.name === 'dport_remote');
  t.equal(p.params.center[remote], 0);
  t.ok(Math.abs(p.params.scale[remote]! - 0.2) < 1e-9, 'dport_remote floor 0.2');
  const ssh = new Float32Array(d);
  ssh[remote] = 1;
  t.ok(Math.abs(p.apply(ssh)[remote]! - 5) < 1e-5, 'an unseen service class scales to 5, not 10');
  // clip: log1p(1e30) ≈ 69 → (69 − 2ln2) / 2ln2 ≈ 48.8, beyond a clip of 10
  const clipped = Preprocessor.fit(x, undefined, 10);
  const big = new Float32Array(d);
  big[dur] = 1e30;
  t.equal(clipped.apply(big)[dur], 10);
  big[dur] = -5; // negative counts cannot occur; log1p sees 0
  t.ok(Math.abs(clipped.apply(big)[dur]! - -1) < 1e-6);
});

t.test('parameters of another schema are refused', async (t) => {
  const p = Preprocessor.fit(extractFeatureMatrix(syntheticBenign(100, 1)));
  t.throws(() => Preprocessor.fromJSON({ ...p.toJSON(), schemaVersion: 999 }), /feature schema/);
  t.throws(() => new Preprocessor({ ...p.toJSON(), scale: p.params.scale.map(() => 0) }), /positive/);
});
