/**
 * Scans for real: nmap against listeners this test opens on 127.0.0.1 (the only place it may send traffic),
 * with the scope set to 127.0.0.0/8; and every way a target outside the scope is refused before nmap starts.
 */
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Bus } from '../bus.js';
import { Store } from '../store/db.js';
import { TrustScorer } from './score.js';
import { findingsFor, nmapArgs, ScanScope, VulnScanner, vulnerabilityScore, type ScanConfig } from './vuln-scan.js';
import { nmapSkipReason } from '../../test/support/lab-services.js';

const nmapSkip = nmapSkipReason();

const MAC = 'b8:27:eb:00:00:42';

function config(scan: Partial<ScanConfig['scan']> = {}): ScanConfig {
  return { homeNets: ['192.168.1.0/24'], scan: { enabled: true, scope: ['127.0.0.0/8'], intervalHours: 24, maxPerHour: 6, ports: '', serviceVersions: false, timeoutSeconds: 60, ...scan } };
}

async function listen(port: number): Promise<Server | null> {
  const s = createServer((c) => c.end());
  return new Promise((resolve) => {
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

t.test('the scope refuses everything but unicast addresses inside it', async (t) => {
  const lan = new ScanScope(config({ scope: [] }));
  t.equal(lan.check('192.168.1.20'), '192.168.1.20', 'empty scope means homeNets');
  for (const bad of ['127.0.0.1', '8.8.8.8', '192.168.2.1', '192.168.1.0/24', '192.168.1.1-20', 'router.lan', '-iL/etc/passwd', '192.168.1.20 8.8.8.8', '192.168.1.255', '224.0.0.1', '', '::1'])
    t.equal(lan.check(bad), null, `refused: '${bad}'`);
  const v6 = new ScanScope(config({ scope: ['fd00:99::/48', 'fe80::/10'] }));
  t.equal(v6.check('FD00:99::0005'), 'fd00:99::5', 'canonical form');
  t.equal(v6.check('fe80::1'), null, 'link-local needs a zone: refused');
  t.same(nmapArgs('fd00:99::5', config().scan).slice(-2), ['-6', 'fd00:99::5']);
  t.same(nmapArgs('192.168.1.20', config({ ports: '23,80' }).scan).slice(-3), ['-p', '23,80', '192.168.1.20']);
});

t.test('findings and the vulnerability component', async (t) => {
  const port = (p: number, state = 'open') => ({ protocol: 'tcp', port: p, state, reason: '', service: '', product: '', version: '', tunnel: '' });
  const f = findingsFor([port(23), port(445), port(80), port(5900, 'closed'), port(7547)]);
  t.same(f.map((x) => [x.id, x.port, x.penalty]), [['telnet-open', 23, 35], ['smb-open', 445, 20], ['tr069-open', 7547, 20]]);
  t.equal(f[0]!.advice, 'disable telnet on port 23 (use SSH, or turn remote login off)');
  t.equal(vulnerabilityScore(f), 25);
  t.equal(vulnerabilityScore(findingsFor([23, 2323, 5555, 5900].map((p) => port(p)))), 10, 'never below the floor');
  t.equal(vulnerabilityScore([]), 100);
});

t.test('refused targets never start nmap', async (t) => {
  const bus = new Bus();
  const scanner = new VulnScanner(bus, null, null, null, config(), { nmapPath: '/nonexistent/nmap' });
  scanner.start();
  t.equal(scanner.request('8.8.8.8', null), false);
  t.equal(scanner.request('localhost', null), false);
  const r = await scanner.scanNow('10.0.0.1');
  t.equal(r.status, 'failed');
  t.match(r.error, /not an address inside scan\.scope/);
  bus.emit('device.new', { tsUs: 1, mac: MAC, ips: ['192.168.1.5'], hostname: null, vendor: null, randomMac: false });
  t.equal(scanner.stats.started, 0);
  t.equal(scanner.stats.refused, 3);
  await scanner.stop();
});

t.test('disabled: new devices are not scanned', async (t) => {
  const bus = new Bus();
  const scanner = new VulnScanner(bus, null, null, null, config({ enabled: false }), { nmapPath: '/nonexistent/nmap' });
  scanner.start();
  bus.emit('device.new', { tsUs: 1, mac: MAC, ips: ['127.0.0.1'], hostname: null, vendor: null, randomMac: false });
  scanner.tick(1);
  t.equal(scanner.stats.started, 0);
  t.equal(scanner.stats.queued, 0);
});

// telnet's alternative port and ADB: risky services nothing else on this machine should be offering
const telnet = nmapSkip ? null : await listen(2323);
const adb = nmapSkip ? null : await listen(5555);
t.teardown(() => [telnet, adb].forEach((s) => s?.close()));
const realSkip = nmapSkip || (telnet === null || adb === null ? '127.0.0.1:2323 or :5555 is in use by something else' : false);

t.test('a real scan: open risky ports become findings, a row in the store and the vulnerability score', { skip: realSkip }, async (t) => {
  const path = join(t.testdir(), 'argus.db');
  const store = Store.open({ path, log: () => {} });
  t.teardown(() => store.close());
  const bus = new Bus();
  const inventory = { isHome: () => true, macForIp: (ip: string) => (ip === '127.0.0.1' ? MAC : undefined), addressesOf: () => ['127.0.0.1'], list: () => [{ mac: MAC }] };
  const scorer = new TrustScorer(bus, store, inventory, { trust: { weights: { behavioral: 0.5, vulnerability: 0.3, reputation: 0.2 }, evidenceHalfLifeHours: 24, recoveryHalfLifeHours: 6, maxDevices: 10 } });
  let clock = 1_700_000_000_000_000;
  const scanner = new VulnScanner(bus, store, inventory, scorer, config({ ports: '2323,5555,1' }), { now: () => clock, log: () => {} });

  const r = await scanner.scanNow('127.0.0.1');
  t.equal(r.status, 'done', r.error);
  t.equal(r.mac, MAC, 'the owner comes from the inventory');
  t.same(r.openPorts.map((p) => p.port).sort(), [2323, 5555]);
  t.same(r.findings.map((f) => f.id).sort(), ['adb-open', 'telnet-open']);
  t.equal(r.score, 30);
  t.equal(scorer.state(MAC)!.vulnerability, 30);

  const rows = store.registry.scans({ mac: MAC });
  t.equal(rows.length, 1);
  t.match(rows[0], { ip: '127.0.0.1', status: 'done', score: 30 });
  t.same((rows[0]!.findings as { id: string }[]).map((f) => f.id).sort(), ['adb-open', 'telnet-open']);

  // the queue: one scan per hour allowed, so of two requests one runs and one waits
  const limited = new VulnScanner(bus, store, inventory, scorer, config({ ports: '2323', maxPerHour: 1 }), { now: () => clock, log: () => {} });
  limited.start();
  t.ok(limited.request('127.0.0.1', MAC));
  t.ok(limited.request('127.0.0.2', null));
  t.equal(limited.stats.started, 1);
  t.equal(limited.stats.queued, 1);
  await limited.stop();
  clock += 2 * 3_600_000_000;
  t.equal(limited.stats.started, 1, 'a stopped scanner starts nothing');
});
