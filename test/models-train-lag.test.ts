/**
 * A live appliance keeps capturing while it trains: a capture replayed in real time (decode → flow table →
 * scoring) runs while trainInWorker trains a model in a worker thread, and the main thread's event-loop
 * delay, measured with perf_hooks.monitorEventLoopDelay, stays under 100 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import t from 'tap';
import { udpFrame, tcpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { replayFile } from '../src/capture/replay.js';
import { decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { Packet } from '../src/decode/packet.js';
import { DEFAULT_FLOW_CONFIG, FlowTable } from '../src/flow/flow-table.js';
import { FlowScorer } from '../src/models/scorer.js';
import { trainModel } from '../src/models/train.js';
import { trainInWorker } from '../src/models/train-in-worker.js';
import { syntheticBenign } from './support/flow-records.js';

const REPLAY_S = 8;
const PPS = 500;

t.test('event-loop lag while training in a worker stays under 100 ms', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-lag-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // REPLAY_S seconds of DNS-like UDP exchanges and short TCP connections, PPS packets per second
  const pcap = join(dir, 'live.pcap');
  const w = new PcapWriter({ path: pcap });
  const t0 = 1_700_000_000_000_000;
  for (let i = 0; i < REPLAY_S * PPS; i++) {
    const ts = t0 + Math.round((i * 1e6) / PPS);
    const host = `10.99.0.${10 + (i % 40)}`;
    if (i % 5 < 3) {
      const q = i % 5 === 0;
      w.add(ts, udpFrame({ src: q ? host : '10.99.0.1', dst: q ? '10.99.0.1' : host, sport: q ? 30000 + (i % 997) : 53, dport: q ? 53 : 30000 + ((i - 1) % 997), payload: 'x'.repeat(40) }));
    } else {
      w.add(ts, tcpFrame({ src: host, dst: '10.99.0.2', sport: 40000 + (i % 1009), dport: 443, flags: i % 5 === 3 ? 'S' : 'A', seq: 1, ack: 0 }));
    }
  }
  w.close();

  // the model in use while the new one trains
  const current = await trainModel(syntheticBenign(2000, 3), { name: 'current', config: { autoencoder: { maxEpochs: 3 } } });
  t.teardown(() => current.dispose());
  let scored = 0;
  const scorer = new FlowScorer(current, () => void scored++, { batchSize: 256, maxDelayUs: 500_000 });
  const table = new FlowTable(DEFAULT_FLOW_CONFIG, (rec) => scorer.add(rec));
  const stats = new DecodeStats();

  const h = monitorEventLoopDelay({ resolution: 10 });
  let trainingDone = false;
  let trainingEndMs = 0;
  const training = trainInWorker(syntheticBenign(60_000, 4), {
    outDir: join(dir, 'model'),
    name: 'next',
    config: { autoencoder: { maxEpochs: 12, patience: 100 } },
  }).then((meta) => {
    trainingDone = true;
    trainingEndMs = performance.now();
    h.disable();
    return meta;
  });

  h.enable();
  const replayStart = performance.now();
  const summary = await replayFile(
    pcap,
    new Packet(),
    (p) => {
      p.reset();
      if (decodePacket(p, stats)) table.add(p);
    },
    { realtime: true },
  );
  const replayEnd = performance.now();
  h.disable();
  table.flush('shutdown');
  scorer.flush();
  const meta = await training;

  const overlapS = ((trainingDone ? Math.min(trainingEndMs, replayEnd) : replayEnd) - replayStart) / 1000;
  t.equal(summary.packets, REPLAY_S * PPS, 'every packet replayed');
  t.ok(replayEnd - replayStart >= (REPLAY_S - 1) * 1000, `replay paced in real time (${((replayEnd - replayStart) / 1000).toFixed(1)} s)`);
  t.ok(scored > 0, `${scored} flows scored by the current model`);
  t.equal(meta.name, 'next');
  t.ok(overlapS >= 4, `training ran during ${overlapS.toFixed(1)} s of the replay`);
  const maxMs = h.max / 1e6;
  const p99Ms = h.percentile(99) / 1e6;
  t.comment(`event-loop delay while training: mean ${(h.mean / 1e6).toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms, max ${maxMs.toFixed(1)} ms`);
  t.ok(maxMs < 100, `max event-loop delay ${maxMs.toFixed(1)} ms < 100 ms`);
});
