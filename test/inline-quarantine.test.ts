/**
 * The appliance inline, end to end: `argus-edge run --mode inline` on the bridge of a namespace lab
 * (upstream: router, srv ── bridge(br0) ── LAN switch: atk, h1, h2, adm), live capture on br0, the kernel
 * firewall in the bridge's namespace. A LAN host runs a real nmap SYN scan of the hosts beyond the bridge: the detectors see it, its trust falls to
 * critical, the policy quarantines it and its traffic through the bridge is dropped while the other hosts keep
 * working. The quarantine survives a restart, a release lifts it, a manual quarantine expires by itself, an
 * allow-listed host doing the same scan is never acted on, and `argus-edge firewall --remove` leaves nothing
 * behind.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { Store } from '../src/store/db.js';
import { setUserPassword } from '../src/web/password.js';
import { sha256Hex } from '../src/web/session.js';
import { startHttpServer } from './support/lab-services.js';
import { brNetfilterSkipReason, createInlineLab, netnsSkipReason, waitForLine, type Lab } from './support/netns.js';

const ROOT = new URL('..', import.meta.url).pathname;
const skip = netnsSkipReason() ?? brNetfilterSkipReason() ?? (spawnSync('nmap', ['--version']).error ? 'nmap is not installed' : null);
const TOKEN = 'ae_' + 'q'.repeat(43);
const PORT = 18_317;
// the automatic quarantine must outlast a restart on a loaded machine; the manual one is short, to watch it expire
const QUARANTINE_S = 600;
const MANUAL_S = 15;

interface ActionRow {
  id: number;
  kind: string;
  state: string;
  mac: string | null;
  actor: string;
  reason: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('inline: an nmap scanner is quarantined at the bridge, reversibly', { skip: skip ?? false, timeout: 420_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-inline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab: Lab = createInlineLab({ upstream: ['router', 'srv'], lan: ['atk', 'h1', 'h2', 'adm'] });
  t.teardown(() => lab.cleanup());
  const web = await startHttpServer(lab, 'router');
  const srv = await startHttpServer(lab, 'srv');

  const db = join(dir, 'argus.db');
  {
    const s = Store.open({ path: db, log: () => {} });
    await setUserPassword(s, { username: 'admin', password: 'correct horse battery', role: 'admin', actor: 'test', tsUs: Date.now() * 1000 });
    s.auth.createToken(s.auth.userByName('admin')!.id, 'inline test', sha256Hex(TOKEN), Date.now() * 1000, { scope: 'write', expiresUs: null });
    s.close();
  }
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'mode: inline',
      'iface: br0',
      'homeNets: [10.99.0.0/16, fd00:99::/48]',
      `store: { path: ${db} }`,
      `web: { host: 127.0.0.1, port: ${PORT} }`,
      'models: { enabled: false }',
      'response:',
      '  autoQuarantine: true',
      `  quarantineSeconds: ${QUARANTINE_S}`,
      '  escalationFactor: 1',
      `  allowList: ['${lab.mac('adm')}']`,
      '',
    ].join('\n'),
  );

  let app: ChildProcess | null = null;
  let appLog = '';
  const startApp = async () => {
    appLog = '';
    const child = lab.spawn('bridge', process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', config], { cwd: ROOT });
    child.stderr!.on('data', (d: Buffer) => (appLog += d.toString()));
    await waitForLine(child, 'stderr', /capturing on br0/, 60_000);
    app = child;
  };
  const stopApp = async () => {
    const child = app!;
    app = null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
    t.equal(code, 0, `the appliance exits 0 after SIGINT${code === 0 ? '' : `: ${appLog.slice(-800)}`}`);
  };
  t.teardown(() => void app?.kill('SIGKILL'));

  const reaches = async (host: string, url = web.url4): Promise<boolean> => {
    const r = await lab.exec(host, 'curl', ['-sS', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', url], { timeoutMs: 6000 });
    return r.code === 0 && r.stdout === '200';
  };
  const actions = (mac: string): ActionRow[] => {
    const d = new Database(db, { readonly: true });
    try {
      return d.prepare('SELECT id, kind, state, mac, actor, reason FROM actions WHERE mac = ? ORDER BY id').all(mac) as ActionRow[];
    } finally {
      d.close();
    }
  };
  const auditRows = () => {
    const d = new Database(db, { readonly: true });
    try {
      return d.prepare("SELECT action, target, reason FROM audit_log WHERE action LIKE 'respond.%' OR action LIKE 'action.%'").all() as { action: string; target: string | null; reason: string | null }[];
    } finally {
      d.close();
    }
  };
  const waitFor = async (what: string, cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await cond()) return true;
      await sleep(500);
    }
    t.fail(`${what} within ${ms / 1000} s\n${appLog.slice(-1500)}`);
    return false;
  };
  const api = async (method: string, path: string, body?: unknown) => {
    const args = ['-sS', '--max-time', '5', '-X', method, '-H', `Authorization: Bearer ${TOKEN}`, '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '--data', JSON.stringify(body));
    const r = await lab.exec('bridge', 'curl', [...args, `http://127.0.0.1:${PORT}/api/v1${path}`], { timeoutMs: 8000 });
    const lines = r.stdout.trimEnd().split('\n');
    return { status: Number(lines.pop()), body: lines.join('\n') };
  };
  // in an ipset set (hash:mac), or as a rule of the chain where the kernel lacks hash:mac
  const quarantined = async (mac: string) => {
    const sets = await lab.exec('bridge', 'ipset', ['list'], { timeoutMs: 5000 });
    const rules = await lab.exec('bridge', 'iptables-save', [], { timeoutMs: 5000 });
    return `${sets.stdout}\n${rules.stdout}`.toLowerCase().includes(mac.toLowerCase());
  };
  const nmap = (host: string) =>
    lab.exec(host, 'nmap', ['-sS', '-Pn', '-n', '-T4', '--max-retries', '0', '-p', '1-300', lab.addr('router'), lab.addr('srv')], { timeoutMs: 60_000 });

  await startApp();
  const atk = lab.mac('atk');
  t.ok(await reaches('atk'), 'before the scan the attacker reaches the router');

  // --- the scan, the verdict, the quarantine ---
  const scan = await nmap('atk');
  t.equal(scan.code, 0, 'nmap ran');
  await waitFor('a quarantine of the scanner', () => actions(atk).some((a) => a.kind === 'quarantine' && a.state === 'active'), 30_000);
  const q = actions(atk).find((a) => a.kind === 'quarantine' && a.state === 'active')!;
  t.equal(q.actor, 'system', 'an automatic decision');
  t.match(q.reason, /critical/, `the reason says why: ${q.reason}`);
  t.ok(await quarantined(atk), "the scanner's MAC is in the kernel set");
  t.notOk(await reaches('atk'), "the scanner's traffic through the bridge is dropped");
  t.ok(await reaches('h1'), 'another host still reaches the router');
  t.ok(await reaches('h2', srv.url4), 'and to the other upstream host');

  // --- a restart keeps the quarantine (the store is the truth) ---
  await stopApp();
  await startApp();
  t.ok(auditRows().filter((a) => a.action === 'respond.reconcile').length >= 2, 'each start-up reconciles the firewall with the store');
  t.ok(actions(atk).some((a) => a.id === q.id && a.state === 'active'), 'the action is still active after the restart');
  t.notOk(await reaches('atk'), 'and still enforced');

  // --- an admin releases it ---
  const rel = await api('POST', `/actions/${q.id}/release`, { reason: 'checked the device' });
  t.equal(rel.status, 200, `release accepted: ${rel.body}`);
  t.equal(actions(atk).find((a) => a.id === q.id)!.state, 'released');
  await waitFor('the released host reaching the router again', () => reaches('atk'), 10_000);

  // --- a manual quarantine expires by itself ---
  const man = await api('POST', '/actions', { kind: 'quarantine', mac: atk, reason: 'manual test', seconds: MANUAL_S });
  t.equal(man.status, 201, `manual quarantine accepted: ${man.body}`);
  await waitFor('the manual quarantine to bite', async () => !(await reaches('atk')), 10_000);
  const manual = actions(atk).find((a) => a.actor === 'admin' && a.kind === 'quarantine');
  t.ok(manual, 'recorded with the admin as actor');
  await waitFor('the quarantine to expire', () => actions(atk).some((a) => a.id === manual!.id && a.state === 'expired'), (MANUAL_S + 20) * 1000);
  await waitFor('the expired host reaching the router again', () => reaches('atk'), 10_000);

  // --- the allow-listed host scanning the same way is never acted on ---
  const adm = lab.mac('adm');
  t.equal((await nmap('adm')).code, 0, 'the admin host scanned too');
  await sleep(8000);
  t.same(actions(adm), [], 'no action against the allow-listed host');
  t.ok(await reaches('adm'), 'it still reaches the router');
  t.ok(auditRows().some((a) => a.target?.toLowerCase() === adm.toLowerCase() && /allow/i.test(`${a.action} ${a.reason}`)), 'the skipped response is in the audit log');

  // --- removal leaves nothing behind ---
  await stopApp();
  const rm = await lab.exec('bridge', process.execPath, ['--import', 'tsx', 'src/cli.ts', 'firewall', '--remove', '--config', config], { timeoutMs: 60_000 });
  t.equal(rm.code, 0, `firewall --remove exits 0: ${rm.stderr}`);
  const rules4 = (await lab.exec('bridge', 'iptables-save', [])).stdout;
  const rules6 = (await lab.exec('bridge', 'ip6tables-save', [])).stdout;
  t.notMatch(rules4, /ARGUS/i, 'no iptables chain or rule left');
  t.notMatch(rules6, /ARGUS/i, 'no ip6tables chain or rule left');
  t.equal((await lab.exec('bridge', 'ipset', ['list', '-n'])).stdout.trim(), '', 'no ipset set left');
  t.ok(await reaches('atk'), 'traffic flows freely');
});
