import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { syntheticBenign, syntheticScan } from '../../test/support/flow-records.js';
import type { Alert } from '../detectors/alert.js';
import { IncidentTracker } from '../incidents/index.js';
import { Store } from '../store/db.js';
import { agreedFlows, judgeRetrain } from './retrain-guard.js';
import { trainModel } from './train.js';

const config = { autoencoder: { maxEpochs: 4, patience: 2 }, forest: { trees: 50 } };

t.test('a model that learnt the attack is judged unfit; one that did not passes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-guard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = Store.open({ path: join(dir, 'argus.db') });
  t.teardown(() => store.close());
  const benign = syntheticBenign(900, 41);
  const scan = syntheticScan(300, 42, benign[400]!.startUs);
  for (const f of [...benign, ...scan]) store.addFlow(f);
  // the old model alerted on the scan's flows (and on one benign flow), and a detector opened an incident
  const ev = (f: (typeof benign)[number]) => ({
    tsUs: f.endUs, flowId: f.flowId, communityId: 'c', srcIp: f.srcIp, dstIp: f.dstIp, dstPort: f.dstPort, proto: 'tcp',
    score: 0.9999, models: [], threshold: 0.999, alert: true, modelId: 'old',
  });
  for (const f of [...scan, benign[10]!]) store.addAnomaly(ev(f));
  const alert: Alert = {
    id: 'scan.port.vertical:10.99.0.66:1', tsUs: scan[0]!.endUs, kind: 'scan.port.vertical', signature: 'Vertical port scan', severity: 3, confidence: 0.9,
    srcIp: '10.99.0.66', srcMac: null, targets: ['10.99.0.10'], destPort: null, proto: 'tcp', evidence: [], suggestedResponse: 'quarantine',
  };
  store.alerts.insert(alert);
  const tracker = new IncidentTracker((e) => store.incidents.write(e));
  tracker.onAlert(alert);
  tracker.finish(scan[scan.length - 1]!.endUs, false);
  store.flush();

  const agreed = agreedFlows(store, 0, Number.MAX_SAFE_INTEGER);
  t.equal(agreed.length, 300, 'the scan flows: an anomaly alert with an incident of the same source; the lone benign alert is not one');

  const clean = await trainModel(benign, { name: 'clean', config });
  const polluted = await trainModel([...benign, ...scan], { name: 'polluted', config });
  const good = judgeRetrain(clean, agreed);
  const bad = judgeRetrain(polluted, agreed);
  t.ok(good.pass, good.text);
  t.notOk(bad.pass, bad.text);
  t.match(bad.text, /the old model stays/);
  t.ok(good.stillAlerted > bad.stillAlerted);
  t.same(judgeRetrain(clean, []), { checked: 0, stillAlerted: 0, pass: true, text: 'no flows on which the old model and a detector agreed: nothing to compare' });
  clean.dispose();
  polluted.dispose();
});
