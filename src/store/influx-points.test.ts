import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './db.js';
import { lastTrustPoints } from './influx.js';
import { InfluxAggregator } from './influx-points.js';
import { makeFlow, deviceMac, GATEWAY_MAC } from '../../test/support/store-flows.js';

const T0 = 1_750_000_000_000_000; // a multiple of 10 s

t.test('flows are summed per device and interval, written when packet time passes the interval', async (t) => {
  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 'pi-1', 10_000);
  for (let i = 1; i <= 16; i++) agg.flow(makeFlow(i, T0 + i * 100_000));
  t.same(lines, [], 'nothing before the interval ends');
  agg.tick(T0 + 10_000_000);
  const mine = Array.from({ length: 16 }, (_, k) => makeFlow(k + 1, 0)).filter((f) => f.srcMac === deviceMac(3));
  const bytesOut = mine.reduce((a, f) => a + f.bytesToServer, 0);
  const l3 = lines.find((l) => l.includes(`device=${deviceMac(3)}`))!;
  t.equal(l3, `device_traffic,device=${deviceMac(3)},sensor=pi-1 bytes_in=${mine.reduce((a, f) => a + f.bytesToClient, 0)}i,bytes_out=${bytesOut}i,flows_orig=2i,flows_resp=0i,pkts_in=${mine.reduce((a, f) => a + f.pktsToClient, 0)}i,pkts_out=${mine.reduce((a, f) => a + f.pktsToServer, 0)}i ${T0}`);
  t.match(lines.find((l) => l.includes(`device=${GATEWAY_MAC}`))!, /flows_resp=16i/);
  t.equal(lines.length, 9, '8 devices + the gateway');
});

t.test('alerts, anomaly rate, capture deltas and trust points', async (t) => {
  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 'pi 1', 1000);
  agg.captureTotals(T0, { packets: 100, bytes: 10_000, drops: 1 });
  agg.alert({ tsUs: T0 + 1, kind: 'scan.arp', severity: 2 } as never);
  agg.alert({ tsUs: T0 + 2, kind: 'scan.arp', severity: 2 } as never);
  agg.anomaly({ tsUs: T0 + 3, score: 0.5, alert: false } as never);
  agg.anomaly({ tsUs: T0 + 4, score: 1, alert: true } as never);
  agg.trust({ mac: deviceMac(1), tsUs: T0 + 5, score: 40, behavioral: 30, vulnerability: 50, reputation: 60, level: 'alert' });
  agg.captureTotals(T0 + 1_000_000, { packets: 300, bytes: 30_000, drops: 1 }); // closes the first interval
  agg.finish();
  const trust = (ts: number) => `trust,device=${deviceMac(1)},level=alert,sensor=pi\\ 1 behavioral=30,reputation=60,score=40,vulnerability=50 ${ts}`;
  t.same(lines, [
    trust(T0 + 5),
    `alerts,kind=scan.arp,sensor=pi\\ 1,severity=2 count=2i ${T0}`,
    `anomaly,sensor=pi\\ 1 alerts=1i,mean_score=0.75,rate=0.5,scored=2i ${T0}`,
    `capture,sensor=pi\\ 1 bps=80000,bytes=10000i,drops=1i,packets=100i,pps=100 ${T0}`,
    // the gauges, at the interval's last µs: the trust score as it stands, devices per level
    trust(T0 + 999_999),
    `trust_levels,level=alert,sensor=pi\\ 1 devices=1i ${T0 + 999_999}`,
    `capture,sensor=pi\\ 1 bps=160000,bytes=20000i,drops=0i,packets=200i,pps=200 ${T0 + 1_000_000}`,
    trust(T0 + 1_999_999),
    `trust_levels,level=alert,sensor=pi\\ 1 devices=1i ${T0 + 1_999_999}`,
  ]);
});

