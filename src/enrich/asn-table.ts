/**
 * Autonomous system of an address, from the range files of @ip-location-db/asn (RouteViews, the five RIRs'
 * delegation files and DB-IP's IP to ASN Lite, merged by that package; CC BY 4.0):
 *
 *   ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization
 *   1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
 *
 * Ranges are inclusive. Both files (asn-ipv4.csv, asn-ipv6.csv) are read into sorted typed arrays — starts,
 * ends, the AS number and an index into a table of distinct organisation names — and a lookup is a binary
 * search: about 19 comparisons for IPv4, 17 for IPv6, no allocation. The package lists no mmdb of this data
 * (there is no @ip-location-db/asn-mmdb), so the CSV is the format it ships and the one a replacement
 * file in enrich.geoDir must have.
 */
import { ipv4Number, ipv6Words } from './ip.js';

export interface AsnHit {
  asn: number;
  org: string;
}

/** Rows of one file that could not be read, for the start-up message (the rest is still used). */
export interface AsnLoadStats {
  v4: number;
  v6: number;
  orgs: number;
  skipped: number;
  /** overlapping ranges cut to make them disjoint */
  trimmed: number;
}

const COMMA = 44;
const QUOTE = 34;
const NL = 10;
const CR = 13;

/**
 * One CSV line: the two addresses as byte ranges of the buffer (parsed by the caller, IPv4 straight from the
 * bytes), the AS number and the organisation, unquoted.
 */
interface Row {
  startAt: number;
  startEnd: number;
  endAt: number;
  endEnd: number;
  asn: number;
  org: string;
}

/**
 * Calls `row` for every line of the file. Fields 1–3 never contain commas; the organisation may be quoted,
 * with "" standing for one quote. A line that does not have the four fields is counted and skipped. One pass
 * over the bytes: the files hold half a million lines, read at every start (on a Raspberry Pi too).
 */
function eachRow(buf: Buffer, row: (r: Row) => void): number {
  let skipped = 0;
  const n = buf.length;
  const r: Row = { startAt: 0, startEnd: 0, endAt: 0, endEnd: 0, asn: 0, org: '' };
  let i = 0;
  while (i < n) {
    const lineAt = i;
    // fields 1 and 2: up to the next commas
    let c1 = -1;
    let c2 = -1;
    let c3 = -1;
    let asn = 0;
    let ok = true;
    for (; i < n; i++) {
      const b = buf[i]!;
      if (b === NL) break;
      if (b === COMMA) {
        if (c1 < 0) c1 = i;
        else if (c2 < 0) c2 = i;
        else {
          c3 = i;
          break;
        }
      } else if (c2 >= 0) {
        const d = b - 48;
        if (d < 0 || d > 9) ok = false;
        else asn = asn * 10 + d;
      }
    }
    if (c3 < 0) {
      // a line without four fields (a blank line at the end is not counted)
      if (i > lineAt && !(i === lineAt + 1 && buf[lineAt] === CR)) skipped++;
      i++;
      continue;
    }
    let org: string;
    if (buf[c3 + 1] === QUOTE) {
      // quoted: ends at a quote not followed by another; "" is one quote
      let k = c3 + 2;
      let doubled = false;
      for (; k < n; k++) {
        if (buf[k] === QUOTE) {
          if (buf[k + 1] === QUOTE) {
            doubled = true;
            k++;
          } else break;
        }
      }
      if (k >= n) ok = false;
      org = ok ? buf.toString('utf8', c3 + 2, k) : '';
      if (doubled) org = org.replaceAll('""', '"');
      i = k;
      while (i < n && buf[i] !== NL) i++;
    } else {
      i = c3 + 1;
      while (i < n && buf[i] !== NL) i++;
      org = buf.toString('utf8', c3 + 1, i > c3 + 1 && buf[i - 1] === CR ? i - 1 : i);
    }
    i++;
    if (!ok || c3 === c2 + 1 || asn > 0xffffffff) {
      skipped++;
      continue;
    }
    r.startAt = lineAt;
    r.startEnd = c1;
    r.endAt = c1 + 1;
    r.endEnd = c2;
    r.asn = asn;
    r.org = org;
    row(r);
  }
  return skipped;
}

