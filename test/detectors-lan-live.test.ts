/**
 * What a compromised home device does, from real tools in a network-namespace lab of ten hosts on one switch
 * (tcpdump on its br0, the recording replayed through the Pipeline), all at once beside ordinary traffic:
 * - `worm` sweeps every lab host on telnet and IoT ports (23, 2323, 80, 8080, 7547, 5555) with nmap, Mirai-style;
 * - `vs` runs `nmap -sV` against three services of `srv` (a real sshd, two HTTP servers);
 * - `bc` beacons to `srv` over HTTP every 2 s;
 * - `bf` tries to log in to `srv`'s sshd with ssh once every 2.5 s (16 times), a slow brute force shortened
 *   from one attempt per 20-60 s over an hour: the detector's short window is scaled to 10 s (4 attempts fit,
 *   below its 10) and its long one to 60 s with 12 attempts;
 * - `hb` guesses the password of `srv`'s web admin page with curl (25 answers 401), then gets in (200);
 * - `pl` polls a page on `gw` once a second (40 GETs answered 200), `h1` and `h2` fetch a page.
 * Each attack raises its kind for its source; the poller, the benign hosts and the servers raise nothing.
 * Needs root, tcpdump, nmap, curl, sshd + ssh-keygen + ssh; skips with the reason otherwise. Every loop is
 * bounded in count and time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LAB_HTTP_LOGIN, sshdSkipReason, startHttpServer, startSshd, startTcpdump } from './support/lab-services.js';
import { createSwitchLab, netnsSkipReason } from './support/netns.js';
import { detect, settle } from './support/lab-detect.js';

const missing = (cmd: string, arg = '--version'): string | null => (spawnSync(cmd, [arg], { stdio: 'ignore' }).error ? `${cmd} is not installed` : null);
const skip = netnsSkipReason() ?? missing('tcpdump') ?? missing('nmap') ?? missing('curl') ?? sshdSkipReason();

const HOSTS = ['gw', 'srv', 'h1', 'h2', 'pl', 'bc', 'bf', 'hb', 'vs', 'worm'];

t.test('a LAN sweep, a version scan, a LAN beacon, slow SSH and web password guessing are found; a poller is not', { skip: skip ?? false }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ae-lan-live-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const lab = createSwitchLab(HOSTS);
  t.teardown(() => lab.cleanup());
  const ip = (h: string): string => lab.addr(h);
  const pcap = join(tmp, 'lan.pcap');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap, 'arp or tcp');
  await settle();
  const page = await startHttpServer(lab, 'gw', { port: 8080, size: 600 });
  const web = await startHttpServer(lab, 'srv', { port: 80 });
  const api = await startHttpServer(lab, 'srv', { port: 8080, size: 200 });
  const sshd = await startSshd(lab, 'srv', tmp);

  // ordinary traffic: everybody says something, so the appliance knows the LAN's hosts
  for (const h of ['h1', 'h2', 'bc', 'bf', 'hb', 'vs', 'worm']) {
    const r = await lab.exec(h, 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${page.url4}/`], { timeoutMs: 10000 });
    t.equal(r.code, 0, `${h} fetched a page`);
  }
  const curl = `curl -s -o /dev/null --max-time 2`;
  const ssh = `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 admin@${ip('srv')} true`;
  const runs = Promise.all([
    lab.exec('pl', 'sh', ['-c', `for i in $(seq 40); do ${curl} ${page.url4}/status; sleep 1; done`], { timeoutMs: 90000 }),
    lab.exec('bc', 'sh', ['-c', `for i in $(seq 16); do ${curl} -d id=$i ${api.url4}/checkin; sleep 2; done`], { timeoutMs: 60000 }),
    lab.exec('bf', 'sh', ['-c', `for i in $(seq 16); do ${ssh} 2>/dev/null; sleep 2.5; done; exit 0`], { timeoutMs: 90000 }),
    lab.exec('hb', 'sh', ['-c', `for i in $(seq 25); do ${curl} -u admin:guess$i ${web.url4}/admin; sleep 0.2; done; ${curl} -u ${LAB_HTTP_LOGIN} ${web.url4}/admin`], { timeoutMs: 60000 }),
    lab.exec('vs', 'nmap', ['-n', '-Pn', '-sV', '-p', '22,80,8080', ip('srv')], { timeoutMs: 90000 }),
    // a few seconds in, once the LAN has spoken: the sweep of all eight other hosts, 48 probes at once
    new Promise((r) => setTimeout(r, 3000)).then(() =>
      lab.exec('worm', 'nmap', ['-n', '-Pn', '-sS', '-p', '23,2323,80,8080,7547,5555', '--max-retries', '0', '-T5', ...HOSTS.filter((h) => h !== 'worm').map(ip)], { timeoutMs: 60000 }),
    ),
  ]);
  const [poll, beacon, guess, web401, version, sweep] = await runs;
  t.equal(web401.code, 0, 'the web password guessing ran');
  t.equal(poll.code, 0, 'the poller ran');
  t.equal(beacon.code, 0, 'the beacon ran');
  t.equal(guess.code, 0, 'the ssh attempts ran');
  t.equal(version.code, 0, `nmap -sV ran: ${version.stderr}`);
  t.match(version.stdout, /22\/tcp\s+open\s+ssh/);
  t.equal(sweep.code, 0, `the sweep ran: ${sweep.stderr}`);
  t.ok(page.requests.filter((l) => l.includes('/status')).length >= 38, 'the page answered the poller');
  await Promise.all([page.stop(), web.stop(), api.stop(), lab.stop(sshd)]);
  const captured = await dump.stop();
  t.ok(captured > 500, `tcpdump captured ${captured} frames`);

  const alerts = await detect(pcap, {
    homeNets: ['10.99.0.0/16'],
    bruteForce: { windowSeconds: 10, slowWindowSeconds: 60, slowMinAttempts: 12 },
  });
  const got = [...new Set(alerts.map((a) => `${a.kind} ${a.srcIp}`))].sort();
  t.same(got, [`bruteforce.http ${ip('hb')}`, `bruteforce.ssh ${ip('bf')}`, `c2.beacon ${ip('bc')}`, `scan.lan.sweep ${ip('worm')}`, `scan.service ${ip('vs')}`], alerts.map((a) => a.signature).join('\n'));
  for (const h of ['gw', 'srv', 'h1', 'h2', 'pl']) t.notOk(alerts.some((a) => a.srcIp === ip(h)), `nothing about ${h}`);

  const sw = alerts.find((a) => a.kind === 'scan.lan.sweep');
  t.equal(sw?.severity, 1, 'a LAN sweep is high');
  t.equal(sw?.srcMac, lab.mac('worm'));
  // raised as soon as most of the LAN was touched, mid-sweep
  t.match(sw?.signature, new RegExp(`^LAN sweep from ${ip('worm').replace(/\./g, '\\.')}: [4-9] of 9 LAN hosts probed`));
  const sv = alerts.find((a) => a.kind === 'scan.service');
  t.same(sv?.targets, [ip('srv')]);
  t.match(sv?.signature, /3 services: 22, 80, 8080/);
  const bc = alerts.find((a) => a.kind === 'c2.beacon');
  t.match(bc?.signature, new RegExp(`to LAN host ${ip('srv').replace(/\./g, '\\.')}:8080 every 2\\.\\d s`));
  const bf = alerts.find((a) => a.kind === 'bruteforce.ssh');
  t.match(bf?.signature, /^Slow SSH brute force against/, 'found by the long window');
  t.equal(bf?.destPort, 22);
  // judged by the server's 401 answers, then the login that got in: severity 1
  const guessed = alerts.filter((a) => a.kind === 'bruteforce.http');
  t.same(guessed.map((a) => a.severity), [2, 1], guessed.map((a) => a.signature).join('\n'));
  t.match(guessed[0]?.evidence[0]?.text, /failed HTTP logins \(answered by the server\)/);
  t.match(guessed[1]?.signature, /succeeded after 2\d attempts/);
});
