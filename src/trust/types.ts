/**
 * Contracts of the trust stage: the events it puts on the bus and the levels every later stage (policy, web,
 * EVE) reads. The implementations live in devices.ts (inventory) and score.ts (trust score).
 */
import type { TrustExplanation } from '../store/devices.js';

/** Trust levels, best first. Thresholds: ≥ 75 normal, 50–75 warning, 20–50 alert, < 20 critical. */
export const TRUST_LEVELS = ['normal', 'warning', 'alert', 'critical'] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

/** A device inside homeNets, keyed by MAC (colon-separated lower case). */
export interface DeviceEvent {
  tsUs: number;
  mac: string;
  /** addresses currently known for it */
  ips: string[];
  hostname: string | null;
  vendor: string | null;
  /** a locally administered (often randomised) MAC */
  randomMac: boolean;
}

/** A device's trust score moved. */
export interface TrustChange {
  tsUs: number;
  mac: string;
  /** the device's most recent address, when known */
  ip: string | null;
  score: number;
  behavioral: number;
  vulnerability: number;
  reputation: number;
  level: TrustLevel;
  previousLevel: TrustLevel;
  /** why it moved, newest first ("−18: port scan of 43 hosts at 14:02") */
  explanation: TrustExplanation[];
}
