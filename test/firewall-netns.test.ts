/**
 * The kernel firewall backend on a real transparent bridge: an inline lab (router ── bridge ── LAN hosts a, b)
 * with br_netfilter on, the backend running its iptables/ip6tables/ipset commands inside the bridge's namespace.
 * Traffic is curl through the bridge to an HTTP server on the router (and on a, for the other direction).
 *
 * Checked: a quarantine stops a's traffic (both directions, IPv4 and IPv6) while b's passes, and a release
 * restores it; entries lapse by themselves at their timeout; a new Policy on the same store re-applies the
 * quarantine after a "restart" that lost the firewall; passive and replay modes create nothing;
 * `argus-edge firewall --status/--remove` lists and then removes every chain, rule and set (iptables-save,
 * ip6tables-save, ipset list); a block of a remote address or prefix, IPv4 and IPv6; a rate limit.
 *
 * Needs root and br_netfilter; skips with the reason otherwise.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Bus } from '../src/bus.js';
import { loadConfig } from '../src/config.js';
import { KernelFirewall } from '../src/respond/firewall.js';
import { Policy } from '../src/respond/policy.js';
import { Store } from '../src/store/db.js';
import { brNetfilterSkipReason, createInlineLab, type Lab } from './support/netns.js';
import { startHttpServer, type HttpServer } from './support/lab-services.js';

const ROOT = join(import.meta.dirname, '..');
const tool = (cmd: string) => (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error ? `${cmd} is not installed` : null);
const skip = brNetfilterSkipReason() ?? tool('ipset') ?? tool('iptables') ?? tool('curl');

t.test('kernel firewall on a transparent bridge', { skip: skip ?? false }, async (t) => {
  const lab: Lab = createInlineLab({ upstream: ['router'], lan: ['a', 'b'], brNetfilter: true });
  t.teardown(() => lab.cleanup());
  const NS = lab.ns('bridge');
  const inline = (flags: Record<string, string> = {}) => loadConfig({ flags: { mode: 'inline', ...flags } });
  let router: HttpServer;
  let onA: HttpServer;

  /** true when `from` gets an HTTP 200 from `url` within 2 s */
  const reach = async (from: string, url: string): Promise<boolean> => {
    const r = await lab.exec(from, 'curl', ['-g', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--connect-timeout', '1.5', '--max-time', '2', url], { timeoutMs: 5000 });
    return r.code === 0 && r.stdout === '200';
  };
  const inNs = (cmd: string, args: string[]) => spawnSync('ip', ['netns', 'exec', NS, cmd, ...args], { encoding: 'utf8' });
  /** everything of ours left in the bridge namespace */
  const leftovers = (): string[] => [
    ...inNs('iptables-save', []).stdout.split('\n').filter((l) => /ARGUS-EDGE/i.test(l)),
    ...inNs('ip6tables-save', []).stdout.split('\n').filter((l) => /ARGUS-EDGE/i.test(l)),
    ...inNs('ipset', ['list', '-n']).stdout.split('\n').filter((l) => l.trim() !== ''),
  ];
  const openStore = (tt: Test, path: string) => {
    const s = Store.open({ path, log: () => {} });
    tt.teardown(() => s.close());
    return s;
  };
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'firewall', ...args, '--netns', NS], { encoding: 'utf8', cwd: ROOT, timeout: 60000, env: { ...process.env, ARGUS_EDGE_CONFIG: '' } });

  t.before(async () => {
    router = await startHttpServer(lab, 'router');
    onA = await startHttpServer(lab, 'a');
    // the first curl also fills the neighbour caches
    for (const h of ['a', 'b']) for (const u of [router.url4, router.url6]) if (!(await reach(h, u))) throw new Error(`lab: ${h} cannot reach ${u} before any rule`);
  });

  t.afterEach(() => {
    new KernelFirewall({ netns: NS }).remove();
  });

  t.test('a quarantine drops the device both ways through the bridge, IPv4 and IPv6; release restores it', async (t) => {
    const store = openStore(t, join(t.testdir(), 'q.db'));
    store.devices.upsert({ mac: lab.mac('a'), tsUs: 1 });
    store.devices.addAddress(lab.mac('a'), lab.addr('a', 4), 1, 'dhcp');
    store.devices.addAddress(lab.mac('a'), lab.addr('a', 6), 1, 'ndp');
    const policy = new Policy(new Bus(() => {}), store, new KernelFirewall({ netns: NS }), inline(), { nowUs: () => 2 });
    policy.start(2);
    t.notOk(policy.dryRun);
    const q = policy.quarantine(lab.mac('a'), 'admin', 'test');
    t.ok(q.ok, q.ok ? 'quarantined' : q.error);
    t.notOk(await reach('a', router.url4), 'a → router (IPv4) is dropped');
    t.notOk(await reach('a', router.url6), 'a → router (IPv6) is dropped');
    t.notOk(await reach('router', onA.url4), 'router → a (IPv4) is dropped');
    t.notOk(await reach('router', onA.url6), 'router → a (IPv6) is dropped');
    t.ok(await reach('b', router.url4), 'b still gets through (IPv4)');
    t.ok(await reach('b', router.url6), 'b still gets through (IPv6)');
    const status = cli(['--status']);
    t.equal(status.status, 0, status.stderr);
    t.match(status.stdout, /-A FORWARD -m physdev --physdev-is-bridged -j ARGUS-EDGE/);
    t.match(status.stdout, new RegExp(`set argus-edge-q4 \\(hash:ip\\): 1 entry\\n  ${lab.addr('a', 4).replaceAll('.', '\\.')}  expires in \\d+ s`));
    t.ok(policy.release(q.ok ? q.action!.id : 0, 'admin').ok);
    t.ok(await reach('a', router.url4), 'released: a → router (IPv4) again');
    t.ok(await reach('a', router.url6), 'released: a → router (IPv6) again');
    t.ok(await reach('router', onA.url4), 'released: router → a again');
    policy.stop();
  });

  t.test('entries lapse by themselves at their kernel timeout', async (t) => {
    const fw = new KernelFirewall({ netns: NS });
    fw.setup();
    fw.add({ kind: 'quarantine', mac: lab.mac('a'), ips: [lab.addr('a', 4)] }, 4);
    fw.add({ kind: 'block', target: lab.addr('router', 6) }, 4);
    const added = Date.now();
    t.match(inNs('ipset', ['list', 'argus-edge-q4']).stdout, new RegExp(`${lab.addr('a', 4).replaceAll('.', '\\.')} timeout [34]\\b`));
    const [qa, bb] = await Promise.all([reach('a', router.url4), reach('b', router.url6)]);
    t.notOk(qa, 'quarantined');
    t.notOk(bb, "the router's IPv6 address is blocked");
    await new Promise((r) => setTimeout(r, Math.max(0, added + 5000 - Date.now())));
    t.notMatch(inNs('ipset', ['list', 'argus-edge-q4']).stdout, lab.addr('a', 4), 'the kernel dropped the entry');
    t.ok(await reach('a', router.url4), 'a passes again without anyone removing anything');
    t.ok(await reach('b', router.url6), 'the block lapsed');
  });

  t.test('a restart re-applies what the store holds', async (t) => {
    const path = join(t.testdir(), 'restart.db');
    const first = openStore(t, path);
    const bus1 = new Bus(() => {});
    const p1 = new Policy(bus1, first, new KernelFirewall({ netns: NS }), inline({ 'response.newDevice': 'quarantine' }));
    p1.start(10);
    bus1.emit('device.new', { tsUs: 11, mac: lab.mac('a'), ips: [lab.addr('a', 4)], hostname: null, vendor: null, randomMac: false });
    t.notOk(await reach('a', router.url4), 'the new device is held');
    p1.stop();
    first.close();
    // the machine restarts: the kernel forgets everything
    t.same(new KernelFirewall({ netns: NS }).remove().errors, []);
    t.ok(await reach('a', router.url4), 'nothing enforced after the firewall was lost');
    const second = openStore(t, path);
    const p2 = new Policy(new Bus(() => {}), second, new KernelFirewall({ netns: NS }), inline());
    p2.start(20);
    t.notOk(await reach('a', router.url4), 'the hold is enforced again');
    t.ok(await reach('b', router.url4), 'b is not');
    t.equal(p2.stats.reapplied, 1);
    p2.stop();
  });

  t.test('passive and replay modes never change the firewall', async (t) => {
    for (const mode of ['passive', 'replay']) {
      const store = openStore(t, join(t.testdir(), `${mode}.db`));
      const bus = new Bus(() => {});
      const cfg = loadConfig({ flags: { mode, 'response.autoQuarantine': 'true', 'response.newDevice': 'quarantine' } });
      const policy = new Policy(bus, store, new KernelFirewall({ netns: NS }), cfg);
      policy.start(1);
      bus.emit('device.new', { tsUs: 2, mac: lab.mac('a'), ips: [lab.addr('a', 4)], hostname: null, vendor: null, randomMac: false });
      t.ok(policy.quarantine(lab.mac('b'), 'admin', 'x').ok);
      t.ok(policy.block(lab.addr('router', 4), 'admin', 'x').ok);
      policy.tick(10_000_000_000);
      policy.stop();
      t.equal(store.actions.query().length, 3, `${mode}: three actions recorded`);
      t.same(leftovers(), [], `${mode}: no chain, rule or set in the namespace`);
      t.ok(await reach('a', router.url4), `${mode}: traffic untouched`);
    }
  });

  t.test('blocks of remote addresses and prefixes, IPv4 and IPv6', async (t) => {
    const store = openStore(t, join(t.testdir(), 'b.db'));
    const policy = new Policy(new Bus(() => {}), store, new KernelFirewall({ netns: NS }), inline(), { nowUs: () => 5 });
    policy.start(5);
    const b4 = policy.block('10.99.0.8/29', 'admin', 'prefix holding the router (10.99.0.10)');
    t.ok(b4.ok);
    t.notOk(await reach('a', router.url4), 'IPv4 prefix blocked');
    t.ok(await reach('a', router.url6), 'IPv6 untouched');
    const b6 = policy.block(lab.addr('router', 6), 'admin', 'one IPv6 address');
    t.ok(b6.ok);
    t.notOk(await reach('b', router.url6), 'IPv6 address blocked');
    t.ok(policy.release(b4.ok ? b4.action!.id : 0, 'admin').ok);
    t.ok(await reach('a', router.url4), 'IPv4 released');
    t.notOk(await reach('a', router.url6), 'IPv6 still blocked');
    policy.stop();
  });

  t.test('a rate limit drops new connections above the rate', async (t) => {
    const fw = new KernelFirewall({ netns: NS, ratePerSecond: 1 });
    fw.setup();
    fw.add({ kind: 'rate-limit', ip: lab.addr('a', 4) }, 60);
    // eight connection attempts at once from each: the SYNs over the burst are dropped, and a connect timeout
    // below the first SYN retransmission (1 s) keeps a later token from letting them through
    const fetch8 = (h: string) =>
      Promise.all(Array.from({ length: 8 }, () => lab.exec(h, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--connect-timeout', '0.8', router.url4], { timeoutMs: 5000 })));
    const [ra, rb] = await Promise.all([fetch8('a'), fetch8('b')]);
    const okA = ra.filter((r) => r.stdout === '200').length;
    const okB = rb.filter((r) => r.stdout === '200').length;
    t.equal(okB, 8, 'b is not limited');
    t.ok(okA >= 1 && okA <= 4, `a got ${okA} of 8 through at 1 new connection/s (burst 2)`);
  });

  t.test('firewall --remove leaves nothing behind and is idempotent', async (t) => {
    const fw = new KernelFirewall({ netns: NS });
    fw.setup();
    fw.add({ kind: 'quarantine', mac: lab.mac('a'), ips: [lab.addr('a', 4), lab.addr('a', 6)] }, 0);
    fw.add({ kind: 'block', target: '203.0.113.0/24' }, 0);
    t.ok(leftovers().length > 5, 'chains, rules and sets are there');
    const r = cli(['--remove']);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /^removed \d+ iptables and \d+ ip6tables rules; chains: ARGUS-EDGE, ARGUS-EDGE-MAC; sets: /);
    t.same(leftovers(), [], 'iptables-save, ip6tables-save and ipset list show nothing of ours');
    t.ok(await reach('a', router.url4), 'traffic flows');
    const again = cli(['--remove']);
    t.equal(again.status, 0, again.stderr);
    t.equal(again.stdout, 'nothing to remove\n');
    const st = cli(['--status', '--json']);
    t.same(JSON.parse(st.stdout).sets, []);
  });
});
