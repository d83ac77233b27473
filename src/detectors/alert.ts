/**
 * Alert: what a detector (or the anomaly models) raises. It is written to the store, folded into incidents
 * (whose changes EVE-JSON writes as `event_type: alert` lines of the kind's rule, signatures.ts), and feeds the
 * trust score.
 */

/**
 * Alert kinds; each has a rule in signatures.ts (signature_id, text, classification; a kind without one does
 * not compile), and EVE carries the kind in `alert.metadata.argus_kind`.
 * - scan.port.vertical: many ports probed on one host
 * - scan.port.horizontal: one port probed across many hosts
 * - scan.lan.sweep: one source probing most of the known LAN hosts on unanswered or refused ports (worm spreading)
 * - scan.service: a service/version scan or banner grab: short connections that probe and close, across
 *   several services of one host
 * - scan.arp: ARP requests sweeping an address range
 * - bruteforce.ssh / .telnet / .ftp / .rdp / .http: repeated login attempts against one service: many short,
 *   similar connections, or failed logins where the server says so in clear text (FTP 530, HTTP 401/403); fast
 *   or slow (one every minute for an hour); severity 1 when a login then succeeded
 * - dos.synflood: a high rate of half-open connections to one target
 * - dns.tunnel: long, high-entropy query names, many unique subdomains of one domain, TXT/NULL volume
 * - c2.beacon: connections to one destination at a regular interval with low jitter
 * - exfil.upload: a device sending far more than its own baseline, to one destination or in total per window
 * - arp.spoof: an address claimed by a second MAC while the first still answers (the gateway's or a device's),
 *   a MAC forwarding traffic of addresses that are not its own (a man in the middle), or a gratuitous-ARP storm
 * - intel.blocklist: contact with an address or domain on a threat-intelligence list
 * - decoy.touch: a connection to one of the appliance's decoy ports
 * - flood.devices: many MAC addresses never seen before within a window (a MAC or DHCP starvation flood); while
 *   it lasts, new devices are counted in the incident instead of stored one by one
 * - anomaly: a flow the models scored above the alert threshold
 */
export const ALERT_KINDS = [
  'scan.port.vertical',
  'scan.port.horizontal',
  'scan.lan.sweep',
  'scan.service',
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
  'flood.devices',
  'anomaly',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * Suricata's convention: 1 = high, 2 = medium, 3 = low. Severity says what the behaviour means for the network
 * and drives the trust score (src/trust/score-rules.ts): a high alert alone can make its LAN source critical, a
 * medium one makes it a warning, a low one barely moves it. What the detectors raise:
 *
 * | kind | severity |
 * | --- | --- |
 * | scan.lan.sweep, arp.spoof (address conflict, MITM), dos.synflood, dns.tunnel, flood.devices | 1 |
 * | scan.port.vertical, scan.port.horizontal | 1 from a LAN source (a home device does not scan), else 2 |
 * | c2.beacon | 1 to an outside destination, 2 to a LAN host (hubs poll devices; a pivot is possible) |
 * | bruteforce.* | 2 while guessing, 1 once a login after the guesses succeeded |
 * | scan.service, scan.arp, exfil.upload, arp.spoof (gratuitous storm) | 2 |
 * | decoy.touch | 1 from a LAN source, else 2 |
 * | intel.blocklist | by list (blocklist.ts) |
 * | anomaly | 3 |
 */
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
  /** short human title, the incident's title (EVE argus.incident.title): "Vertical port scan of 10.99.0.3 (1,000 ports)" */
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
