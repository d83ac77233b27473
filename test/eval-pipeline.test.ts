/**
 * `argus-edge eval` on captures written with the project's packet builders and pcap writer, and on a shared
 * attack capture: the whole pipeline (detectors, models, incidents) is replayed and measured against labels.
 *
 * The generated capture (30 min of packet time): twenty hosts ask the resolver 10.99.0.1 a DNS question every
 * half second; at +100 s 10.99.0.66 SYN-scans 200 ports of 10.99.0.1 (each answered by a RST); from +300 s
 * 10.99.0.77, labelled as an attacker, only asks DNS questions like everybody else (nothing can see it); at
 * +900 s the unlabelled 10.99.0.88 SYN-scans 10.99.0.2 (a false alert by the labels' account).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../src/assets.js';
import { dnsQuery, dnsResponse, tcpFrame, udpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { loadConfig } from '../src/config.js';
import { evaluatePipeline, evaluatePipelineFiles, formatReport } from '../src/eval/index.js';
import { flowsFromPcap } from '../src/models/flows-from-pcap.js';
import { createLogger } from '../src/log.js';
import { sharedPcap, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';

const root = projectRoot();
const dir = mkdtempSync(join(tmpdir(), 'argus-eval-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('warn');

const S = 1_000_000;
const T0 = 1_700_000_000 * S;
const LAST_US = T0 + 1800 * S - 500_000 + 3000;
const mac = (ip: string): string => `02:00:00:00:00:${Number(ip.split('.')[3]).toString(16).padStart(2, '0')}`;

function exchange(w: PcapWriter, ts: number, host: string, id: number): void {
  const name = `host${id % 50}.example.net`;
  const sport = 20000 + (id % 40000);
  w.add(ts, udpFrame({ srcMac: mac(host), dstMac: mac('10.99.0.1'), src: host, dst: '10.99.0.1', sport, dport: 53, payload: dnsQuery({ id: id & 0xffff, name }) }));
  w.add(ts + 3000, udpFrame({ srcMac: mac('10.99.0.1'), dstMac: mac(host), src: '10.99.0.1', dst: host, sport: 53, dport: sport, payload: dnsResponse({ id: id & 0xffff, name, answers: [{ name, type: 'A', data: '192.0.2.10' }] }) }));
}

/** `from` probes ports 1–200 of `to`, one every 10 ms from `t0`; each probe is answered by a RST. */
function synScan(w: PcapWriter, t0: number, from: string, to: string): void {
  for (let p = 1; p <= 200; p++) {
    const ts = t0 + (p - 1) * 10_000;
    w.add(ts, tcpFrame({ srcMac: mac(from), dstMac: mac(to), src: from, dst: to, sport: 40000, dport: p, flags: 'S', seq: 1000 }));
    w.add(ts + 200, tcpFrame({ srcMac: mac(to), dstMac: mac(from), src: to, dst: from, sport: p, dport: 40000, flags: 'RA', seq: 0, ack: 1001 }));
  }
}

function writeCapture(path: string): void {
  const w = new PcapWriter({ path });
  const scans: [number, string, string][] = [
    [T0 + 100 * S, '10.99.0.66', '10.99.0.1'],
    [T0 + 900 * S, '10.99.0.88', '10.99.0.2'],
  ];
  let id = 0;
  for (let ts = T0; ts < T0 + 1800 * S; ts += 500_000) {
    while (scans.length > 0 && scans[0]![0] <= ts) {
      const [at, from, to] = scans.shift()!;
      synScan(w, at, from, to);
    }
    exchange(w, ts, `10.99.0.${2 + (id % 20)}`, id);
    id++;
    // the labelled host that does nothing unusual
    if (ts >= T0 + 300 * S && ts < T0 + 400 * S && id % 4 === 0) exchange(w, ts + 100_000, '10.99.0.77', id + 100_000);
  }
  w.close();
}

const pcap = join(dir, 'lab.pcap');
writeCapture(pcap);
const labelsPath = join(dir, 'labels.tsv');
const LABELS = [
  'start_epoch_s\tend_epoch_s\tip\tlabel',
  `${(T0 + 98 * S) / S}\t${(T0 + 110 * S) / S}\t10.99.0.66\tsyn-scan`,
  `${(T0 + 98 * S) / S}\t${(T0 + 110 * S) / S}\t10.99.0.1\tvictim:syn-scan`,
  `${(T0 + 300 * S) / S}\t${(T0 + 400 * S) / S}\t10.99.0.77\tquiet-attacker`,
  '',
].join('\n');
writeFileSync(labelsPath, LABELS);

