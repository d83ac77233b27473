/**
 * /metrics while flows are scored: replaying the bundled demo capture through the pipeline with the bundled
 * model scores thousands of flows, and argus_scoring_latency_seconds counts every scored batch.
 */
import t from 'tap';
import { assetPath } from '../src/assets.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { metricsText } from '../src/store/metrics.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('scoring latency is observed once per scored batch', { timeout: 120_000 }, async (t) => {
  const config = loadConfig({ flags: { mode: 'replay', 'models.learn': 'false', 'eve.path': '' } });
  const p = new Pipeline(config, createLogger('warn'), { store: false });
  t.ok(await p.loadModel(), 'the bundled model loads');
  const r = await replayFile(assetPath('demo/demo.pcap'), p.pkt, p.handlePacket, { onIdle: () => p.flushOutputs() });
  t.equal(r.error ?? null, null);
  await p.shutdown();
  const scored = p.scorer!.scored;
  t.ok(scored > 1000, `${scored} flows scored`);
  const text = await metricsText();
  const count = sample(text, 'argus_scoring_latency_seconds_count')!;
  const sum = sample(text, 'argus_scoring_latency_seconds_sum')!;
  t.ok(count >= Math.ceil(scored / p.scorer!.batchSize), `${count} batches observed for ${scored} flows`);
  t.ok(count <= scored, 'at most one observation per flow');
  t.ok(sum > 0 && sum / count < 1, `mean batch time ${((sum / count) * 1000).toFixed(2)} ms`);
});
