/**
 * Every configuration key, its default and what it means. config.yaml at the project root documents the same
 * keys for people; a test checks that the two agree.
 */
import { bool, cidr, list, num, oneOf, str, type Field } from './fields.js';

export const MODES = ['passive', 'inline', 'replay'] as const;

export const schema = {
  mode: oneOf(
    MODES,
    'passive',
    'passive: watch a mirror port or host NIC, never touch traffic; inline: transparent bridge, may quarantine; replay: read a capture file',
  ),
  iface: str('', 'capture interface for passive/inline mode (inline: the bridge, e.g. br0)'),
  homeNets: list(
    cidr(),
    ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10'],
    'address ranges that are "ours": devices inside are tracked by MAC, everything else is remote',
  ),
  capture: {
    bpf: str('', 'BPF filter applied by libpcap; empty captures everything'),
    snaplen: num(2048, 'bytes kept per packet; enough for DHCP, DNS and a TLS ClientHello', { int: true, min: 64, max: 262144 }),
    promisc: bool(true, 'put the interface into promiscuous mode'),
    bufferSizeMB: num(16, 'kernel capture buffer in MiB; raise it when drops are reported', { min: 1, max: 1024 }),
    pcap: str('', 'capture file for replay mode; empty uses the bundled demo capture'),
    realtime: bool(false, 'replay at the pace of the packet timestamps instead of as fast as possible'),
    loop: bool(false, 'replay: start the file again at its end, shifted in time (for demos)'),
  },
  flow: {
    maxFlows: num(200000, 'flow-table cap; at the cap the least recently seen flow is evicted', { int: true, min: 100 }),
    emergencyThreshold: num(0.9, 'fraction of maxFlows that enters emergency mode (shorter idle timeouts)', { min: 0.1, max: 1 }),
    emergencyRecovery: num(0.7, 'fraction of maxFlows below which emergency mode ends', { min: 0.05, max: 1 }),
    sweepInterval: num(1, 'seconds of packet time between timeout sweeps', { min: 0.01, max: 60 }),
    communityIdSeed: num(0, 'Community ID v1 seed (0 matches Suricata and Zeek defaults)', { int: true, min: 0, max: 65535 }),
    timeouts: {
      tcpEstablished: num(300, 'seconds an established TCP flow may be idle', { min: 1 }),
      tcpNew: num(30, 'seconds a TCP flow may be idle before its handshake completes', { min: 1 }),
      tcpClosed: num(5, 'seconds of grace after FIN from both sides or RST, so the last ACK is counted', { min: 0 }),
      udp: num(60, 'seconds a UDP flow may be idle', { min: 1 }),
      icmp: num(30, 'seconds an ICMP flow may be idle', { min: 1 }),
      other: num(60, 'seconds a flow of another IP protocol may be idle', { min: 1 }),
      active: num(1800, 'a flow longer than this exports a record and continues', { min: 1 }),
      emergencyFactor: num(0.1, 'idle timeouts are multiplied by this in emergency mode', { min: 0.01, max: 1 }),
    },
  },
  eve: {
    path: str('', "EVE-JSON output: a file path, '-' for stdout, empty for none"),
    types: list(
      oneOf(['flow', 'alert', 'anomaly', 'device', 'action'] as const, 'flow', 'event type'),
      ['flow', 'alert', 'anomaly', 'device', 'action'],
      'event types written to EVE-JSON',
    ),
    maxSizeMB: num(100, 'rotate the EVE file when it reaches this size (MiB); 0 never rotates', { min: 0 }),
    keep: num(5, 'rotated EVE files kept (argus-edge.json.1 … .N)', { int: true, min: 0, max: 1000 }),
  },
  store: {
    path: str('var/argus-edge.db', 'SQLite database file (relative paths are relative to the working directory)'),
    flowRetentionDays: num(7, 'days raw flow rows are kept', { min: 0 }),
    rollupRetentionDays: num(90, 'days hourly per-device rollups are kept', { min: 0 }),
    maxSizeMB: num(1024, 'the retention job deletes the oldest flows when the database grows past this', { min: 1 }),
    batchSize: num(1000, 'rows written per transaction at most', { int: true, min: 1 }),
    flushIntervalMs: num(1000, 'queued rows are committed at least this often (packet time)', { int: true, min: 10 }),
  },
  influx: {
    url: str('', 'InfluxDB v2 write API base URL (InfluxDB 1.8+, 2.x, 3.x); empty turns it off'),
    token: str('', "API token (InfluxDB 1.8: 'user:password')"),
    org: str('', 'organisation (ignored by InfluxDB 1.8)'),
    bucket: str('argus-edge', "bucket (InfluxDB 1.8: 'database/retention-policy')"),
    flushIntervalMs: num(5000, 'points are sent at least this often', { int: true, min: 100 }),
    maxBufferPoints: num(50000, 'points buffered while the server is unreachable; the oldest are dropped beyond', {
      int: true,
      min: 100,
    }),
  },
  models: {
    dir: str('models/default', 'model directory (model.json, weights, forest, preprocessing, metadata)'),
    thresholdQuantile: num(0.999, 'quantile of benign training scores that maps to the alert threshold', { min: 0.5, max: 1 }),
    learningPeriodHours: num(24, 'live: hours of traffic collected as the baseline before training', { min: 0 }),
  },
  web: {
    host: str('127.0.0.1', "address the dashboard listens on ('0.0.0.0' for the whole LAN)"),
    port: num(8080, 'dashboard port', { int: true, min: 0, max: 65535 }),
  },
  log: {
    level: oneOf(['error', 'warn', 'info', 'debug'] as const, 'info', 'log verbosity on stderr'),
  },
} as const;

type Infer<S> = S extends Field<infer T> ? T : { readonly [K in keyof S]: Infer<S[K]> };

export type Config = Infer<typeof schema>;