/** A dotted quad in buf[from, to), or -1. */
function ipv4Bytes(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

/** Growable typed column (the row count is not known before the file is read). */
class Column {
  data: Uint32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Uint32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** The ranges of one file, sorted by start: IPv4 one word per address, IPv6 four. */
export interface AsnRanges {
  family: 4 | 6;
  start: Uint32Array;
  end: Uint32Array;
  asn: Uint32Array;
  /** index into `orgs` */
  org: Uint32Array;
  orgs: string[];
  /** lines that could not be read */
  skipped: number;
  /** ranges cut short because the next one started inside them (trim4) */
  trimmed: number;
}

/** Reads asn-ipv4.csv (family 4) or asn-ipv6.csv (family 6); lines that are not ranges are counted and skipped. */
export function parseAsnRanges(buf: Buffer, family: 4 | 6): AsnRanges {
  const orgIndex = new Map<string, number>();
  const orgs: string[] = [];
  let lastOrg = '';
  let lastIndex = -1;
  const orgOf = (name: string): number => {
    // neighbouring ranges mostly belong to the same organisation
    if (name === lastOrg && lastIndex >= 0) return lastIndex;
    let k = orgIndex.get(name);
    if (k === undefined) {
      k = orgs.length;
      orgs.push(name);
      orgIndex.set(name, k);
    }
    lastOrg = name;
    lastIndex = k;
    return k;
  };
  const words = family === 4 ? 1 : 4;
  // about 58 bytes a line in IPv4 file, 85 in the IPv6 one
  const rows = buf.length / (family === 4 ? 50 : 80);
  const s = new Column(rows * words);
  const e = new Column(rows * words);
  const a = new Column(rows);
  const o = new Column(rows);
  const ws = new Uint32Array(4);
  const we = new Uint32Array(4);
  let skipped = eachRow(buf, (r) => {
    if (family === 4) {
      const x = ipv4Bytes(buf, r.startAt, r.startEnd);
      const y = ipv4Bytes(buf, r.endAt, r.endEnd);
      if (x < 0 || y < x) return void skipped++;
      s.push(x);
      e.push(y);
    } else {
      if (!ipv6Words(buf.toString('latin1', r.startAt, r.startEnd), ws) || !ipv6Words(buf.toString('latin1', r.endAt, r.endEnd), we) || compare6(we, 0, ws, 0) < 0) return void skipped++;
      for (let k = 0; k < 4; k++) s.push(ws[k]!);
      for (let k = 0; k < 4; k++) e.push(we[k]!);
    }
    a.push(r.asn);
    o.push(orgOf(r.org));
  });
  const [start, end, asn, org] = (family === 4 ? sorted4 : sorted6)(s.done(), e.done(), a.done(), o.done());
  const trimmed = family === 4 ? trim4(start, end) : trim6(start, end);
  return { family, start, end, asn, org, orgs, skipped, trimmed };
}

const EMPTY4 = (): AsnRanges => ({ family: 4, start: new Uint32Array(0), end: new Uint32Array(0), asn: new Uint32Array(0), org: new Uint32Array(0), orgs: [], skipped: 0, trimmed: 0 });
const EMPTY6 = (): AsnRanges => ({ ...EMPTY4(), family: 6 });

export class AsnTable {
  private readonly v4Start: Uint32Array;
  private readonly v4End: Uint32Array;
  private readonly v4Asn: Uint32Array;
  private readonly v4Org: Uint32Array;
  private readonly v4Orgs: string[];
  /** four words per range */
  private readonly v6Start: Uint32Array;
  private readonly v6End: Uint32Array;
  private readonly v6Asn: Uint32Array;
  private readonly v6Org: Uint32Array;
  private readonly v6Orgs: string[];
  readonly stats: AsnLoadStats;
  private readonly scratch = new Uint32Array(4);

  /** From the ranges of the two files (either may be absent). */
  constructor(v4: AsnRanges | null, v6: AsnRanges | null) {
    const r4 = v4 ?? EMPTY4();
    const r6 = v6 ?? EMPTY6();
    if (r4.family !== 4 || r6.family !== 6) throw new Error('AsnTable: IPv4 ranges first, then IPv6');
    [this.v4Start, this.v4End, this.v4Asn, this.v4Org, this.v4Orgs] = [r4.start, r4.end, r4.asn, r4.org, r4.orgs];
    [this.v6Start, this.v6End, this.v6Asn, this.v6Org, this.v6Orgs] = [r6.start, r6.end, r6.asn, r6.org, r6.orgs];
    this.stats = { v4: r4.asn.length, v6: r6.asn.length, orgs: new Set([...r4.orgs, ...r6.orgs]).size, skipped: r4.skipped + r6.skipped, trimmed: r4.trimmed + r6.trimmed };
  }

  /** The contents of asn-ipv4.csv and asn-ipv6.csv, read. */
  static fromFiles(v4: Buffer, v6: Buffer): AsnTable {
    return new AsnTable(parseAsnRanges(v4, 4), parseAsnRanges(v6, 6));
  }

  /** The range holding the IPv4 address `n` (unsigned), or undefined. */
  lookup4(n: number): AsnHit | undefined {
    const starts = this.v4Start;
    // the last range starting at or below n
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || n < starts[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= n) lo = mid;
      else hi = mid - 1;
    }
    if (n > this.v4End[lo]!) return undefined;
    return { asn: this.v4Asn[lo]!, org: this.v4Orgs[this.v4Org[lo]!]! };
  }

  /** The range holding the IPv6 address in `w` (four words), or undefined. */
  lookup6(w: Uint32Array): AsnHit | undefined {
    const starts = this.v6Start;
    const count = this.v6Asn.length;
    if (count === 0 || compare6(w, 0, starts, 0) < 0) return undefined;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compare6(starts, mid * 4, w, 0) <= 0) lo = mid;
      else hi = mid - 1;
    }
    if (compare6(w, 0, this.v6End, lo * 4) > 0) return undefined;
    return { asn: this.v6Asn[lo]!, org: this.v6Orgs[this.v6Org[lo]!]! };
  }

  /** Text form convenience for tests and the CLI; the hot path parses once in GeoLookup. */
  lookup(ip: string): AsnHit | undefined {
    if (ip.includes(':')) return ipv6Words(ip, this.scratch) ? this.lookup6(this.scratch) : undefined;
    const n = ipv4Number(ip);
    return n < 0 ? undefined : this.lookup4(n);
  }
}

