import t from 'tap';
import { flowRecord } from '../../test/support/flow-records.js';
import { labelOf, parseLabels, rocAuc, tprAtFpr } from './eval.js';

t.test('parseLabels', async (t) => {
  const l = parseLabels('start_epoch_s\tend_epoch_s\tip\tlabel\n# comment\n\n1700000000.5\t1700000010\t10.99.0.66\tsyn scan\n1700000020 1700000030 fd00:99::5 flood\n');
  t.same(l, [
    { startUs: 1_700_000_000_500_000, endUs: 1_700_000_010_000_000, ip: '10.99.0.66', label: 'syn scan' },
    { startUs: 1_700_000_020_000_000, endUs: 1_700_000_030_000_000, ip: 'fd00:99::5', label: 'flood' },
  ]);
  t.throws(() => parseLabels('1 2 10.0.0.1\n'), /line 1/);
  t.throws(() => parseLabels('1 2 10.0.0.1 x\n5 1 10.0.0.1 y\n'), /line 2/, 'end before start');
});

t.test('labelOf: either endpoint, overlapping interval', async (t) => {
  const labels = parseLabels('100 200 10.99.0.66 scan\n');
  const at = (s: number, e: number, src: string, dst: string) => flowRecord({ startUs: s * 1e6, endUs: e * 1e6, srcIp: src, dstIp: dst });
  t.equal(labelOf(at(150, 160, '10.99.0.66', '10.99.0.2'), labels), 'scan');
  t.equal(labelOf(at(90, 100, '10.99.0.2', '10.99.0.66'), labels), 'scan', 'responder side, touching the start');
  t.equal(labelOf(at(201, 300, '10.99.0.66', '10.99.0.2'), labels), null, 'after the interval');
  t.equal(labelOf(at(150, 160, '10.99.0.2', '10.99.0.3'), labels), null, 'other hosts');
});

t.test('ROC AUC and TPR at FPR by hand', async (t) => {
  // perfectly separated
  t.equal(rocAuc([0.1, 0.2, 0.9, 0.8], [false, false, true, true]), 1);
  t.equal(rocAuc([0.9, 0.8, 0.1, 0.2], [false, false, true, true]), 0);
  // one tie between a positive and a negative counts half: pairs (p,n): (0.5,0.5)=0.5, (0.5,0.1)=1, (0.9,·)=1,1 → 3.5/4
  t.equal(rocAuc([0.1, 0.5, 0.5, 0.9], [false, false, true, true]), 0.875);
  t.equal(rocAuc([1, 2], [true, true]), null, 'one class only');

  // 200 negatives 0..199, 10 positives: 5 above every negative, 5 in the middle
  const scores: number[] = [];
  const pos: boolean[] = [];
  for (let i = 0; i < 200; i++) (scores.push(i), pos.push(false));
  for (let i = 0; i < 5; i++) (scores.push(1000 + i), pos.push(true));
  for (let i = 0; i < 5; i++) (scores.push(197.5), pos.push(true));
  // FPR ≤ 1 %: at most 2 negatives (198, 199) above the cut → cut at 197.5 catches all 10
  t.equal(tprAtFpr(scores, pos, 0.01), 1);
  // FPR ≤ 0.1 %: no negative allowed → only the 5 top positives
  t.equal(tprAtFpr(scores, pos, 0.001), 0.5);
  // ties flagged together: a positive tied with a negative cannot be separated
  t.equal(tprAtFpr([1, 1], [true, false], 0), 0);
});