t.test('detectors and incidents only: a detected window with its delay, a missed one, false alerts per hour', async (t) => {
  const cfg = loadConfig({ flags: { 'models.enabled': 'false' } });
  const r = await evaluatePipeline(cfg, log, [pcap], { labels: LABELS });
  t.comment(formatReport(r));
  t.equal(r.model, null);
  t.equal(r.metrics, null);
  t.equal(r.hours, (LAST_US - T0) / 3.6e9, 'first to last packet');
  t.same(r.alertsByKind, { 'scan.port.vertical': 2 }, 'one alert per scan (the rest is suppressed)');
  t.equal(r.alerts, 2);
  t.equal(r.incidents, 2);

  const [scan, victim, quiet] = r.labels;
  t.equal(scan!.detected, true);
  t.equal(scan!.firstKind, 'scan.port.vertical');
  // the 30th rejected port (detectors.portScan.verticalMinPorts) is probed 2.29 s into the window; its flow
  // is exported after flow.timeouts.tcpClosed (5 s), at the next sweep (1 s) or flush (1 s)
  t.ok(scan!.delayS! >= 2.29 + 5 && scan!.delayS! <= 2.29 + 5 + 2, `delay ${scan!.delayS} s`);
  t.equal(scan!.detectorDelayS, scan!.delayS);
  t.equal(scan!.incidentDelayS, scan!.delayS, 'the incident opens with the alert');
  t.equal(scan!.alerts, 1);
  t.equal(scan!.incidents, 1);
  t.equal(scan!.flows, 200, 'every probe overlaps the window');
  t.equal(victim!.role, 'victim');
  t.equal(victim!.detected, true, 'the victim is a target of the same alert');
  t.equal(victim!.delayS, scan!.delayS);
  t.equal(quiet!.role, 'source');
  t.equal(quiet!.detected, false, 'nothing named the quiet host');
  t.equal(quiet!.delayS, null);
  t.equal(quiet!.alerts, 0);
  t.ok(quiet!.flows >= 50, `${quiet!.flows} flows of the quiet host in its window`);

  t.equal(r.falseAlerts, 1, "10.99.0.88's scan names no labelled host");
  t.equal(r.falseIncidents, 1);
  t.equal(r.falseAlertsPerHour, 1 / r.hours);
  t.equal(r.falseIncidentsPerHour, 1 / r.hours);
  t.same(r.falseByHost, [{ host: '10.99.0.88', alerts: 1, alertKinds: { 'scan.port.vertical': 1 }, incidents: 1, incidentKinds: { 'scan.port.vertical': 1 } }]);

  // no grace after the window: the scan is still inside it, so nothing changes; a window that ends before the
  // alert's evidence does lose it
  const early = LABELS.replace(`${(T0 + 110 * S) / S}\t10.99.0.66`, `${(T0 + 100.1 * S) / S}\t10.99.0.66`);
  const g0 = await evaluatePipeline(cfg, log, [pcap], { labels: early, graceS: 0 });
  t.equal(g0.labels[0]!.detected, false, 'the 30th probe came after the window, no grace');
  t.equal(g0.falseAlerts, 1, 'the victim window still explains the alert');
  const g60 = await evaluatePipeline(cfg, log, [pcap], { labels: early });
  t.equal(g60.labels[0]!.detected, true, 'within the default 60 s grace');
});

t.test('the whole pipeline with the bundled model, through the CLI: stable JSON keys, deterministic', async (t) => {
  const cli = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'eval', '--pcap', pcap, '--labels', labelsPath, '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  t.equal(cli.status, 0, cli.stderr);
  const r = JSON.parse(cli.stdout);
  t.match(r, {
    model: { id: String, threshold: Number },
    flows: Number,
    positives: Number,
    negatives: Number,
    metrics: { ensemble: { rocAuc: Number, tprAtFpr1pct: Number, tprAtFpr01pct: Number }, autoencoder: { rocAuc: Number }, 'isolation-forest': { rocAuc: Number } },
    alerts: Number,
    incidents: Number,
    falseAlerts: Number,
    falseAlertsPerHour: Number,
    falseIncidentsPerHour: Number,
    hours: Number,
  });
  t.equal(r.labels.length, 3);
  for (const l of r.labels) {
    t.type(l.detected, 'boolean');
    t.ok(l.delayS === null || typeof l.delayS === 'number', 'delayS is a number or null');
  }
  t.equal(r.labels[0].detected, true);
  t.ok(r.labels[0].delayS <= 2.29 + 5 + 2, `the scan is found at least as fast as by the detector alone (${r.labels[0].delayS} s)`);
  t.ok(r.alertsByKind['scan.port.vertical'] === 2, 'the detectors raise the same alerts with the models on');
  t.equal(r.alerts, Object.values(r.alertsByKind as Record<string, number>).reduce((a, b) => a + b, 0));
  t.equal(r.falseAlertsPerHour, r.falseAlerts / r.hours);
  t.ok(r.metrics.ensemble.rocAuc >= 0 && r.metrics.ensemble.rocAuc <= 1);
  t.ok(r.positives >= 250, `${r.positives} labelled flows (the probes and the quiet host's questions)`);

  const cfg = loadConfig({});
  const again = await evaluatePipelineFiles(cfg, log, [pcap], labelsPath);
  t.same(again, r, 'the library call gives the same report as the CLI: the replay is deterministic');
  const text = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'eval', '--pcap', pcap, '--labels', labelsPath], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /syn-scan\s+10\.99\.0\.66\s+12\.0\s+yes/);
  t.match(text.stdout, /quiet-attacker\s+10\.99\.0\.77\s+100\.0\s+(MISSED|yes)/);
  t.match(text.stdout, /false\s+[\d,]+ alerts \([\d.]+\/h\)/);
  t.match(spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'eval', '--pcap', pcap, '--labels', labelsPath, '--grace=-1'], { encoding: 'utf8' }).stderr, /--grace must be/);
});

