/**
 * Network-namespace labs for tests: hosts, switches and transparent bridges made of real kernel parts
 * (`ip netns`, veth pairs, Linux bridges), so capture, firewall and scanning tests run against real traffic.
 *
 * A lab is a set of nodes. Every node is a network namespace named `ae-<pid>-<lab#>-<node>`:
 * - a host has one interface per switch it is plugged into (`eth0`, `eth1`, …), an IPv4 address from
 *   10.99.0.0/16 and an IPv6 address from fd00:99::/48 (added with `nodad`, and DAD is off, so both work at once),
 *   and a fixed, locally administered MAC;
 * - a switch has a bridge `br0` with one veth port per attached node, named `p-<node>`; two switches are joined
 *   by one veth pair (`p-<other>` on each side). A switch is also where the appliance runs: start it with
 *   `lab.spawn('<switch>', …)` and capture on `br0` or on a port.
 * Every veth end has its offloads off (GRO/GSO/TSO, checksum offload), so frames look like a real NIC's: full
 * checksums, no super-frames.
 *
 * Topologies (see createSwitchLab and createInlineLab for the two common ones):
 *   switch lab:  a ── sw(br0) ── b                     capture on sw/br0
 *   inline lab:  router ── wan(br0) ── bridge(br0: p-wan, p-lan) ── lan(br0) ── a, b, …
 *                the appliance runs in `bridge` on br0, as on a Pi between modem/router and the LAN switch.
 *
 * Cleanup: `lab.cleanup()` (register it with t.teardown) kills what the lab spawned and every process left in
 * its namespaces, then deletes the namespaces, which destroys their links. It is idempotent and also runs at
 * process exit. Creating a lab first removes namespaces of earlier runs whose pid is gone.
 *
 * Traffic stays inside the lab: the namespaces have no route out. Services to run in a lab (HTTP server,
 * tcpdump, tshark reading) are in lab-services.ts; skip reasons, reaping and child-process helpers in
 * netns-system.ts (re-exported here).
 */
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { destroyNamespace, NS_PREFIX, reapStaleLabs, sh, stopChild } from './netns-system.js';

export { brNetfilterSkipReason, netnsSkipReason, reapStaleLabs, waitForLine } from './netns-system.js';

/** Node names: short, because `p-<node>` must fit the kernel's 15-character interface names. */
const NODE_NAME = /^[a-z][a-z0-9]{0,10}$/;

export interface HostOptions {
  /** IPv4 address with prefix length; default 10.99.0.<10 + host number>/24 */
  ip4?: string;
  /** IPv6 address with prefix length; default fd00:99::<hex(10 + host number)>/64 */
  ip6?: string;
  /** MAC of the host's first interface; default 02:99:00:00:<host number> */
  mac?: string;
}

export interface SwitchSpec {
  /** nodes plugged into this switch's br0: hosts, or other switches (list a switch-to-switch link on one side) */
  ports: string[];
  /**
   * br_netfilter inside this namespace: true makes bridged IPv4/IPv6/ARP frames traverse iptables/ip6tables/
   * arptables (what `physdev` rules need), false keeps it a plain switch. Default false.
   */
  brNetfilter?: boolean;
  /** optional management addresses on br0 (with prefix length) */
  ip4?: string;
  ip6?: string;
}

export interface LabSpec {
  switches: Record<string, SwitchSpec>;
  /** per-host options; hosts named in `ports` but absent here get the defaults */
  hosts?: Record<string, HostOptions>;
}

export interface ExecResult {
  /** exit code; null when killed by a signal (see `signal`, `timedOut`) */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExecOptions {
  /** kill the command (SIGKILL) after this long; default 10 000 ms */
  timeoutMs?: number;
  /** written to the command's stdin, which is then closed */
  input?: string | Buffer;
}

interface HostInfo {
  ifaces: string[];
  ip4: string;
  ip6: string;
  mac: string;
}

let labCounter = 0;
const liveLabs = new Set<Lab>();
let exitHookInstalled = false;

export class Lab {
  /** `ae-<pid>-<n>`: every namespace of this lab is `<prefix>-<node>` */
  readonly prefix: string;
  readonly switches: readonly string[];
  readonly hosts: readonly string[];
  private readonly hostInfo = new Map<string, HostInfo>();
  private readonly created: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private cleaned = false;

