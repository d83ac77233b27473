/**
 * The live detector tests record a lab with tcpdump, then replay the recording through a Pipeline with the
 * detectors attached (thresholds scaled to a lab run, handed over as its configuration).
 */
import { replayFile } from '../../src/capture/replay.js';
import { loadConfig } from '../../src/config.js';
import type { Alert } from '../../src/detectors/alert.js';
import { resolveDetectorConfig, type DetectorConfigInput } from '../../src/detectors/config.js';
import { createLogger } from '../../src/log.js';
import { Pipeline } from '../../src/pipeline.js';

/**
 * tcpdump says "listening" before the bridge delivers forwarded frames to it (br0 in promiscuous mode): on a
 * busy machine a sub-second nmap run started at once was seen only in part. Give it a moment.
 */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1000));

/** Replay a recording through a Pipeline with the detectors attached; returns the alerts. */
export async function detect(pcap: string, input: DetectorConfigInput): Promise<Alert[]> {
  const { homeNets, ...detectors } = resolveDetectorConfig(input);
  const config = { ...loadConfig({ flags: { mode: 'replay' } }), homeNets, detectors };
  const pipeline = new Pipeline(config, createLogger('error'));
  const alerts: Alert[] = [];
  pipeline.bus.on('alert', (a) => alerts.push(a));
  await replayFile(pcap, pipeline.pkt, pipeline.handlePacket);
  await pipeline.shutdown();
  return alerts;
}
