/**
 * End to end on real traffic: benign curl traffic between hosts in network namespaces is captured with
 * tcpdump and a model is trained from the capture; then a second capture holds more benign traffic next to
 * an nmap SYN scan and an hping3 SYN flood from another host, and the model must separate them (ensemble
 * ROC AUC ≥ 0.95). When the public captures are present, a model trained on real home/IoT captures is also
 * evaluated on real attack captures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { FlowRecord } from '../src/flow/flow-record.js';
import { evaluate, formatEval, labelOf, parseLabels, rocAuc } from '../src/models/eval.js';
import { flowsFromPcap } from '../src/models/flows-from-pcap.js';
import { scoreRecords } from '../src/models/scorer.js';
import { trainModel } from '../src/models/train.js';
import { Prng } from '../src/models/prng.js';
import { createSwitchLab, netnsSkipReason, type Lab } from './support/netns.js';
import { startHttpServer, startTcpdump } from './support/lab-services.js';
import { SHARED_PCAPS_SKIP, sharedPcap } from './support/shared-pcaps.js';

function toolsSkipReason(): string | null {
  const ns = netnsSkipReason();
  if (ns !== null) return ns;
  for (const [tool, arg] of [['nmap', '--version'], ['hping3', '--version'], ['curl', '--version'], ['tcpdump', '--version']] as const) {
    const r = spawnSync(tool, [arg], { stdio: 'ignore' });
    if (r.error !== undefined) return `${tool} is not installed (Debian: ${tool})`;
  }
  return null;
}

/**
 * `count` curl requests per client — sizes, servers and address families varied by a seeded PRNG — and now
 * and then a ping (v4 or v6) to another host, which also brings the IPv6 neighbour discovery any real LAN
 * carries.
 */
async function benignTraffic(lab: Lab, clients: string[], urls: string[], count: number, seed: number): Promise<void> {
  const rng = new Prng(seed);
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < count; i++) {
        const url = `${urls[rng.int(urls.length)]!}/bytes/${[200, 1500, 12_000, 60_000][rng.int(4)]! + rng.int(500)}`;
        await lab.exec(c, 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', url], { timeoutMs: 8000 });
        if (rng.next() < 0.1) {
          const peer = lab.hosts.filter((h) => h !== c && h !== 'mallory')[rng.int(lab.hosts.length - 2)]!;
          const v6 = rng.next() < 0.5;
          await lab.exec(c, 'ping', [v6 ? '-6' : '-4', '-c', '1', '-W', '1', lab.addr(peer, v6 ? 6 : 4)], { timeoutMs: 3000 });
        }
        if (rng.next() < 0.3) await new Promise((r) => setTimeout(r, rng.int(40)));
      }
    }),
  );
}

const skip = toolsSkipReason();

