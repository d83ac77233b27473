import t from 'tap';
import { FEATURE_COUNT, extractFeatures } from '../features/flow-features.js';
import { syntheticBenign } from '../../test/support/flow-records.js';
import { BaselineCollector } from './baseline.js';

t.test('collects rows until the learning period has elapsed in packet time', async (t) => {
  const flows = syntheticBenign(200, 1); // ~100 ms apart on average
  const b = new BaselineCollector({ learningPeriodHours: 5 / 3600, maxFlows: 1000, seed: 1 });
  let doneAt = -1;
  flows.forEach((f, i) => {
    if (b.add(f) && doneAt < 0) doneAt = i;
  });
  t.ok(doneAt > 0, `complete after ${doneAt} flows`);
  const expectDone = flows.findIndex((_, i) => Math.max(...flows.slice(0, i + 1).map((x) => x.endUs)) - flows[0]!.startUs >= 5e6);
  t.equal(doneAt, expectDone, 'complete exactly when 5 s of packet time have passed');
  t.equal(b.flows, 200);
  const x = b.features().x;
  t.equal(x.length, 200 * FEATURE_COUNT);
  const row = new Float32Array(FEATURE_COUNT);
  extractFeatures(flows[17]!, row);
  t.same(Array.from(x.subarray(17 * FEATURE_COUNT, 18 * FEATURE_COUNT)), Array.from(row), 'rows are the flows’ features');
  t.equal(b.progress(), 1);
  b.reset();
  t.equal(b.flows, 0);
  t.equal(b.progress(), 0);
});

t.test('bounded: a uniform reservoir sample beyond maxFlows, seeded', async (t) => {
  const flows = syntheticBenign(3000, 2);
  const run = () => {
    const b = new BaselineCollector({ learningPeriodHours: 24, maxFlows: 500, seed: 9 });
    for (const f of flows) b.add(f);
    return b;
  };
  const a = run();
  t.equal(a.flows, 500, 'never more than maxFlows rows');
  t.equal(a.seen, 3000);
  t.ok(a.replaced > 300 && a.replaced < 1500, `${a.replaced} rows replaced`);
  t.same(Array.from(run().features().x), Array.from(a.features().x), 'same seed, same sample');
  // the sample spans the whole period: some rows come from the last third of the flows
  const late = new Set<number>();
  const row = new Float32Array(FEATURE_COUNT);
  const x = a.features().x;
  const rowsKept = new Set<string>();
  for (let i = 0; i < 500; i++) rowsKept.add(x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT).join(','));
  flows.forEach((f, i) => {
    extractFeatures(f, row);
    if (i >= 2000 && rowsKept.has(row.join(','))) late.add(i);
  });
  t.ok(late.size > 50, `${late.size} kept rows from the last third`);
  t.throws(() => new BaselineCollector({ learningPeriodHours: 0, maxFlows: 1, seed: 1 }));
});