t.test('device tags are bounded: capped MACs, least recently seen evicted, never an address from the wire', async (t) => {
  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 's', 1000, 4);
  const mac = (i: number) => `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`;
  // frames without MACs: both endpoints are addresses, and those never become tags
  for (let i = 1; i <= 3; i++) agg.flow({ ...makeFlow(i, T0), srcMac: null, dstMac: null, srcIp: `10.99.0.${i}`, dstIp: '10.99.9.9' });
  // 6 MACs talking to one: the cap of 4 is full within the interval, so 3 of them are summed under "other"
  for (let i = 1; i <= 6; i++) agg.flow({ ...makeFlow(i, T0 + 10), srcMac: mac(i), dstMac: mac(0xff) });
  agg.tick(T0 + 1_000_000);
  const first = lines.splice(0);
  t.same(first.map((l) => /device=([^,]+)/.exec(l)![1]), [mac(1), mac(2), mac(3), mac(0xff), 'other'].sort());
  t.match(first.find((l) => l.includes('device=other'))!, /flows_orig=6i,flows_resp=3i/, '3 address-only flows (both ends) and 3 capped MACs');
  t.notOk(first.some((l) => l.includes('10.99.')), 'no address is a tag');
  t.equal(agg.overflowDevices, 3);
  // next interval: a new MAC takes the tag of the least recently seen one
  agg.flow({ ...makeFlow(7, T0 + 1_000_010), srcMac: mac(0xff), dstMac: mac(7) });
  agg.finish();
  t.same(lines.map((l) => /device=([^,]+)/.exec(l)![1]), [mac(7), mac(0xff)].sort());
  t.equal(agg.evictedDevices, 1);
});

t.test('counted series: any bounded tag set, the hook later event series use', async (t) => {
  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 's', 1000);
  agg.count('incidents', { state: 'open', kind: 'scan.port', severity: '2' }, T0 + 1);
  agg.count('incidents', { kind: 'scan.port', severity: '2', state: 'open' }, T0 + 2);
  agg.count('incidents', { kind: 'scan.port', severity: '3', state: 'escalated' }, T0 + 3);
  agg.finish();
  t.same(lines, [
    `incidents,kind=scan.port,sensor=s,severity=2,state=open count=2i ${T0}`,
    `incidents,kind=scan.port,sensor=s,severity=3,state=escalated count=1i ${T0}`,
  ]);
});

t.test('health gauges and times before the first packet', async (t) => {
  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 's', 1000);
  let depth = 5;
  agg.addGauge({ measurement: 'store', read: () => ({ queue_depth: depth, dropped: 0 }) });
  agg.captureTotals(0, { packets: 0, bytes: 0, drops: 0 }); // a flush before any packet: no point at time 0
  agg.tick(0);
  agg.finish();
  t.same(lines, [], 'nothing is written before packet time starts');
  agg.tick(T0 + 1);
  depth = 7;
  agg.tick(T0 + 1_000_000);
  agg.shiftUs = 5_000_000;
  agg.finish();
  t.same(lines, [`store,sensor=s dropped=0i,queue_depth=7i ${T0 + 999_999}`, `store,sensor=s dropped=0i,queue_depth=7i ${T0 + 6_999_999}`]);
});

t.test('the trust gauge goes on from the store after a restart, without writing old changes again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-influx-trust-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = Store.open({ path: join(dir, 'a.db'), log: () => {} });
  const row = (mac: string, tsUs: number, score: number, level: string) => ({ mac, tsUs, score, behavioral: score, vulnerability: 100, reputation: 100, level, explanation: [] });
  store.defer(T0, (db) => {
    for (const mac of [deviceMac(1), deviceMac(2)]) db.prepare('INSERT INTO devices (mac, first_seen_us, last_seen_us) VALUES (?, ?, ?)').run(mac, T0, T0);
  });
  store.flush();
  store.devices.recordTrust(row(deviceMac(1), T0 - 50, 60, 'warning'));
  store.devices.recordTrust(row(deviceMac(2), T0 - 40, 30, 'alert'));
  store.devices.recordTrust(row(deviceMac(1), T0 - 30, 45, 'alert'));
  const points = lastTrustPoints(store, 10);
  t.same(points.map((p) => [p.mac, p.score]), [[deviceMac(2), 30], [deviceMac(1), 45]], 'each device\'s newest row, oldest first');
  t.same(lastTrustPoints(store, 1).map((p) => p.mac), [deviceMac(1)], 'the limit keeps the newest');
  store.close();

  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 's', 1000);
  agg.restoreTrust(points);
  agg.tick(T0 + 1);
  t.same(lines, [], 'no point for the old changes');
  agg.finish();
  t.same(lines, [
    `trust,device=${deviceMac(1)},level=alert,sensor=s behavioral=45,reputation=100,score=45,vulnerability=100 ${T0 + 999_999}`,
    `trust,device=${deviceMac(2)},level=alert,sensor=s behavioral=30,reputation=100,score=30,vulnerability=100 ${T0 + 999_999}`,
    `trust_levels,level=alert,sensor=s devices=2i ${T0 + 999_999}`,
  ]);
});
