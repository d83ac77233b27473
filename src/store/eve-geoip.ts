/**
 * `argus.src_geoip` / `argus.dest_geoip` on EVE lines: what the offline databases (src/enrich) know of each
 * end's address, with the field names of Logstash's geoip filter (legacy, non-ECS form: `ip`,
 * `country_code2`, `asn`, `as_org`), so dashboards built for Logstash-enriched Suricata data find them after
 * renaming only the parent. Under our namespace, never among Suricata's keys; an end the databases know
 * nothing of (a LAN address, an unlisted range) has no object.
 */
import type { GeoInfo, GeoLookup } from '../enrich/index.js';

export interface EveGeoip {
  ip: string;
  country_code2?: string;
  asn?: number;
  as_org?: string;
}

export function eveGeoip(ip: string, info: GeoInfo | undefined): EveGeoip | undefined {
  if (info === undefined) return undefined;
  return {
    ip,
    ...(info.country !== undefined ? { country_code2: info.country } : {}),
    ...(info.asn !== undefined ? { asn: info.asn } : {}),
    ...(info.org !== undefined ? { as_org: info.org } : {}),
  };
}

/** The geoip objects of a line's two ends, as keys to spread into its `argus` object. */
export function geoipKeys(geo: GeoLookup | null | undefined, srcIp: string | undefined, destIp: string | undefined): { src_geoip?: EveGeoip; dest_geoip?: EveGeoip } {
  if (geo == null) return {};
  const s = srcIp !== undefined ? eveGeoip(srcIp, geo.lookup(srcIp)) : undefined;
  const d = destIp !== undefined ? eveGeoip(destIp, geo.lookup(destIp)) : undefined;
  return { ...(s !== undefined ? { src_geoip: s } : {}), ...(d !== undefined ? { dest_geoip: d } : {}) };
}
