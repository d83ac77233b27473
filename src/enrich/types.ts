/**
 * The enrichment contract: what the rest of the appliance may ask about a remote address. Everything is
 * offline — the databases ship inside npm packages, are embedded in the single executable, and may be
 * replaced by files in enrich.geoDir; nothing is downloaded at run time.
 */

/** What is known about one address. Absent fields are unknown (a range with an AS but no country, …). */
export interface GeoInfo {
  /** ISO 3166-1 alpha-2 country code, e.g. "DE" */
  readonly country?: string;
  /** autonomous system number */
  readonly asn?: number;
  /** the autonomous system's organisation, as the registry names it */
  readonly org?: string;
}

/** Where one database came from, for --version, the log and the dashboard. */
export interface GeoSource {
  /** what it answers */
  kind: 'country' | 'asn';
  /** file names as they ship (the names a replacement in enrich.geoDir must have) */
  files: string[];
  /** 'bundled': from the npm package (or the executable's copy of it); 'geoDir': replaced by the admin */
  origin: 'bundled' | 'geoDir';
  /** a line for people: the database, its date or size */
  detail: string;
}

/** Who must be credited when results are shown (the databases' licences, CC BY 4.0). */
export interface Attribution {
  text: string;
  url: string;
}

export interface GeoLookup {
  /**
   * Country and AS of `ip` (text form, IPv4 or IPv6), or undefined when nothing is known: private, loopback,
   * link-local, multicast and documentation addresses always give undefined. The returned object is frozen
   * and shared between callers. Results are kept in a bounded LRU cache.
   */
  lookup(ip: string): GeoInfo | undefined;
  /** the databases in use */
  readonly sources: readonly GeoSource[];
  /** lookups answered from the cache, lookups that read the databases, cache entries evicted at the cap */
  stats(): { hits: number; misses: number; evicted: number; cached: number };
}
