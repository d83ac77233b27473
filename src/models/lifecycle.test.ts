import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { tcpFrame, udpFrame } from '../capture/packet-builder.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { Prng } from './prng.js';
import { loadConfig } from '../config.js';
import { evaluatePipelineFiles } from '../eval/index.js';
import { createLogger } from '../log.js';
import { captureFiles, flowsFromPcaps, formatTrainSummary, trainFromPcaps } from './lifecycle.js';

const T0 = 1_700_000_000_000_000;

/** `n` DNS-like UDP exchanges from 10.99.0.2–21 to 10.99.0.1, one every 50 ms */
function benign(w: PcapWriter, n: number, t0: number, rng: Prng): void {
  for (let i = 0; i < n; i++) {
    const ts = t0 + i * 50_000;
    const host = `10.99.0.${2 + (i % 20)}`;
    const sport = 30000 + i;
    w.add(ts, udpFrame({ src: host, dst: '10.99.0.1', sport, dport: 53, payload: 'q'.repeat(30 + rng.int(20)) }));
    w.add(ts + 2000 + rng.int(3000), udpFrame({ src: '10.99.0.1', dst: host, sport: 53, dport: sport, payload: 'a'.repeat(60 + rng.int(80)) }));
  }
}

t.test('train from capture files, then evaluate on another with labels', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-lifecycle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Prng(4);
  const train = new PcapWriter({ path: join(dir, 'train.pcap') });
  benign(train, 300, T0, rng);
  train.close();
  const test = new PcapWriter({ path: join(dir, 'test.pcap') });
  const t1 = T0 + 100e6;
  benign(test, 100, t1, rng);
  // 10.99.0.66 probes 200 TCP ports during [t1 + 10 s, t1 + 11 s]
  for (let p = 1; p <= 200; p++) test.add(t1 + 10e6 + p * 1000, tcpFrame({ src: '10.99.0.66', dst: '10.99.0.1', sport: 44444, dport: p, flags: 'S', seq: 1 }));
  test.close();
  writeFileSync(join(dir, 'labels.tsv'), `start_epoch_s\tend_epoch_s\tip\tlabel\n${(t1 + 10e6) / 1e6}\t${(t1 + 11e6) / 1e6}\t10.99.0.66\tport-scan\n`);

  const lines: string[] = [];
  const meta = await trainFromPcaps([join(dir, 'train.pcap')], join(dir, 'model'), { name: 'unit', config: { autoencoder: { maxEpochs: 10 } }, log: (l) => lines.push(l) });
  t.match(lines[0], /\[1\/1\] .*train\.pcap: 600 packets \(pcap\), 300 flows/);
  t.equal(meta.flowCount, 300);
  t.match(formatTrainSummary(meta, join(dir, 'model')), /model unit@2023-11-14T22:13:34\.\d+Z written to/);

  // the model is scored inside the whole pipeline, as `argus-edge eval --model DIR` does
  const cfg = loadConfig({ flags: { 'models.dir': join(dir, 'model') } });
  const r = await evaluatePipelineFiles(cfg, createLogger('warn'), [join(dir, 'test.pcap')], join(dir, 'labels.tsv'));
  t.equal(r.flows, 300);
  t.equal(r.positives, 200);
  t.equal(r.model!.id, meta.id);
  t.equal(r.labels[0]!.label, 'port-scan');
  t.ok(r.metrics!.ensemble.rocAuc! >= 0.95, `ensemble ROC AUC ${r.metrics!.ensemble.rocAuc}`);
  t.ok(r.labels[0]!.flowsAlerted > 150, `${r.labels[0]!.flowsAlerted} of 200 probes alerted by the models`);
  t.ok(r.labels[0]!.detected, 'the scan window is detected');
  t.same(JSON.parse(JSON.stringify(r)), r, 'the result is plain JSON');
});

t.test('a directory stands for every capture under it; each file can be subsampled; a bad path is named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-lifecycle-dir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Prng(5);
  mkdirSync(join(dir, 'caps', 'sub'), { recursive: true });
  for (const [rel, n] of [['caps/b.pcap', 40], ['caps/sub/a.pcapng', 30], ['caps/a.pcap', 20]] as const) {
    const w = new PcapWriter({ path: join(dir, rel) });
    benign(w, n, T0, rng);
    w.close();
  }
  writeFileSync(join(dir, 'caps', 'notes.txt'), 'not a capture');
  t.same(captureFiles([join(dir, 'caps')]), ['caps/a.pcap', 'caps/b.pcap', 'caps/sub/a.pcapng'].map((p) => join(dir, p)), 'recursive, sorted, captures only');

  const lines: string[] = [];
  const all = await flowsFromPcaps([join(dir, 'caps')], { log: (l) => lines.push(l) });
  t.equal(all.length, 90);
  const some = await flowsFromPcaps([join(dir, 'caps')], { maxFlowsPerPcap: 25, seed: 3, log: (l) => lines.push(l) });
  t.equal(some.length, 20 + 25 + 25, 'at most 25 of each file');
  t.match(lines[4], /\[2\/3\] .*b\.pcap: 80 packets \(pcap\), 40 flows \(25 kept\)/);
  const again = await flowsFromPcaps([join(dir, 'caps')], { maxFlowsPerPcap: 25, seed: 3 });
  t.same(again.map((r) => r.flowId), some.map((r) => r.flowId), 'the subsample is seeded');
  const b = some.slice(20, 45).map((r) => r.startUs);
  t.same(b, [...b].sort((x, y) => x - y), 'kept flows stay in time order');

  t.throws(() => captureFiles([join(dir, 'nope.pcap')]), /capture '.*nope\.pcap' does not exist/);
  mkdirSync(join(dir, 'empty'));
  t.throws(() => captureFiles([join(dir, 'empty')]), /holds no \.pcap or \.pcapng file/);
  if (process.getuid?.() !== 0) {
    chmodSync(join(dir, 'caps', 'a.pcap'), 0o000);
    t.throws(() => captureFiles([join(dir, 'caps')]), /capture '.*a\.pcap' cannot be read: EACCES/);
  }
});
