/**
 * The detectors on traffic from real tools in a network-namespace lab (a ── sw(br0) ── b, c): nmap SYN scan
 * and ARP sweep, an hping3 SYN flood against a listening port, and curl from a benign host beside them; then
 * DNS queries with long random labels against dnsmasq, a periodic curl and a large upload.
 * tcpdump records br0; the recording is replayed through the Pipeline with the detectors on its bus.
 * Needs root, tcpdump, nmap, hping3, curl and dnsmasq; skips with the reason otherwise. Every loop is bounded in count and time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startHttpServer, startTcpdump } from './support/lab-services.js';
import { createSwitchLab, netnsSkipReason, waitForLine } from './support/netns.js';
import { detect, settle } from './support/lab-detect.js';

const missing = (cmd: string, arg = '--version'): string | null => (spawnSync(cmd, [arg], { stdio: 'ignore' }).error ? `${cmd} is not installed` : null);
const skip = netnsSkipReason() ?? missing('tcpdump') ?? missing('nmap') ?? missing('hping3', '--version') ?? missing('curl');

t.test('nmap, hping3 and an ARP sweep are detected; curl beside them is not', { skip: skip ?? false }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ae-detectors-live-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const lab = createSwitchLab(['a', 'b', 'c']);
  t.teardown(() => lab.cleanup());
  const [attacker, victim, benign] = [lab.addr('a'), lab.addr('b'), lab.addr('c')];
  const pcap = join(tmp, 'lab.pcap');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap);
  await settle();
  const http = await startHttpServer(lab, 'b', { port: 8080 });

  for (let i = 0; i < 3; i++) {
    const r = await lab.exec('c', 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${http.url4}/page${i}`]);
    t.equal(r.code, 0, `benign curl ${i}`);
  }
  const scan = await lab.exec('a', 'nmap', ['-n', '-Pn', '-sS', '-p', '1-300', '--max-retries', '1', '-T4', victim], { timeoutMs: 60000 });
  t.equal(scan.code, 0, 'nmap SYN scan ran');
  const sweep = await lab.exec('a', 'nmap', ['-n', '-sn', '-PR', '--max-retries', '0', '10.99.0.0/24'], { timeoutMs: 60000 });
  t.equal(sweep.code, 0, 'nmap ARP sweep ran');
  // 3,000 SYNs at 1 ms intervals to the listening port; hping3's host answers the SYN-ACKs with RST
  const flood = await lab.exec('a', 'hping3', ['-q', '-S', '-p', '8080', '-i', 'u1000', '-c', '3000', victim], { timeoutMs: 60000 });
  t.ok(flood.code === 0 || flood.code === 1, `hping3 ran (${flood.code})`);
  await http.stop();
  const captured = await dump.stop();
  t.ok(captured > 3000, `tcpdump captured ${captured} frames`);

  const alerts = await detect(pcap, { homeNets: ['10.99.0.0/16'] });
  const got = [...new Set(alerts.map((a) => `${a.kind} ${a.srcIp}`))].sort();
  t.same(got, [`dos.synflood ${attacker}`, `scan.arp ${attacker}`, `scan.port.vertical ${attacker}`], alerts.map((a) => a.signature).join('\n'));
  const fl = alerts.find((a) => a.kind === 'dos.synflood');
  t.same(fl?.targets, [victim]);
  t.equal(fl?.destPort, 8080);
  t.notOk(alerts.some((a) => a.srcIp === benign || a.srcIp === victim), 'nothing about the benign client or the victim');
});

t.test('DNS tunnel through dnsmasq, a periodic curl and a large upload are detected', { skip: skip ?? missing('dnsmasq') ?? false }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ae-detectors-live-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const lab = createSwitchLab(['a', 'b', 'c']);
  t.teardown(() => lab.cleanup());
  const [benign, server, implant] = [lab.addr('a'), lab.addr('b'), lab.addr('c')];
  const pcap = join(tmp, 'lab.pcap');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap);
  await settle();
  const http = await startHttpServer(lab, 'b', { port: 8080 });
  // b is the resolver: authoritative for two test zones, forwards nothing
  const dns = lab.spawn('b', 'dnsmasq', ['--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${server}`, '--port=53', `--address=/tunnel.test/${server}`, `--address=/home.test/${server}`, '--log-facility=-']);
  t.teardown(() => lab.stop(dns));
  await new Promise((r) => setTimeout(r, 500));

  // the implant: 24 TXT lookups of random 40-character labels; the benign host: ordinary names
  const lookups = (names: string, rrtype: string) =>
    `const d=require('node:dns').promises;const r=new d.Resolver({timeout:1000,tries:1});r.setServers(['${server}']);` +
    `(async()=>{for(const n of ${names}){try{await r.resolve(n,'${rrtype}')}catch{}}})()`;
  const random = `Array.from({length:24},(_, i)=>require('node:crypto').randomBytes(20).toString('hex')+'.t'+i+'.tunnel.test')`;
  const r1 = await lab.exec('c', process.execPath, ['-e', lookups(random, 'TXT')], { timeoutMs: 60000 });
  t.equal(r1.code, 0, 'tunnel lookups ran');
  const r2 = await lab.exec('a', process.execPath, ['-e', lookups(`['www.home.test','api.home.test','cam.home.test','www.home.test']`, 'A')], { timeoutMs: 30000 });
  t.equal(r2.code, 0, 'benign lookups ran');

  // the implant checks in every 1.5 s, twelve times, each time sending a little
  const beacon = await lab.exec('c', 'sh', ['-c', `for i in $(seq 12); do curl -s -o /dev/null --max-time 3 -d id=$i ${http.url4}/beacon; sleep 1.5; done`], { timeoutMs: 60000 });
  t.equal(beacon.code, 0, 'periodic curl ran');
  await lab.exec('a', 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${http.url4}/index`]);
  // then uploads 20 MB at once
  const blob = join(tmp, 'blob.bin');
  writeFileSync(blob, Buffer.alloc(20_000_000, 7));
  // to a sink that reads the whole body (the lab's HTTP server answers without reading one)
  const sink = lab.spawn('b', process.execPath, ['-e', `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('ok'))}).listen(9000,'${server}',()=>console.log('listening'))`]);
  t.teardown(() => lab.stop(sink));
  await waitForLine(sink, 'stdout', /listening/, 10000);
  const up = await lab.exec('c', 'curl', ['-s', '-o', '/dev/null', '--max-time', '30', '-H', 'Expect:', '--data-binary', `@${blob}`, `http://${server}:9000/upload`], { timeoutMs: 40000 });
  t.equal(up.code, 0, 'upload ran');
  await http.stop();
  await lab.stop(sink);
  await dump.stop();

  // b stands for "outside" here (beacons and uploads to LAN hosts are ignored by design); upload windows are
  // shortened from an hour to 2 s so the lab builds a baseline in seconds
  const alerts = await detect(pcap, {
    homeNets: [`${benign}/32`, `${implant}/32`],
    upload: { windowSeconds: 2, minBaselineWindows: 3, minBytes: 5_000_000 },
  });
  const got = [...new Set(alerts.map((a) => `${a.kind} ${a.srcIp}`))].sort();
  t.same(got, [`c2.beacon ${implant}`, `dns.tunnel ${implant}`, `exfil.upload ${implant}`], alerts.map((a) => a.signature).join('\n'));
  t.match(alerts.find((a) => a.kind === 'dns.tunnel')?.signature, /tunnel\.test/);
  t.notOk(alerts.some((a) => a.srcIp === benign), 'nothing about the benign host');
});
