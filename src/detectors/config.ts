/**
 * Detector thresholds. `resolveDetectorConfig` fills whatever a caller leaves out from `DEFAULT_DETECTOR_CONFIG`,
 * the defaults of the configuration schema.
 */
import { defaultConfig, type Config } from '../config.js';

/**
 * Thresholds of every detector: the `detectors:` section of the configuration (documented key by key in
 * src/config/detectors-schema.ts and config.yaml) plus the top-level homeNets.
 */
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] extends object ? Mutable<T[K]> : T[K] };
export type DetectorConfig = Mutable<Config['detectors']> & { homeNets: string[] };

const defaults = defaultConfig();
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = structuredClone({ ...defaults.detectors, homeNets: [...defaults.homeNets] }) as DetectorConfig;

type Section = 'portScan' | 'bruteForce' | 'synFlood' | 'dnsTunnel' | 'beacon' | 'upload' | 'arp' | 'deviceFlood';

/** What a caller may pass: any subset of the keys, sections merged key by key with the defaults. */
export type DetectorConfigInput = Partial<Omit<DetectorConfig, Section>> & { [S in Section]?: Partial<DetectorConfig[S]> };

/** The full config: `input` over the defaults. Throws on a value that would make a detector meaningless. */
export function resolveDetectorConfig(input: DetectorConfigInput = {}): DetectorConfig {
  const d = DEFAULT_DETECTOR_CONFIG;
  const out: DetectorConfig = {
    ...d,
    ...input,
    portScan: { ...d.portScan, ...input.portScan },
    bruteForce: { ...d.bruteForce, ...input.bruteForce },
    synFlood: { ...d.synFlood, ...input.synFlood },
    dnsTunnel: { ...d.dnsTunnel, ...input.dnsTunnel },
    beacon: { ...d.beacon, ...input.beacon },
    upload: { ...d.upload, ...input.upload },
    arp: { ...d.arp, ...input.arp },
    deviceFlood: { ...d.deviceFlood, ...input.deviceFlood },
  } as DetectorConfig;
  const bad: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) bad.push(`${prefix}${k}: ${v}`);
      else if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${prefix}${k}.`);
    }
  };
  walk(out as unknown as Record<string, unknown>, 'detectors.');
  if (out.maxTracked < 1) bad.push(`detectors.maxTracked: ${out.maxTracked}`);
  if (bad.length > 0) throw new Error(`invalid detector thresholds (must be finite and >= 0): ${bad.join(', ')}`);
  return out;
}
