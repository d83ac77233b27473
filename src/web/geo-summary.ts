/**
 * Traffic by where it went: the rows of a destination list (address, flows, bytes) summed by the remote
 * end's country and by its network (autonomous system), from the offline databases (src/enrich). Lookups
 * are cached and cost well under a microsecond, so a page sums a few hundred addresses in its own time.
 */
import { lookupWorthy, type GeoInfo, type GeoLookup } from '../enrich/index.js';

/** the key of LAN, loopback, link-local and other addresses no database lists */
export const LOCAL = 'local';

export interface GeoShare {
  /** ISO country code, or `AS<number>`; '' for addresses the databases know nothing of, LOCAL for private ones */
  key: string;
  /** what a person reads: "Germany", "AS15169 Google LLC", "unknown" */
  label: string;
  flows: number;
  bytes: number;
  /** distinct addresses summed */
  addresses: number;
}

export interface GeoShares {
  countries: GeoShare[];
  networks: GeoShare[];
}

let regionNames: Intl.DisplayNames | null | undefined;

/** The English name of an ISO 3166-1 alpha-2 code ("DE" → "Germany"), the code itself when ICU has none. */
export function countryName(code: string): string {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
    } catch {
      regionNames = null;
    }
  }
  try {
    return regionNames?.of(code) ?? code;
  } catch {
    return code;
  }
}

export function networkLabel(info: GeoInfo | undefined): string {
  if (info?.asn === undefined) return 'unknown';
  return `AS${info.asn}${info.org !== undefined ? ` ${info.org}` : ''}`;
}

/** `rows` summed by country and by network, each list largest by bytes first and cut to `limit`. */
export function geoShares(rows: readonly { ip: string; flows: number; bytes: number }[], geo: GeoLookup, limit = 8): GeoShares {
  const countries = new Map<string, GeoShare>();
  const networks = new Map<string, GeoShare>();
  const add = (m: Map<string, GeoShare>, key: string, label: () => string, r: { flows: number; bytes: number }): void => {
    let s = m.get(key);
    if (s === undefined) m.set(key, (s = { key, label: label(), flows: 0, bytes: 0, addresses: 0 }));
    s.flows += r.flows;
    s.bytes += r.bytes;
    s.addresses++;
  };
  for (const r of rows) {
    if (r.ip === '') continue; // the sum past a rollup's per-hour cap has no address
    if (!lookupWorthy(r.ip)) {
      // documentation and other reserved ranges land here too (the demo's "internet" is 198.51.100.0/24)
      add(countries, LOCAL, () => 'local, private or reserved addresses (on no map)', r);
      add(networks, LOCAL, () => 'local, private or reserved addresses (on no map)', r);
      continue;
    }
    const info = geo.lookup(r.ip);
    const cc = info?.country ?? '';
    add(countries, cc, () => (cc === '' ? 'unknown' : countryName(cc)), r);
    const as = info?.asn !== undefined ? `AS${info.asn}` : '';
    add(networks, as, () => networkLabel(info), r);
  }
  const top = (m: Map<string, GeoShare>): GeoShare[] => [...m.values()].sort((a, b) => b.bytes - a.bytes || b.flows - a.flows || (a.key < b.key ? -1 : 1)).slice(0, limit);
  return { countries: top(countries), networks: top(networks) };
}
