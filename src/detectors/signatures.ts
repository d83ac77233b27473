/**
 * The rule each alert kind stands for in EVE: what a Suricata rule gives its alerts (gid, signature_id, rev,
 * a fixed msg and a classtype), so tools that group alerts by rule (EveBox, Scirius, the Elastic and Splunk
 * Suricata integrations) see one rule per kind instead of a new one per sentence.
 *
 * Signature ids: 1,900,001–1,900,999, inside the range the SID conventions keep for local rules
 * (1,000,000–1,999,999: no published ruleset — Talos below 1,000,000, Emerging Threats from 2,000,000 — ever
 * uses it, so an index that also holds those rulesets' alerts has no collision), and high in it, away from the
 * 1,000,001… a site numbers its own local rules from. Hundreds group families: 1,900,1xx scans, 2xx brute
 * force, 3xx denial of service, 4xx DNS, 5xx command and control and exfiltration, 6xx ARP, 7xx intelligence
 * and decoys, 9xx the anomaly models. `gid` is 1, Suricata's for rule alerts. `rev` rises when
 * a detector's meaning changes (not its thresholds). A kind without an entry does not compile
 * (`Record<AlertKind, …>`); `docs/signatures.md` is rendered from this table (`npm run docs:signatures`) and a
 * test keeps the two equal.
 *
 * `category` is the text of a classtype in Suricata's classification.config, as Suricata writes it into
 * `alert.category`; `classtype` is its short name (what a rule would say).
 */
import type { AlertKind } from './alert.js';

/** Suricata's generator id for rule alerts. */
export const SIGNATURE_GID = 1;
/** The block of signature ids the table uses (inclusive). */
export const SIGNATURE_ID_RANGE = { first: 1_900_001, last: 1_900_999 } as const;

export interface AlertSignature {
  signatureId: number;
  rev: number;
  /** fixed text, like a rule's msg: never addresses or counts (those are in alert.metadata and `argus`) */
  signature: string;
  /** classification.config short name */
  classtype: string;
  /** classification.config text: EVE alert.category */
  category: string;
}

/** classtype → category text, from Suricata's classification.config */
const CLASS = {
  'network-scan': 'Detection of a Network Scan',
  'attempted-recon': 'Attempted Information Leak',
  'attempted-admin': 'Attempted Administrator Privilege Gain',
  'attempted-user': 'Attempted User Privilege Gain',
  'attempted-dos': 'Attempted Denial of Service',
  'policy-violation': 'Potential Corporate Privacy Violation',
  'trojan-activity': 'A Network Trojan was detected',
  'misc-attack': 'Misc Attack',
  'misc-activity': 'Misc activity',
} as const;
type Classtype = keyof typeof CLASS;

const sig = (signatureId: number, signature: string, classtype: Classtype, rev = 1): AlertSignature => ({
  signatureId,
  rev,
  signature,
  classtype,
  category: CLASS[classtype],
});

export const SIGNATURES: Record<AlertKind, AlertSignature> = {
  'scan.port.vertical': sig(1_900_101, 'ARGUS SCAN Vertical port scan (many ports of one host)', 'network-scan'),
  'scan.port.horizontal': sig(1_900_102, 'ARGUS SCAN Horizontal port scan (one port across many hosts)', 'network-scan'),
  'scan.lan.sweep': sig(1_900_103, 'ARGUS SCAN LAN sweep of known hosts (worm-like spreading)', 'network-scan'),
  'scan.service': sig(1_900_104, 'ARGUS SCAN Service or version probe', 'attempted-recon'),
  'scan.arp': sig(1_900_105, 'ARGUS SCAN ARP sweep of an address range', 'network-scan'),
  'bruteforce.ssh': sig(1_900_201, 'ARGUS BRUTEFORCE SSH login guessing', 'attempted-admin'),
  'bruteforce.telnet': sig(1_900_202, 'ARGUS BRUTEFORCE Telnet login guessing', 'attempted-admin'),
  'bruteforce.ftp': sig(1_900_203, 'ARGUS BRUTEFORCE FTP login guessing', 'attempted-user'),
  'bruteforce.rdp': sig(1_900_204, 'ARGUS BRUTEFORCE RDP login guessing', 'attempted-admin'),
  'bruteforce.http': sig(1_900_205, 'ARGUS BRUTEFORCE HTTP login guessing', 'attempted-user'),
  'dos.synflood': sig(1_900_301, 'ARGUS DOS SYN flood', 'attempted-dos'),
  'flood.devices': sig(1_900_302, 'ARGUS DOS Flood of new MAC addresses (MAC or DHCP starvation flood)', 'attempted-dos'),
  'dns.tunnel': sig(1_900_401, 'ARGUS DNS Tunnelling suspected', 'policy-violation'),
  'c2.beacon': sig(1_900_501, 'ARGUS C2 Regular beaconing to one destination', 'trojan-activity'),
  'exfil.upload': sig(1_900_502, 'ARGUS EXFIL Upload far above the device baseline', 'policy-violation'),
  'arp.spoof': sig(1_900_601, 'ARGUS ARP Spoofing or man in the middle', 'misc-attack'),
  'intel.blocklist': sig(1_900_701, 'ARGUS INTEL Contact with a blocklisted address or domain', 'misc-attack'),
  'decoy.touch': sig(1_900_702, 'ARGUS DECOY Connection to a decoy port', 'attempted-recon'),
  anomaly: sig(1_900_901, 'ARGUS ANOMALY Flow scored above the model threshold', 'misc-activity'),
};

/** The signature of a kind. */
export function signatureOf(kind: AlertKind): AlertSignature {
  return SIGNATURES[kind];
}
