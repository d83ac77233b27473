/**
 * A spoofed SYN flood against normal traffic: packets/s of the whole pipeline (decode, flows, detectors,
 * incidents, the anomaly model scoring, the SQLite store in a temporary directory) replaying
 *   (a) normal traffic: a real benign capture (ARGUS_BENCH_PCAP, default the shared smart-home capture; a
 *       generated normal mix of HTTP and DNS when it is absent), and
 *   (b) a 1,000,000-source SYN flood (test/support/syn-flood-capture.ts: one SYN per spoofed source, with the
 *       normal mix going on beside it), generated into the temporary directory first.
 * Each part runs in a fresh pipeline, as `argus-edge replay --store` does. Prints packets/s (wall and CPU),
 * what was stored, and the peak RSS. Target: the flood at least as fast as normal traffic, ≥ 500 k packets/s.
 *
 * Run: npx tsx bench/flood.ts [sources = 1000000]
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayFile } from '../src/capture/replay.js';
import { defaultConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { writeSynFloodCapture } from '../test/support/syn-flood-capture.js';

const sources = Number(process.argv[2] ?? 1_000_000);
const NORMAL = process.env.ARGUS_BENCH_PCAP ?? '/work/shared/pcaps/benign/madea-smarthome-11h.pcap';
const dir = mkdtempSync(join(tmpdir(), 'argus-bench-flood-'));
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Figures {
  packets: number;
  wallS: number;
  cpuS: number;
  flowRows: number;
  alertRows: number;
  anomalyRows: number;
  incidents: { kind: string; count: number }[];
  dbMB: number;
}

async function measure(name: string, pcap: string): Promise<Figures> {
  const cfg = defaultConfig();
  const log = createLogger('warn');
  const path = join(dir, `${name}.db`);
  const p = new Pipeline({ ...cfg, mode: 'replay', store: { ...cfg.store, path }, models: { ...cfg.models, learn: false } }, log, { store: true });
  await p.loadModel();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await replayFile(pcap, p.pkt, p.handlePacket, { onIdle: () => p.flushOutputs() });
  p.flows.flush('shutdown');
  p.flushOutputs();
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const store = p.store!;
  store.flush();
  const one = (sql: string): number => (store.db.prepare(sql).get() as { n: number }).n;
  const figures: Figures = {
    packets: p.packets,
    wallS,
    cpuS: (c.user + c.system) / 1e6,
    flowRows: one('SELECT count(*) AS n FROM flows'),
    alertRows: one('SELECT count(*) AS n FROM alerts'),
    anomalyRows: one('SELECT count(*) AS n FROM anomaly_events'),
    incidents: store.db.prepare('SELECT kind, count FROM incidents ORDER BY count DESC LIMIT 5').all() as { kind: string; count: number }[],
    dbMB: 0,
  };
  await p.shutdown();
  figures.dbMB = [path, `${path}-wal`].filter(existsSync).reduce((a, f) => a + statSync(f).size, 0) / 1048576;
  return figures;
}

function line(label: string, f: Figures): void {
  console.log(`${label}: ${int(f.packets)} packets in ${f.wallS.toFixed(2)} s = ${int(f.packets / f.wallS)} packets/s (${int(f.packets / f.cpuS)} per CPU-second)`);
  console.log(
    `  stored: ${int(f.flowRows)} flows, ${int(f.alertRows)} alerts, ${int(f.anomalyRows)} anomaly events, ${f.dbMB.toFixed(1)} MB; ` +
      `incidents: ${f.incidents.map((i) => `${i.kind} ×${int(i.count)}`).join(', ') || 'none'}`,
  );
}

try {
  let normalPcap = NORMAL;
  if (!existsSync(normalPcap)) {
    normalPcap = join(dir, 'normal.pcap');
    writeSynFloodCapture(normalPcap, { sources: 0, quietSeconds: 1000 });
    console.log(`${NORMAL} is not present: normal traffic is a generated HTTP and DNS mix`);
  }
  const floodPcap = join(dir, 'flood.pcap');
  const g0 = performance.now();
  const cap = writeSynFloodCapture(floodPcap, { sources });
  console.log(`flood capture: ${int(cap.floodPackets)} spoofed SYNs to ${cap.target}:${cap.port} + ${int(cap.normalConnections)} normal connections, ${int(cap.packets)} packets, generated in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  console.log(`load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`);
  const normal = await measure('normal', normalPcap);
  line(`normal traffic (${normalPcap.split('/').pop()})`, normal);
  const flood = await measure('flood', floodPcap);
  line(`${int(sources)}-source SYN flood`, flood);
  console.log(`flood / normal: ${(flood.packets / flood.wallS / (normal.packets / normal.wallS)).toFixed(2)}× the packets/s (target ≥ 1×, ≥ 500,000 packets/s)`);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