/** Compares the 128-bit numbers at a[ai..ai+3] and b[bi..bi+3]. */
function compare6(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const x = a[ai + k]!;
    const y = b[bi + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Makes sorted ranges disjoint, so the binary search's candidate (the last range starting at or below an
 * address) is the only one: where a range starts inside the one before it, the later (narrower, in the
 * package's files) range wins from its start on and the earlier one ends just before it. The shipped IPv4
 * file has one such pair (215.0.0.0/16 inside a DoD range that runs to 215.0.255.255). Returns how many were cut.
 */
function trim4(start: Uint32Array, end: Uint32Array): number {
  let n = 0;
  for (let i = 1; i < start.length; i++) {
    if (start[i]! <= end[i - 1]!) {
      // equal starts leave the earlier range empty (end < start): it is never the candidate
      end[i - 1] = start[i]! - 1;
      n++;
    }
  }
  return n;
}

function trim6(start: Uint32Array, end: Uint32Array): number {
  let n = 0;
  for (let i = 1; i * 4 < start.length; i++) {
    if (compare6(start, i * 4, end, (i - 1) * 4) <= 0) {
      // end[i-1] = start[i] - 1 in 128 bits (start[i] > 0: it is above start[i-1] ≥ 0, or equal to it)
      let borrow = 1;
      for (let k = 3; k >= 0; k--) {
        const v = start[i * 4 + k]! - borrow;
        borrow = v < 0 ? 1 : 0;
        end[(i - 1) * 4 + k] = v < 0 ? 0xffffffff : v;
      }
      n++;
    }
  }
  return n;
}

/** The columns in the order of their starts (the package's files are sorted; a replacement may not be). */
function sorted4(s: Uint32Array, e: Uint32Array, a: Uint32Array, o: Uint32Array): [Uint32Array, Uint32Array, Uint32Array, Uint32Array] {
  let inOrder = true;
  for (let i = 1; i < s.length && inOrder; i++) if (s[i]! < s[i - 1]!) inOrder = false;
  if (inOrder) return [s, e, a, o];
  const idx = Array.from(s.keys()).sort((x, y) => s[x]! - s[y]!);
  return [Uint32Array.from(idx, (i) => s[i]!), Uint32Array.from(idx, (i) => e[i]!), Uint32Array.from(idx, (i) => a[i]!), Uint32Array.from(idx, (i) => o[i]!)];
}

function sorted6(s: Uint32Array, e: Uint32Array, a: Uint32Array, o: Uint32Array): [Uint32Array, Uint32Array, Uint32Array, Uint32Array] {
  let inOrder = true;
  for (let i = 1; i < a.length && inOrder; i++) if (compare6(s, i * 4, s, (i - 1) * 4) < 0) inOrder = false;
  if (inOrder) return [s, e, a, o];
  const idx = Array.from(a.keys()).sort((x, y) => compare6(s, x * 4, s, y * 4));
  const s2 = new Uint32Array(s.length);
  const e2 = new Uint32Array(e.length);
  idx.forEach((from, to) => {
    s2.set(s.subarray(from * 4, from * 4 + 4), to * 4);
    e2.set(e.subarray(from * 4, from * 4 + 4), to * 4);
  });
  return [s2, e2, Uint32Array.from(idx, (i) => a[i]!), Uint32Array.from(idx, (i) => o[i]!)];
}