  constructor(spec: LabSpec) {
    const switches = Object.keys(spec.switches);
    const hosts: string[] = [];
    for (const sw of switches) for (const p of spec.switches[sw].ports) if (!switches.includes(p) && !hosts.includes(p)) hosts.push(p);
    for (const h of Object.keys(spec.hosts ?? {})) if (!hosts.includes(h)) throw new Error(`host "${h}" is not plugged into any switch`);
    if (hosts.length > 240) throw new Error(`a lab holds at most 240 hosts (default addresses 10.99.0.10-250), got ${hosts.length}`);
    for (const n of [...switches, ...hosts]) {
      if (!NODE_NAME.test(n)) throw new Error(`node name "${n}" must match ${NODE_NAME} (interface names are short)`);
    }
    this.switches = switches;
    this.hosts = hosts;
    this.prefix = `${NS_PREFIX}-${process.pid}-${labCounter++}`;
    hosts.forEach((h, i) => {
      const o = spec.hosts?.[h] ?? {};
      const n = 10 + i;
      this.hostInfo.set(h, {
        ifaces: [],
        ip4: o.ip4 ?? `10.99.0.${n}/24`,
        ip6: o.ip6 ?? `fd00:99::${n.toString(16)}/64`,
        mac: (o.mac ?? `02:99:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`).toLowerCase(),
      });
    });
    reapStaleLabs();
    liveLabs.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const lab of liveLabs) lab.cleanupSync();
      });
    }
    try {
      this.build(spec);
    } catch (err) {
      this.cleanupSync();
      throw err;
    }
  }

  private build(spec: LabSpec): void {
    const ipn = (node: string, ...args: string[]): string => sh(['ip', '-n', this.ns(node), ...args], `lab ${this.prefix}`);
    const sysctl = (node: string, key: string, value: string): string =>
      sh(['ip', 'netns', 'exec', this.ns(node), 'sysctl', '-q', '-w', `${key}=${value}`], `lab ${this.prefix}`);
    const veths: Array<[string, string]> = [];

    for (const node of [...this.switches, ...this.hosts]) {
      sh(['ip', 'netns', 'add', this.ns(node)], 'creating a namespace');
      this.created.push(this.ns(node));
      ipn(node, 'link', 'set', 'lo', 'up');
    }
    for (const h of this.hosts) {
      // no duplicate-address detection: addresses (link-local too) are usable the moment the link is up
      for (const scope of ['all', 'default']) sysctl(h, `net.ipv6.conf.${scope}.accept_dad`, '0');
    }
    for (const sw of this.switches) {
      const s = spec.switches[sw];
      // a switch has no IPv6 of its own unless asked: no router solicitations or MLD reports from the bridge
      if (s.ip6 === undefined) sysctl(sw, 'net.ipv6.conf.default.disable_ipv6', '1');
      ipn(sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      if (s.ip6 === undefined) sysctl(sw, 'net.ipv6.conf.br0.disable_ipv6', '1');
      this.setBrNetfilter(sw, s.brNetfilter ?? false);
    }
    for (const sw of this.switches) {
      for (const member of spec.switches[sw].ports) {
        const port = `p-${member}`;
        if (this.switches.includes(member)) {
          ipn(sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', `p-${sw}`, 'netns', this.ns(member));
          ipn(member, 'link', 'set', `p-${sw}`, 'master', 'br0');
          veths.push([member, `p-${sw}`]);
        } else {
          const info = this.hostInfo.get(member)!;
          const ifname = `eth${info.ifaces.length}`;
          ipn(sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', this.ns(member));
          if (info.ifaces.length === 0) ipn(member, 'link', 'set', ifname, 'address', info.mac);
          info.ifaces.push(ifname);
          veths.push([member, ifname]);
        }
        ipn(sw, 'link', 'set', port, 'master', 'br0');
        veths.push([sw, port]);
      }
    }
    for (const [node, ifname] of veths) this.offloadsOff(node, ifname);
    for (const h of this.hosts) {
      const info = this.hostInfo.get(h)!;
      if (info.ifaces.length === 0) continue;
      ipn(h, 'addr', 'add', info.ip4, 'dev', info.ifaces[0]);
      ipn(h, 'addr', 'add', info.ip6, 'dev', info.ifaces[0], 'nodad');
    }
    for (const sw of this.switches) {
      const s = spec.switches[sw];
      if (s.ip4 !== undefined) ipn(sw, 'addr', 'add', s.ip4, 'dev', 'br0');
      if (s.ip6 !== undefined) ipn(sw, 'addr', 'add', s.ip6, 'dev', 'br0', 'nodad');
    }
    for (const [node, ifname] of veths) ipn(node, 'link', 'set', ifname, 'up');
    for (const sw of this.switches) ipn(sw, 'link', 'set', 'br0', 'up');
  }

  /** GRO/GSO/TSO and checksum offloads off, feature by feature (veth lacks some on older kernels). */
  private offloadsOff(node: string, ifname: string): void {
    const base = ['ip', 'netns', 'exec', this.ns(node), 'ethtool', '-K', ifname];
    const all = spawnSync(base[0], [...base.slice(1), 'gro', 'off', 'gso', 'off', 'tso', 'off', 'tx', 'off', 'rx', 'off'], { stdio: 'ignore' });
    if (all.status === 0) return;
    for (const f of ['gro', 'gso', 'tso', 'tx', 'rx']) spawnSync(base[0], [...base.slice(1), f, 'off'], { stdio: 'ignore' });
  }

  /**
   * Turns br_netfilter on or off for bridged traffic in switch `sw` (bridge-nf-call-iptables, -ip6tables,
   * -arptables; per namespace since Linux 5.3). Throws when br_netfilter is not available and `on` is true.
   */
  setBrNetfilter(sw: string, on: boolean): void {
    const ns = this.ns(sw);
    for (const family of ['iptables', 'ip6tables', 'arptables']) {
      const key = `net.bridge.bridge-nf-call-${family}`;
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${on ? 1 : 0}`], { encoding: 'utf8' });
      if (r.status !== 0 && on) throw new Error(`cannot enable ${key} in ${ns}: ${r.stderr.trim()} (modprobe br_netfilter)`);
    }
  }

  /** Namespace name of a node (host or switch). */
  ns(node: string): string {
    if (!this.switches.includes(node) && !this.hosts.includes(node)) throw new Error(`no node "${node}" in lab ${this.prefix}`);
    return `${this.prefix}-${node}`;
  }

  /** The host's interface on its n-th switch (`eth0` for the first). */
  iface(host: string, n = 0): string {
    const i = this.info(host).ifaces[n];
    if (i === undefined) throw new Error(`host "${host}" has no interface #${n}`);
    return i;
  }

  /** Name of the port in switch `sw` that leads to `member` (`p-<member>`). */
  port(sw: string, member: string): string {
    this.ns(sw);
    this.ns(member);
    return `p-${member}`;
  }

  /** The host's address without prefix length. */
  addr(host: string, family: 4 | 6 = 4): string {
    const a = family === 4 ? this.info(host).ip4 : this.info(host).ip6;
    return a.split('/')[0];
  }

  /** MAC of the host's first interface, lower case with colons. */
  mac(host: string): string {
    return this.info(host).mac;
  }

  private info(host: string): HostInfo {
    const i = this.hostInfo.get(host);
    if (i === undefined) throw new Error(`no host "${host}" in lab ${this.prefix}`);
    return i;
  }

  /**
   * Starts `cmd args…` inside node's namespace (argument array, never a shell). stdio is piped by default: read
   * stdout/stderr of a chatty process (or pass `stdio: 'ignore'`), or it blocks once a pipe fills. The process
   * is killed at cleanup; to stop it earlier use `stop(child)`.
   */
  spawn(node: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdio?: 'pipe' | 'ignore' | 'inherit' } = {}): ChildProcess {
    if (this.cleaned) throw new Error(`lab ${this.prefix} was cleaned up`);
    const { stdio = 'pipe', ...rest } = opts;
    const child = spawnChild('ip', ['netns', 'exec', this.ns(node), cmd, ...args], { ...rest, stdio: stdio === 'pipe' ? ['pipe', 'pipe', 'pipe'] : stdio });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Runs a command inside node's namespace to completion (bounded by timeoutMs); never rejects on exit code. */
  exec(node: string, cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? 10000;
    return new Promise((resolve) => {
      const child = this.spawn(node, cmd, args);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, stdout, stderr: stderr + err.message, timedOut });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
      child.stdin!.on('error', () => {}); // the command may exit without reading its input
      child.stdin!.end(opts.input ?? '');
    });
  }

  /** exec() that rejects unless the command exits 0; resolves to its stdout. */
  async run(node: string, cmd: string, args: string[], opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(node, cmd, args, opts);
    if (r.code !== 0) {
      const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 10000} ms` : `exited ${r.code ?? r.signal}`;
      throw new Error(`${cmd} ${args.join(' ')} in ${node} ${why}: ${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  /** Stops a spawned process: `signal` first, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    return stopChild(child, signal, graceMs);
  }

  /** Kills what the lab spawned and everything left in its namespaces, deletes them. Idempotent. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    await Promise.all([...this.children].map((c) => stopChild(c, 'SIGTERM', 1500)));
    this.cleanupSync();
  }

  /** Synchronous cleanup for process exit: SIGKILL instead of a graceful stop. */
  cleanupSync(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    for (const ns of this.created) destroyNamespace(ns);
    liveLabs.delete(this);
  }

  /** Whether the namespaces still exist (for tests of the lab itself). */
  exists(): boolean {
    return this.created.length > 0 && this.created.every((ns) => existsSync(`/run/netns/${ns}`));
  }
}

/** Builds a lab from a topology description. Call `lab.cleanup()` in t.teardown. */
export function createLab(spec: LabSpec): Lab {
  return new Lab(spec);
}

/** One switch `sw` with the given hosts: the passive (SPAN-like) topology; capture on `sw`/br0. */
export function createSwitchLab(hosts: string[], opts: { hosts?: Record<string, HostOptions> } = {}): Lab {
  return new Lab({ switches: { sw: { ports: hosts } }, hosts: opts.hosts });
}

/**
 * The inline topology: upstream hosts on switch `wan`, LAN hosts on switch `lan`, and the switch `bridge`
 * between them with exactly two ports, `p-wan` and `p-lan` (what iptables' physdev matches), br_netfilter on.
 * All hosts share one subnet, as behind a transparent bridge. The appliance runs in `bridge` on br0.
 */
export function createInlineLab(opts: { upstream?: string[]; lan: string[]; brNetfilter?: boolean; hosts?: Record<string, HostOptions> }): Lab {
  return new Lab({
    switches: {
      bridge: { ports: ['wan', 'lan'], brNetfilter: opts.brNetfilter ?? true },
      wan: { ports: opts.upstream ?? ['router'] },
      lan: { ports: opts.lan },
    },
    hosts: opts.hosts,
  });
}