t.test('the demo capture (scripts/make-demo-pcap.ts): the camera\'s scan and sweep windows, the plug beside them', async (t) => {
  // the generator's timeline: start 2026-01-15T10:00:00Z; the camera (192.168.1.30) SYN-scans the NAS from
  // +240 s (1,024 ports, 2 ms apart) and ARP/telnet-sweeps the LAN from +300 s (253 addresses, 10 ms apart)
  const start = Date.UTC(2026, 0, 15, 10, 0, 0) / 1000;
  const labels = [`${start + 239}\t${start + 243}\t192.168.1.30\tcamera-syn-scan`, `${start + 299}\t${start + 303}\t192.168.1.30\tcamera-telnet-sweep`, `${start + 239}\t${start + 243}\t192.168.1.50\tvictim:camera-syn-scan`, ''].join('\n');
  const r = await evaluatePipeline(loadConfig({ flags: { 'models.enabled': 'false' } }), log, [join(root, 'demo/demo.pcap')], { labels });
  t.comment(formatReport(r));
  const [scan, sweep, nas] = r.labels;
  t.equal(scan!.detected, true);
  t.equal(scan!.firstKind, 'scan.port.vertical');
  // the 30th closed port is probed 1 + 0.058 s into the window; rejected probes are exported 5 s later
  t.ok(scan!.delayS! >= 1.058 + 5 && scan!.delayS! <= 1.058 + 5 + 2, `scan found after ${scan!.delayS} s`);
  t.equal(nas!.detected, true, 'the NAS is the target');
  t.equal(sweep!.detected, true, `the sweep: ${JSON.stringify(sweep!.alertKinds)}`);
  t.ok(sweep!.detectorDelayS! < 30, `sweep found after ${sweep!.detectorDelayS} s`);
  // the plug's heartbeat to 203.0.113.66 every 30 s is a beacon nobody labelled: a false alert by the labels
  t.same(r.falseByHost.map((h) => [h.host, h.alertKinds]), [['192.168.1.60', { 'c2.beacon': 1 }]]);
  t.equal(r.falseAlertsPerHour, 1 / r.hours);
  t.ok(Math.abs(r.hours - (r.files[0]!.lastEpochS - r.files[0]!.firstEpochS) / 3600) < 1e-9, 'hours: first to last packet');
});

const SHARED = 'attack/nmap-tcp-syn-scan.pcap';
t.test('a shared attack capture: the scanner is detected as soon as the detector can see it', { skip: sharedPcap(SHARED) === null ? SHARED_PCAPS_SKIP : false }, async (t) => {
  const file = sharedPcap(SHARED)!;
  // the label comes from the flows, not from the detectors: the source that probed the most ports, over the file
  const { records } = await flowsFromPcap(file);
  const ports = new Map<string, Set<number>>();
  for (const r of records) (ports.get(r.srcIp) ?? ports.set(r.srcIp, new Set()).get(r.srcIp)!).add(r.dstPort);
  const [scanner, probed] = [...ports.entries()].sort((a, b) => b[1].size - a[1].size)[0]!;
  t.ok(probed.size >= 500, `${scanner} probed ${probed.size} ports`);
  const start = Math.min(...records.map((r) => r.startUs)) / S;
  const end = Math.max(...records.map((r) => r.endUs)) / S;
  const labels = `${start}\t${end}\t${scanner}\tnmap-syn-scan\n`;
  const r = await evaluatePipeline(loadConfig({}), log, [file], { labels });
  t.comment(formatReport(r));
  const w = r.labels[0]!;
  t.equal(w.detected, true);
  t.ok(w.alertKinds['scan.port.vertical']! >= 1, 'scan.port.vertical names the scanner');
  t.ok(w.detectorDelayS! < 60, `first detector alert after ${w.detectorDelayS} s`);
  t.ok(w.incidents >= 1);
  t.equal(r.falseIncidents + w.incidents <= r.incidents, true);
});
