/**
 * InfluxDB from the running appliance, as a user runs it: `argus-edge run --mode replay` as a child process
 * replays the demo capture (an ARP sweep and a port scan among normal traffic) into a real victoria-metrics
 * on 127.0.0.1, and what the server holds is compared with what the same run put into its SQLite store:
 * trust per device, traffic per device, alerts and incidents by kind, anomaly scores, capture packets, the health gauges
 * (store, sink, notifications)
 * and the sink's own accounting. Then the server is stopped and restarted while the appliance loops over
 * the capture: the pipeline keeps going, and points written + points dropped = points produced, with the
 * server holding exactly the points written. Last, the reason a replay used to show nothing on a packaged
 * server (retention 1 month): its points are old; influx.clock: wall writes them at the present time.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTHER_DEVICE } from '../src/store/influx-points.js';
import { DEMO_CAPTURE as DEMO, DEMO_PACKETS, influxAccounting as accounting, startRun, waitFor } from './support/argus-run.js';
import { VictoriaMetrics, freePort, haveVictoriaMetrics, type ExportedSeries } from './support/victoria-metrics.js';

const skip = !haveVictoriaMetrics()
  ? 'victoria-metrics is not installed (/usr/bin/victoria-metrics)'
  : !existsSync(DEMO)
    ? `demo capture missing: ${DEMO}`
    : false;

const sum = (series: ExportedSeries[]): number => series.reduce((a, s) => a + s.values.reduce((b, v) => b + v, 0), 0);

/** The value with the latest timestamp over all series (a device's trust moves between level series). */
function latest(series: ExportedSeries[]): { ts: number; value: number } | null {
  let best: { ts: number; value: number } | null = null;
  for (const s of series) s.timestamps.forEach((ts, i) => (best === null || ts >= best.ts ? (best = { ts, value: s.values[i]! }) : undefined));
  return best;
}

