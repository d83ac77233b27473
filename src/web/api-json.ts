/**
 * How the API writes what the store holds: alerts carry their severity as a word beside Suricata's number, and
 * devices carry their newest address, so a script reads what the dashboard shows.
 */
import type { Alert, Severity } from '../detectors/alert.js';
import type { Store } from '../store/db.js';
import type { DeviceRow } from '../store/devices.js';
import { newestAddress } from './pages-queries.js';
import { deviceFacts, gatewayMac, scannedPorts } from './device-facts.js';
import type { TypeGuess } from '../device-type/guess.js';
import { SEVERITY_NAMES } from './views/format.js';

/** 'high' | 'medium' | 'low' for Suricata's 1 | 2 | 3 */
export type SeverityName = 'high' | 'medium' | 'low';

export const severityName = (s: Severity): SeverityName => SEVERITY_NAMES[s] as SeverityName;

/** An alert with `severityName` beside `severity` (1 = high, 2 = medium, 3 = low). */
export function alertJson<A extends Alert>(a: A): A & { severityName: SeverityName } {
  return { ...a, severityName: severityName(a.severity) };
}

/** A device with `ip` (the address it used most recently, null when none was seen) and its `type`. */
export function deviceJson(store: Store, d: DeviceRow, ports?: readonly number[]): DeviceRow & { ip: string | null; type: TypeGuess } {
  const gw = gatewayMac(store);
  return { ...d, ip: newestAddress(store, d.mac), type: deviceFacts(d, 0, gw, ports ?? scannedPorts(store, [d.mac]).get(d.mac)).type };
}

/** A severity query parameter: 1–3 or high/medium/low; undefined when absent; null when neither. */
export function parseSeverity(s: string | undefined): Severity | undefined | null {
  if (s === undefined || s === '') return undefined;
  const byName = Object.entries(SEVERITY_NAMES).find(([, n]) => n === s.toLowerCase());
  if (byName !== undefined) return Number(byName[0]) as Severity;
  return /^[123]$/.test(s) ? (Number(s) as Severity) : null;
}
