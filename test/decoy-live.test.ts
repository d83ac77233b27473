/**
 * Decoys on a lab appliance: the Decoys run in a node process inside the namespace of host `gw` (one port is
 * taken by another program first, to show the others still work); an attacker host touches decoy ports with
 * curl (IPv4 and IPv6) and an nmap connect scan; a benign host uses a real service on `gw` beside them.
 * Every touch from the attacker raises decoy.touch with its bytes; the benign host raises nothing.
 * Needs root, curl and nmap; skips with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import t from 'tap';
import type { Alert } from '../src/detectors/alert.js';
import type { DecoyPortStatus } from '../src/detectors/decoy.js';
import { startHttpServer } from './support/lab-services.js';
import { createSwitchLab, netnsSkipReason, waitForLine } from './support/netns.js';

const missing = (cmd: string): string | null => (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error ? `${cmd} is not installed` : null);
const skip = netnsSkipReason() ?? missing('curl') ?? missing('nmap');

const root = resolve(new URL('..', import.meta.url).pathname);
const mod = (p: string): string => pathToFileURL(resolve(root, p)).href;

/** The appliance side: Decoys with a Bus whose alerts go to stdout as JSON lines; SIGTERM stops it. */
const CHILD = `
const { Decoys } = await import(${JSON.stringify(mod('src/detectors/decoy.ts'))});
const { Bus } = await import(${JSON.stringify(mod('src/bus.ts'))});
const { createLogger } = await import(${JSON.stringify(mod('src/log.ts'))});
const { cfg, homeNets } = JSON.parse(process.argv[1]);
const bus = new Bus();
bus.on('alert', (a) => console.log('alert ' + JSON.stringify(a)));
const d = new Decoys(cfg, bus, createLogger('info', (l) => console.error(l)), { homeNets });
console.log('status ' + JSON.stringify(await d.start()));
process.on('SIGTERM', async () => { await d.stop(); process.exit(0); });
`;

/** Holds one port in the namespace, as another program would. */
const HOLDER = `require('node:net').createServer().listen({ port: Number(process.argv[1]), host: '::', ipv6Only: false }, () => console.log('holding'))`;

t.test('touches from a lab host raise decoy.touch with their bytes; a benign host beside them raises nothing', { skip: skip ?? false }, async (t) => {
  const lab = createSwitchLab(['gw', 'a', 'b']);
  t.teardown(() => lab.cleanup());
  const [gw, attacker, benign] = [lab.addr('gw'), lab.addr('a'), lab.addr('b')];
  const gw6 = lab.addr('gw', 6);

  const http = await startHttpServer(lab, 'gw', { port: 8080 });
  const holder = lab.spawn('gw', process.execPath, ['-e', HOLDER, '5900']);
  await waitForLine(holder, 'stdout', /holding/, 10000);

  const cfg = { enabled: true, ports: [23, 445, 2323, 3389, 5900], host: '::', captureBytes: 64, idleTimeoutSeconds: 1, maxConnections: 64, suppressSeconds: 600 };
  const child = lab.spawn('gw', process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, JSON.stringify({ cfg, homeNets: ['10.99.0.0/16', 'fd00:99::/48'] })], { cwd: root });
  const alerts: Alert[] = [];
  let stderr = '';
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('alert ')) alerts.push(JSON.parse(l.slice(6)) as Alert);
  });
  const statusLine = await waitForLine(child, 'stdout', /^status /, 30000);
  const status = JSON.parse(statusLine.slice(7)) as DecoyPortStatus[];
  t.same(status.map((s) => [s.port, s.ok]), [[23, true], [445, true], [2323, true], [3389, true], [5900, false]], 'every free port listens; the taken one is reported');
  t.match(status[4]!.error, /EADDRINUSE/);
  t.match(stderr, /decoy port 5900: cannot listen.*EADDRINUSE.*the other decoy ports still work/);

  // benign use of a real service on the appliance
  for (let i = 0; i < 3; i++) {
    const r = await lab.exec('b', 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${http.url4}/ok${i}`]);
    t.equal(r.code, 0, `benign curl ${i}`);
  }
  // the attacker: an HTTP probe on the telnet port, an IPv6 one on 2323, and a connect scan of 445 and 3389
  const c4 = await lab.exec('a', 'curl', ['-s', '--max-time', '5', `http://${gw}:23/login`], { timeoutMs: 10000 });
  t.not(c4.code, 0, 'the decoy answers nothing (curl reports an empty reply)');
  t.equal(c4.stdout, '');
  await lab.exec('a', 'curl', ['-s', '--max-time', '5', '-H', 'X-Probe: v6', `http://[${gw6}]:2323/`], { timeoutMs: 10000 });
  const scan = await lab.exec('a', 'nmap', ['-n', '-Pn', '-sT', '-p', '445,3389', '--max-retries', '0', gw], { timeoutMs: 30000 });
  t.equal(scan.code, 0, 'nmap connect scan ran');
  t.match(scan.stdout, /445\/tcp\s+open/);

  for (let i = 0; i < 100 && alerts.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500)); // anything late (it should not come)
  // nmap -sT resets right after the handshake; when the reset wins the race with accept() the kernel no
  // longer knows the peer and the alert names no single source ('::', the listener's family)
  const scanned = (a: Alert): boolean => a.srcIp === attacker || a.srcIp === '::';
  const got = alerts.map((a) => `${a.destPort === 445 || a.destPort === 3389 ? (scanned(a) ? 'scanner' : a.srcIp) : a.srcIp} ${a.destPort}`).sort();
  t.same(got, [`${attacker} 23`, `${lab.addr('a', 6)} 2323`, 'scanner 3389', 'scanner 445'], alerts.map((a) => a.signature).join('\n'));
  t.notOk(alerts.some((a) => a.srcIp === benign || a.srcIp === lab.addr('b', 6)), 'nothing about the benign host');
  for (const a of alerts) {
    t.match(a, { kind: 'decoy.touch', severity: 1, proto: 'TCP' });
    t.equal(a.suggestedResponse, a.srcIp === '::' ? 'monitor' : 'quarantine');
  }
  const telnet = alerts.find((a) => a.destPort === 23)!;
  t.same(telnet.targets, [gw]);
  t.match(telnet.evidence[1]!.text, new RegExp(`^first \\d+ of \\d+ bytes sent: "GET /login HTTP/1\\.1\\\\r\\\\nHost: ${gw.replaceAll('.', '\\.')}:23\\\\r\\\\n`));
  t.match(alerts.find((a) => a.destPort === 2323)!.evidence[1]!.text, `Host: [${gw6}]:2323`);
  t.match(alerts.find((a) => a.destPort === 445)!.evidence[1]!.text, /sent nothing/);

  await lab.stop(child);
  await lab.stop(holder);
  await http.stop();
});
