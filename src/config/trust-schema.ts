/**
 * The `trust:` and `scan:` sections of the configuration: the device inventory's caps, how the trust score
 * combines and forgets evidence (src/trust/score.ts), and the nmap vulnerability scans (src/trust/vuln-scan.ts).
 */
import { bool, cidr, list, num, str } from './fields.js';

const weight = (def: number, doc: string) => num(def, doc, { min: 0, max: 100 });

export const trustSchema = {
  weights: {
    behavioral: weight(0.5, 'weight of the behavioral component (detector alerts, anomalous flows); the weights are normalised and must not all be 0'),
    vulnerability: weight(0.3, 'weight of the vulnerability component (risky services found by scans)'),
    reputation: weight(0.2, 'weight of the reputation component (contact with blocklisted hosts)'),
  },
  evidenceHalfLifeHours: num(24, 'hours after which the penalty of one piece of behavioral or reputation evidence has halved', { min: 0.01 }),
  recoveryHalfLifeHours: num(6, 'hours in which a score that the evidence no longer justifies climbs back half the way toward it (drops are immediate)', { min: 0.01 }),
  maxDevices: num(4096, 'devices (MACs inside homeNets) held in memory; at the cap the least recently seen is evicted and counted', { int: true, min: 16 }),
  maxRemoteHosts: num(20000, 'remote hosts (IP → DNS names the LAN resolved) held; at the cap the least recently seen is evicted', { int: true, min: 16 }),
} as const;

export const scanSchema = {
  enabled: bool(false, 'scan devices inside scan.scope with nmap: new devices at once, then every scan.intervalHours'),
  scope: list(cidr(), [], 'address ranges that may be scanned; empty means homeNets. Nothing outside is ever scanned'),
  intervalHours: num(24, 'hours between two scans of the same device', { min: 0.1 }),
  maxPerHour: num(6, 'scans started per hour at most (one runs at a time)', { int: true, min: 1, max: 3600 }),
  ports: str('', "nmap port list (e.g. '21-23,80,443,445,1883,3389,5555,5900-5903,7547'); empty scans nmap's top 1000 TCP ports", (s) =>
    s === '' || /^[0-9,\-TUS:]+$/.test(s) ? null : "an nmap port list such as '22,80,1000-2000'"),
  serviceVersions: bool(false, 'also ask nmap for service versions (-sV): slower, more precise findings'),
  timeoutSeconds: num(300, 'a scan running longer is stopped and recorded as failed', { min: 5 }),
} as const;
