/**
 * Records a labelled capture of real tools in a network-namespace lab and runs `argus-edge eval` on it, printing
 * the per-window table: how the whole pipeline (detectors, the anomaly models, incidents) does on real traffic.
 *
 *   sudo npx tsx scripts/lab-eval.ts [--out DIR] [--model DIR]
 *
 * Root only (network namespaces). Every host is a namespace this script creates on one switch (`sw`, tcpdump
 * on its br0); the namespaces have no route out, every target is one of their addresses, and every loop and
 * tool run is bounded in count and time. Takes about five minutes; not part of the test suite.
 *
 * The lab (10.99.0.0/24): gw (gateway: dnsmasq, sshd, HTTP on 8080), web (HTTP on 8080 and 8443), alice, bob,
 * carol (benign), cam (an IoT camera that gets compromised), mallory (the attacker).
 * Benign the whole time: alice and carol fetch pages with curl and resolve names against dnsmasq (dig when it
 * is installed, else Node's resolver), alice logs in over ssh with a key (the logins succeed), bob polls one
 * URL once a second, carol runs iperf3 against web when iperf3 is installed.
 * Attack windows, one after another, each written to labels.tsv as it ends (`start end host label`):
 *   nmap SYN scan of 1,000 ports, nmap -sV of three ports, a telnet/IoT-port sweep of every lab host
 *   (23, 2323, 80, 8080, 8081, 7547), hydra against sshd, an hping3 SYN flood, HTTP beaconing with curl every
 *   2 s, an ARP spoof of the gateway with arping.
 * DIR (default /tmp/argus-lab-eval-<time>) keeps lab.pcap, labels.tsv, config.yaml, eval.json and eval.txt, so
 * the same capture can be evaluated again later: argus-edge eval --config DIR/config.yaml --pcap DIR/lab.pcap
 * --labels DIR/labels.tsv.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, type EvalReport } from '../src/eval/index.js';
import { SSHD, sshKeyLogin, startHttpServer, startKeySshd, startTcpdump } from '../test/support/lab-services.js';
import { createSwitchLab, netnsSkipReason, type Lab } from '../test/support/netns.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => Date.now() / 1000;
const has = (cmd: string, arg = '--version'): boolean => spawnSync(cmd, [arg], { stdio: 'ignore' }).error === undefined;
const say = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const { values } = parseArgs({ options: { out: { type: 'string' }, model: { type: 'string' } } });
const out = resolve(values.out ?? `/tmp/argus-lab-eval-${new Date().toISOString().replace(/[:.]/g, '-')}`);

function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('lab-eval needs root (network namespaces, tcpdump, raw sockets)');
  const ns = netnsSkipReason();
  if (ns !== null) throw new Error(ns);
  const need: [string, string][] = [['tcpdump', '--version'], ['nmap', '--version'], ['hping3', '--version'], ['curl', '--version'], ['dnsmasq', '--version'], ['hydra', '-h'], ['arping', '-V'], ['ssh', '-V'], ['ssh-keygen', '-?']];
  const missing = need.filter(([c, a]) => !has(c, a)).map(([c]) => c);
  if (!existsSync(SSHD)) missing.push(SSHD);
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')}`);
}

/** Runs `fn` as a labelled attack window of `host`: the interval written to labels.tsv spans the tool's run. */
async function window(labels: string, host: string, label: string, fn: () => Promise<string>): Promise<void> {
  const start = now() - 0.2;
  say(`attack: ${label} from ${host}`);
  const note = await fn();
  const end = now() + 0.5;
  appendFileSync(labels, `${start.toFixed(3)}\t${end.toFixed(3)}\t${host}\t${label}\n`);
  say(`  ${label}: ${(end - start).toFixed(1)} s${note ? ` (${note})` : ''}`);
}

/** Node's resolver asking `server` for `names` (used when dig is not installed). */
const resolveJs = (server: string, names: string[]): string =>
  `const d=require('node:dns').promises;const r=new d.Resolver({timeout:1000,tries:1});r.setServers(['${server}']);` +
  `(async()=>{for(const n of ${JSON.stringify(names)}){try{await r.resolve4(n)}catch{}}})()`;

interface Background {
  stop(): Promise<void>;
  counts: Record<string, number>;
}

