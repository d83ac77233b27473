/**
 * grafana/argus-edge.json and grafana/argus-edge-fleet.json against a real InfluxDB: Debian's `influxdb` (1.6, InfluxQL) on 127.0.0.1 gets the
 * points of `argus-edge run` on the demo capture, and every query of the dashboard — panels and variables,
 * with Grafana's macros filled in the way Grafana fills them — must parse and return series; the trust panel
 * must end at the store's last score of the scanning device. A second run with another sensor tag makes a fleet
 * of two: every fleet panel must return a series for each sensor, and the two, fed the same capture, must agree.
 * InfluxDB 1.6 predates the v2 write API the
 * sink speaks (1.8+), so a relay on 127.0.0.1 hands each request's lines to its v1 /write unchanged.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { projectRoot } from '../src/assets.js';
import { DEMO_CAPTURE, influxAccounting, startRun, waitFor } from './support/argus-run.js';
import { freePort } from './support/victoria-metrics.js';

const INFLUXD = '/usr/bin/influxd';
const DASHBOARD = join(projectRoot(), 'grafana/argus-edge.json');
const FLEET_DASHBOARD = join(projectRoot(), 'grafana/argus-edge-fleet.json');
const skip = !existsSync(INFLUXD) ? 'influxdb is not installed (/usr/bin/influxd; apt-get install influxdb)' : false;

interface Target {
  query: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query: string }[] };
  __inputs: { name: string; pluginId: string }[];
}

interface QueryResult {
  results: { error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: (number | null)[][] }[] }[];
  error?: string;
}

/**
 * Grafana's macros as it expands them for an InfluxQL data source: the dashboard's time range
 * [fromMs, toMs], regex variables as the selected values.
 */
function expand(q: string, sensor: string, fromMs: number, toMs: number): string {
  return q
    .replaceAll('$timeFilter', `time >= ${fromMs}ms AND time <= ${toMs}ms`)
    .replaceAll('$__interval_ms', '10000')
    .replaceAll('$__interval', '10s')
    .replaceAll('/^$sensor$/', `/^${sensor}$/`)
    .replaceAll('/^$device$/', '/^.*$/');
}

