/**
 * Advice per device, derived from the evidence behind its trust score and the findings of its last scan.
 * A pure function of plain values: the dashboard and the EVE 'device' lines call it with TrustScorer.state().
 */
import type { Severity } from '../detectors/alert.js';
import type { Finding } from './vuln-scan.js';

export interface Recommendation {
  /** Suricata's convention: 1 high, 2 medium, 3 low */
  severity: Severity;
  text: string;
}

/** The evidence a recommendation looks at (TrustState has these fields). */
export interface DeviceEvidence {
  evidence: readonly { kind: string; text: string; penalty: number; count: number }[];
  findings: readonly Finding[];
  /** the device's level, when known: 'carried' evidence alone is only worth a word when the level is bad */
  level?: string;
}

/**
 * Advice for each kind of evidence. `{what}` is replaced by the evidence text of the strongest item
 * ("contact with blocklisted 203.0.113.9").
 */
const ADVICE: Record<string, Recommendation> = {
  'scan.port.vertical': { severity: 1, text: 'port scanning from this device: check it for malware (unknown programs, remote-access tools) unless you ran the scan yourself' },
  'scan.port.horizontal': { severity: 1, text: 'this device probes one port across many hosts, the way worms spread: quarantine it, check it for malware and reset it' },
  'scan.arp': { severity: 2, text: 'this device swept the LAN with ARP requests: check it for malware or a network scanner you did not install' },
  'bruteforce.ssh': { severity: 1, text: 'this device tried many SSH passwords: check it for malware and change the SSH passwords of the targets ({what})' },
  'bruteforce.telnet': { severity: 1, text: 'this device tried many telnet passwords (botnet behaviour): quarantine and reset it ({what})' },
  'bruteforce.ftp': { severity: 1, text: 'this device tried many FTP passwords: check it for malware ({what})' },
  'bruteforce.rdp': { severity: 1, text: 'this device tried many Remote Desktop passwords: check it for malware ({what})' },
  'bruteforce.http': { severity: 2, text: 'this device tried many web logins: check it for malware or a misconfigured app ({what})' },
  'dos.synflood': { severity: 1, text: 'this device flooded a host with connection attempts: disconnect it and check it for malware' },
  'dns.tunnel': { severity: 1, text: 'this device hides traffic inside DNS queries: check it for malware or tunnelling software; quarantine it until explained' },
  'c2.beacon': { severity: 1, text: 'this device calls one destination at a fixed interval, like malware checking in with its controller: check it for malware ({what})' },
  'exfil.upload': { severity: 2, text: 'this device uploaded far more than usual: check what was sent (backups, cloud sync) and quarantine it if unexplained' },
  'arp.spoof': { severity: 1, text: "this device claims other devices' addresses (ARP spoofing, a man-in-the-middle attack): quarantine it and reset it" },
  'intel.blocklist': { severity: 1, text: 'this device contacted a known malicious host or botnet controller ({what}): quarantine and reset it' },
  reputation: { severity: 1, text: 'this device contacted a known malicious host or botnet controller ({what}): quarantine and reset it' },
  'decoy.touch': { severity: 1, text: 'this device connected to a decoy service nobody has a reason to use: check it for malware' },
  anomaly: { severity: 3, text: 'unusual traffic from this device ({what}): review its recent flows' },
  carried: { severity: 2, text: 'this device was already distrusted before the last restart: review its trust history' },
};

/** Evidence below this many points is not worth advice. */
const MIN_POINTS = 1;

/**
 * Concrete advice for one device, most severe first (then strongest evidence first), without duplicates.
 * Empty when there is nothing to do.
 */
export function recommend(d: DeviceEvidence): Recommendation[] {
  const strongest = new Map<string, { text: string; penalty: number }>();
  for (const e of d.evidence) {
    if (e.penalty < MIN_POINTS) continue;
    const s = strongest.get(e.kind);
    if (s === undefined || e.penalty > s.penalty) strongest.set(e.kind, { text: e.text, penalty: e.penalty });
  }
  const scored: (Recommendation & { weight: number })[] = [];
  for (const [kind, e] of strongest) {
    if (kind === 'carried' && (d.level === undefined || d.level === 'normal' || strongest.size > 1)) continue;
    const a = ADVICE[kind] ?? { severity: 2 as Severity, text: `${kind}: ${e.text}: check this device` };
    scored.push({ severity: a.severity, text: a.text.replace('{what}', e.text), weight: e.penalty });
  }
  for (const f of d.findings) scored.push({ severity: f.severity, text: f.advice, weight: f.penalty });
  scored.sort((a, b) => a.severity - b.severity || b.weight - a.weight);
  const seen = new Set<string>();
  const out: Recommendation[] = [];
  for (const r of scored) {
    if (seen.has(r.text)) continue;
    seen.add(r.text);
    out.push({ severity: r.severity, text: r.text });
  }
  return out;
}
