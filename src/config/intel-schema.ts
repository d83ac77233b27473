/**
 * The `intel:` section (threat-intelligence feeds, src/trust/reputation.ts) and the `decoys:` section (decoy
 * TCP listeners, src/detectors/decoy.ts) of the configuration.
 *
 * A feed is a mapping in YAML:
 *   intel:
 *     feeds:
 *       - { name: feodo, url: https://feodotracker.abuse.ch/downloads/ipblocklist.csv, format: abusech-csv, kind: c2 }
 *       - { name: spamhaus-drop, url: https://www.spamhaus.org/drop/drop.txt, format: spamhaus, kind: drop }
 *       - { name: firehol1, url: https://iplists.firehol.org/files/firehol_level1.netset, format: netset, kind: drop }
 *       - { name: urlhaus, url: https://urlhaus.abuse.ch/downloads/hostfile/, format: hosts, kind: malware }
 *       - { name: local, path: /etc/argus-edge/blocklist.txt }
 * and, in an environment variable or flag (comma-separated list), "name=url-or-path" or "name:format=url-or-path".
 */
import { FEED_FORMATS, FEED_KINDS, type FeedFormat, type FeedKind } from '../trust/feed-formats.js';
import { bool, Invalid, list, num, str, type Field } from './fields.js';

/** One feed: where it comes from (exactly one of url and path), how to read it and what it lists. */
export interface FeedSpec {
  /** letters, digits, '.', '_', '-': names the feed in alerts and its cached copy on disk */
  name: string;
  url: string | null;
  path: string | null;
  format: FeedFormat;
  kind: FeedKind;
}

const FEED_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FEED_WHAT = `a feed: {name, url or path, format?: ${FEED_FORMATS.join('|')}, kind?: ${FEED_KINDS.join('|')}} or 'name[:format]=url-or-path'`;

function feedFrom(o: Record<string, unknown>): FeedSpec | Invalid {
  const bad = (why: string): Invalid => new Invalid(`${FEED_WHAT} (${why})`);
  for (const k of Object.keys(o)) if (!['name', 'url', 'path', 'format', 'kind'].includes(k)) return bad(`unknown key '${k}'`);
  const { name, url, path, format = 'auto', kind = 'other' } = o;
  if (typeof name !== 'string' || !FEED_NAME.test(name)) return bad('name: letters, digits, . _ -');
  if ((url === undefined || url === null) === (path === undefined || path === null)) return bad('exactly one of url and path');
  if (url !== undefined && url !== null && (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url))) return bad('url: http:// or https://');
  if (path !== undefined && path !== null && (typeof path !== 'string' || path === '')) return bad('path: a file');
  if (typeof format !== 'string' || !(FEED_FORMATS as readonly string[]).includes(format)) return bad(`format: ${FEED_FORMATS.join('|')}`);
  if (typeof kind !== 'string' || !(FEED_KINDS as readonly string[]).includes(kind)) return bad(`kind: ${FEED_KINDS.join('|')}`);
  return {
    name,
    url: typeof url === 'string' ? url : null,
    path: typeof path === 'string' ? path : null,
    format: format as FeedFormat,
    kind: kind as FeedKind,
  };
}

/** "name=src" or "name:format=src" (src is a URL when it starts with http:// or https://, else a path). */
function feedFromString(s: string): FeedSpec | Invalid {
  const m = /^([^=:]+)(?::([a-z-]+))?=(.+)$/.exec(s.trim());
  if (m === null) return new Invalid(FEED_WHAT);
  const src = m[3]!.trim();
  const web = /^https?:\/\//.test(src);
  return feedFrom({ name: m[1]!.trim(), format: m[2] ?? 'auto', ...(web ? { url: src } : { path: src }) });
}

export function feed(): Field<FeedSpec> {
  return {
    field: true,
    default: { name: 'feed', url: null, path: '', format: 'auto', kind: 'other' },
    doc: 'feed',
    check: (v) =>
      typeof v === 'string' ? feedFromString(v) : v !== null && typeof v === 'object' && !Array.isArray(v) ? feedFrom(v as Record<string, unknown>) : new Invalid(FEED_WHAT),
    fromString: feedFromString,
  };
}

export const intelSchema = {
  feeds: list(
    feed(),
    [],
    "threat-intelligence lists, each {name, url or path, format: auto|ip|netset|spamhaus|abusech-csv|hosts|domains, kind: c2|malware|phishing|drop|scanner|other}; well-known ones: abuse.ch Feodo Tracker https://feodotracker.abuse.ch/downloads/ipblocklist.csv (abusech-csv, c2), Spamhaus DROP https://www.spamhaus.org/drop/drop.txt (spamhaus, drop), FireHOL level 1 https://iplists.firehol.org/files/firehol_level1.netset (netset, drop), URLhaus hostfile https://urlhaus.abuse.ch/downloads/hostfile/ (hosts, malware)",
  ),
  refreshHours: num(24, 'URL feeds are fetched again after this many hours (files are re-read when they change); a failed fetch keeps the last good copy and is retried within the hour', { min: 0.01, max: 8760 }),
  cacheDir: str('', "directory holding the last good copy of every feed, used at start and when a refresh fails; empty: 'intel' beside store.path"),
  maxEntries: num(2_000_000, 'cap on addresses, prefixes and domains over all feeds; entries beyond it are dropped and counted', { int: true, min: 1 }),
  fetchTimeoutSeconds: num(60, 'a feed download taking longer is abandoned (the last good copy stays in use)', { min: 1, max: 3600 }),
  maxFeedMB: num(64, 'a feed download larger than this many MiB is abandoned', { min: 0.001, max: 4096 }),
} as const;

const port = num(0, 'port', { int: true, min: 1, max: 65535 });

export const decoysSchema = {
  enabled: bool(false, 'listen on unused TCP ports of the appliance; any connection to one is reported as lateral movement (decoy.touch, severity 1)'),
  ports: list(port, [23, 2323, 445, 3389, 5900], 'decoy ports (telnet, SMB, RDP, VNC: what worms and intruders probe first); each must be free on the appliance (ports below 1024 need CAP_NET_BIND_SERVICE)'),
  host: str('::', "address the decoys listen on; '::' is every IPv6 and IPv4 address (falls back to '0.0.0.0' when IPv6 is off)"),
  captureBytes: num(256, 'first bytes a client sends that are kept as evidence', { int: true, min: 0, max: 65536 }),
  idleTimeoutSeconds: num(5, 'a decoy connection idle this long is closed (and one older than four times this, whatever it does)', { min: 0.1, max: 600 }),
  maxConnections: num(64, 'decoy connections open at once over all ports; beyond it new ones are closed at once and counted', { int: true, min: 1, max: 65536 }),
  suppressSeconds: num(600, 'one alert per (source, decoy port) per this many seconds; later touches are counted', { min: 0 }),
} as const;
