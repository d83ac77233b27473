/**
 * Builds every detector from the thresholds and subscribes them to the bus: flow records, DNS queries and
 * ARP packets in; `alert` events out on the same bus. Dispatch is synchronous, so a replay raises the same
 * alerts in the same order every time.
 */
import type { Alert } from './alert.js';
import { ArpScanDetector } from './arp-scan.js';
import { ArpSpoofDetector } from './arp-spoof.js';
import { BeaconDetector } from './beacon.js';
import { BruteForceDetector } from './brute-force.js';
import { resolveDetectorConfig, type DetectorConfig, type DetectorConfigInput } from './config.js';
import type { DetectorBase, DetectorStats } from './detector.js';
import { DeviceFloodDetector } from './device-flood.js';
import { DnsTunnelDetector } from './dns-tunnel.js';
import { LanSweepDetector } from './lan-sweep.js';
import { PortScanDetector } from './port-scan.js';
import { ServiceScanDetector } from './service-scan.js';
import { SynFloodDetector } from './syn-flood.js';
import { UploadDetector } from './upload.js';
import type { Bus } from '../bus.js';

export { DEFAULT_DETECTOR_CONFIG, resolveDetectorConfig, type DetectorConfig, type DetectorConfigInput } from './config.js';
export type { DetectorStats } from './detector.js';

export interface DetectorSet {
  readonly config: DetectorConfig;
  readonly portScan: PortScanDetector;
  readonly lanSweep: LanSweepDetector;
  readonly serviceScan: ServiceScanDetector;
  readonly bruteForce: BruteForceDetector;
  readonly synFlood: SynFloodDetector;
  readonly dnsTunnel: DnsTunnelDetector;
  readonly beacon: BeaconDetector;
  readonly upload: UploadDetector;
  readonly arpScan: ArpScanDetector;
  readonly arpSpoof: ArpSpoofDetector;
  /** the new-device gate of the inventory (flood.devices); counts even when the detectors are off */
  readonly deviceFlood: DeviceFloodDetector;
  /** counters per detector, in a fixed order */
  stats(): DetectorStats[];
  /** alerts raised so far, by kind */
  alertsByKind(): Record<string, number>;
  /** unsubscribe everything from the bus */
  detach(): void;
}

/**
 * Build the detectors from `input` (merged over DEFAULT_DETECTOR_CONFIG) and subscribe them to `bus`.
 * With `enabled: false` nothing is subscribed and the set stays idle. Throws on invalid thresholds.
 */
export function attachDetectors(bus: Bus, input: DetectorConfigInput = {}): DetectorSet {
  const config = resolveDetectorConfig(input);
  const byKind: Record<string, number> = {};
  const emit = (a: Alert): void => {
    byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    bus.emit('alert', a);
  };
  const portScan = new PortScanDetector(config, emit);
  const lanSweep = new LanSweepDetector(config, emit);
  const serviceScan = new ServiceScanDetector(config, emit);
  const bruteForce = new BruteForceDetector(config, emit);
  const synFlood = new SynFloodDetector(config, emit);
  const dnsTunnel = new DnsTunnelDetector(config, emit);
  const beacon = new BeaconDetector(config, emit);
  const upload = new UploadDetector(config, emit);
  const arpScan = new ArpScanDetector(config, emit);
  const arpSpoof = new ArpSpoofDetector(config, emit);
  // driven by the device inventory (its NewDeviceGate), not by the bus
  const deviceFlood = new DeviceFloodDetector(config, emit, config.enabled);
  const all: DetectorBase[] = [portScan, lanSweep, serviceScan, bruteForce, synFlood, dnsTunnel, beacon, upload, arpScan, arpSpoof, deviceFlood];

  const off: (() => void)[] = [];
  if (config.enabled) {
    off.push(
      bus.on('flow.end', (r) => {
        portScan.onFlow(r);
        lanSweep.onFlow(r);
        serviceScan.onFlow(r);
        bruteForce.onFlow(r);
        synFlood.onFlow(r);
        beacon.onFlow(r);
        upload.onFlow(r);
        arpSpoof.onFlow(r);
      }),
      bus.on('dns', (e) => dnsTunnel.onDns(e)),
      bus.on('arp', (e) => {
        arpScan.onArp(e);
        arpSpoof.onArp(e);
      }),
    );
  }
  return {
    config,
    portScan,
    lanSweep,
    serviceScan,
    bruteForce,
    synFlood,
    dnsTunnel,
    beacon,
    upload,
    arpScan,
    arpSpoof,
    deviceFlood,
    stats: () => all.map((d) => d.stats()),
    alertsByKind: () => ({ ...byKind }),
    detach: () => {
      for (const f of off.splice(0)) f();
    },
  };
}
