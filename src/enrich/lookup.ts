/**
 * GeoLookup over the two offline databases: the country file (country-mmdb.ts) and the AS ranges
 * (asn-table.ts), with a bounded LRU cache of answers (negative ones too) in front.
 */
import type { AsnTable } from './asn-table.js';
import type { CountryDb } from './country-mmdb.js';
import { ipv4Number, ipv6Words, mappedIpv4, specialIpv4, specialIpv6 } from './ip.js';
import { LruCache } from './lru.js';
import type { GeoInfo, GeoLookup, GeoSource } from './types.js';

/** the cached "nothing known" (a Map cannot tell a stored undefined from a miss) */
const NOTHING: GeoInfo = Object.freeze({});

export class OfflineGeo implements GeoLookup {
  private readonly cache: LruCache<string, GeoInfo>;
  private readonly words = new Uint32Array(4);
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly country: CountryDb | null,
    private readonly asn: AsnTable | null,
    readonly sources: readonly GeoSource[],
    cacheSize: number,
  ) {
    this.cache = new LruCache(cacheSize);
  }

  lookup(ip: string): GeoInfo | undefined {
    let info = this.cache.get(ip);
    if (info !== undefined) {
      this.hits++;
    } else {
      this.misses++;
      info = this.find(ip);
      this.cache.set(ip, info);
    }
    return info === NOTHING ? undefined : info;
  }

  /** The databases' answer, uncached (NOTHING when they know nothing or the text is not an address). */
  find(ip: string): GeoInfo {
    let v4 = -1;
    if (ip.indexOf(':') < 0) {
      v4 = ipv4Number(ip);
      if (v4 < 0) return NOTHING;
    } else {
      if (!ipv6Words(ip, this.words)) return NOTHING;
      v4 = mappedIpv4(this.words);
      if (v4 < 0) {
        if (specialIpv6(this.words)) return NOTHING;
        return make(this.country?.country6(this.words), this.asn?.lookup6(this.words));
      }
    }
    if (specialIpv4(v4)) return NOTHING;
    return make(this.country?.country4(v4), this.asn?.lookup4(v4));
  }

  stats(): { hits: number; misses: number; evicted: number; cached: number } {
    return { hits: this.hits, misses: this.misses, evicted: this.cache.evicted, cached: this.cache.size };
  }
}

function make(country: string | undefined, as: { asn: number; org: string } | undefined): GeoInfo {
  if (country === undefined && as === undefined) return NOTHING;
  const out: { country?: string; asn?: number; org?: string } = {};
  if (country !== undefined) out.country = country;
  if (as !== undefined) {
    out.asn = as.asn;
    if (as.org !== '') out.org = as.org;
  }
  return Object.freeze(out);
}
