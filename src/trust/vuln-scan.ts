/**
 * Vulnerability scans of LAN devices with nmap: a new device is scanned when it appears, every device again
 * every scan.intervalHours; one scan at a time, at most scan.maxPerHour, and only addresses inside scan.scope
 * (homeNets when empty) — every address is checked right before nmap is started, whoever asked for it.
 * nmap runs with an argument array (never a shell) and writes XML to stdout (`-oX -`), parsed by nmap-xml.ts.
 * Results go to the scans table and, as findings, into the trust score's vulnerability component.
 *
 * Off unless scan.enabled. A scan is real network traffic toward a device in real time, so the scanner uses
 * the clock it is given (the pipeline's clock: wall time when live) and is not meant for replay mode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Bus } from '../bus.js';
import { ipToString, parseIp } from '../decode/addr.js';
import { isGroupAddress, PrefixSet } from '../detectors/addresses.js';
import type { Store } from '../store/db.js';
import type { Severity } from '../detectors/alert.js';
import { parseNmapXml, type NmapPort, type NmapRun } from './nmap-xml.js';

/** A risky service found open on a device. Stored as-is in scans.findings. */
export interface Finding {
  /** stable id of the table row: 'telnet-open', 'adb-open', … */
  id: string;
  port: number;
  proto: string;
  /** nmap's service name, or the table's when nmap named none */
  service: string;
  severity: Severity;
  /** points taken off the vulnerability component */
  penalty: number;
  /** "Telnet is open on port 23: unencrypted remote login, how Mirai spreads" */
  text: string;
  /** what to do about it: "disable telnet on port 23" */
  advice: string;
}

interface RiskyService {
  id: string;
  ports: readonly number[];
  proto: 'tcp' | 'udp';
  service: string;
  severity: Severity;
  penalty: number;
  why: string;
  /** `{port}` is replaced by the port number */
  advice: string;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, k) => a + k);

/**
 * Risky open services and their penalty on the vulnerability component (0..100, 100 = nothing risky open).
 * Penalties add up; the component never drops below VULN_FLOOR, so open services alone make a device at
 * worst "alert", never "critical" (quarantine is for what a device does, not for what it offers).
 *  - 35: remote shells without encryption or authentication that worms use (telnet, ADB, rsh, Docker API)
 *  - 25: remote desktops commonly left without a password (VNC)
 *  - 20: file sharing and remote admin exposed to the LAN (SMB, RDP, TR-069)
 *  - 15: clear-text logins and unauthenticated brokers and databases (FTP, MQTT, Redis, …)
 *  - 10: discovery and media services that widen the attack surface (UPnP, RTSP)
 */
export const RISKY_SERVICES: readonly RiskyService[] = [
  { id: 'telnet-open', ports: [23, 2323], proto: 'tcp', service: 'telnet', severity: 1, penalty: 35, why: 'unencrypted remote login, how Mirai-style botnets spread', advice: 'disable telnet on port {port} (use SSH, or turn remote login off)' },
  { id: 'adb-open', ports: [5555], proto: 'tcp', service: 'adb', severity: 1, penalty: 35, why: 'Android Debug Bridge gives a root shell without a password', advice: 'turn off network debugging (ADB over TCP, port {port}) in the developer options' },
  { id: 'rsh-open', ports: [512, 513, 514], proto: 'tcp', service: 'rsh', severity: 1, penalty: 35, why: 'r-services log in without encryption, often without a password', advice: 'disable rexec/rlogin/rsh on port {port}' },
  { id: 'docker-api-open', ports: [2375], proto: 'tcp', service: 'docker', severity: 1, penalty: 35, why: 'an unencrypted Docker API gives root on the host to anyone', advice: 'bind the Docker API on port {port} to a Unix socket or require TLS (2376)' },
  { id: 'vnc-open', ports: range(5900, 5903), proto: 'tcp', service: 'vnc', severity: 1, penalty: 25, why: 'remote desktop, often without a password or with a weak one', advice: 'disable VNC on port {port} or require a strong password and reach it through a VPN' },
  { id: 'smb-open', ports: [445, 139], proto: 'tcp', service: 'smb', severity: 2, penalty: 20, why: 'Windows file sharing, the way ransomware worms (WannaCry) move', advice: 'turn off file sharing (SMB, port {port}) if unused, and disable SMBv1' },
  { id: 'rdp-open', ports: [3389], proto: 'tcp', service: 'ms-wbt-server', severity: 2, penalty: 20, why: 'remote desktop, a favourite brute-force target', advice: 'disable Remote Desktop on port {port} or require Network Level Authentication' },
  { id: 'tr069-open', ports: [7547], proto: 'tcp', service: 'cwmp', severity: 2, penalty: 20, why: 'TR-069 remote management (exploited by the 2016 Mirai variant)', advice: 'disable remote management (TR-069, port {port}) on this device' },
  { id: 'ftp-open', ports: [21], proto: 'tcp', service: 'ftp', severity: 2, penalty: 15, why: 'FTP sends passwords in clear text', advice: 'disable FTP on port {port} (use SFTP instead)' },
  { id: 'mqtt-open', ports: [1883], proto: 'tcp', service: 'mqtt', severity: 2, penalty: 15, why: 'unencrypted MQTT broker, often without authentication', advice: 'require authentication on the MQTT broker and use TLS (8883) instead of port {port}' },
  { id: 'database-open', ports: [3306, 5432, 6379, 9200, 11211, 27017], proto: 'tcp', service: 'database', severity: 2, penalty: 15, why: 'a database or cache reachable from the LAN, often without a password', advice: 'bind the database on port {port} to localhost or require authentication' },
  { id: 'upnp-open', ports: [1900, 5000], proto: 'tcp', service: 'upnp', severity: 3, penalty: 10, why: 'UPnP lets any LAN program open ports in the router', advice: 'disable UPnP (port {port}) if nothing needs it' },
  { id: 'rtsp-open', ports: [554], proto: 'tcp', service: 'rtsp', severity: 3, penalty: 10, why: 'camera stream, often reachable without a password', advice: 'set a password on the camera stream (RTSP, port {port})' },
];

