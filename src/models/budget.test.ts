import t from 'tap';
import type { FlowRecord } from '../flow/flow-record.js';
import { exceedance, trafficOf } from './budget.js';

const HOUR = 3600e6;

t.test('budget → share of flows: 20 devices, 40,000 flows a day, 1 alert per device per day', async (t) => {
  const e = exceedance(1, 0.999, { devices: 20, spanUs: 24 * HOUR, flows: 40_000 });
  t.equal(e.from, 'budget');
  t.equal(e.flowsPerDevicePerDay, 2000);
  t.ok(Math.abs(e.q - 1 / 2000) < 1e-15);
  t.equal(exceedance(5, 0.999, { devices: 20, spanUs: 24 * HOUR, flows: 40_000 }).from, 'quantile', '5 a day of 2,000 flows is looser than 0.999: the quantile holds');
});

t.test('unknown traffic, and short captures', async (t) => {
  t.same(exceedance(1, 0.999, undefined), { q: 1 - 0.999, from: 'quantile' });
  const tenMin = exceedance(1, 0.999, { devices: 1, spanUs: HOUR / 6, flows: 1000 });
  t.equal(tenMin.flowsPerDevicePerDay, 24_000, 'a span under an hour counts as an hour');
  t.ok(exceedance(1, 0.999, { devices: 1, spanUs: 24 * HOUR, flows: 1e12 }).q >= 1e-7, 'never stricter than 1e-7');
});

t.test('traffic of flow records: devices by MAC, else address; packet-time span', async (t) => {
  const r = (srcMac: string | null, srcIp: string, startUs: number, endUs: number): FlowRecord => ({ srcMac, srcIp, startUs, endUs }) as FlowRecord;
  const tr = trafficOf([r('02:00:00:00:00:01', '10.0.0.1', 5 * HOUR, 6 * HOUR), r('02:00:00:00:00:01', '10.0.0.9', HOUR, 2 * HOUR), r(null, '10.0.0.2', 3 * HOUR, 9 * HOUR)]);
  t.same(tr, { devices: 2, spanUs: 8 * HOUR, flows: 3 });
  t.same(trafficOf([]), { devices: 0, spanUs: 0, flows: 0 });
});
