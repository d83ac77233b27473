/**
 * The `eve.forward:` section: EVE lines sent on to a syslog collector and/or an HTTP endpoint (src/forward),
 * besides (or instead of) the EVE file.
 */
import { HTTP_FORMATS } from '../forward/http-formats.js';
import { SYSLOG_FACILITIES, type SyslogFacility } from '../forward/syslog-wire.js';
import { bool, list, num, oneOf, str } from './fields.js';

/** null when `s` is a syslog URL forward/index.ts can use, else what is expected */
function syslogUrl(s: string): string | null {
  const m = /^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(s);
  if (m === null) return 'udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT';
  if (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535)) return 'a port from 1 to 65535';
  return null;
}

function httpUrl(s: string): string | null {
  if (s === '') return null;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'an http:// or https:// URL';
  } catch {
    return 'an http:// or https:// URL';
  }
}

export const forwardSchema = {
  queueLines: num(50000, 'EVE lines each forwarder holds while its receiver is slow or down; when full the oldest line is dropped and counted (argus_sink_dropped_total)', { int: true, min: 100, max: 10_000_000 }),
  timeoutSeconds: num(10, 'a connection, a TLS handshake or an HTTP request that takes longer fails and is retried (back-off 0.5 s doubling to 60 s); a TCP/TLS receiver that accepts no data for this long is reconnected', { min: 0.1, max: 600 }),
  shutdownSeconds: num(5, 'at shutdown, queued lines are sent for at most this long; what is left then is counted as dropped', { min: 0, max: 600 }),
  syslog: {
    enabled: bool(false, 'send every EVE line as an RFC 5424 syslog message (MSG is the EVE JSON, MSGID its event type)'),
    url: str('udp://127.0.0.1:514', "the collector: udp://HOST:PORT (one datagram per message), tcp://HOST:PORT or tls://HOST:PORT (octet counting, RFC 6587/5425); the port defaults to 514, 6514 for tls", syslogUrl),
    facility: oneOf(Object.keys(SYSLOG_FACILITIES) as SyslogFacility[], 'local5', "syslog facility (Suricata's EVE syslog output uses local5 too)"),
    appName: str('argus-edge', 'APP-NAME of the messages (what rsyslog calls programname)'),
    hostname: str('', 'HOSTNAME of the messages; empty: this machine\'s host name'),
    caFile: str('', 'tls: a PEM file of CA certificates to trust besides the system\'s (a private CA)'),
    insecure: bool(false, "tls: accept any certificate (a lab collector's self-signed one); the traffic is still encrypted, but anyone on the path can read it"),
    maxMessageBytes: num(8192, "udp: the largest datagram sent (rsyslog's default maxMessageSize is 8k); a longer line is dropped and counted, not cut", { int: true, min: 480, max: 65507 }),
  },
  http: {
    enabled: bool(false, 'POST EVE lines in batches to url'),
    url: str('', 'the endpoint, e.g. http://vector:8080/ (ndjson), http://es:9200/_bulk (elastic), http://loki:3100/loki/api/v1/push (loki); user:password@ in it is sent as HTTP Basic auth', httpUrl),
    format: oneOf(HTTP_FORMATS, 'ndjson', "ndjson: one EVE line per line; elastic: Elasticsearch's bulk API (a create action before each line); loki: Loki's push API (JSON, a stream per event type)"),
    index: str('argus-edge', 'elastic: the index or data stream the documents are created in'),
    batchLines: num(500, 'lines per request at most', { int: true, min: 1, max: 100000 }),
    flushSeconds: num(1, 'a partial batch is sent this long after its first line', { min: 0.01, max: 3600 }),
    gzip: bool(false, 'compress request bodies (Content-Encoding: gzip; Elasticsearch, Loki, Vector and Logstash accept it)'),
    token: str('', 'sent as Authorization: Bearer TOKEN; env:NAME or file:/path read it from the environment or a file. Empty: none'),
    headers: list(
      str('', 'Name: value', (s) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:\s*\S/.test(s) ? null : "'Name: value'")),
      [],
      "extra request headers as 'Name: value' (e.g. 'Authorization: ApiKey …' for Elasticsearch, 'X-Scope-OrgID: tenant' for Loki); values may be env:NAME or file:/path",
    ),
  },
};
