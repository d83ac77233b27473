/**
 * InfluxDB from a live `argus-edge run --mode passive`: libpcap on the loopback interface (a BPF filter keeps
 * only this test's HTTP requests and the sink's own writes), a real victoria-metrics on 127.0.0.1. The points
 * are stamped with the present, per-device traffic equals the store's rollups, capture packets equal the
 * packets the run counted, and every point produced was written.
 *
 * Needs root (live capture) and victoria-metrics; skips with the reason otherwise.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTHER_DEVICE } from '../src/store/influx-points.js';
import { influxAccounting, startRun, waitFor } from './support/argus-run.js';
import { VictoriaMetrics, freePort, haveVictoriaMetrics } from './support/victoria-metrics.js';

const skip = process.getuid?.() !== 0 ? 'live capture needs root' : !haveVictoriaMetrics() ? 'victoria-metrics is not installed (/usr/bin/victoria-metrics)' : false;

t.test('argus-edge run captures live and writes its series at the present time', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-influx-live-'));
  const vm = new VictoriaMetrics(join(dir, 'vm'), await freePort(), { dedup: false });
  const http = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as AddressInfo).port;
  t.teardown(async () => {
    await new Promise<void>((r) => http.close(() => r()));
    await vm.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await vm.start();

  const db = join(dir, 'live.db');
  const startedMs = Date.now();
  const run = startRun(dir, ['--mode', 'passive', '--iface', 'lo', '--bpf', `tcp port ${httpPort} or tcp port ${vm.port}`, '--store', db], {
    ARGUS_EDGE_INFLUX_URL: vm.url,
    ARGUS_EDGE_INFLUX_SENSOR: 'live',
    ARGUS_EDGE_INFLUX_INTERVALMS: '1000',
    ARGUS_EDGE_INFLUX_FLUSHINTERVALMS: '200',
    ARGUS_EDGE_MODELS_ENABLED: 'false',
  });
  t.teardown(() => void (run.child.exitCode === null && run.child.kill('SIGKILL')));
  await waitFor('the capture to start', 60_000, () => {
    if (run.child.exitCode !== null) throw new Error(`run exited: ${run.stderr()}`);
    return /capturing on lo/.test(run.stderr());
  });
  // 20 requests, one connection each, over about 2 s
  let answered = 0;
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`http://127.0.0.1:${httpPort}/${i}`, { headers: { connection: 'close' } });
    if ((await r.text()) === 'ok') answered++;
    await sleep(100);
  }
  t.equal(answered, 20, '20 requests answered');
  await waitFor('points on the server', 20_000, async () => {
    await vm.forceFlush();
    return (await vm.export('device_traffic_flows_orig{sensor="live"}')).length > 0;
  });
  run.child.kill('SIGINT');
  t.equal(await run.exited, 0, 'exits 0 on SIGINT');
  const acc = influxAccounting(run.stderr());
  t.same(acc, { produced: acc.produced, written: acc.produced, dropped: 0, rejected: 0 }, `all ${acc.produced} points written`);
  t.equal(await vm.settledLines('live', acc.written), acc.written, 'the server holds every point written');

  const traffic = await vm.export('device_traffic_flows_orig{sensor="live"}');
  const stamps = traffic.flatMap((s) => s.timestamps);
  t.ok(stamps.every((ts) => ts >= startedMs - 2_000 && ts <= Date.now()), 'stamped with the present (live packet time)');
  const store = new Database(db, { readonly: true });
  t.teardown(() => store.close());
  const rollups = store
    .prepare(`SELECT CASE WHEN device GLOB '??:??:??:??:??:??' THEN device ELSE '${OTHER_DEVICE}' END AS device, sum(flows_orig) AS n, sum(bytes_out) AS b FROM flow_rollups GROUP BY 1`)
    .all() as { device: string; n: number; b: number }[];
  const flows = rollups.reduce((a, r) => a + r.n, 0);
  t.ok(flows >= 20, `${flows} flows in the store (20 requests and the sink's own writes)`);
  const serverFlows = new Map(traffic.map((s) => [s.metric.device!, s.values.reduce((a, v) => a + v, 0)]));
  t.same(Object.fromEntries(serverFlows), Object.fromEntries(rollups.map((r) => [r.device, r.n])), 'flows per device: server = store');
  const bytes = await vm.export('device_traffic_bytes_out{sensor="live"}');
  t.same(Object.fromEntries(bytes.map((s) => [s.metric.device!, s.values.reduce((a, v) => a + v, 0)])), Object.fromEntries(rollups.map((r) => [r.device, r.b])), 'bytes per device: server = store');

  const packets = Number(/packets\s+([\d,]+)/.exec(run.stderr())?.[1]?.replaceAll(',', '') ?? NaN);
  const captured = (await vm.export('capture_packets{sensor="live"}')).reduce((a, s) => a + s.values.reduce((b, v) => b + v, 0), 0);
  t.equal(captured, packets, `capture packets on the server = the ${packets} packets the run counted`);
  t.ok((await vm.export('store_committed{sensor="live"}')).length === 1, 'the store gauge');
});