/** Lowest value of the vulnerability component (see RISKY_SERVICES). */
export const VULN_FLOOR = 10;

const BY_PORT = new Map<string, RiskyService>();
for (const r of RISKY_SERVICES) for (const p of r.ports) BY_PORT.set(`${r.proto}/${p}`, r);

/** Findings for the open ports of one scan (closed and filtered ports are ignored). */
export function findingsFor(ports: readonly NmapPort[]): Finding[] {
  const out: Finding[] = [];
  for (const p of ports) {
    if (p.state !== 'open') continue;
    const r = BY_PORT.get(`${p.protocol}/${p.port}`);
    if (r === undefined) continue;
    const service = p.service || r.service;
    out.push({ id: r.id, port: p.port, proto: p.protocol, service, severity: r.severity, penalty: r.penalty, text: `${service} is open on port ${p.port}: ${r.why}`, advice: r.advice.replace('{port}', String(p.port)) });
  }
  return out;
}

/** The vulnerability component a set of findings leaves: 100 minus their penalties, at least VULN_FLOOR. */
export function vulnerabilityScore(findings: readonly Finding[]): number {
  return Math.max(VULN_FLOOR, 100 - findings.reduce((s, f) => s + f.penalty, 0));
}

export interface ScanConfig {
  homeNets: readonly string[];
  scan: { enabled: boolean; scope: readonly string[]; intervalHours: number; maxPerHour: number; ports: string; serviceVersions: boolean; timeoutSeconds: number };
}

/** Checks scan targets against scan.scope (homeNets when empty). */
export class ScanScope {
  private readonly prefixes: PrefixSet;
  constructor(cfg: ScanConfig) {
    this.prefixes = new PrefixSet(cfg.scan.scope.length > 0 ? cfg.scan.scope : cfg.homeNets);
  }

  /**
   * The canonical text of `target` when it is one unicast address inside the scope, else null. Host names,
   * ranges, prefixes, option-like strings, group and link-local addresses (which need a zone) are all refused.
   */
  check(target: string): string | null {
    const a = parseIp(target.trim());
    if (a === null) return null;
    const ip = ipToString(a.words, a.version);
    if (isGroupAddress(ip) || /^fe[89ab]/i.test(ip) || ip.startsWith('::ffff:')) return null;
    return this.prefixes.has(ip) ? ip : null;
  }
}

/** nmap's arguments for one target (already checked by ScanScope). */
export function nmapArgs(ip: string, cfg: ScanConfig['scan']): string[] {
  const a = ['-n', '-Pn', '--noninteractive', '-oX', '-', '-T4', '--max-retries', '2', '--host-timeout', `${Math.ceil(cfg.timeoutSeconds)}s`];
  if (cfg.ports !== '') a.push('-p', cfg.ports);
  else a.push('--top-ports', '1000');
  if (cfg.serviceVersions) a.push('-sV', '--version-light');
  if (ip.includes(':')) a.push('-6');
  a.push(ip);
  return a;
}

export interface ScanResult {
  ip: string;
  mac: string | null;
  status: 'done' | 'failed';
  /** open ports only */
  openPorts: { port: number; proto: string; service: string }[];
  findings: Finding[];
  /** the vulnerability component (null when the scan failed) */
  score: number | null;
  error: string;
  run: NmapRun | null;
}

/** What one nmap run left: its parsed XML (null when it wrote none) and why it failed ('' when it did not). */
export interface NmapOutcome {
  run: NmapRun | null;
  error: string;
}

