/**
 * Threat-intelligence list formats: text in, entries out. Parsing never throws on a bad line: it counts it
 * (and keeps the first few for the log) and goes on, because feeds are third-party text fetched over the
 * network and one odd line must not cost the whole list.
 */
import { normalizeDomain } from './domain-set.js';
import { parseCidr, type Cidr } from './prefix-trie.js';

/**
 * Feed formats:
 * - auto: decided from the first data lines (see detectFormat)
 * - ip: one IPv4/IPv6 address or CIDR prefix per line; comments start with '#' or ';' (also mid-line)
 * - netset: FireHOL's .netset/.ipset files: the same as ip ('#' comments)
 * - spamhaus: Spamhaus DROP/EDROP/DROPv6 "1.2.3.0/24 ; SBL123" (the SBL id is kept as the entry's note), or
 *   their JSON-lines form {"cidr": "1.2.3.0/24", "sblid": "SBL123", …}
 * - abusech-csv: abuse.ch CSV exports (Feodo Tracker ipblocklist.csv, ThreatFox, URLhaus): '#' comment
 *   header, quoted or bare fields; the address column is found by its header name (dst_ip, ip_address,
 *   ioc_value, url, …) or, without a header, is the first field that is an address. From URL columns only IP
 *   hosts are taken: a URL list names benign sites that carry one bad file (use the URLhaus hostfile for names).
 * - hosts: hosts-file lines "0.0.0.0 bad.example [more names]" (URLhaus hostfile, StevenBlack); the address
 *   is a sink and ignored, the names are the entries; localhost-style names are skipped
 * - domains: one domain name per line ('*.' and a leading '.' are dropped); '#' comments
 */
export const FEED_FORMATS = ['auto', 'ip', 'netset', 'spamhaus', 'abusech-csv', 'hosts', 'domains'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];
export type ConcreteFeedFormat = Exclude<FeedFormat, 'auto'>;

/**
 * What a feed lists, for the alert's wording and severity:
 * - c2: botnet command-and-control servers (Feodo Tracker, ThreatFox C2): severity 1
 * - malware: malware distribution or infected hosts: severity 1
 * - phishing: phishing sites: severity 2
 * - drop: hijacked or criminal networks that should carry no traffic (Spamhaus DROP): severity 2
 * - scanner: mass scanners and brute-forcers (inbound noise): severity 3
 * - other: anything else: severity 2
 */
export const FEED_KINDS = ['c2', 'malware', 'phishing', 'drop', 'scanner', 'other'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** Receives the entries of a feed as they are parsed (no intermediate array of the whole list). */
export interface FeedSink {
  ip(cidr: Cidr, text: string, note: string | null): void;
  domain(name: string, note: string | null): void;
}

export interface ParseResult {
  format: ConcreteFeedFormat;
  ips: number;
  domains: number;
  /** lines that held something but no usable entry */
  bad: number;
  /** the first few bad lines, for the log */
  badSamples: string[];
}

const MAX_BAD_SAMPLES = 3;
/** Names in hosts files that are the machine itself, not a blocked site. */
const HOSTS_SKIP = new Set([
  'localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet',
  'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0',
]);

/** Calls `fn` for every line of `text` (CRLF tolerated), without splitting it into one big array. */
function eachLine(text: string, fn: (line: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    fn(text.slice(start, stop));
    start = end + 1;
  }
}

/** `line` before the first of the comment characters, trimmed. */
function uncomment(line: string, chars: string): string {
  let cut = line.length;
  for (const c of chars) {
    const i = line.indexOf(c);
    if (i >= 0 && i < cut) cut = i;
  }
  return line.slice(0, cut).trim();
}

const firstToken = (s: string): string => {
  const m = /^\S+/.exec(s);
  return m === null ? '' : m[0];
};

/** A domain list entry: a normalized name with at least two labels (a bare TLD would match half the internet). */
function domainEntry(token: string): string {
  let t = token;
  if (t.startsWith('*.')) t = t.slice(2);
  else if (t.startsWith('.')) t = t.slice(1);
  const d = normalizeDomain(t);
  return d.includes('.') && parseCidr(d) === null ? d : '';
}

/** Split one CSV line: double-quoted fields with "" escapes, or bare fields. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    // ThreatFox writes '", "' between fields
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) === 34) {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          v += line.slice(i);
          i = line.length;
          break;
        }
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v.trim());
      const comma = line.indexOf(',', i);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      out.push(line.slice(i, comma < 0 ? line.length : comma).trim());
      if (comma < 0) break;
      i = comma + 1;
    }
  }
  return out;
}

/**
 * The format of a feed from its first data lines: a vote over up to 50 lines, each line voting for the
 * format whose shape it has. Comment-only or empty text is 'ip' (an empty list of addresses).
 */
export function detectFormat(text: string): ConcreteFeedFormat {
  const votes = new Map<ConcreteFeedFormat, number>();
  const vote = (f: ConcreteFeedFormat): void => void votes.set(f, (votes.get(f) ?? 0) + 1);
  let seen = 0;
  eachLine(text, (raw) => {
    if (seen >= 50) return;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('//')) return;
    seen++;
    if (line.startsWith('{')) return vote('spamhaus');
    if (/^\S+\s*;\s*\S/.test(line) && parseCidr(firstToken(line.split(';')[0]!)) !== null) return vote('spamhaus');
    if (line.includes(',')) return vote('abusech-csv');
    const tokens = uncomment(line, '#').split(/\s+/);
    // "address name": a hosts file (even "127.0.0.1 localhost", which the parser then skips)
    if (tokens.length >= 2 && parseCidr(tokens[0]!.replace(/%.*$/, '')) !== null && /^[A-Za-z0-9_.-]+$/.test(tokens[1]!)) return vote('hosts');
    if (parseCidr(tokens[0]!) !== null) return vote('ip');
    if (domainEntry(tokens[0]!) !== '') return vote('domains');
  });
  let best: ConcreteFeedFormat = 'ip';
  let bestN = 0;
  for (const [f, n] of votes) if (n > bestN) [best, bestN] = [f, n];
  return best;
}