t.test('namespace lab: train on benign curl traffic, detect nmap SYN scan and hping3 SYN flood', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-models-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab = createSwitchLab(['web', 'alice', 'bob', 'mallory']);
  t.teardown(() => lab.cleanup());

  const web = await startHttpServer(lab, 'web', { port: 8080 });
  const api = await startHttpServer(lab, 'web', { port: 8443, size: 300 });
  const urls = [web.url4, web.url6, api.url4, api.url6];

  // 1. benign baseline
  const trainPcap = join(dir, 'train.pcap');
  const td1 = await startTcpdump(lab, 'sw', 'br0', trainPcap);
  await benignTraffic(lab, ['alice', 'bob'], urls, 300, 1);
  await td1.stop();

  // 2. benign traffic with attacks from mallory next to it
  const evalPcap = join(dir, 'eval.pcap');
  const td2 = await startTcpdump(lab, 'sw', 'br0', evalPcap);
  const background = benignTraffic(lab, ['alice', 'bob'], urls, 60, 2);
  const target = lab.addr('web');
  const scanStart = Date.now() / 1000;
  const scan = await lab.exec('mallory', 'nmap', ['-sS', '-n', '-Pn', '-T4', '--max-retries', '1', '-p', '1-1000', target], { timeoutMs: 60_000 });
  const scanEnd = Date.now() / 1000;
  t.equal(scan.code, 0, `nmap ran: ${scan.stderr.trim()}`);
  const floodStart = Date.now() / 1000;
  const flood = await lab.exec('mallory', 'hping3', ['-S', '-p', '8080', '-c', '2000', '-i', 'u500', target], { timeoutMs: 60_000 });
  const floodEnd = Date.now() / 1000;
  t.notOk(flood.timedOut, 'hping3 finished');
  await background;
  await td2.stop();

  const train = await flowsFromPcap(trainPcap);
  t.ok(train.records.length >= 500, `${train.records.length} benign training flows`);
  const model = await trainModel(train.records, { name: 'lab', config: { autoencoder: { maxEpochs: 60 } } });
  t.teardown(() => model.dispose());
  const labels = parseLabels(
    [
      `${(scanStart - 0.5).toFixed(3)}\t${(scanEnd + 0.5).toFixed(3)}\t${lab.addr('mallory')}\tnmap-syn-scan`,
      `${(floodStart - 0.5).toFixed(3)}\t${(floodEnd + 0.5).toFixed(3)}\t${lab.addr('mallory')}\thping3-syn-flood`,
    ].join('\n'),
  );
  const test = await flowsFromPcap(evalPcap);
  const result = evaluate(model, test.records, labels);
  writeFileSync(join(dir, 'eval.json'), JSON.stringify(result));
  t.comment(formatEval(result));
  // which benign flows alerted, for whoever reads a failure
  const events = scoreRecords(model, test.records);
  test.records.forEach((r, i) => {
    if (events[i]!.alert && labelOf(r, labels) === null) {
      t.comment(`benign alert: ${r.protoName} ${r.srcIp}:${r.srcPort} → ${r.dstIp}:${r.dstPort} ${r.connState} ${r.history} pkts ${r.pktsToServer}/${r.pktsToClient} score ${events[i]!.score.toFixed(4)}`);
    }
  });
  const scanFlows = result.labels.find((l) => l.label === 'nmap-syn-scan')!;
  const floodFlows = result.labels.find((l) => l.label === 'hping3-syn-flood')!;
  t.ok(scanFlows.flows >= 500, `${scanFlows.flows} scan flows (1000 ports probed)`);
  t.ok(floodFlows.flows >= 1000, `${floodFlows.flows} flood flows (2000 SYNs, source port changing)`);
  t.ok(result.negatives >= 100, `${result.negatives} benign flows in the evaluation capture`);
  const auc = result.metrics.ensemble.rocAuc!;
  t.ok(auc >= 0.95, `ensemble ROC AUC ${auc.toFixed(4)} ≥ 0.95`);
  t.ok(result.metrics.ensemble.tprAtFpr1pct! >= 0.9, `ensemble TPR at FPR 1 %: ${result.metrics.ensemble.tprAtFpr1pct}`);
  // Detection at the model's own threshold is reported, not asserted: with ~600 training flows the threshold
  // comes from the tail fitted to ~120 calibration flows (models.alertBudgetPerDay), past the most unusual
  // benign one — an IGMP or MLD report, or a connection cut by the capture's start or end. The empirical
  // quantile used to sit at that one flow, so a few more benign flows of the same kind in the evaluation
  // capture alerted (8 of 128 once); the fitted tail does not rest on a single flow.
  t.comment(`at the threshold: scan ${scanFlows.detected}/${scanFlows.flows} (first after ${scanFlows.timeToDetectionS} s), flood ${floodFlows.detected}/${floodFlows.flows}`);
  t.ok(result.falseAlerts <= Math.max(3, 0.05 * result.negatives), `${result.falseAlerts} of ${result.negatives} benign flows alerted`);
});

