/**
 * The `enrich:` section: country and autonomous system of remote addresses from offline databases
 * (src/enrich). The databases ship inside npm packages and the single executable; nothing is downloaded.
 */
import { bool, num, str } from './fields.js';

export const enrichSchema = {
  enabled: bool(true, 'look up the country and autonomous system (number, organisation) of internet addresses, offline: EVE argus.src_geoip/dest_geoip, top destinations on the Overview and device pages, incidents, InfluxDB remote_flows'),
  geoDir: str(
    '',
    'a directory whose files replace the bundled databases of the same name: dbip-country.mmdb (DB-IP Country Lite or any MaxMind-format country file), asn-ipv4.csv and asn-ipv6.csv (@ip-location-db/asn format); read at start, empty uses the bundled ones',
  ),
  cacheSize: num(65536, 'addresses whose answer is kept in memory (least recently used dropped first); 0 turns the cache off', { int: true, min: 0, max: 10_000_000 }),
} as const;
