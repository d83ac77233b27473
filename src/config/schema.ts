/**
 * Every configuration key, its default and what it means. config.yaml at the project root documents the same
 * keys for people; a test checks that the two agree.
 */
import { detectorsSchema } from './detectors-schema.js';
import { enrichSchema } from './enrich-schema.js';
import { incidentsSchema } from './incidents-schema.js';
import { notifySchema } from './notify-schema.js';
import { fleetSchema } from './fleet-schema.js';
import { forwardSchema } from './forward-schema.js';
import { decoysSchema, intelSchema } from './intel-schema.js';
import { modelsSchema } from './models-schema.js';
import { responseSchema } from './response-schema.js';
import { scanSchema, trustSchema } from './trust-schema.js';
import { webSchema } from './web-schema.js';
import { bool, cidr, list, num, oneOf, str, type Field } from './fields.js';
import { ZEEK_LIKELY_SERVER_PORTS } from '../flow/server-ports.js';

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
    snaplen: num(1978, 'bytes kept per packet: a whole 1500-byte-MTU frame with two VLAN tags (DHCP, DNS, a TLS ClientHello); the kernel ring then fits two frames per page', { int: true, min: 64, max: 262144 }),
    promisc: bool(true, 'put the interface into promiscuous mode'),
    bufferSizeMB: num(16, 'kernel capture buffer in MiB; raise it when drops are reported', { min: 1, max: 1024 }),
    pcap: str('', 'capture file for replay mode; empty uses the bundled demo capture'),
    realtime: bool(false, 'replay at the pace of the packet timestamps instead of as fast as possible'),
    loop: bool(false, 'replay: start the file again at its end, shifted in time (for demos)'),
  },
  decode: {
    tunnels: bool(true, "decapsulate tunnels (IP-in-IP, GRE, ERSPAN, VXLAN, Geneve, Teredo, GTP-U, AYIYA): the packets inside become flows of their own that name the tunnel's flow as their parent (EVE tunnel, Zeek's tunnel_parents), as Zeek does; false counts a tunnel as its outer flow only"),
    maxTunnelDepth: num(4, "tunnels inside tunnels unwrapped at most (Zeek's Tunnel::max_depth); a deeper packet raises decoder.tunnel.max_depth_exceeded and is counted in its carrier's flow only", { int: true, min: 1, max: 16 }),
    fragments: {
      reassemble: bool(true, "reassemble IPv4 and IPv6 fragments, as Zeek and Suricata do: a fragmented datagram is decoded and counted once, in its own flow, when its last piece arrives (overlaps: the bytes seen first win); false counts each fragment as a packet, later fragments in a port-0 flow"),
      timeout: num(30, "seconds of packet time a datagram may take from its first fragment to its last before it is dropped (decoder.ipv4/ipv6.frag_timeout; Linux's ipfrag_time, Zeek's frag_timeout)", { min: 1, max: 600 }),
      maxBytes: num(4194304, 'bytes of fragments held at most; at the cap the oldest datagram in progress is dropped (frag_evicted)', { int: true, min: 65535 }),
      maxDatagrams: num(4096, 'datagrams in progress at most; at the cap the oldest is dropped (frag_evicted)', { int: true, min: 1 }),
      maxPerSource: num(256, 'datagrams in progress from one source address at most; fragments of a further one are dropped (frag_ignored), so one host cannot crowd out the rest', { int: true, min: 1 }),
      maxFragments: num(128, 'fragments one datagram may have; more drop it (frag_too_many: tiny-fragment floods)', { int: true, min: 2, max: 8192 }),
    },
  },
  flow: {
    maxFlows: num(200000, 'flow-table cap; at the cap the least recently seen flow is evicted', { int: true, min: 100 }),
    emergencyThreshold: num(0.9, 'fraction of maxFlows that enters emergency mode (shorter idle timeouts)', { min: 0.1, max: 1 }),
    emergencyRecovery: num(0.7, 'fraction of maxFlows below which emergency mode ends', { min: 0.05, max: 1 }),
    sweepInterval: num(1, 'seconds of packet time between timeout sweeps', { min: 0.01, max: 60 }),
    communityIdSeed: num(0, 'Community ID v1 seed (0 matches Suricata and Zeek defaults)', { int: true, min: 0, max: 65535 }),
    keyByVlan: bool(false, "key flows by their VLAN ids too (Suricata's vlan.use-for-tracking): the two directions of a connection routed between two VLANs are then two flows; false keys by addresses, ports and protocol only, as Zeek's default connection key does, and a flow's vlan field is that of its first packet"),
    loneFinCloses: bool(false, "end a TCP connection when one side sends a FIN while the other has sent nothing (Zeek's close_complete: the connection is removed tcpClosed seconds later and later packets start a new one); false (the default) waits for the idle timeout, because the bundled model was trained and measured on those flows"),
    timeouts: {
      tcpEstablished: num(300, 'seconds an established TCP flow may be idle', { min: 1 }),
      tcpNew: num(30, 'seconds a TCP flow may be idle before its handshake completes', { min: 1 }),
      tcpClosed: num(5, 'seconds of grace after FIN from both sides or RST, so the last ACK is counted', { min: 0 }),
      tcpAttempt: num(5, "Zeek's tcp_attempt_delay: a connection attempt (SYN or SYN-ACK from the originator, nothing from the responder) ends this many seconds after it began, and later packets start a new connection; 0 keeps it open to the tcpNew idle timeout", { min: 0 }),
      udp: num(60, 'seconds a UDP flow may be idle', { min: 1 }),
      dns: num(0, "Zeek's dns_session_timeout (Zeek: 10): a UDP flow to a DNS port (53, 137, 5353, 5355) ends at the first check, every this many seconds from its start, that finds it idle for this less one second, and later packets start a new flow; 0 (the default) keeps DNS flows ordinary UDP flows, because the bundled model was trained and measured on those", { min: 0 }),
      icmp: num(30, 'seconds an ICMP flow may be idle', { min: 1 }),
      other: num(60, 'seconds a flow of another IP protocol may be idle', { min: 1 }),
      active: num(1800, 'a flow longer than this exports a record and continues', { min: 1 }),
      emergencyFactor: num(0.1, 'idle timeouts are multiplied by this in emergency mode', { min: 0.01, max: 1 }),
    },
    likelyServerPorts: {
      tcp: list(
        num(0, 'TCP port', { int: true, min: 0, max: 65535 }),
        ZEEK_LIKELY_SERVER_PORTS.tcp,
        "Zeek's likely_server_ports for TCP (its defaults): a connection first seen as a SYN-ACK or midstream packet from one of these ports to another port is turned round, the receiver becomes its originator and the history starts with ^",
      ),
      udp: list(
        num(0, 'UDP port', { int: true, min: 0, max: 65535 }),
        ZEEK_LIKELY_SERVER_PORTS.udp,
        "Zeek's likely_server_ports for UDP (its defaults): a first datagram from one of these ports to a port not listed (and not to 255.255.255.255) makes its receiver the originator, with ^ in the history",
      ),
    },
  },
  eve: {
    path: str('', "EVE-JSON output: a file path, '-' for stdout, empty for none (eve.forward still sends the lines on)"),
    types: list(
      oneOf(['flow', 'alert', 'anomaly', 'argus_anomaly', 'device', 'action'] as const, 'flow', 'event type'),
      ['flow', 'alert', 'anomaly', 'argus_anomaly', 'device', 'action'],
      "event types written to EVE-JSON: 'anomaly' is Suricata's decoder anomaly (decoder.* events), 'argus_anomaly' the models' scores of flows at the alert threshold",
    ),
    dnsVersion: num(3, "form of the dns object: 3 as Suricata 8 writes it (dns.queries, dns.answers), 2 for Suricata 6/7's flat form (dns.rrname beside the answers)", { int: true, min: 2, max: 3 }),
    maxSizeMB: num(100, 'rotate the EVE file when it reaches this size (MiB); 0 never rotates', { min: 0 }),
    keep: num(5, 'rotated EVE files kept (argus-edge.json.1 … .N)', { int: true, min: 0, max: 1000 }),
    forward: forwardSchema,
  },
  zeek: {
    dir: str('', 'Zeek logs: the directory conn.log, dns.log and ssl.log are written to (created when missing), for Zeek tooling such as zeek-cut, RITA or Zui; empty for none'),
    format: oneOf(['tsv', 'json'] as const, 'tsv', "tsv: Zeek's default tab-separated format with its #-header lines; json: one JSON object per line, as Zeek writes with LogAscii::use_json"),
  },
  store: {
    path: str('var/argus-edge.db', "SQLite database file (relative paths are relative to the working directory); 'replay' writes it only with --store"),
    flowRetentionDays: num(7, 'days raw flows and anomaly events are kept', { min: 0 }),
    rollupRetentionDays: num(90, 'days hourly per-device rollups, alerts, trust history, finished actions and audit entries are kept', { min: 0 }),
    maxSizeMB: num(1024, 'cap on the database file plus its WAL; beyond it raw flows and anomaly events go first, then devices seen once, then rollups; alerts, incidents, actions, audit entries and trust history never (only by age)', { min: 1 }),
    maxDevices: num(10000, 'devices stored at most (every MAC ever seen inside homeNets); past it the devices seen for the shortest time go first, never one with alerts, trust history, a scan, an action, a label or a chosen type', { int: true, min: 16 }),
    maxAddressesPerDevice: num(64, 'addresses stored per device at most; a new one beyond it replaces the least recently used', { int: true, min: 1 }),
    batchSize: num(1000, 'queued rows are committed in one transaction once this many are waiting', { int: true, min: 1 }),
    flushIntervalMs: num(1000, 'queued rows are committed at least this often (packet time)', { int: true, min: 10 }),
    anomalyEvents: oneOf(['all', 'alerts'] as const, 'all', "anomaly events stored: 'all' scored flows, or only 'alerts' (half the writes; kinder to SD cards)"),
  },
  influx: {
    url: str('', 'InfluxDB v2 write API base URL (InfluxDB 1.8+, 2.x, 3.x), e.g. http://192.0.2.10:8086; empty turns it off'),
    token: str('', "API token (InfluxDB 1.8: 'user:password')"),
    org: str('', 'organisation (ignored by InfluxDB 1.8)'),
    bucket: str('argus-edge', "bucket (InfluxDB 1.8: 'database/retention-policy')"),
    sensor: str('', "the 'sensor' tag on every point, to tell several appliances apart; empty uses the host name"),
    intervalMs: num(10000, 'per-device traffic and rates are aggregated over this much packet time', { int: true, min: 1000 }),
    batchSize: num(5000, 'lines per write request at most', { int: true, min: 1 }),
    flushIntervalMs: num(1000, 'a partial batch is sent after this long', { int: true, min: 100 }),
    maxBufferLines: num(50000, 'lines held while the server is unreachable; beyond it the oldest are dropped and counted', { int: true, min: 100 }),
    clock: oneOf(['packet', 'wall'] as const, 'packet', "timestamps: 'packet' time (live that is now; a replay keeps the capture's dates, like the store), or 'wall': a replay shifted so its first packet lands at the moment it is read (servers drop points older than their retention)"),
  },
  models: modelsSchema,
  detectors: detectorsSchema,
  incidents: incidentsSchema,
  notify: notifySchema,
  fleet: fleetSchema,
  response: responseSchema,
  intel: intelSchema,
  enrich: enrichSchema,
  decoys: decoysSchema,
  trust: trustSchema,
  scan: scanSchema,
  web: webSchema,
  log: {
    level: oneOf(['error', 'warn', 'info', 'debug'] as const, 'info', 'log verbosity on stderr'),
  },
} as const;

type Infer<S> = S extends Field<infer T> ? T : { readonly [K in keyof S]: Infer<S[K]> };

export type Config = Infer<typeof schema>;