t.test('argus-edge run writes what the store holds into a real victoria-metrics', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-influx-run-'));
  // every sample kept, so the server's sample count is the number of lines written
  const vm = new VictoriaMetrics(join(dir, 'vm'), await freePort(), { dedup: false });
  const running: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await vm.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await vm.start();
  const influxEnv = (sensor: string): Record<string, string> => ({ ARGUS_EDGE_INFLUX_URL: vm.url, ARGUS_EDGE_INFLUX_BUCKET: 'argus', ARGUS_EDGE_INFLUX_SENSOR: sensor });

  await t.test('a replay with a scan: trust, traffic, alerts and health equal the store', async (t) => {
    const db = join(dir, 'scan.db');
    // a webhook on 127.0.0.1 takes the incidents' notices, so the notification health series has something to say
    let hooked = 0;
    const hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hooked++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => hook.close(() => r())));
    const config = join(dir, 'scan.yaml');
    writeFileSync(config, `notify:\n  dailySummaryHour: -1\n  channels:\n    - type: webhook\n      url: http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook\n      minSeverity: low\n`);
    const run = startRun(dir, ['--pcap', DEMO, '--store', db], { ...influxEnv('scan'), ARGUS_EDGE_CONFIG: config });
    running.push(run.child);
    t.equal(await run.exited, 0, 'the replay ends by itself and exits 0');
    const acc = accounting(run.stderr());
    t.ok(acc.produced > 100, `${acc.produced} points produced`);
    t.same(acc, { produced: acc.produced, written: acc.produced, dropped: 0, rejected: 0 }, 'every point written');
    t.equal(await vm.settledLines('scan', acc.written), acc.written, 'the server holds every line written');
    t.same(await vm.unlisted('scan'), [], 'every measurement on the server is one the line count knows');

    const store = new Database(db, { readonly: true });
    t.teardown(() => store.close());
    // the scanning device, by the store's own alerts
    const scanner = (store.prepare("SELECT src_mac AS mac FROM alerts WHERE kind LIKE 'scan.port%' AND src_mac IS NOT NULL LIMIT 1").get() as { mac: string } | undefined)?.mac;
    t.ok(scanner, `the store has a port scan alert from ${scanner}`);
    const history = store.prepare('SELECT ts_us AS tsUs, score, level FROM trust_history WHERE mac = ? ORDER BY id').all(scanner) as { tsUs: number; score: number; level: string }[];
    t.ok(history.length > 0, `${history.length} trust changes of the scanner in the store`);
    const trust = await vm.export(`trust_score{sensor="scan",device="${scanner}"}`);
    t.ok(trust.length > 0, 'trust points for the scanning device');
    t.equal(latest(trust)?.value, history[history.length - 1]!.score, 'its last score on the server is the store\'s');
    // every change is a point at its own time (the server keeps milliseconds; two changes may share one)
    for (const h of history) {
      const s = trust.find((x) => x.metric.level === h.level);
      const ms = Math.floor(h.tsUs / 1000);
      if (!s?.timestamps.some((ts, i) => ts === ms && s.values[i] === h.score)) t.fail(`trust change ${h.score} (${h.level}) at ${h.tsUs} is not on the server`);
    }
    t.ok(latest(await vm.export(`trust_levels_devices{sensor="scan"}`)), 'devices per trust level');

    // per-device traffic: MACs are tags; endpoints known only by an address are summed under "other"
    const rollups = store
      .prepare(
        `SELECT CASE WHEN device GLOB '??:??:??:??:??:??' THEN device ELSE '${OTHER_DEVICE}' END AS device,
                sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in, sum(flows_orig) AS flows_orig, sum(flows_resp) AS flows_resp
         FROM flow_rollups GROUP BY 1`,
      )
      .all() as Record<string, number | string>[];
    t.ok(rollups.length > 5, `${rollups.length} devices in the store's rollups`);
    for (const field of ['bytes_out', 'bytes_in', 'flows_orig', 'flows_resp']) {
      const series = await vm.export(`device_traffic_${field}{sensor="scan"}`);
      const server = new Map(series.map((s) => [s.metric.device!, s.values.reduce((a, v) => a + v, 0)]));
      const stored = new Map(rollups.map((r) => [r.device as string, r[field] as number]));
      t.same(Object.fromEntries(server), Object.fromEntries(stored), `${field} per device: server = store`);
    }
    t.ok(rollups.some((r) => r.device === scanner), 'the scanner has its own traffic series');

    // alerts by kind, anomaly scores, capture packets
    const alerts = store.prepare('SELECT kind, severity, count(*) AS n FROM alerts GROUP BY kind, severity').all() as { kind: string; severity: number; n: number }[];
    t.ok(alerts.some((a) => a.kind.startsWith('scan.')), 'the store has the scan alerts');
    for (const a of alerts) t.equal(sum(await vm.export(`alerts_count{sensor="scan",kind="${a.kind}",severity="${a.severity}"}`)), a.n, `alerts ${a.kind} severity ${a.severity}`);
    // incidents: one "open" count per incident the store holds, by kind
    const incidents = store.prepare('SELECT kind, count(*) AS n FROM incidents GROUP BY kind').all() as { kind: string; n: number }[];
    t.ok(incidents.some((i) => i.kind.startsWith('scan.')), `the store has ${incidents.reduce((a, i) => a + i.n, 0)} incidents, the scan among them`);
    for (const i of incidents) t.equal(sum(await vm.export(`incidents_count{sensor="scan",kind="${i.kind}",state="open"}`)), i.n, `incidents opened: ${i.kind}`);
    const anomalies = (store.prepare('SELECT count(*) AS n FROM anomaly_events').get() as { n: number }).n;
    t.ok(anomalies > 0);
    t.equal(sum(await vm.export('anomaly_scored{sensor="scan"}')), anomalies, 'every scored flow counted once');
    t.equal(sum(await vm.export('capture_packets{sensor="scan"}')), DEMO_PACKETS, 'capture packets add up to the file');
    // the health gauges: the store's committed rows as they stood at the last interval's end
    const committed = latest(await vm.export('store_committed{sensor="scan"}'));
    t.ok(committed !== null && committed.value > 0, `store gauge: ${committed?.value} rows committed`);
    // packet time runs ahead of delivery: by the last interval's end a notice may be queued or already sent
    const [queued, sent] = [latest(await vm.export('notify_queued{sensor="scan"}')), latest(await vm.export('notify_sent{sensor="scan"}'))];
    t.ok(hooked > 0 && queued !== null && sent !== null && queued.value + sent.value > 0, `notification gauge: ${queued?.value} queued + ${sent?.value} sent by the last interval's end; the webhook received ${hooked}`);
    const sinkQueued = latest(await vm.export('influx_sink_queued{sensor="scan"}'));
    t.ok(sinkQueued !== null && sinkQueued.value > 0 && sinkQueued.value < acc.produced, 'sink gauge');
    // bounded tags: no address from the wire is a tag value anywhere
    const all = await vm.export('{sensor="scan"}');
    const addresses = all.flatMap((s) => Object.values(s.metric)).filter((v) => /^\d+\.\d+\.\d+\.\d+$|::/.test(v));
    t.same([...new Set(addresses)], [], 'no address among the tag values');
  });

  await t.test('server stopped and restarted mid-run: the pipeline never waits, drops are counted exactly', async (t) => {
    const run = startRun(dir, ['--pcap', DEMO, '--store', join(dir, 'outage.db'), '--loop'], {
      ...influxEnv('outage'),
      // a small buffer so the outage overflows it; points once a minute of packet time
      ARGUS_EDGE_INFLUX_MAXBUFFERLINES: '100',
      ARGUS_EDGE_INFLUX_FLUSHINTERVALMS: '100',
      ARGUS_EDGE_INFLUX_INTERVALMS: '60000',
      ARGUS_EDGE_MODELS_ENABLED: 'false',
    });
    running.push(run.child);
    let web = '';
    await waitFor('the dashboard address', 60_000, () => {
      web = /dashboard on (http:\/\/[^ ]+) /.exec(run.stderr())?.[1] ?? '';
      return web !== '';
    });
    const packets = async (): Promise<number> => ((await (await fetch(`${web}/healthz`)).json()) as { packets: number }).packets;
    await vm.forceFlush();
    await waitFor('points on the server', 30_000, async () => {
      await vm.forceFlush();
      return (await vm.lines('outage')) > 0;
    });

    await vm.stop();
    const p0 = await packets();
    await sleep(1500);
    const p1 = await packets();
    await sleep(1500);
    const p2 = await packets();
    t.ok(p0 < p1 && p1 < p2, `the replay went on while the server was down: ${p0} → ${p1} → ${p2} packets`);
    const down = await (await fetch(`${web}/metrics`)).text();
    const droppedWhileDown = Number(/^argus_sink_dropped_total\{sink="influx"\} (\d+)/m.exec(down)?.[1] ?? 0);
    t.ok(droppedWhileDown > 0, `${droppedWhileDown} points dropped while the server was down (buffer 100)`);

    await vm.start();
    const before = await vm.lines('outage');
    await waitFor('points written after the restart', 40_000, async () => {
      await vm.forceFlush();
      return (await vm.lines('outage')) > before;
    });
    run.child.kill('SIGINT');
    const stopped = Date.now();
    t.equal(await run.exited, 0, 'exits 0 on SIGINT');
    t.ok(Date.now() - stopped < 30_000, `stopped in ${Date.now() - stopped} ms`);

    const acc = accounting(run.stderr());
    t.equal(acc.rejected, 0);
    t.ok(acc.dropped >= droppedWhileDown, `${acc.dropped} dropped in all`);
    t.equal(acc.written + acc.dropped, acc.produced, `${acc.written} written + ${acc.dropped} dropped = ${acc.produced} produced`);
    t.match(run.stderr(), /influx: write failed/, 'the outage was logged');
    const onServer = await vm.settledLines('outage', acc.written);
    t.equal(onServer, acc.written, `the server holds exactly the ${acc.written} points written`);
    t.equal(acc.produced - onServer, acc.dropped, 'points missing on the server = points counted as dropped');
  });

  await t.test('a packaged server (retention 1 month): packet time is dropped silently, influx.clock wall arrives', async (t) => {
    const packaged = new VictoriaMetrics(join(dir, 'vm-packaged'), await freePort(), { dedup: false, longRetention: false });
    t.teardown(() => packaged.stop());
    await packaged.start();
    const env = (sensor: string) => ({ ARGUS_EDGE_INFLUX_URL: packaged.url, ARGUS_EDGE_INFLUX_SENSOR: sensor, ARGUS_EDGE_MODELS_ENABLED: 'false' });

    const old = startRun(dir, ['--pcap', DEMO, '--store', join(dir, 'packet.db')], env('packet'));
    running.push(old.child);
    t.equal(await old.exited, 0);
    t.match(old.stderr(), /points are stamped with packet time, 2026-01-15T[\d:.]+Z \(\d+ days ago\).*influx\.clock: wall/, 'the appliance says why');
    const shifted = startRun(dir, ['--pcap', DEMO, '--store', join(dir, 'wall.db')], { ...env('wall'), ARGUS_EDGE_INFLUX_CLOCK: 'wall' });
    running.push(shifted.child);
    const startedMs = Date.now();
    t.equal(await shifted.exited, 0);
    await packaged.forceFlush();
    t.equal(await packaged.lines('packet'), 0, 'the capture is older than the retention: the server kept none of it (and no stray point at the epoch)');
    const acc = accounting(shifted.stderr());
    t.equal(await packaged.settledLines('wall', acc.written), acc.written, `with influx.clock wall all ${acc.written} points arrive`);
    const trust = latest(await packaged.export('trust_score{sensor="wall"}'));
    t.ok(trust !== null && Math.abs(trust.ts - startedMs) < 3_600_000, 'stamped at the present time');
  });
});