/** The benign hosts' life, until stop() (each loop also ends by itself after `maxS` seconds). */
function benign(lab: Lab, urls: { web: string; web2: string; gw: string }, clientKey: string, maxS: number): Background {
  let running = true;
  const until = now() + maxS;
  const alive = (): boolean => running && now() < until;
  const counts: Record<string, number> = { curl: 0, dns: 0, ssh: 0, sshOk: 0, poll: 0, iperf3: 0 };
  const gw = lab.addr('gw');
  const dig = has('dig', '-v');
  const names = ['www.lab.test', 'api.lab.test', 'cam.lab.test', 'ntp.lab.test', 'update.lab.test'];
  let seed = 7;
  // an LCG's low bits cycle quickly: take the high ones
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 16) % n;
  const loops: Promise<void>[] = [];
  // alice and carol browse: a page every 0.5–3 s, a few name lookups now and then
  for (const h of ['alice', 'carol']) {
    loops.push(
      (async () => {
        for (let i = 0; i < 2000 && alive(); i++) {
          const base = [urls.web, urls.web2, urls.gw][rnd(3)]!;
          await lab.exec(h, 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${base}/page/${rnd(1000)}`], { timeoutMs: 8000 });
          counts.curl!++;
          if (rnd(4) === 0) {
            const ask = [names[rnd(names.length)]!, names[rnd(names.length)]!];
            if (dig) for (const n of ask) await lab.exec(h, 'dig', ['+short', '+time=1', '+tries=1', `@${gw}`, n], { timeoutMs: 4000 });
            else await lab.exec(h, process.execPath, ['-e', resolveJs(gw, ask)], { timeoutMs: 8000 });
            counts.dns! += ask.length;
          }
          await sleep(500 + rnd(2500));
        }
      })(),
    );
  }
  // alice logs in over ssh with her key every 20 s (successful logins)
  loops.push(
    (async () => {
      for (let i = 0; i < 100 && alive(); i++) {
        counts.ssh!++;
        if (await sshKeyLogin(lab, 'alice', gw, clientKey)) counts.sshOk!++;
        for (let w = 0; w < 20 && alive(); w++) await sleep(1000);
      }
    })(),
  );
  // bob polls one URL once a second, as a hub polling a device does
  loops.push(
    (async () => {
      for (let i = 0; i < 3600 && alive(); i++) {
        const t0 = Date.now();
        await lab.exec('bob', 'curl', ['-s', '-o', '/dev/null', '--max-time', '2', `${urls.web}/status`], { timeoutMs: 4000 });
        counts.poll!++;
        await sleep(Math.max(0, 1000 - (Date.now() - t0)));
      }
    })(),
  );
  if (has('iperf3', '-v')) {
    loops.push(
      (async () => {
        const srv = lab.spawn('web', 'iperf3', ['-s', '-1', '-B', lab.addr('web')], { stdio: 'ignore' });
        await sleep(1000);
        await sleep(30_000);
        if (alive()) {
          await lab.exec('carol', 'iperf3', ['-c', lab.addr('web'), '-t', '5', '-b', '50M'], { timeoutMs: 20000 });
          counts.iperf3!++;
        }
        await lab.stop(srv);
      })(),
    );
  }
  return {
    counts,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function main(): Promise<void> {
  preflight();
  const t0 = performance.now();
  mkdirSync(out, { recursive: true });
  const pcap = join(out, 'lab.pcap');
  const labels = join(out, 'labels.tsv');
  writeFileSync(labels, 'start_epoch_s\tend_epoch_s\tip\tlabel\n');
  const lab = createSwitchLab(['gw', 'web', 'alice', 'bob', 'carol', 'cam', 'mallory']);
  const gw = lab.addr('gw');
  try {
    const [web, mallory, cam] = [lab.addr('web'), lab.addr('mallory'), lab.addr('cam')];
    const dump = await startTcpdump(lab, 'sw', 'br0', pcap);
    const webHttp = await startHttpServer(lab, 'web', { port: 8080 });
    const webApi = await startHttpServer(lab, 'web', { port: 8443, size: 300 });
    const gwHttp = await startHttpServer(lab, 'gw', { port: 8080, size: 4000 });
    const camHttp = await startHttpServer(lab, 'cam', { port: 80, size: 2000 });
    const dns = lab.spawn('gw', 'dnsmasq', ['--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${gw}`, '--port=53', `--address=/lab.test/${web}`, '--log-facility=-'], { stdio: 'ignore' });
    const { clientKey } = await startKeySshd(lab, 'gw', out);
    await sleep(500);
    say(`lab up: gw ${gw}, web ${web}, mallory ${mallory}, cam ${cam}; capturing to ${pcap}`);
    const bg = benign(lab, { web: webHttp.url4, web2: webApi.url4, gw: gwHttp.url4 }, clientKey, 600);
    // cam is an ordinary device at first: it fetches its firmware page
    for (let i = 0; i < 3; i++) await lab.exec('cam', 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${webHttp.url4}/firmware`], { timeoutMs: 8000 });
    await sleep(20_000);

    const gap = (): Promise<void> => sleep(10_000);
    await window(labels, mallory, 'nmap-syn-scan', async () => {
      const r = await lab.exec('mallory', 'nmap', ['-sS', '-n', '-Pn', '-T4', '--max-retries', '1', '-p', '1-1000', web], { timeoutMs: 120_000 });
      return `exit ${r.code}`;
    });
    await gap();
    await window(labels, mallory, 'nmap-sV-3-ports', async () => {
      const r = await lab.exec('mallory', 'nmap', ['-sV', '-n', '-Pn', '-T4', '-p', '22,53,8080', gw], { timeoutMs: 180_000 });
      return `exit ${r.code}: ${r.stdout.split('\n').filter((l) => /^\d+\/tcp/.test(l)).join('; ')}`;
    });
    await gap();
    await window(labels, cam, 'iot-port-sweep', async () => {
      const targets = lab.hosts.filter((h) => h !== 'cam').map((h) => lab.addr(h));
      const r = await lab.exec('cam', 'nmap', ['-sS', '-n', '-Pn', '-T4', '--max-retries', '1', '-p', '23,2323,80,8080,8081,7547', ...targets], { timeoutMs: 120_000 });
      return `exit ${r.code}, ${targets.length} hosts × 6 ports`;
    });
    await gap();
    await window(labels, mallory, 'hydra-ssh', async () => {
      const words = join(out, 'words.txt');
      writeFileSync(words, Array.from({ length: 64 }, (_, i) => `guess${String(i).padStart(3, '0')}`).join('\n') + '\n');
      const r = await lab.exec('mallory', 'sh', ['-c', `cd ${out} && exec timeout -s KILL 90 hydra -I -l admin -P ${words} -t 4 -w 5 -W 0 ssh://${gw}:22`], { timeoutMs: 120_000 });
      return /(\d+) valid password/.exec(r.stdout)?.[0] ?? `exit ${r.code}`;
    });
    await gap();
    await window(labels, mallory, 'hping3-syn-flood', async () => {
      const r = await lab.exec('mallory', 'hping3', ['-S', '-p', '8080', '-c', '3000', '-i', 'u300', web], { timeoutMs: 60_000 });
      return `exit ${r.code}`;
    });
    await gap();
    await window(labels, cam, 'http-beacon-2s', async () => {
      let ok = 0;
      for (let i = 0; i < 30; i++) {
        const t1 = Date.now();
        const r = await lab.exec('cam', 'curl', ['-s', '-o', '/dev/null', '--max-time', '1.5', `${webApi.url4}/c2/checkin?id=cam`], { timeoutMs: 3000 });
        if (r.code === 0) ok++;
        await sleep(Math.max(0, 2000 - (Date.now() - t1)));
      }
      return `${ok} of 30 check-ins answered`;
    });
    await gap();
    // last, and with the benign hosts stopped: the spoof poisons their caches for the gateway and nothing here
    // forwards, so their traffic would fail from then on
    await bg.stop();
    await window(labels, mallory, 'arp-spoof-gateway', async () => {
      await lab.run('mallory', 'sysctl', ['-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
      const r = await lab.exec('mallory', 'arping', ['-A', '-c', '5', '-s', gw, '-I', lab.iface('mallory'), gw], { timeoutMs: 20_000 });
      return r.stdout.match(/Sent \d+ probes/)?.[0] ?? `exit ${r.code}`;
    });
    await sleep(5_000);
    for (const s of [webHttp, webApi, gwHttp, camHttp]) await s.stop();
    await lab.stop(dns);
    const frames = await dump.stop();
    say(`benign: ${JSON.stringify(bg.counts)}; tcpdump captured ${frames} frames; recording took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    await lab.cleanup();
  }

  const config = join(out, 'config.yaml');
  writeFileSync(config, `mode: replay\nhomeNets: ['10.99.0.0/16', 'fd00:99::/48']\ndetectors:\n  arp:\n    gatewayIps: ['${gw}']\n`);
  const t1 = performance.now();
  const args = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'eval', '--config', config, '--pcap', pcap, '--labels', labels, '--json', ...(values.model ? ['--model', values.model] : [])];
  const ev = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  if (ev.status !== 0) throw new Error(`argus-edge eval failed (${ev.status}): ${ev.stderr}`);
  writeFileSync(join(out, 'eval.json'), ev.stdout);
  const report = JSON.parse(ev.stdout) as EvalReport;
  const text = formatReport(report);
  writeFileSync(join(out, 'eval.txt'), text + '\n');
  process.stdout.write(`${text}\n\nrecorded and evaluated in ${((performance.now() - t0) / 1000).toFixed(0)} s (eval ${((performance.now() - t1) / 1000).toFixed(0)} s); files in ${out}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`lab-eval: ${err.message}\n`);
  process.exitCode = 1;
});
