/** The command line as a user runs it: a child process per case, checking output and exit codes. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { VERSION } from '../src/version.js';
import { smallCapture } from './support/small-capture.js';
import { buildWebDeps } from './support/web-deps.js';
import { webApp } from '../src/web/server.js';
import { API_TOKEN_RE } from '../src/web/auth.js';

const root = projectRoot();
const dir = mkdtempSync(join(tmpdir(), 'argus-cli-'));
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });


t.test('--help and --version', async (t) => {
  const h = cli(['--help']);
  t.equal(h.status, 0);
  t.match(h.stdout, /Commands:\n\s+run\s+.+\n\s+replay\s+/);
  const rh = cli(['replay', '--help']);
  t.equal(rh.status, 0);
  t.match(rh.stdout, 'argus-edge replay FILE [--eve OUT.json] [--store DB] [--bpf EXPR]');
  const v = cli(['--version']);
  t.equal(v.status, 0);
  t.match(v.stdout, `argus-edge ${VERSION}\nnode ${process.version} (linux-${process.arch})\nlibpcap: libpcap version`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  t.equal(VERSION, pkg.version, 'src/version.ts agrees with package.json');
});

t.test('usage errors are clear and exit 1', async (t) => {
  const u = cli(['bogus']);
  t.equal(u.status, 1);
  t.match(u.stderr, "unknown command 'bogus'");
  const m = cli(['replay']);
  t.equal(m.status, 1);
  t.match(m.stderr, 'replay needs exactly one capture FILE');
  const f = cli(['replay', join(dir, 'absent.pcap')]);
  t.equal(f.status, 1);
  t.match(f.stderr, 'does not exist');
  const o = cli(['replay', '--frobnicate', 'x.pcap']);
  t.equal(o.status, 1);
  t.match(o.stderr, "Unknown option '--frobnicate'");
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, 'flow:\n  maxflows: 10\n');
  const c = cli(['replay', '--config', cfg, join(dir, 'x.pcap')]);
  t.equal(c.status, 1);
  t.match(c.stderr, `${cfg}:2: unknown key 'flow.maxflows' (did you mean 'flow.maxFlows'?)`);
  const e = cli(['replay', join(dir, 'x.pcap')], { ARGUS_EDGE_FLOW_MAXFLOWS: 'many' });
  t.equal(e.status, 1);
  t.match(e.stderr, "environment ARGUS_EDGE_FLOW_MAXFLOWS (flow.maxFlows): expected an integer ≥ 100, got 'many'");
  const live = cli(['run', '--mode', 'passive']);
  t.equal(live.status, 1);
  t.match(live.stderr, "set 'iface' in the configuration or pass --iface");
});

t.test('replay prints a summary and writes EVE-JSON', async (t) => {
  const pcap = join(dir, 'small.pcap');
  smallCapture(pcap);
  const eve = join(dir, 'small.json');
  const r = cli(['replay', pcap, '--eve', eve]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /packets\s+9 \(/);
  t.match(r.stdout, /flows\s+2: REJ 1, SF 1/);
  const lines = readFileSync(eve, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const flows = lines.filter((l) => l.event_type === 'flow');
  t.equal(flows.length, 2, 'one flow line per flow (alert and anomaly lines may follow)');
  const sf = flows.find((l) => l.argus.conn_state === 'SF');
  t.match(sf, { event_type: 'flow', src_ip: '10.99.0.2', src_port: 40000, dest_ip: '10.99.0.3', dest_port: 80, proto: 'TCP', app_proto: 'http' });
  t.match(sf.flow, { pkts_toserver: 5, pkts_toclient: 2 });
  t.match(sf.argus, { conn_state: 'SF', end_reason: 'fin' }, 'Zeek\'s fields under argus');
  t.equal(sf.http.hostname, 'a.test');

  const j = cli(['replay', pcap, '--json', '--bpf', 'tcp port 80']);
  t.equal(j.status, 0, j.stderr);
  const s = JSON.parse(j.stdout);
  t.equal(s.packets, 7, 'the BPF filter kept the port-80 connection only');
  t.equal(s.filtered, 2);
  t.same(s.flowsByConnState, { SF: 1 });

  const bad = cli(['replay', pcap, '--bpf', 'tcp portt 80']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, "BPF filter 'tcp portt 80'");

  const stdout = cli(['replay', pcap, '--eve', '-']);
  t.equal(stdout.status, 0);
  t.equal(stdout.stdout.trim().split('\n').filter((l) => JSON.parse(l).event_type === 'flow').length, 2, 'EVE lines on stdout');
  t.match(stdout.stderr, /packets\s+9/, 'the summary moves to stderr');
});

t.test('a damaged capture keeps every packet before the damage and exits 2', async (t) => {
  const whole = smallCapture(join(dir, 'whole.pcap'));
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 20));
  const r = cli(['replay', cut, '--json']);
  t.equal(r.status, 2);
  const s = JSON.parse(r.stdout);
  t.equal(s.packets, 8, 'every complete record before the cut');
  t.match(s.error, { offset: Number });
  const h = cli(['replay', cut]);
  t.match(h.stdout, /damaged\s+capture ends badly at byte [\d,]+: /);
});

t.test('replay --store fills the store; status checks it read-only and reports damage', async (t) => {
  const pcap = join(dir, 'store.pcap');
  smallCapture(pcap);
  const db = join(dir, 'store.db');
  const r = cli(['replay', pcap, '--store', db]);
  t.equal(r.status, 0, r.stderr);
  const s = cli(['status', '--store', db, '--json']);
  t.equal(s.status, 0, s.stderr);
  const rep = JSON.parse(s.stdout);
  t.match(rep.store, { ok: true, integrity: ['ok'], rows: { flows: 2 } });
  t.equal(rep.store.schemaVersion, rep.store.latestSchemaVersion);
  const text = cli(['status', '--store', db]);
  t.match(text.stdout, /integrity ok\nrows\s+.*flows 2/);
  t.equal(cli(['status', '--store', join(dir, 'never.db')]).status, 0, 'a store not created yet is not an error');

  // Damage every page after the header page: status must say so and exit 1.
  const bytes = readFileSync(db);
  for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  const broken = join(dir, 'broken.db');
  writeFileSync(broken, bytes);
  const b = cli(['status', '--store', broken]);
  t.equal(b.status, 1);
  t.match(b.stdout + b.stderr, /DAMAGED|malformed/);
});

t.test('token create prints an API token that works with its role, and is audited', async (t) => {
  const tdir = mkdtempSync(join(tmpdir(), 'argus-cli-token-'));
  const db = join(tdir, 'argus-edge.db');
  const help = cli(['token', '--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, 'argus-edge token create NAME [--role viewer|admin]');
  const none = cli(['token', 'create', 'grafana', '--store', db]);
  t.equal(none.status, 1, 'no user yet: refused');
  t.match(none.stderr, "no enabled admin user yet: create one with 'argus-edge passwd --user admin'");
  const pw = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'passwd', '--user', 'admin', '--store', db], { input: 'correct horse battery\n', encoding: 'utf8', timeout: 60_000 });
  t.equal(pw.status, 0, pw.stderr);
  t.equal(cli(['token', 'create', '--store', db]).status, 1, 'a NAME is needed');
  const bad = cli(['token', 'create', 'x', '--role', 'root', '--store', db]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, "--role must be viewer or admin, not 'root'");
  t.match(cli(['token', 'create', 'x', '--days', '9999', '--store', db]).stderr, '--days must be a whole number of days from 1 to 3650');
  t.match(cli(['token', 'create', 'x', '--user', 'nobody', '--store', db]).stderr, "no enabled dashboard user 'nobody'");

  const viewer = cli(['token', 'create', 'grafana', '--store', db]);
  t.equal(viewer.status, 0, viewer.stderr);
  const readToken = viewer.stdout.trim();
  t.match(readToken, API_TOKEN_RE, 'stdout is the token alone');
  t.match(viewer.stderr, /scope read, valid until/);
  const admin = cli(['token', 'create', 'backup script', '--role', 'admin', '--days', '7', '--json', '--store', db]);
  t.equal(admin.status, 0, admin.stderr);
  const j = JSON.parse(admin.stdout) as { token: string; scope: string; owner: string; expires: string };
  t.match(j, { scope: 'admin', owner: 'admin', name: 'backup script' });
  t.ok(Math.abs(Date.parse(j.expires) - Date.now() - 7 * 86_400_000) < 120_000, 'expires after 7 days');

  // the tokens against the real API on the same store
  const w = buildWebDeps({ dir: tdir });
  t.teardown(() => w.close());
  const app = webApp(w.deps);
  const call = (token: string, method = 'GET', path = '/api/v1/health') =>
    app.request(`http://argus.test${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{"kind":"scan","targets":["10.0.0.1"]}' });
  t.equal((await call(readToken)).status, 200, 'the viewer token reads');
  const refused = await call(readToken, 'POST', '/api/v1/fleet/sensors/auto/assign');
  t.equal(refused.status, 403, 'the viewer token cannot change anything');
  t.match(((await refused.json()) as { error: string }).error, /scope is 'read'/);
  const allowed = await call(j.token, 'POST', '/api/v1/fleet/sensors/auto/assign');
  t.equal(allowed.status, 404, 'the admin token passes the scope check (this appliance is not a head)');
  const tokens = w.store.auth.tokens();
  t.same(tokens.map((x) => [x.name, x.scope]), [['grafana', 'read'], ['backup script', 'admin']], 'only hashes are stored, with their scopes');
  t.notOk(tokens.some((x) => x.tokenHash === readToken), 'not the token itself');
  const audit = w.store.actions.auditLog({ actionPrefix: 'token.create', limit: 10 });
  t.same(audit.map((a) => [a.actor, a.target]).reverse(), [['cli', 'grafana'], ['cli', 'backup script']], 'each creation audited');
});

t.test('an empty capture, a foreign store and a damaged store are refused with a message', async (t) => {
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, '');
  const e = cli(['replay', empty]);
  t.equal(e.status, 1, 'a 0-byte capture is an error');
  t.match(e.stderr, /capture file '.*empty\.pcap' is empty \(0 bytes\): nothing to replay/);

  const pcap = join(dir, 'refuse.pcap');
  smallCapture(pcap);
  const notes = join(dir, 'notes.sqlite');
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(notes);
  db.exec('CREATE TABLE notes (text TEXT)');
  db.close();
  const f = cli(['replay', pcap, '--store', notes]);
  t.equal(f.status, 1, 'a foreign SQLite file is refused');
  t.match(f.stderr, /notes\.sqlite is not an Argus Edge store .*left untouched/);
  t.equal(cli(['status', '--store', notes]).status, 0, 'status reads it without changing it');

  const good = join(dir, 'to-damage.db');
  t.equal(cli(['replay', pcap, '--store', good]).status, 0);
  const bytes = readFileSync(good);
  for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  writeFileSync(good, bytes);
  const d = cli(['replay', pcap, '--store', good]);
  t.equal(d.status, 1, 'a damaged store is refused');
  t.match(d.stderr, /to-damage\.db (is damaged|is not a usable SQLite database).*argus-edge status.*move it aside/);
  const st = cli(['status', '--store', good]);
  t.equal(st.status, 1);
  t.match(st.stdout + st.stderr, /restore it from a backup, or move it aside/);
});

t.test('train writes a model that eval and replay use', async (t) => {
  const demo = join(root, 'demo/demo.pcap');
  const out = join(dir, 'model');
  const tr = cli(['train', '--pcap', demo, '--out', out, '--name', 'cli-test']);
  t.equal(tr.status, 0, tr.stderr);
  t.match(tr.stdout, /model cli-test@2026-01-15T\S+ written to/);
  for (const f of ['meta.json', 'model.json', 'weights.bin', 'forest.json', 'preprocess.json']) t.ok(readFileSync(join(out, f)).length > 0, f);
  const labels = join(dir, 'labels.tsv');
  // the demo camera (192.168.1.30) scans from minute 4 on
  writeFileSync(labels, '1768471440\t1768471800\t192.168.1.30\tcamera-scan\n');
  const ev = cli(['eval', '--model', out, '--pcap', demo, '--labels', labels, '--json']);
  t.equal(ev.status, 0, ev.stderr);
  const r = JSON.parse(ev.stdout);
  t.ok(r.positives > 1000, 'the scan flows are labelled');
  t.equal(r.flows, r.positives + r.negatives);
  t.match(r.model, { id: /^cli-test@/ });
  const rep = cli(['replay', demo, '--json'], { ARGUS_EDGE_MODELS_DIR: out });
  t.equal(rep.status, 0, rep.stderr);
  t.match(JSON.parse(rep.stdout).model, /^cli-test@/);
  t.match(cli(['eval', '--pcap', demo]).stderr, 'give the labels file');
  t.match(cli(['train', '--pcap', demo]).stderr, 'train needs --out DIR');
});

t.test('run serves Prometheus metrics and health while it replays, and stops cleanly on SIGTERM', async (t) => {
  const { spawn } = await import('node:child_process');
  const db = join(dir, 'run.db');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'run', '--mode', 'replay', '--realtime', '--loop', '--port', '0', '--store', db], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no metrics URL within 30 s:\n${stderr}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /metrics on (http:\/\/\S+)\/metrics/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  await new Promise((r) => setTimeout(r, 2500)); // the demo's first packets arrive after 1 s of packet time
  const health = (await (await fetch(`${url}/healthz`)).json()) as { status: string; mode: string; packets: number };
  t.match(health, { status: 'ok', mode: 'replay' });
  t.ok(health.packets > 0, 'packets are flowing');
  const text = await (await fetch(`${url}/metrics`)).text();
  t.match(text, /argus_packets_total \d+/);
  t.match(text, /argus_flows_active \d+/);
  t.equal((await fetch(`${url}/api/v1/nope`)).status, 401, 'the API refuses a request without credentials');
  const page = await fetch(`${url}/devices`, { redirect: 'manual' });
  t.match(page.headers.get('location'), /^\/login/, 'a page sends an anonymous visitor to the sign-in page');
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('exit', r));
  t.equal(code, 0, stderr);
  t.match(stderr, 'replay finished');
  t.equal(cli(['status', '--store', db, '--json']).status, 0, 'the store is sound after the stop');
});