/** Parse `text` as `format` (detected first when 'auto'), handing every entry to `sink`. */
export function parseFeed(text: string, format: FeedFormat, sink: FeedSink): ParseResult {
  const fmt = format === 'auto' ? detectFormat(text) : format;
  const r: ParseResult = { format: fmt, ips: 0, domains: 0, bad: 0, badSamples: [] };
  const bad = (line: string): void => {
    r.bad++;
    if (r.badSamples.length < MAX_BAD_SAMPLES) r.badSamples.push(line.length > 120 ? line.slice(0, 120) + '…' : line);
  };
  const ip = (token: string, note: string | null): boolean => {
    const c = parseCidr(token);
    if (c === null) return false;
    sink.ip(c, token, note);
    r.ips++;
    return true;
  };
  const domain = (name: string, note: string | null): void => {
    sink.domain(name, note);
    r.domains++;
  };

  if (fmt === 'abusech-csv') {
    parseCsv(text, ip, domain, bad);
    return r;
  }
  eachLine(text, (raw) => {
    switch (fmt) {
      case 'ip':
      case 'netset': {
        const token = firstToken(uncomment(raw, '#;'));
        if (token !== '' && !ip(token, null)) bad(raw);
        break;
      }
      case 'spamhaus': {
        const line = raw.trim();
        if (line.startsWith('{')) return spamhausJson(line, ip, bad);
        const body = uncomment(line, '#');
        const semi = body.indexOf(';');
        const token = firstToken(semi < 0 ? body : body.slice(0, semi));
        if (token === '') return;
        const note = semi < 0 ? null : body.slice(semi + 1).trim() || null;
        if (!ip(token, note)) bad(raw);
        break;
      }
      case 'hosts': {
        const tokens = uncomment(raw, '#').split(/\s+/).filter((x) => x !== '');
        const names = tokens.slice(1).filter((n) => !HOSTS_SKIP.has(n.toLowerCase()));
        if (names.length === 0) {
          if (tokens.length === 1) bad(raw);
          return; // "127.0.0.1 localhost" and friends (also "fe80::1%lo0 localhost")
        }
        if (parseCidr(tokens[0]!) === null) return bad(raw);
        for (const name of names) {
          const d = domainEntry(name);
          if (d !== '') domain(d, null);
          else if (!ip(name, null)) bad(raw);
        }
        break;
      }
      case 'domains': {
        const token = firstToken(uncomment(raw, '#'));
        if (token === '') return;
        const d = domainEntry(token);
        if (d !== '') domain(d, null);
        else if (!ip(token, null)) bad(raw);
        break;
      }
    }
  });
  return r;
}

function spamhausJson(line: string, ip: (t: string, n: string | null) => boolean, bad: (l: string) => void): void {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return bad(line);
  }
  if (o === null || typeof o !== 'object') return bad(line);
  const rec = o as Record<string, unknown>;
  if (rec.type === 'metadata') return;
  const note = typeof rec.sblid === 'string' ? rec.sblid : null;
  if (typeof rec.cidr !== 'string' || !ip(rec.cidr, note)) bad(line);
}