t.test('the Grafana dashboard queries a real InfluxDB holding a run of the appliance', { skip }, async (t) => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  t.same(dashboard.__inputs.map((i) => i.pluginId), ['influxdb'], 'one InfluxDB data source to choose at import');

  const dir = mkdtempSync(join(tmpdir(), 'argus-grafana-'));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[monitor]
  store-enabled = false
[logging]
  level = "error"
`,
  );
  mkdirSync(join(dir, 'run'));
  const influxd = spawn(INFLUXD, ['run', '-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let influxdErr = '';
  influxd.stderr!.on('data', (d: Buffer) => (influxdErr += d.toString()));
  const base = `http://127.0.0.1:${httpPort}`;
  // the relay: v2 write requests in, v1 writes out, the server's status back
  const relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      fetch(`${base}/write?db=argus&precision=u`, { method: 'POST', body }).then(
        async (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(await r.text());
        },
        () => {
          res.writeHead(503);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  t.teardown(async () => {
    await new Promise<void>((r) => relay.close(() => r()));
    if (influxd.exitCode === null && influxd.signalCode === null) {
      const exited = new Promise((r) => influxd.once('exit', r));
      influxd.kill('SIGTERM');
      const hard = setTimeout(() => influxd.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(hard);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('influxd to answer /ping', 30_000, async () => {
    if (influxd.exitCode !== null) throw new Error(`influxd exited: ${influxdErr}`);
    return fetch(`${base}/ping`).then((r) => r.status === 204, () => false);
  });
  const query = async (q: string): Promise<QueryResult> => (await fetch(`${base}/query?db=argus&epoch=ms&q=${encodeURIComponent(q)}`, { method: 'POST' })).json() as Promise<QueryResult>;
  t.equal((await query('CREATE DATABASE argus')).results[0]?.error, undefined);

  const db = join(dir, 'run', 'argus.db');
  const run = startRun(join(dir, 'run'), ['--pcap', DEMO_CAPTURE, '--store', db], {
    ARGUS_EDGE_INFLUX_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    ARGUS_EDGE_INFLUX_SENSOR: 'dash',
  });
  t.equal(await run.exited, 0, 'the run exits 0');
  const acc = influxAccounting(run.stderr());
  t.same({ dropped: acc.dropped, rejected: acc.rejected }, { dropped: 0, rejected: 0 }, `InfluxDB 1.6 took all ${acc.written} points`);
  // a second sensor: the same capture, its own store and sensor tag, the same InfluxDB
  mkdirSync(join(dir, 'run2'));
  const run2 = startRun(join(dir, 'run2'), ['--pcap', DEMO_CAPTURE, '--store', join(dir, 'run2', 'argus.db')], {
    ARGUS_EDGE_INFLUX_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    ARGUS_EDGE_INFLUX_SENSOR: 'dash-2',
  });
  t.equal(await run2.exited, 0, 'the second sensor\'s run exits 0');
  const acc2 = influxAccounting(run2.stderr());
  t.same({ dropped: acc2.dropped, rejected: acc2.rejected }, { dropped: 0, rejected: 0 }, `and InfluxDB took its ${acc2.written} points`);
  await sleep(200);
  // the time range a user would pick: the capture's span, from the store (Grafana never asks for all time)
  const store = new Database(db, { readonly: true });
  t.teardown(() => store.close());
  const span = store.prepare('SELECT min(start_us) AS a, max(end_us) AS b FROM flows').get() as { a: number; b: number };
  const [fromMs, toMs] = [Math.floor(span.a / 1000) - 60_000, Math.ceil(span.b / 1000) + 60_000];
  t.ok(toMs - fromMs < 86_400_000, `the demo spans ${((toMs - fromMs) / 60_000).toFixed(0)} minutes`);

  for (const v of dashboard.templating.list) {
    const r = await query(expand(v.query, 'dash', fromMs, toMs));
    const values = r.results[0]?.series?.flatMap((s) => s.values.map((row) => row[1])) ?? [];
    t.ok(r.error === undefined && r.results[0]?.error === undefined && values.length > 0, `variable $${v.name}: ${values.length} values`);
  }
  let queries = 0;
  for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
    for (const target of p.targets ?? []) {
      queries++;
      const q = expand(target.query, 'dash', fromMs, toMs);
      const r = await query(q);
      const err = r.error ?? r.results[0]?.error;
      const series = r.results[0]?.series ?? [];
      if (err !== undefined) t.fail(`${p.title}: ${err}\n${q}`);
      else t.ok(series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null))), `${p.title}: ${series.length} series`);
    }
  }
  t.ok(queries >= 10, `${queries} panel queries`);

  // the trust panel, for the scanning device, ends at the store's last score
  const last = store
    .prepare("SELECT h.mac, h.score FROM trust_history h JOIN alerts a ON a.src_mac = h.mac WHERE a.kind LIKE 'scan.port%' ORDER BY h.id DESC LIMIT 1")
    .get() as { mac: string; score: number };
  const trustPanel = dashboard.panels.find((p) => p.title === 'Trust score per device')!;
  const r = await query(expand(trustPanel.targets![0]!.query, 'dash', fromMs, toMs));
  const series = r.results[0]!.series!.find((s) => s.tags?.device === last.mac)!;
  t.ok(series, `the trust panel has the scanner ${last.mac}`);
  const values = series.values.map((row) => row[1]).filter((v) => v !== null);
  t.equal(values[values.length - 1], last.score, 'and ends at the store\'s last score');

  // the fleet dashboard: both sensors chosen, as Grafana expands a multi-value regex variable
  const fleet = JSON.parse(readFileSync(FLEET_DASHBOARD, 'utf8')) as Dashboard;
  t.same(fleet.__inputs.map((i) => i.pluginId), ['influxdb'], 'the fleet dashboard: one InfluxDB data source to choose at import');
  const sensorVar = fleet.templating.list.find((v) => v.name === 'sensor')!;
  const sensors = (await query(expand(sensorVar.query, 'dash', fromMs, toMs))).results[0]?.series?.flatMap((s) => s.values.map((row) => String(row[1]))) ?? [];
  t.same(sensors.sort(), ['dash', 'dash-2'], 'the sensor variable lists both sensors');
  let fleetQueries = 0;
  for (const p of fleet.panels.filter((p) => p.type !== 'row')) {
    for (const target of p.targets ?? []) {
      fleetQueries++;
      const q = expand(target.query, '(dash|dash-2)', fromMs, toMs);
      const r = await query(q);
      const err = r.error ?? r.results[0]?.error;
      if (err !== undefined) {
        t.fail(`${p.title}: ${err}\n${q}`);
        continue;
      }
      const series = r.results[0]?.series ?? [];
      const bySensor = new Map<string, number>();
      for (const s of series) {
        const v = s.values.flatMap((row) => row.slice(1)).filter((x): x is number => typeof x === 'number');
        if (v.length > 0) bySensor.set(s.tags?.sensor ?? '', (bySensor.get(s.tags?.sensor ?? '') ?? 0) + v.reduce((a, b) => a + b, 0));
      }
      t.same([...bySensor.keys()].sort(), ['dash', 'dash-2'], `${p.title} (${target.query.slice(7, 40)}…): a series for each sensor`);
      const [a, b] = [bySensor.get('dash') ?? NaN, bySensor.get('dash-2') ?? NaN];
      if (!/"pps"|"bps"|"queue_depth"|"buffered"|"dropped"/.test(target.query)) t.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)), `${p.title}: the two sensors of one capture agree (${a}, ${b})`);
    }
  }
  t.ok(fleetQueries >= 10, `${fleetQueries} fleet panel queries`);
});
