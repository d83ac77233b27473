/**
 * The `detectors:` section of the configuration: thresholds of the explainable detectors (src/detectors/).
 * Every window is in seconds of packet time. The defaults detect the public attack captures and raise nothing on
 * the public benign home/IoT captures (test/detectors-shared.test.ts checks both).
 */
import { bool, list, num, str } from './fields.js';

const secs = (def: number, doc: string) => num(def, doc, { min: 0 });
const count = (def: number, doc: string) => num(def, doc, { int: true, min: 1 });

export const detectorsSchema = {
  enabled: bool(true, 'run the explainable detectors'),
  suppressSeconds: secs(600, 'one alert per (kind, source, target) per this many seconds; later triggers are counted, not raised'),
  maxTracked: count(10000, "cap on the tracked keys (sources, source→target pairs, …) in each detector's table; the least recently seen are evicted"),
  maxAlertTargets: count(20, 'most targets listed in one alert'),
  portScan: {
    verticalWindowSeconds: secs(60, 'window for the vertical scan (many ports of one host)'),
    verticalMinPorts: count(30, 'distinct ports probed on one host within the window'),
    horizontalWindowSeconds: secs(600, 'window for the horizontal scan (one port across many hosts); scanning worms go slowly'),
    horizontalMinHosts: count(20, 'distinct hosts probed on one port within the window'),
    udpProbeMaxPayloadBytes: num(256, 'a UDP flow without a reply counts as a probe when it sent at most this many payload bytes', { int: true, min: 0 }),
    lanSweepWindowSeconds: secs(300, 'window for the LAN sweep (one source probing most of the known LAN hosts, any TCP ports)'),
    lanSweepMinHosts: count(3, 'distinct known LAN hosts a source must probe on unanswered or refused TCP ports within the window'),
    lanSweepHostShare: num(0.5, 'and at least this share of the LAN hosts known at the time (the source itself not counted)', { min: 0, max: 1 }),
    lanHostSeconds: secs(3600, 'a homeNets address is a known LAN host for this long after it last sent or answered traffic'),
    serviceWindowSeconds: secs(300, 'window for the service/version scan (probe-and-close connections to several services of one host)'),
    serviceMinPorts: count(3, 'distinct ports of one host with probe-and-close connections within the window'),
    serviceMaxSeconds: secs(30, 'a probe-and-close connection lasts at most this long'),
    serviceMaxClientBytes: num(1024, 'and its client sent at most this many payload bytes (a probe, not a request with a body)', { int: true, min: 0 }),
  },
  bruteForce: {
    windowSeconds: secs(600, 'window over which attempts to one login service are counted'),
    minAttempts: count(10, 'attempts (short, similar connections from one source to one service, or failed logins the server answered) for SSH, telnet, FTP, RDP'),
    slowWindowSeconds: secs(3600, 'the long window for slow guessing (one attempt every 20-60 s)'),
    slowMinAttempts: count(40, 'attempts within the long window'),
    httpMinAttempts: count(20, 'failed HTTP logins (401/403 answers) from one source to one server; answered requests (a device polling a page) never count'),
    httpWindowSeconds: secs(600, 'window for the HTTP failures'),
    maxAttemptSeconds: secs(120, 'a connection longer than this is a session, not an attempt'),
    maxAttemptBytes: num(16384, 'a connection that sent more payload than this is a session (file transfer, shell), not an attempt', { int: true, min: 0 }),
    maxSizeCv: num(0.5, 'attempts are similar when the coefficient of variation of their client payload sizes is at most this', { min: 0 }),
  },
  synFlood: {
    windowSeconds: secs(10, 'counting window for half-open connections'),
    minHalfOpen: count(200, 'half-open connection attempts to one host:port within the window'),
    singleSourceShare: num(0.5, 'one source with at least this share of the attempts is named; below it the alert names no single source', { min: 0, max: 1 }),
    // the flood gate (src/flood/gate.ts): what happens to a flooded target's half-open flows once the alert is raised
    samplePerSecond: num(10, "once dos.synflood is raised for a target (host:port), this many of its one-packet half-open flows per second of packet time are still exported as flow records (scored, stored, shown); the rest are counted into the flood's incident. 0 counts them all", { int: true, min: 0, max: 100000 }),
    maxTargets: num(64, 'flooded targets whose half-open flows are counted at once; past it the one flooded first is released (what was counted for it goes into its incident)', { int: true, min: 1, max: 65536 }),
    knownSources: num(65536, 'IPv4 sources of answered TCP connections remembered (the oldest forgotten first); half-open flows from them are never counted into a flood, they stay flow records', { int: true, min: 1, max: 1048576 }),
    holdSeconds: num(60, "a flooded target is released after this many seconds of packet time in which nothing was counted for it; its half-open flows are flow records again", { min: 1, max: 86400 }),
  },
  dnsTunnel: {
    windowSeconds: secs(300, 'counting window for DNS names'),
    minUniqueNames: count(8, 'distinct query names under one registered domain from one client within the window'),
    minSuspicious: count(8, 'suspicious queries (long high-entropy names, TXT/NULL/unusual types) needed among them'),
    longNameChars: count(24, 'a name is long when the part left of the registered domain has at least this many characters'),
    minEntropyBits: num(3.2, 'a long name is high-entropy when its characters carry at least this many bits each (Shannon)', { min: 0 }),
    ignoreDomains: list(
      str('', 'domain'),
      ['cymru.com', 'spamhaus.org', 'spamcop.net', 'sorbs.net', 'barracudacentral.org', 'surbl.org', 'uribl.com', 'dnswl.org', 'mailspike.net'],
      'registered domains never judged: DNS-based lookup services that look like tunnels by design',
    ),
  },
  beacon: {
    minConnections: count(10, 'connections to one destination needed before the interval regularity is judged'),
    maxIntervalCv: num(0.25, 'at most this coefficient of variation (std / mean) of the intervals between connections', { min: 0 }),
    minIntervalSeconds: secs(1.5, 'intervals shorter than this are bursts (page loads, retries); a series where they are common is polling, not a beacon'),
    maxIntervalSeconds: secs(600, 'longer intervals are not tracked: devices check in with their clouds every 15-30 min as regularly as an implant'),
    ignoreHomeDestinations: bool(false, 'ignore destinations inside homeNets (a LAN host can be a pivot, so they are judged by default; beacons to them are severity 2)'),
    ignorePorts: list(num(0, 'port', { int: true, min: 0, max: 65535 }), [53, 67, 68, 123, 137, 138, 1900, 5353, 5355], 'destination ports never judged: infrastructure that is periodic by design'),
  },
  upload: {
    windowSeconds: secs(3600, "upload is summed per window of this length, per destination and in total; the device's baselines are learnt per window"),
    minBytes: num(50_000_000, 'never alert below this many bytes (to one destination, or in total) in one window', { min: 0 }),
    factor: num(10, "alert when a window's upload to one destination, or in total, exceeds the device's baseline for it by this factor", { min: 1 }),
    minBaselineWindows: count(3, 'windows of history a device needs before it can alert'),
    baselineAlpha: num(0.2, 'weight of the newest window in the exponentially weighted baseline', { min: 0, max: 1 }),
  },
  arp: {
    scanWindowSeconds: secs(60, 'window for the ARP scan'),
    scanMinTargets: count(40, 'distinct addresses asked for by one sender within the window'),
    bindingFreshSeconds: secs(600, 'an IP→MAC binding seen within this many seconds may not change silently; older ones may (DHCP reuse)'),
    maxClaimsPerMac: count(8, 'addresses remembered per MAC; a MAC claiming an address of another station besides its own is the spoofer'),
    gratuitousMin: count(20, 'gratuitous ARPs from one MAC within the window that make a storm'),
    gratuitousWindowSeconds: secs(10, 'window for the gratuitous-ARP storm'),
    gatewayIps: list(str('', 'address'), [], 'gateway addresses; a gateway MAC change is severity 1. Empty: the gateway is inferred from flows'),
  },
  deviceFlood: {
    windowSeconds: num(60, 'window over which MAC addresses never seen before are counted (flood.devices)', { int: true, min: 1, max: 3600 }),
    minNewDevices: count(200, 'new MACs within the window that make a device flood (macof, DHCP starvation); it ends when a window holds fewer than half'),
    sampleSize: num(50, 'new MACs of a flood still tracked and stored as devices; the rest are counted in the incident, not stored', { int: true, min: 0 }),
  },
} as const;