const IOT_TRAIN = ['iot-blink-cam-02.pcap', 'iot-blink-cam-03.pcap', 'iot-lockly-hub-01.pcap', 'iot-schlage-lock-01.pcap', 'iot-sifely-hub-01.pcap', 'iot-ultraloq-hub-01.pcap'];
const HOME = 'madea-smarthome-11h.pcap';
const HELD_OUT = 'iot-blink-cam-01.pcap';
const FOREIGN = ['kitsune-iot-camera-lan.pcap', 'laptop-browsing.pcap', 'web-page-load.pcapng'];
const sharedSkip = [...IOT_TRAIN, HOME, HELD_OUT].some((f) => sharedPcap(`benign/${f}`) === null) ? SHARED_PCAPS_SKIP : false;

t.test('public captures: trained on real home/IoT traffic, scored on real attack captures', { skip: sharedSkip, timeout: 300_000 }, async (t) => {
  // Learn the smart home's first 75 % (by flow start) and the IoT devices; the home's last 25 % and a held-out
  // camera of a trained model are the benign flows the attacks are ranked against.
  const home = (await flowsFromPcap(sharedPcap(`benign/${HOME}`)!)).records.sort((a, b) => a.startUs - b.startUs);
  const cut = home[Math.floor(home.length * 0.75)]!.startUs;
  const train: FlowRecord[] = home.filter((r) => r.startUs < cut);
  for (const f of IOT_TRAIN) train.push(...(await flowsFromPcap(sharedPcap(`benign/${f}`)!)).records);
  const benign = [...home.filter((r) => r.startUs >= cut), ...(await flowsFromPcap(sharedPcap(`benign/${HELD_OUT}`)!)).records];
  const model = await trainModel(train, { name: 'public' });
  t.teardown(() => model.dispose());
  const benignEvents = scoreRecords(model, benign);
  const benignScores = benignEvents.map((e) => e.score);
  t.comment(`benign held out: ${benign.length} flows, ${benignEvents.filter((e) => e.alert).length} alerted`);
  for (const f of FOREIGN) {
    const p = sharedPcap(`benign/${f}`);
    if (p === null) continue;
    const ev = scoreRecords(model, (await flowsFromPcap(p)).records);
    t.comment(`benign from other networks, ${f}: ${ev.length} flows, ${ev.filter((e) => e.alert).length} alerted`);
  }
  // Attacks whose single flows are unlike anything these homes produce must separate. Others are reported
  // only: a lone unanswered SYN (syn-scan, the spoofed SYN flood, Mirai's probes), a closed-port UDP probe or
  // a TLS beacon looks much like ordinary traffic one flow at a time, and per-host aggregates (the scan,
  // flood and beacon detectors) are what tell them apart.
  const mustSeparate = ['nmap-tcp-syn-scan.pcap', 'nmap-xmas-tree-scan.pcap', 'ssh-bruteforce-hydra-4-tasks.pcapng', 'ftp-bruteforce.pcap'];
  const reported = ['syn-scan.pcapng', 'syn-flood-ecn.pcap', 'nmap-udp-scan.pcap', 'mirai-style-telnet-scan.pcap', 'dns-tunnel-iodine.pcap', 'https-c2-beacon.pcap', 'cryptowall-http-c2.pcapng'];
  for (const f of [...mustSeparate, ...reported]) {
    const p = sharedPcap(`attack/${f}`);
    if (p === null) continue;
    const ev = scoreRecords(model, (await flowsFromPcap(p)).records);
    const auc = rocAuc([...benignScores, ...ev.map((e) => e.score)], [...benignScores.map(() => false), ...ev.map(() => true)]);
    const line = `attack ${f}: ${ev.length} flows, ${ev.filter((e) => e.alert).length} alerted, ROC AUC vs held-out benign ${auc?.toFixed(4)}`;
    if (mustSeparate.includes(f)) t.ok(auc !== null && auc >= 0.95, line);
    else t.comment(line);
  }
});
