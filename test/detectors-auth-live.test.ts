/**
 * The brute-force and ARP-spoofing detectors on traffic from real tools in a network-namespace lab
 * (hosts on one switch `sw`, tcpdump on its br0, the recording replayed through the Pipeline):
 * - hydra guessing passwords against a real OpenSSH sshd (throwaway config and host key made here, run in a
 *   private /run so it needs nothing from the machine's own sshd setup), beside one ordinary ssh login attempt;
 * - arping sending unsolicited ARP replies that claim the gateway's address with the attacker's MAC, beside
 *   ordinary ARP and HTTP traffic.
 * Needs root, tcpdump, and hydra + sshd + ssh-keygen + ssh, or arping + curl; each test skips with the reason
 * otherwise. Every tool run is bounded in count and time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sshdSkipReason, startHttpServer, startSshd, startTcpdump } from './support/lab-services.js';
import { createSwitchLab, netnsSkipReason } from './support/netns.js';
import { detect, settle } from './support/lab-detect.js';

const missing = (cmd: string, arg = '--version'): string | null => (spawnSync(cmd, [arg], { stdio: 'ignore' }).error ? `${cmd} is not installed` : null);
const base = netnsSkipReason() ?? missing('tcpdump');
const sshSkip = base ?? sshdSkipReason() ?? missing('hydra', '-h');
const arpSkip = base ?? missing('arping', '-V') ?? missing('curl');

t.test('hydra against sshd is bruteforce.ssh from the attacker; one ssh login beside it is nothing', { skip: sshSkip ?? false }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ae-auth-live-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const lab = createSwitchLab(['a', 'b', 'c']);
  t.teardown(() => lab.cleanup());
  const [attacker, server, benign] = [lab.addr('a'), lab.addr('b'), lab.addr('c')];

  const words = join(tmp, 'words.txt');
  writeFileSync(words, Array.from({ length: 64 }, (_, i) => `guess${String(i).padStart(3, '0')}`).join('\n') + '\n');

  const pcap = join(tmp, 'auth.pcap');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap);
  await settle();
  const sshd = await startSshd(lab, 'b', tmp);

  // the benign host: one login attempt that fails (no key, no password), as a person mistyping would
  const one = await lab.exec('c', 'ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', `someone@${server}`, 'true'], { timeoutMs: 20000 });
  t.not(one.code, 0, 'the benign login was refused');
  // the attacker: 64 guesses (about 15 connections, ~15 s), 4 parallel tasks, 5 s response timeout; run in tmp
  // (hydra writes hydra.restore there); `timeout` kills hydra's task processes too, should it ever stall
  const hydra = await lab.exec('a', 'sh', ['-c', `cd ${tmp} && exec timeout -s KILL 90 hydra -I -l admin -P ${words} -t 4 -w 5 -W 0 -o ${join(tmp, 'found.txt')} ssh://${server}:22`], {
    timeoutMs: 120000,
  });
  t.notOk(hydra.timedOut, 'hydra finished in time');
  t.match(hydra.stdout, /0 valid password/, hydra.stdout + hydra.stderr);
  await lab.stop(sshd);
  const captured = await dump.stop();
  t.ok(captured > 100, `tcpdump captured ${captured} frames`);

  const alerts = await detect(pcap, { homeNets: ['10.99.0.0/16'] });
  const got = [...new Set(alerts.map((a) => `${a.kind} ${a.srcIp}`))].sort();
  t.same(got, [`bruteforce.ssh ${attacker}`], alerts.map((a) => a.signature).join('\n'));
  const bf = alerts.find((a) => a.kind === 'bruteforce.ssh')!;
  t.same(bf.targets, [server]);
  t.equal(bf.destPort, 22);
  t.equal(bf.srcMac, lab.mac('a'));
  t.notOk(alerts.some((a) => a.srcIp === benign), 'nothing about the benign host');
});

t.test('arping claiming the gateway address is arp.spoof from the attacker; ordinary ARP beside it is nothing', { skip: arpSkip ?? false }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ae-arp-live-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const lab = createSwitchLab(['gw', 'v', 'x']);
  t.teardown(() => lab.cleanup());
  const [gateway, victim, attacker] = [lab.addr('gw'), lab.addr('v'), lab.addr('x')];
  const pcap = join(tmp, 'arp.pcap');
  const http = await startHttpServer(lab, 'gw', { port: 8080 });
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap, 'arp or tcp');
  await settle();

  // ordinary traffic: the victim and the attacker fetch a page from the gateway (ARP requests and replies on
  // the way; the attacker's own address becomes known), and the victim arpings the gateway
  for (const h of ['v', 'x']) {
    const r = await lab.exec(h, 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${http.url4}/`], { timeoutMs: 15000 });
    t.equal(r.code, 0, `${h} fetched a page from the gateway`);
  }
  const probe = await lab.exec('v', 'arping', ['-c', '2', '-w', '3', '-I', lab.iface('v'), gateway], { timeoutMs: 15000 });
  t.equal(probe.code, 0, `benign arping of the gateway: ${probe.stdout}${probe.stderr}`);
  // the attack: unsolicited ARP replies (-A) claiming the gateway's address (-s) with the attacker's MAC;
  // arping binds its source address, which a host may do for a foreign one with ip_nonlocal_bind (per namespace)
  await lab.run('x', 'sysctl', ['-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
  const spoof = await lab.exec('x', 'arping', ['-A', '-c', '3', '-s', gateway, '-I', lab.iface('x'), gateway], { timeoutMs: 15000 });
  t.equal(spoof.code, 0, `arping -A ran: ${spoof.stdout}${spoof.stderr}`);
  t.match(spoof.stdout, /Sent 3 probes/);
  await http.stop();
  await dump.stop();

  const alerts = await detect(pcap, { homeNets: ['10.99.0.0/16'], arp: { gatewayIps: [gateway] } });
  const got = [...new Set(alerts.map((a) => `${a.kind} ${a.srcIp}`))].sort();
  t.same(got, [`arp.spoof ${attacker}`], alerts.map((a) => a.signature).join('\n'));
  const a = alerts.find((x) => x.kind === 'arp.spoof')!;
  t.same(a.targets, [gateway]);
  t.equal(a.srcMac, lab.mac('x'));
  t.equal(a.severity, 1, 'the gateway: severity 1');
  t.match(a.signature, `Gateway ${gateway} MAC changed from ${lab.mac('gw')} to ${lab.mac('x')}`);
  t.match(a.evidence.map((e) => e.text).join('\n'), /ARP reply now claims it/);
  t.notOk(alerts.some((x) => x.srcIp === victim || x.srcIp === gateway), 'nothing about the victim or the gateway');
});