/** Column names (lower case, letters and digits only) that hold the listed address, best first. */
const ADDRESS_COLUMNS = ['dstip', 'ipaddress', 'ip', 'ipv4', 'ipv6', 'iocvalue', 'ioc', 'host', 'hostname', 'domain', 'url'];
const NOTE_COLUMNS = ['malwareprintable', 'malware', 'threat', 'threattype', 'tags'];
const PORT_COLUMNS = ['dstport', 'port'];
const normCol = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function parseCsv(
  text: string,
  ip: (token: string, note: string | null) => boolean,
  domain: (name: string, note: string | null) => void,
  bad: (line: string) => void,
): void {
  let header: string[] | null = null;
  let lastComment: string[] | null = null;
  let addrCol = -1;
  let noteCol = -1;
  let portCol = -1;
  const useHeader = (cols: string[]): boolean => {
    const names = cols.map(normCol);
    const a = ADDRESS_COLUMNS.map((c) => names.indexOf(c)).find((i) => i >= 0);
    if (a === undefined) return false;
    header = names;
    addrCol = a;
    noteCol = NOTE_COLUMNS.map((c) => names.indexOf(c)).find((i) => i >= 0) ?? -1;
    portCol = PORT_COLUMNS.map((c) => names.indexOf(c)).find((i) => i >= 0) ?? -1;
    return true;
  };
  eachLine(text, (raw) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      // abuse.ch puts the column names in the last comment line ("# Firstseen,DstIP,DstPort,…") in some exports
      const body = line.replace(/^#+\s*/, '');
      if (body.includes(',')) lastComment = splitCsv(body);
      return;
    }
    const fields = splitCsv(line);
    if (header === null) {
      if (lastComment !== null && useHeader(lastComment)) {
        // fall through: this line is data
      } else if (fields.every((f) => parseCidr(f) === null && !/^[a-z]+:\/\//i.test(f)) && useHeader(fields)) {
        return; // a header line
      } else {
        header = [];
      }
    }
    const hit = addrCol >= 0 ? entryOf(fields[addrCol] ?? '', header![addrCol] ?? '', fields, header!) : firstAddress(fields);
    if (hit === null) return bad(raw);
    const notes: string[] = [];
    if (noteCol >= 0 && fields[noteCol]) notes.push(fields[noteCol]!);
    if (portCol >= 0 && fields[portCol]) notes.push(`port ${fields[portCol]}`);
    if (hit.port !== null) notes.push(`port ${hit.port}`);
    const note = notes.length > 0 ? notes.join(', ') : null;
    if (hit.kind === 'ip') {
      if (!ip(hit.value, note)) bad(raw);
    } else if (hit.kind === 'domain') {
      domain(hit.value, note);
    }
  });
}

type CsvHit = { kind: 'ip' | 'domain' | 'skip'; value: string; port: string | null };

/** The entry in one address field: an IP, "ip:port" (ThreatFox), a domain, or a URL's IP host. */
function entryOf(value: string, column: string, fields: string[], header: string[]): CsvHit | null {
  const v = value.trim();
  if (v === '') return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    let host: string;
    try {
      host = new URL(v).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return null;
    }
    // only IP hosts: see the abusech-csv note at FEED_FORMATS
    return parseCidr(host) !== null ? { kind: 'ip', value: host, port: null } : { kind: 'skip', value: host, port: null };
  }
  if (parseCidr(v) !== null) return { kind: 'ip', value: v, port: null };
  const hp = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(v) ?? /^\[([0-9a-f:]+)\]:(\d{1,5})$/i.exec(v);
  if (hp !== null && parseCidr(hp[1]!) !== null) return { kind: 'ip', value: hp[1]!, port: hp[2]! };
  // ThreatFox lists URLs and hashes in the same column; its ioc_type column says which
  const typeCol = header.indexOf('ioctype');
  const t = typeCol >= 0 ? (fields[typeCol] ?? '').toLowerCase() : '';
  if (column === 'iocvalue' && t !== '' && t !== 'domain') return { kind: 'skip', value: v, port: null };
  const d = domainEntry(v);
  return d === '' ? null : { kind: 'domain', value: d, port: null };
}

function firstAddress(fields: string[]): CsvHit | null {
  for (const f of fields) {
    const h = entryOf(f, '', fields, []);
    if (h !== null && h.kind === 'ip') return h;
  }
  return null;
}
