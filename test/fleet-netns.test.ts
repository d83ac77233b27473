/**
 * Fleet mode with real processes and real HTTPS: a head and three sensors, each `argus-edge run` (the built
 * dist/argus-edge.js) in its own network namespace of a lab switch. The sensors enrol with one-time tokens from
 * `argus-edge fleet enrol`, pin the head's certificate and heartbeat every second. Checked: all three show
 * online; a killed sensor turns stale; a restarted one keeps its id; while the head is stopped a sensor sees a
 * port scan and keeps it in its outbox, and after the head returns every incident arrives once; a forged, a
 * replayed and a revoked sensor's requests are refused; an assignment outside a sensor's scope is refused by
 * the sensor and the refusal reported. The head's dashboard shows the sensors (an API token from `token create`,
 * the Sensors page to a signed-in admin). Needs root (namespaces) and a build (npm run build).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import t from 'tap';
import { tcpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { newSensorKeys, signedHeaders } from '../src/fleet/signing.js';
import { createSwitchLab, netnsSkipReason } from './support/netns.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'argus-edge.js');
const skip = netnsSkipReason() ?? (existsSync(CLI) ? null : `${CLI} is missing: run npm run build`);

/** ten seconds of a port scan of one host, looped by the sensor that watches it */
function scanCapture(path: string): void {
  const w = new PcapWriter();
  const t0 = 1_800_000_000_000_000;
  const a = { src: '10.99.5.66', dst: '10.99.5.10', srcMac: '02:99:05:00:00:66', dstMac: '02:99:05:00:00:10' };
  const r = { src: a.dst, dst: a.src, srcMac: a.dstMac, dstMac: a.srcMac };
  for (let i = 0; i < 60; i++) {
    const ts = t0 + 1_000_000 + i * 20_000;
    w.add(ts, tcpFrame({ ...a, sport: 50000 + i, dport: 1 + i, flags: 'S', seq: 1 }));
    w.add(ts + 500, tcpFrame({ ...r, sport: 1 + i, dport: 50000 + i, flags: 'RA', seq: 0, ack: 2 }));
  }
  w.add(t0 + 10_000_000, tcpFrame({ ...a, sport: 40000, dport: 80, flags: 'S', seq: 1 }));
  w.add(t0 + 10_000_100, tcpFrame({ ...r, sport: 80, dport: 40000, flags: 'RA', seq: 0, ack: 2 }));
  w.writeFile(path);
}

function sqlite<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (cond()) return true;
    } catch {
      /* the store is being written: ask again */
    }
    await sleep(200);
  }
  return false;
}

