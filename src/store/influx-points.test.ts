import t from 'tap';
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
  t.same(lines, [
    `trust,level=alert,mac=${deviceMac(1)},sensor=pi\\ 1 behavioral=30,reputation=60,score=40,vulnerability=50 ${T0 + 5}`,
    `alerts,kind=scan.arp,sensor=pi\\ 1,severity=2 count=2i ${T0}`,
    `anomaly,sensor=pi\\ 1 alerts=1i,mean_score=0.75,rate=0.5,scored=2i ${T0}`,
    `capture,sensor=pi\\ 1 bps=80000,bytes=10000i,drops=1i,packets=100i,pps=100 ${T0}`,
    `capture,sensor=pi\\ 1 bps=160000,bytes=20000i,drops=0i,packets=200i,pps=200 ${T0 + 1_000_000}`,
  ]);
});

t.test('devices per interval are capped; the rest are summed as "other" and counted', async (t) => {
  const lines: string[] = [];
  const agg = new InfluxAggregator((l) => lines.push(l), 's', 1000, 4);
  for (let i = 1; i <= 10; i++) agg.flow({ ...makeFlow(i, T0), srcMac: null, dstMac: null, srcIp: `10.99.0.${i}`, dstIp: '10.99.9.9' });
  agg.finish();
  t.equal(lines.length, 5);
  t.match(lines.find((l) => l.includes('device=other'))!, /flows_orig=7i/);
  t.equal(agg.overflowDevices, 7);
});
