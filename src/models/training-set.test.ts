import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { syntheticBenign } from '../../test/support/flow-records.js';
import { Store } from '../store/db.js';
import { formatExclusions, noExclusions, trainingFilter } from './training-set.js';

t.test('flows that raised an anomaly alert, and devices at trust alert or critical, are left out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-training-set-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = Store.open({ path: join(dir, 'argus.db') });
  t.teardown(() => store.close());
  const flows = syntheticBenign(200, 3);
  const from = flows[0]!.startUs;
  const to = flows[flows.length - 1]!.endUs;
  const alerted = flows[10]!;
  const ev = (f: typeof alerted, alert: boolean) => ({
    tsUs: f.endUs, flowId: f.flowId, communityId: 'x', srcIp: f.srcIp, dstIp: f.dstIp, dstPort: f.dstPort, proto: 'tcp',
    score: alert ? 0.9999 : 0.2, models: [], threshold: 0.999, alert, modelId: 'm',
  });
  store.addAnomaly(ev(alerted, true));
  store.addAnomaly(ev(flows[11]!, false));
  const trust = (mac: string, tsUs: number, level: string) =>
    store.devices.recordTrust({ mac, tsUs, score: level === 'normal' ? 90 : 10, behavioral: 10, vulnerability: 100, reputation: 100, level, explanation: [] });
  trust('02:00:00:00:00:aa', from + 1, 'critical'); // distrusted inside the window
  trust('02:00:00:00:00:bb', from - 10e6, 'alert'); // still at alert when the window starts
  trust('02:00:00:00:00:cc', from - 20e6, 'alert');
  trust('02:00:00:00:00:cc', from - 10e6, 'normal'); // recovered before it
  store.flush();

  const filter = trainingFilter(store, from, to);
  const left = noExclusions();
  const at = (mac: string | null) => ({ ...flows[50]!, flowId: 999_999, srcMac: mac });
  t.equal(filter.reason(alerted), 'anomaly');
  t.equal(filter.reason(flows[11]!), null, 'scored below the threshold: kept');
  t.equal(filter.reason(at('02:00:00:00:00:aa')), 'distrusted');
  t.equal(filter.reason(at('02:00:00:00:00:bb')), 'distrusted');
  t.equal(filter.reason(at('02:00:00:00:00:cc')), null, 'a device that recovered before the window is learnt from');
  t.equal(filter.reason(at(null)), null);
  for (const f of flows) {
    const why = filter.reason(f);
    if (why) left[why]++;
  }
  t.same(left, { anomaly: 1, incident: 0, distrusted: 0 });
  t.equal(formatExclusions(left), '1 flows left out of training: 1 that raised an anomaly alert');
  t.equal(formatExclusions(noExclusions()), 'no flows left out');
});
