/**
 * Decoder events as Suricata's `anomaly` lines (type decode, the decoder.* event name, the addresses when the
 * IP header was read), bounded per second of packet time, and model scores as `argus_anomaly`, never `anomaly`.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { udpFrame } from '../capture/packet-builder.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { replayFile } from '../capture/replay.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { DECODE_ANOMALY_LINES_PER_SECOND } from './eve-output.js';
import { argusAnomalyEvent } from './eve-alert.js';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;

t.test('decoder events become anomaly lines, at most DECODE_ANOMALY_LINES_PER_SECOND a second', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-eve-anomaly-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'short-dns.pcap');
  const w = new PcapWriter({ path: pcap });
  // a 5-byte "DNS message" is shorter than a DNS header: decoder.dns.pkt_too_small
  const short = (i: number) => udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40000 + i, dport: 53, payload: Buffer.from('short') });
  for (let i = 0; i < 300; i++) w.add(T0 + i * 1000, short(i));
  for (let i = 0; i < 5; i++) w.add(T0 + 2 * S + i * 1000, short(1000 + i));
  w.close();
  const out = join(dir, 'eve.json');
  const p = new Pipeline(loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.enabled': 'false' } }), createLogger('error'));
  const eve = p.eve!;
  await replayFile(pcap, p.pkt, p.handlePacket);
  await p.shutdown();
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const anomalies = lines.filter((l) => l.event_type === 'anomaly');
  t.equal(anomalies.length, DECODE_ANOMALY_LINES_PER_SECOND + 5, 'the first second is capped, the next one is not');
  t.equal(eve.decodeLinesSuppressed, 300 - DECODE_ANOMALY_LINES_PER_SECOND);
  t.equal(p.decodeStats.count('decoder.dns.pkt_too_small'), 305, 'every event is still counted');
  t.same(anomalies[0], { timestamp: '2026-01-15T10:00:00.000000+0000', event_type: 'anomaly', src_ip: '10.99.0.2', dest_ip: '10.99.0.1', proto: 'UDP', anomaly: { type: 'decode', event: 'decoder.dns.pkt_too_small' } });
});

t.test("model scores are argus_anomaly lines with the scores under argus", async (t) => {
  const ev = argusAnomalyEvent({ tsUs: T0, flowId: 7, communityId: '1:x=', srcIp: '10.99.0.2', dstIp: '10.99.0.1', dstPort: 53, proto: 'UDP', score: 0.99, threshold: 0.9, alert: true, modelId: 'm@1', models: [{ name: 'autoencoder', raw: 2, calibrated: 0.99 }] });
  t.equal(ev.event_type, 'argus_anomaly');
  t.notOk('anomaly' in ev, "no Suricata anomaly object");
  t.match(ev, { flow_id: 7, community_id: '1:x=', argus: { score: 0.99, threshold: 0.9, model: 'm@1' } });
});