/** Most bytes of nmap output kept (a one-host scan writes a few KiB). */
const MAX_OUTPUT = 8 << 20;

/**
 * Runs nmap on one address, which must already have passed ScanScope. Resolves; never rejects. The child is
 * in `running` while it runs, so its owner can end it.
 */
export function runNmap(ip: string, cfg: ScanConfig['scan'], nmapPath = 'nmap', running = new Set<ChildProcess>()): Promise<NmapOutcome> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let timedOut = false;
    const child = spawn(nmapPath, nmapArgs(ip, cfg), { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    }, cfg.timeoutSeconds * 1000 + 5000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < MAX_OUTPUT) out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 65536) err += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ run: null, error: `cannot run ${nmapPath}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const run = out === '' ? null : parseNmapXml(out);
      const why = timedOut
        ? `timed out after ${cfg.timeoutSeconds} s`
        : code !== 0
          ? `nmap exited with ${signal ?? code}: ${err.trim().split('\n').slice(-2).join(' ')}`
          : run === null
            ? 'nmap wrote nothing'
            : run.error;
      resolve({ run, error: why });
    });
  });
}

/** Turns one nmap run into a ScanResult. */
export function resultOf(ip: string, mac: string | null, r: NmapOutcome): ScanResult {
  const host = r.run?.hosts.find((h) => h.ip === ip) ?? r.run?.hosts[0];
  const ports = host?.ports ?? [];
  const ok = r.error === '' && r.run !== null && r.run.exit !== 'error';
  const findings = ok ? findingsFor(ports) : [];
  return {
    ip,
    mac,
    status: ok ? 'done' : 'failed',
    openPorts: ports.filter((p) => p.state === 'open').map((p) => ({ port: p.port, proto: p.protocol, service: p.service })),
    findings,
    score: ok ? vulnerabilityScore(findings) : null,
    error: ok ? '' : r.error || 'nmap reported an error',
    run: r.run,
  };
}

/** What receives scan findings: the trust scorer's vulnerability component. */
export interface FindingsSink {
  setScanResult(mac: string, findings: readonly Finding[], tsUs: number): void;
}

/** The inventory as the scanner sees it. */
export interface ScanInventory {
  macForIp(ip: string): string | undefined;
  addressesOf(mac: string): string[];
  list(): { mac: string }[];
}

export interface VulnScannerOptions {
  /** the clock, µs (the pipeline's nowUs; wall time by default, since nmap runs in real time) */
  now?: () => number;
  nmapPath?: string;
  log?: (msg: string) => void;
}

export interface VulnScannerStats {
  started: number;
  done: number;
  failed: number;
  /** requests for addresses outside scan.scope */
  refused: number;
  /** requests dropped because the queue was full */
  queueDropped: number;
  queued: number;
}

/** Scan requests waiting; a burst of new devices beyond it waits for the periodic pass instead. */
const MAX_QUEUE = 256;
/** The periodic pass looks for devices due a rescan at most this often (clock time). */
const DUE_CHECK_US = 60_000_000;
const HOUR_US = 3_600_000_000;
/** Devices whose last scan time is remembered (MACs are attacker-controlled). */
const MAX_REMEMBERED = 16384;

export class VulnScanner {
  readonly stats: VulnScannerStats = { started: 0, done: 0, failed: 0, refused: 0, queueDropped: 0, queued: 0 };
  readonly scope: ScanScope;
  /** ip → mac, in request order; one entry per address */
  private readonly queue = new Map<string, string | null>();
  private readonly lastScanUs = new Map<string, number>();
  private readonly starts: number[] = [];
  /** this scanner's nmap processes, so stop() ends them and only them */
  private readonly running = new Set<ChildProcess>();
  private busy = false;
  private stopped = true;
  private nextDueCheckUs = 0;
  private offs: (() => void)[] = [];
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  /** resolves when the scan running now (if any) has been recorded */
  private current: Promise<ScanResult> | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly store: Store | null,
    private readonly inventory: ScanInventory | null,
    private readonly sink: FindingsSink | null,
    private readonly cfg: ScanConfig,
    private readonly opts: VulnScannerOptions = {},
  ) {
    this.scope = new ScanScope(cfg);
    this.now = opts.now ?? (() => Date.now() * 1000);
    this.log = opts.log ?? ((m) => process.stderr.write(m + '\n'));
    if (store !== null) {
      for (const s of store.registry.scans({ limit: 1000 }).reverse()) {
        if (s.mac === null) continue;
        this.lastScanUs.delete(s.mac);
        this.lastScanUs.set(s.mac, s.startedUs);
      }
    }
  }

  /** Starts scanning new devices and, from tick(), devices due a rescan. Does nothing unless scan.enabled. */
  start(): void {
    if (!this.cfg.scan.enabled || !this.stopped) return;
    this.stopped = false;
    this.offs.push(this.bus.on('device.new', (d) => {
      const ip = d.ips.map((a) => this.scope.check(a)).find((a) => a !== null);
      if (ip !== undefined && ip !== null) this.request(ip, d.mac);
    }));
  }

  /** Stops: no new scans; a running nmap is terminated. Resolves when it has been recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offs.forEach((off) => off());
    this.offs = [];
    this.queue.clear();
    for (const c of this.running) c.kill('SIGTERM');
    if (this.current !== null) await this.current;
  }

  /** Queues a scan of `ip`; false when it is outside the scope or the queue is full. */
  request(ip: string, mac: string | null): boolean {
    const checked = this.scope.check(ip);
    if (checked === null) {
      this.stats.refused++;
      return false;
    }
    if (!this.queue.has(checked)) {
      if (this.queue.size >= MAX_QUEUE) {
        this.stats.queueDropped++;
        return false;
      }
      this.queue.set(checked, mac);
    }
    this.stats.queued = this.queue.size;
    this.pump();
    return true;
  }

  /** Periodic work (the pipeline calls it every few seconds): queue devices due a rescan, start the next scan. */
  tick(nowUs: number = this.now()): void {
    if (this.stopped) return;
    if (this.inventory !== null && nowUs >= this.nextDueCheckUs) {
      this.nextDueCheckUs = nowUs + DUE_CHECK_US;
      const dueBefore = nowUs - this.cfg.scan.intervalHours * HOUR_US;
      for (const d of this.inventory.list()) {
        if ((this.lastScanUs.get(d.mac) ?? 0) > dueBefore) continue;
        const ip = this.inventory.addressesOf(d.mac).map((a) => this.scope.check(a)).find((a) => a !== null);
        if (ip !== undefined && ip !== null && this.queue.size < MAX_QUEUE) this.queue.set(ip, d.mac);
      }
      this.stats.queued = this.queue.size;
    }
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.stopped || this.queue.size === 0) return;
    const now = this.now();
    while (this.starts.length > 0 && this.starts[0]! <= now - HOUR_US) this.starts.shift();
    if (this.starts.length >= this.cfg.scan.maxPerHour) return;
    const [ip, mac] = this.queue.entries().next().value as [string, string | null];
    this.queue.delete(ip);
    this.stats.queued = this.queue.size;
    this.starts.push(now);
    this.busy = true;
    this.current = this.scanNow(ip, mac)
      .catch((err: Error): ScanResult => {
        // the store refused the record (disk full, closed): the scan itself is over, keep the queue going
        this.log(`scan of ${ip}: ${err.message}`);
        return { ip, mac, status: 'failed', openPorts: [], findings: [], score: null, error: err.message, run: null };
      })
      .finally(() => {
        this.busy = false;
        this.current = null;
        this.pump();
      });
  }

  /**
   * Scans `ip` now (the `scan` command, and the queue): checks the scope, records the scan, feeds the
   * findings to the trust score. A refused or failed scan resolves with status 'failed' and the reason.
   */
  async scanNow(target: string, mac: string | null = null, ports?: string): Promise<ScanResult> {
    const ip = this.scope.check(target);
    if (ip === null) {
      this.stats.refused++;
      return { ip: target, mac, status: 'failed', openPorts: [], findings: [], score: null, error: `${target} is not an address inside scan.scope`, run: null };
    }
    const owner = mac ?? this.inventory?.macForIp(ip) ?? null;
    const startUs = this.now();
    if (owner !== null) {
      this.lastScanUs.delete(owner);
      this.lastScanUs.set(owner, startUs);
      // oldest first: forget the devices scanned longest ago (they are simply due again)
      if (this.lastScanUs.size > MAX_REMEMBERED) this.lastScanUs.delete(this.lastScanUs.keys().next().value as string);
    }
    const id = this.store?.registry.startScan(ip, owner, startUs) ?? null;
    this.stats.started++;
    // a port list from a fleet assignment replaces scan.ports for this scan only (checked by the caller)
    const scanCfg = ports !== undefined ? { ...this.cfg.scan, ports } : this.cfg.scan;
    const res = resultOf(ip, owner, await runNmap(ip, scanCfg, this.opts.nmapPath, this.running));
    const endUs = Math.max(startUs, this.now());
    if (res.status === 'done') this.stats.done++;
    else {
      this.stats.failed++;
      this.log(`scan of ${ip} failed: ${res.error}`);
    }
    const findings = res.status === 'done' ? res.findings : [{ error: res.error }];
    if (id !== null) this.store?.registry.finishScan(id, endUs, res.status, res.openPorts, findings, res.score);
    if (res.status === 'done' && owner !== null) this.sink?.setScanResult(owner, res.findings, endUs);
    return res;
  }
}
