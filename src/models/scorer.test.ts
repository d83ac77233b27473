import t from 'tap';
import { syntheticBenign, syntheticScan } from '../../test/support/flow-records.js';
import type { AnomalyEvent } from './anomaly.js';
import { FlowScorer, scoreRecords } from './scorer.js';
import { trainModel } from './train.js';

t.test('batches by size and by packet-time delay; swapping models flushes first', async (t) => {
  const cfg = { autoencoder: { maxEpochs: 2 }, forest: { trees: 100 } };
  const a = await trainModel(syntheticBenign(400, 1), { name: 'a', config: cfg });
  const b = await trainModel(syntheticBenign(400, 2), { name: 'b', config: cfg });
  t.teardown(() => (a.dispose(), b.dispose()));
  const flows = [...syntheticBenign(10, 3), ...syntheticScan(5)];
  const events: AnomalyEvent[] = [];
  const s = new FlowScorer(a, (ev) => events.push(ev), { batchSize: 4, maxDelayUs: 1e12 });
  for (let i = 0; i < 3; i++) s.add(flows[i]!);
  t.equal(events.length, 0, 'buffered below the batch size');
  s.add(flows[3]!);
  t.equal(events.length, 4, 'a full batch is scored');
  s.add(flows[4]!);
  s.setModel(b);
  t.equal(events.length, 5, 'setModel flushes with the old model');
  t.equal(events[4]!.modelId, a.id);
  s.add(flows[5]!);
  s.flush();
  t.equal(events[5]!.modelId, b.id, 'then the new model scores');
  t.same(events.map((e) => e.flowId), flows.slice(0, 6).map((f) => f.flowId), 'in arrival order');
  t.equal(s.scored, 6);

  const timed: AnomalyEvent[] = [];
  const d = new FlowScorer(a, (ev) => timed.push(ev), { batchSize: 1000, maxDelayUs: 1_000_000 });
  const base = flows[0]!;
  d.add({ ...base, endUs: 10_000_000 });
  d.add({ ...base, endUs: 10_500_000 });
  t.equal(timed.length, 0);
  d.add({ ...base, endUs: 11_000_000 });
  t.equal(timed.length, 3, 'the oldest waited 1 s of packet time');

  // same flows, same events whatever the batching
  const one = scoreRecords(a, flows, 1);
  const all = scoreRecords(a, flows, 4096);
  t.same(one, all);
  for (const ev of all.slice(10)) t.ok(ev.alert, `scan flow ${ev.flowId} alerts`);
});
