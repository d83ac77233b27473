/**
 * The training inputs of the bundled model (models/default), in one place: `npm run model:default` trains on
 * them and bench/models-loo.ts leaves each network out in turn. models/README.md describes them.
 *
 * Each network is one capture or a family of captures of the same kind (the seven single-device IoT captures
 * are one family each device: they are separate homes). Paths are relative to the shared folder
 * (../shared, or $ARGUS_SHARED_DIR) or, for the demo, to the repository.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../src/assets.js';

export interface TrainingNetwork {
  /** short name, as printed in the leave-one-network-out table */
  name: string;
  /** capture files, relative to the shared pcaps folder; the demo's is relative to the repository */
  files: string[];
  /** true for the generated demo network (scripts/make-demo-pcap.ts --benign-hours) */
  generated?: boolean;
  what: string;
}

/** Hours of the demo network's normal life the bundled model learns from. */
export const DEMO_BENIGN_HOURS = 6;
/** The generated capture of those hours (built by `npm run model:default`). */
export const DEMO_BENIGN_PCAP = 'var/learn.pcap';
/** Flows kept of each capture file (seeded subsample), so the 11-hour home does not outweigh the rest. */
export const MAX_FLOWS_PER_PCAP = 800;

export const TRAINING_NETWORKS: readonly TrainingNetwork[] = [
  { name: 'madea-home', files: ['benign/madea-smarthome-11h.pcap'], what: 'a real smart home, ~15 IoT devices, 11 h' },
  { name: 'blink-cam-01', files: ['benign/iot-blink-cam-01.pcap'], what: 'one Blink camera, ~7 days' },
  { name: 'blink-cam-02', files: ['benign/iot-blink-cam-02.pcap'], what: 'one Blink camera, ~7 days' },
  { name: 'blink-cam-03', files: ['benign/iot-blink-cam-03.pcap'], what: 'one Blink camera, ~7 days' },
  { name: 'lockly-hub', files: ['benign/iot-lockly-hub-01.pcap'], what: 'a Lockly smart-lock hub' },
  { name: 'schlage-lock', files: ['benign/iot-schlage-lock-01.pcap'], what: 'a Schlage smart lock' },
  { name: 'sifely-hub', files: ['benign/iot-sifely-hub-01.pcap'], what: 'a Sifely smart-lock hub' },
  { name: 'ultraloq-hub', files: ['benign/iot-ultraloq-hub-01.pcap'], what: 'an Ultraloq smart-lock hub' },
  { name: 'kitsune-cam-lan', files: ['benign/kitsune-iot-camera-lan.pcap'], what: 'an IoT camera LAN, 62 IPs, 26 s' },
  { name: 'laptop', files: ['benign/laptop-browsing.pcap'], what: 'one laptop browsing over TLS, 88 s' },
  { name: 'web-page-load', files: ['benign/web-page-load.pcapng'], what: 'one web page load, 2 s' },
  { name: 'demo-home', files: [DEMO_BENIGN_PCAP], generated: true, what: `the generated demo network, ${DEMO_BENIGN_HOURS} h of normal life` },
];

/** The shared pcaps folder (../shared/pcaps beside the repository, or $ARGUS_SHARED_DIR/pcaps). */
export function sharedPcapsDir(): string {
  const shared = process.env.ARGUS_SHARED_DIR ? resolve(process.env.ARGUS_SHARED_DIR) : resolve(projectRoot(), '..', 'shared');
  return join(shared, 'pcaps');
}

/** Absolute paths of a network's files. */
export function networkFiles(n: TrainingNetwork): string[] {
  return n.files.map((f) => (n.generated ? resolve(projectRoot(), f) : join(sharedPcapsDir(), f)));
}

/** The networks whose files are all present; a line per missing file in `missing`. */
export function presentNetworks(missing: string[] = []): TrainingNetwork[] {
  return TRAINING_NETWORKS.filter((n) => {
    const absent = networkFiles(n).filter((f) => !existsSync(f));
    missing.push(...absent);
    return absent.length === 0;
  });
}
