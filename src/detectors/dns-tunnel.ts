/**
 * DNS tunnelling / exfiltration (`dns.tunnel`), from the decoded DNS queries on the bus.
 *
 * Tunnels (iodine, dnscat2, dns2tcp, and the DNS channels of malware) encode data in the labels left of a
 * domain the attacker controls and ask for record types that carry data back (TXT, NULL, also MX/CNAME).
 * So, per client and registered domain within a window: many distinct query names, of which many are
 * suspicious — long and high-entropy, or of a data-carrying type. Either sign alone is common in benign
 * traffic (CDN host names, DNS blocklist lookups, service discovery); together they are not.
 *
 * The registered domain is approximated without the Public Suffix List: the last two labels, or the last
 * three under a two-letter country code whose second level is a generic one (example.co.uk).
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount } from './detector.js';
import { PrefixSet } from './addresses.js';
import type { BusEvents } from '../bus.js';
import { macToString } from '../decode/addr.js';
import { LruMap, RecentSet } from './window.js';

/** Record types that carry arbitrary data back to a tunnel client: TXT, NULL, and private-use types. */
const DATA_TYPES: ReadonlySet<number> = new Set([16, 10]);
/** Types tunnels use as well, suspicious only together with a long name: MX, CNAME, SRV. */
const SECONDARY_TYPES: ReadonlySet<number> = new Set([15, 5, 33]);
const REVERSE_IP = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(\.|$)/;
const GENERIC_SLD = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'gob', 'mil']);

/** Split a query name into [subdomain part, registered domain]; null for names that cannot tunnel. */
export function splitName(qname: string): [string, string] | null {
  const name = qname.toLowerCase().replace(/\.$/, '');
  if (name.endsWith('.arpa') || name.endsWith('.local') || name === '') return null;
  const labels = name.split('.');
  let keep = 2;
  const tld = labels[labels.length - 1]!;
  if (tld.length === 2 && labels.length >= 3 && GENERIC_SLD.has(labels[labels.length - 2]!)) keep = 3;
  if (labels.length <= keep) return null;
  return [labels.slice(0, -keep).join('.'), labels.slice(-keep).join('.')];
}

/** Shannon entropy in bits per character. */
export function entropyBits(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

interface DomainState {
  names: RecentSet<string>;
  suspicious: RecentSet<string>;
  dataTypeQueries: number;
  queries: number;
  examples: string[];
  srcMac: string | null;
  resolver: string;
  lastUs: number;
}

export class DnsTunnelDetector extends DetectorBase {
  private readonly domains: LruMap<string, DomainState>;
  private readonly home: PrefixSet;
  private readonly ignore: Set<string>;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('dns-tunnel', cfg, emit);
    this.domains = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
    this.ignore = new Set(cfg.dnsTunnel.ignoreDomains.map((d) => d.toLowerCase()));
  }

  protected tables() {
    return [this.domains];
  }

  /**
   * Why a query looks like tunnel traffic, or null when it does not. Names that start with a dotted quad are
   * reverse-address lookups (DNS blocklists, IP-to-ASN services): structured, not encoded data.
   */
  suspicion(sub: string, qtype: number): string | null {
    const c = this.cfg.dnsTunnel;
    if (REVERSE_IP.test(sub)) return null;
    const chars = sub.replaceAll('.', '');
    const long = chars.length >= c.longNameChars && entropyBits(chars) >= c.minEntropyBits;
    if (DATA_TYPES.has(qtype) || qtype >= 65280) return qtype === 10 ? 'NULL query' : qtype === 16 ? 'TXT query' : `type ${qtype} query`;
    if (long) return SECONDARY_TYPES.has(qtype) ? 'long high-entropy name, tunnel record type' : 'long high-entropy name';
    return null;
  }

  onDns(e: BusEvents['dns']): void {
    this.events++;
    if (e.tsUs > this.clockUs) this.clockUs = e.tsUs;
    const c = this.cfg.dnsTunnel;
    const windowUs = c.windowSeconds * 1e6;
    this.domains.expire((s) => s.lastUs < this.clockUs - windowUs);
    const m = e.dns;
    if (m.response || m.mdns || m.opcode !== 0) return;
    const split = splitName(m.qname);
    if (split === null) return;
    const [sub, domain] = split;
    if (this.ignore.has(domain)) return;
    const s = this.domains.touch(`${e.srcIp}|${domain}`, () => ({
      names: new RecentSet<string>(4 * c.minUniqueNames),
      suspicious: new RecentSet<string>(4 * c.minSuspicious),
      dataTypeQueries: 0,
      queries: 0,
      examples: [],
      srcMac: e.srcMac >= 0 ? macToString(e.srcMac) : null,
      resolver: e.dstIp,
      lastUs: 0,
    }));
    if (e.tsUs > s.lastUs) s.lastUs = e.tsUs;
    s.queries++;
    const name = m.qname.toLowerCase();
    s.names.add(name, e.tsUs);
    s.names.expire(this.clockUs - windowUs);
    s.suspicious.expire(this.clockUs - windowUs);
    const why = this.suspicion(sub, m.qtype);
    if (DATA_TYPES.has(m.qtype)) s.dataTypeQueries++;
    if (why !== null) {
      s.suspicious.add(name, e.tsUs);
      if (s.examples.length < 3) s.examples.push(`${name.length > 90 ? name.slice(0, 87) + '...' : name} (${why})`);
    }
    if (s.names.size < c.minUniqueNames || s.suspicious.size < c.minSuspicious) return;

    const fromHome = this.home.has(e.srcIp);
    this.raise(domain, {
      tsUs: e.tsUs,
      kind: 'dns.tunnel',
      signature: `DNS tunnel to ${domain} from ${e.srcIp} (${fmtCount(s.names.size)} unique names)`,
      severity: 1,
      confidence: confidenceAbove(s.suspicious.size, c.minSuspicious, 0.7),
      srcIp: e.srcIp,
      srcMac: s.srcMac,
      targets: [s.resolver],
      destPort: 53,
      proto: 'UDP',
      evidence: [
        { text: `${fmtCount(s.names.size)} distinct names under ${domain} queried within ${c.windowSeconds} s (threshold ${c.minUniqueNames})`, count: s.names.size },
        { text: `${fmtCount(s.suspicious.size)} suspicious: long high-entropy labels or data-carrying record types (threshold ${c.minSuspicious})`, count: s.suspicious.size },
        { text: `${fmtCount(s.dataTypeQueries)} TXT/NULL queries of ${fmtCount(s.queries)} to this domain`, count: s.dataTypeQueries },
        ...s.examples.map((x) => ({ text: `e.g. ${x}` })),
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'block',
    });
  }
}