t.test('a head and three sensors in namespaces over HTTPS', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-fleet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab = createSwitchLab(['h', 's1', 's2', 's3']);
  t.teardown(() => lab.cleanup());
  const headIp = lab.addr('h');
  const headStore = join(dir, 'head', 'argus-edge.db');
  mkdirSync(join(dir, 'head'));
  const scanPcap = join(dir, 'scan.pcap');
  scanCapture(scanPcap);
  const base = { ARGUS_EDGE_MODELS_ENABLED: 'false', ARGUS_EDGE_WEB_PORT: '0', ARGUS_EDGE_LOG_LEVEL: 'info', ARGUS_EDGE_FLEET_HEARTBEATSECONDS: '1' };
  const headEnv = { ...process.env, ...base, ARGUS_EDGE_STORE_PATH: headStore, ARGUS_EDGE_FLEET_ROLE: 'head', ARGUS_EDGE_FLEET_HOST: headIp, ARGUS_EDGE_FLEET_PORT: '8443', ARGUS_EDGE_FLEET_PUBLICURL: `https://${headIp}:8443`, ARGUS_EDGE_FLEET_STALESECONDS: '4' };
  const logs = new Map<string, string[]>();
  const startNode = (name: string, env: NodeJS.ProcessEnv, pcap: string): ChildProcess => {
    const p = lab.spawn(name, process.execPath, [CLI, 'run', '--mode', 'replay', '--pcap', pcap, '--realtime', '--loop'], { env, stdio: 'pipe' });
    const lines = logs.get(name) ?? [];
    logs.set(name, lines);
    p.stderr?.on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter((l) => l !== '')));
    p.stdout?.on('data', () => {});
    return p;
  };
  const demo = join(ROOT, 'demo', 'demo.pcap');
  let head = startNode('h', headEnv, demo);
  t.ok(await until(() => (logs.get('h') ?? []).some((l) => l.includes('fleet: head API on')), 30_000), `the head serves the fleet API\n${(logs.get('h') ?? []).join('\n')}`);

  // one enrolment token per sensor, from the CLI on the head's store
  const tokens = ['s1', 's2', 's3'].map((n) => {
    const r = spawnSync(process.execPath, [CLI, 'fleet', 'enrol', '--name', n, '--json'], { env: headEnv, encoding: 'utf8' });
    t.equal(r.status, 0, `fleet enrol ${n}: ${r.stderr}`);
    return JSON.parse(r.stdout).token as string;
  });
  const sensorEnv = (n: string, i: number, extra: Record<string, string> = {}) => {
    mkdirSync(join(dir, n), { recursive: true });
    return { ...process.env, ...base, ARGUS_EDGE_STORE_PATH: join(dir, n, 'argus-edge.db'), ARGUS_EDGE_FLEET_ROLE: 'sensor', ARGUS_EDGE_FLEET_ENROLTOKEN: tokens[i]!, ARGUS_EDGE_FLEET_NAME: n, ...extra };
  };
  const sensors: Record<string, ChildProcess> = {};
  sensors.s1 = startNode('s1', sensorEnv('s1', 0), demo);
  sensors.s2 = startNode('s2', sensorEnv('s2', 1, { ARGUS_EDGE_FLEET_ACCEPTASSIGNMENTS: 'true', ARGUS_EDGE_SCAN_ENABLED: 'true', ARGUS_EDGE_SCAN_SCOPE: '10.99.0.0/24' }), demo);
  sensors.s3 = startNode('s3', sensorEnv('s3', 2), demo);
  const list = () => {
    const r = spawnSync(process.execPath, [CLI, 'fleet', 'list', '--json'], { env: headEnv, encoding: 'utf8' });
    return (JSON.parse(r.stdout || '{"sensors":[]}') as { sensors: { id: string; name: string; status: string; queue: number }[] }).sensors;
  };
  t.ok(await until(() => list().filter((s) => s.status === 'online').length === 3, 40_000), `all three register and show online: ${JSON.stringify(list())}`);
  const ids = Object.fromEntries(list().map((s) => [s.name, s.id]));

  // the head's dashboard shows them: an API token from 'token create', a session of a user from 'passwd'
  const dash = /dashboard on (\S+) /.exec((logs.get('h') ?? []).find((l) => l.includes('dashboard on')) ?? '')?.[1];
  t.ok(dash, `the head's dashboard URL is logged: ${dash}`);
  const PASSWORD = 'correct horse battery';
  t.equal(spawnSync(process.execPath, [CLI, 'passwd', '--user', 'admin'], { env: headEnv, input: `${PASSWORD}\n`, encoding: 'utf8' }).status, 0, 'passwd on the head');
  const tok = spawnSync(process.execPath, [CLI, 'token', 'create', 'fleet-script'], { env: headEnv, encoding: 'utf8' });
  t.equal(tok.status, 0, `token create: ${tok.stderr}`);
  const seen = await lab.exec('h', process.execPath, ['--input-type=module', '-e', `
    const base = ${JSON.stringify(dash)};
    const api = await fetch(base + '/api/v1/fleet/sensors', { headers: { authorization: 'Bearer ${tok.stdout.trim()}' } });
    const login = await fetch(base + '/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: ${JSON.stringify(PASSWORD)} }), redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const page = await fetch(base + '/fleet', { headers: { cookie } });
    console.log(JSON.stringify({ api: api.status, sensors: (await api.json()).sensors, page: page.status, html: await page.text() }));`], { timeoutMs: 20_000 });
  const view = JSON.parse(seen.stdout || '{}') as { api: number; sensors?: { name: string; status: string; capabilities: { mode: string } }[]; page: number; html?: string };
  t.equal(view.api, 200, `the token reads the fleet API: ${seen.stderr}`);
  t.same((view.sensors ?? []).map((s) => [s.name, s.status, s.capabilities.mode]).sort(), [['s1', 'online', 'replay'], ['s2', 'online', 'replay'], ['s3', 'online', 'replay']], 'every sensor with its state and capabilities');
  t.equal(view.page, 200, 'the Sensors page renders for the signed-in admin');
  for (const n of ['s1', 's2', 's3']) t.match(view.html ?? '', new RegExp(`<b>${n}</b>[\\s\\S]*?badge st-online">online[\\s\\S]*?\\d+ s ago`), `the page shows ${n} online, heard seconds ago`);
  t.match(view.html ?? '', /<a href="\/fleet" aria-current="page">Sensors<\/a>/, 'the head links its Sensors page');

  // one is killed: stale within the window (fleet.staleSeconds 4)
  sensors.s1.kill('SIGKILL');
  t.ok(await until(() => list().find((s) => s.name === 's1')?.status === 'stale', 15_000), 'the killed sensor shows stale');

  // one restarts: the same id, no duplicate
  await lab.stop(sensors.s2);
  sensors.s2 = startNode('s2', sensorEnv('s2', 1, { ARGUS_EDGE_FLEET_ENROLTOKEN: '', ARGUS_EDGE_FLEET_HEAD: `https://${headIp}:8443`, ARGUS_EDGE_FLEET_ACCEPTASSIGNMENTS: 'true', ARGUS_EDGE_SCAN_ENABLED: 'true', ARGUS_EDGE_SCAN_SCOPE: '10.99.0.0/24' }), demo);
  await sleep(3000);
  t.ok(await until(() => list().find((s) => s.name === 's2')?.status === 'online', 20_000), 'the restarted sensor is online again');
  t.equal(list().length, 3, 'no duplicate after the restart');
  t.equal(list().find((s) => s.name === 's2')?.id, ids.s2, 'it kept its id');

  // an assignment outside s2's scan.scope: refused by the sensor, the refusal reported
  const aid = sqlite(headStore, (db) => Number(db.prepare("INSERT INTO fleet_assignments (sensor_id, kind, targets, ports, state, actor, created_ms, updated_ms) VALUES (?, 'scan', '[\"10.99.9.5\"]', '22', 'pending', 'test', ?, ?)").run(ids.s2, Date.now(), Date.now()).lastInsertRowid));
  const assignment = () => sqlite(headStore, (db) => db.prepare('SELECT state, reason FROM fleet_assignments WHERE id = ?').get(aid) as { state: string; reason: string | null });
  t.ok(await until(() => assignment().state === 'refused', 15_000), `the sensor refused it: ${JSON.stringify(assignment())}`);
  t.match(assignment().reason, /not an address inside this sensor's scan\.scope/);

  // the head stops; s3 sees a port scan meanwhile and keeps it; the head returns: every incident arrives once
  await lab.stop(head);
  await lab.stop(sensors.s3);
  sensors.s3 = startNode('s3', sensorEnv('s3', 2, { ARGUS_EDGE_FLEET_ENROLTOKEN: '', ARGUS_EDGE_FLEET_HEAD: `https://${headIp}:8443` }), scanPcap);
  const s3Store = join(dir, 's3', 'argus-edge.db');
  const outbox = () => sqlite(s3Store, (db) => (db.prepare("SELECT count(*) AS n FROM fleet_outbox WHERE kind = 'incident'").get() as { n: number }).n);
  t.ok(await until(() => outbox() > 0, 30_000), 'with the head away the scan incident waits in the sensor outbox');
  await sleep(4000);
  head = startNode('h', headEnv, demo);
  t.ok(await until(() => outbox() === 0, 40_000), 'after the head returns the outbox is delivered');
  const got = sqlite(headStore, (db) => db.prepare("SELECT key, body FROM fleet_results WHERE sensor_id = ? AND kind = 'incident'").all(ids.s3) as { key: string; body: string }[]);
  const opens = got.filter((r) => JSON.parse(r.body).change === 'open');
  const scan = opens.filter((r) => JSON.parse(r.body).incident.kind === 'scan.port.vertical');
  t.equal(scan.length, 1, `the port scan incident arrived once (${opens.map((r) => JSON.parse(r.body).incident.kind).join(', ')})`);
  t.equal(new Set(opens.map((r) => JSON.parse(r.body).incident.id)).size, opens.length, 'no incident opened twice');

  // forged, replayed and revoked requests
  const id3 = ids.s3!;
  const key3 = sqlite(s3Store, (db) => (db.prepare('SELECT private_key AS k, fingerprint AS f FROM fleet_identity').get() as { k: string; f: string }));
  const url = `https://${headIp}:8443`;
  const body = JSON.stringify({ status: { mode: 'replay', version: 'x', packetsPerSecond: 0, packets: 0, drops: 0, activeFlows: 0, modelId: null, modelState: 'off', diskFreeMB: null, rssMB: 1, queue: 0, outboxDropped: 0 } });
  const ask = (headers: Record<string, string>) => lab.exec('s1', process.execPath, ['--import=tsx', '-e', `
    import('${join(ROOT, 'src/fleet/pinned-https.ts').replace(/'/g, "\\'")}').then(async (m) => {
      const r = await m.pinnedRequest(${JSON.stringify(url)}, ${JSON.stringify(key3.f)}, 'POST', '/fleet/v1/heartbeat', ${JSON.stringify(body)}, ${JSON.stringify(headers)}, 5000);
      console.log(r.status + ' ' + r.body);
    }).catch((e) => console.log('ERR ' + e.message));`], { timeoutMs: 20_000 });
  const good = signedHeaders(id3, key3.k, 'POST', '/fleet/v1/heartbeat', body);
  t.match((await ask(good)).stdout, /^200 /, 'a signed heartbeat is accepted');
  t.match((await ask(good)).stdout, /^401 .*replayed request/, 'the same request again is refused as a replay');
  const forged = signedHeaders(id3, newSensorKeys().privateKeyPem, 'POST', '/fleet/v1/heartbeat', body);
  t.match((await ask(forged)).stdout, /^401 .*bad signature/, 'a request signed with another key is refused');
  const rv = spawnSync(process.execPath, [CLI, 'fleet', 'revoke', id3], { env: headEnv, encoding: 'utf8' });
  t.equal(rv.status, 0, `fleet revoke: ${rv.stderr}`);
  t.match((await ask(signedHeaders(id3, key3.k, 'POST', '/fleet/v1/heartbeat', body))).stdout, /^403 .*revoked/, 'a revoked sensor is refused');
  t.equal(list().find((s) => s.id === id3)?.status, 'offline', 'and shows offline');
});
