/**
 * Alert: what a detector (or the anomaly models) raises. It is written to the store, to EVE-JSON as
 * `event_type: alert` with Suricata's alert{signature, category, severity} fields, and feeds the trust score.
 */

/**
 * Alert kinds; the kind is EVE `alert.category`.
 * - scan.port.vertical: many ports probed on one host
 * - scan.port.horizontal: one port probed across many hosts
 * - scan.arp: ARP requests sweeping an address range
 * - bruteforce.ssh / .telnet / .ftp / .rdp / .http: many short, similar connections to one login service
 * - dos.synflood: a high rate of half-open connections to one target
 * - dns.tunnel: long, high-entropy query names, many unique subdomains of one domain, TXT/NULL volume
 * - c2.beacon: connections to one destination at a regular interval with low jitter
 * - exfil.upload: a device sending far more than its own baseline to one destination
 * - arp.spoof: an IP's MAC changed, the gateway's MAC changed, or a gratuitous-ARP storm
 * - intel.blocklist: contact with an address or domain on a threat-intelligence list
 * - decoy.touch: a connection to one of the appliance's decoy ports
 * - anomaly: a flow the models scored above the alert threshold
 */
export const ALERT_KINDS = [
  'scan.port.vertical',
  'scan.port.horizontal',
  'scan.arp',
  'bruteforce.ssh',
  'bruteforce.telnet',
  'bruteforce.ftp',
  'bruteforce.rdp',
  'bruteforce.http',
  'dos.synflood',
  'dns.tunnel',
  'c2.beacon',
  'exfil.upload',
  'arp.spoof',
  'intel.blocklist',
  'decoy.touch',
  'anomaly',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Suricata's convention: 1 = high, 2 = medium, 3 = low. */
export type Severity = 1 | 2 | 3;

export interface AlertEvidence {
  /** one line a person can read: "SYN to 10.0.0.5:22 rejected (REJ)", "43 hosts probed on 23/tcp" */
  text: string;
  /** flow ids / community ids behind this line, when there are any */
  flowIds?: number[];
  communityIds?: string[];
  count?: number;
}

export interface Alert {
  /** unique per store: `${kind}:${source}:${startUs}` style ids are fine; assigned by the detector */
  id: string;
  /** packet time of the alert, µs since the epoch */
  tsUs: number;
  kind: AlertKind;
  /** short human title, used as EVE alert.signature: "Vertical port scan of 10.99.0.3 (1,000 ports)" */
  signature: string;
  severity: Severity;
  /** 0..1 */
  confidence: number;
  /** the source host (IP string), and MAC when known */
  srcIp: string;
  srcMac: string | null;
  /** target IPs (bounded list) */
  targets: string[];
  /** the main destination port when the alert is about one service */
  destPort: number | null;
  proto: string | null;
  evidence: AlertEvidence[];
  /** what the appliance suggests doing: 'none' | 'monitor' | 'rate-limit' | 'quarantine' | 'block' */
  suggestedResponse: 'none' | 'monitor' | 'rate-limit' | 'quarantine' | 'block';
}
