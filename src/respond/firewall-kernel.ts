/**
 * The kernel firewall backend: one dedicated chain hooked into FORWARD for bridged frames, and ipset sets whose
 * entries carry their own timeout, so the kernel lifts an expired quarantine or block even when the appliance
 * is not running. Scripts come from firewall-rules.ts; every address is validated here before it is used.
 *
 * The same class is the dry run (firewall.ts DryRunFirewall) with a recording runner and `probe: false`: then it
 * reads nothing from the system and keeps a model of what the sets would hold, for `status()`.
 */
import type { Logger } from '../log.js';
import { AddressError, parseIp, parseMac, parsePrefix, type Prefix } from './firewall-address.js';
import { systemRunner, type CommandResult, type CommandRunner } from './firewall-exec.js';
import * as R from './firewall-rules.js';
import {
  FirewallError,
  type Firewall,
  type FirewallEntry,
  type FirewallSetStatus,
  type FirewallStatus,
  type RemoveReport,
  type TimedEntry,
} from './firewall-types.js';

export interface KernelFirewallOptions {
  /** response.chain; default ARGUS-EDGE */
  chain?: string;
  /** response.rateLimitPerSecond; default 10 */
  ratePerSecond?: number;
  /** run every command inside this network namespace (`ip netns exec NAME`); tests only */
  netns?: string;
  /** default: systemRunner(netns) */
  runner?: CommandRunner;
  /** read the system (br_netfilter, hash:mac support, present rules); false for the dry run. Default true */
  probe?: boolean;
  log?: Logger;
  /** wall clock in ms, for the expiry of per-MAC rules (kernel set timeouts are wall-clock too); default Date.now */
  nowMs?: () => number;
}

/** A validated, canonical entry. */
export type Valid =
  | { kind: 'quarantine'; mac: string | null; ips: Prefix[] }
  | { kind: 'block'; target: Prefix }
  | { kind: 'rate-limit'; ip: Prefix };

/** Checks every address of an entry and returns it canonical; throws AddressError naming the bad one. */
export function validateEntry(e: FirewallEntry): Valid {
  switch (e.kind) {
    case 'quarantine': {
      const mac = e.mac === null ? null : parseMac(e.mac);
      const ips = e.ips.map(parseIp);
      if (mac === null && ips.length === 0) throw new AddressError('a quarantine needs a MAC or at least one address');
      return { kind: 'quarantine', mac, ips };
    }
    case 'block': {
      const target = parsePrefix(e.target);
      // hash:net takes prefixes of length 1 and up; /0 would cut the whole network off anyway
      if (target.len === 0) throw new AddressError(`refusing to block every address (${target.text})`);
      return { kind: 'block', target };
    }
    case 'rate-limit':
      return { kind: 'rate-limit', ip: parseIp(e.ip) };
    default:
      throw new AddressError(`unknown firewall entry kind ${JSON.stringify((e as { kind: unknown }).kind)}`);
  }
}

const BR_NETFILTER_FIX =
  'Quarantine and blocking act on bridged frames, which reach iptables only through br_netfilter. Fix: ' +
  '`modprobe br_netfilter` (and `echo br_netfilter > /etc/modules-load.d/argus-edge.conf` to keep it), then ' +
  '`sysctl -w net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1` (and put both lines in ' +
  '/etc/sysctl.d/90-argus-edge.conf). Or set response.firewall: dry-run to only record what would be done.';

export class KernelFirewall implements Firewall {
  readonly dryRun: boolean = false;
  readonly backend: 'iptables' | 'dry-run' = 'iptables';
  readonly names: R.FirewallNames;
  /** hash:mac is available (else quarantined MACs become CHAIN-MAC rules); null until setup */
  macSet: boolean | null = null;
  protected readonly runner: CommandRunner;
  private readonly probe: boolean;
  private readonly rate: number;
  private readonly log: Logger | undefined;
  private readonly nowMs: () => number;
  private ready = false;
  /** quarantined MACs and when their rule lapses (ms; null: until released), used without hash:mac */
  private readonly macRules = new Map<string, number | null>();
  /** dry run: set → entry → expiry (ms; null: none); what the kernel would hold */
  private readonly model = new Map<string, Map<string, number | null>>();

  constructor(opts: KernelFirewallOptions = {}) {
    this.names = R.firewallNames(opts.chain ?? 'ARGUS-EDGE');
    this.runner = opts.runner ?? systemRunner(opts.netns);
    this.probe = opts.probe ?? true;
    this.rate = opts.ratePerSecond ?? 10;
    this.log = opts.log;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  setup(): void {
    if (this.probe) this.checkBrNetfilter();
    const mac = this.runner.run('ipset', ['-exist', 'create', this.names.sets.mac, 'hash:mac', 'timeout', '0']);
    if (mac.code === 0) this.macSet = true;
    else if (/set type not supported|unknown set type/i.test(mac.stderr)) {
      // e.g. kernels built without CONFIG_IP_SET_HASH_MAC: per-MAC rules with a datestop do the same job
      if (this.macSet !== false) this.log?.info(`firewall: this kernel has no hash:mac ipset (${mac.stderr.trim()}); quarantined MACs become rules in ${this.names.macChain}`);
      this.macSet = false;
    } else throw this.failure('ipset create', mac);
    this.must('ipset', ['-exist', 'restore'], R.createSetsScript(this.names, false), 'creating the ipset sets');
    for (const family of [4, 6] as const) {
      const save = family === 4 ? 'iptables-save' : 'ip6tables-save';
      const hookLine = `-A FORWARD -m physdev --physdev-is-bridged -j ${this.names.chain}`;
      const hook = !this.probe || !this.must(save, ['-t', 'filter'], undefined, 'reading the rules').split('\n').includes(hookLine);
      const script = R.chainScript(this.names, family, { macSet: this.macSet, ratePerSecond: this.rate, hook });
      this.must(family === 4 ? 'iptables-restore' : 'ip6tables-restore', ['-w', '--noflush'], script, `writing chain ${this.names.chain}`);
    }
    this.ready = true;
    // the chain scripts declared (so emptied) CHAIN-MAC: write back the MACs it held
    if (!this.macSet) this.writeMacChain();
  }

  add(entry: FirewallEntry, timeoutSec: number): void {
    const v = validateEntry(entry);
    this.ensureReady();
    const t = Math.max(0, Math.min(R.MAX_IPSET_TIMEOUT, Math.ceil(timeoutSec)));
    this.restoreSets(this.lines(v, 'add', t));
    if (v.kind === 'quarantine' && v.mac !== null && !this.macSet) {
      this.macRules.set(v.mac, t > 0 ? this.nowMs() + t * 1000 : null);
      this.writeMacChain();
    }
  }

  del(entry: FirewallEntry): void {
    const v = validateEntry(entry);
    this.ensureReady();
    this.restoreSets(this.lines(v, 'del', 0));
    if (v.kind === 'quarantine' && v.mac !== null && !this.macSet && this.macRules.delete(v.mac)) this.writeMacChain();
  }

  sync(entries: TimedEntry[]): void {
    const valid = entries.map((e) => ({ v: validateEntry(e.entry), t: Math.max(0, Math.min(R.MAX_IPSET_TIMEOUT, Math.ceil(e.timeoutSec))) }));
    this.ensureReady();
    // flush and refill in one `ipset restore`: the sets are empty only for the microseconds between its lines
    const sets = R.allSetNames(this.names).filter((s) => s !== this.names.sets.mac || this.macSet);
    const lines = sets.map((s) => `flush ${s}`);
    for (const { v, t } of valid) lines.push(...this.lines(v, 'add', t));
    this.restoreSets(lines);
    if (!this.macSet) {
      this.macRules.clear();
      for (const { v, t } of valid) if (v.kind === 'quarantine' && v.mac !== null) this.macRules.set(v.mac, t > 0 ? this.nowMs() + t * 1000 : null);
      this.writeMacChain();
    }
  }

  remove(): RemoveReport {
    const report: RemoveReport = { rules: { ipv4: 0, ipv6: 0 }, chains: [], sets: [], errors: [] };
    this.ready = false;
    this.macRules.clear();
    this.model.clear();
    if (!this.probe) return report;
    for (const family of [4, 6] as const) {
      const [save, restore] = family === 4 ? ['iptables-save', 'iptables-restore'] : ['ip6tables-save', 'ip6tables-restore'];
      const dump = this.runner.run(save, ['-t', 'filter']);
      if (dump.code !== 0) {
        report.errors.push(`${save}: ${dump.stderr.trim() || `exit ${dump.code}`}`);
        continue;
      }
      const found = R.ourSavedLines(this.names, dump.stdout);
      const script = R.removeScript(found);
      if (script === null) continue;
      const r = this.runner.run(restore, ['-w', '--noflush'], script);
      if (r.code !== 0) {
        report.errors.push(`${restore}: ${r.stderr.trim() || `exit ${r.code}`}`);
        continue;
      }
      report.rules[family === 4 ? 'ipv4' : 'ipv6'] = found.jumps.length + found.rules.length;
      for (const d of found.declarations) {
        const c = d.slice(1).split(' ')[0]!;
        if (!report.chains.includes(c)) report.chains.push(c);
      }
    }
    const listed = this.runner.run('ipset', ['list', '-n']);
    if (listed.code !== 0) {
      report.errors.push(`ipset list: ${listed.stderr.trim() || `exit ${listed.code}`}`);
      return report;
    }
    const ours = new Set(R.allSetNames(this.names));
    for (const name of listed.stdout.split('\n').map((l) => l.trim())) {
      if (!ours.has(name)) continue;
      const r = this.runner.run('ipset', ['destroy', name]);
      if (r.code === 0) report.sets.push(name);
      else report.errors.push(`ipset destroy ${name}: ${r.stderr.trim()}`);
    }
    return report;
  }

  status(): FirewallStatus {
    if (!this.probe) return this.modelStatus();
    const rules = { ipv4: [] as string[], ipv6: [] as string[] };
    for (const family of [4, 6] as const) {
      const save = family === 4 ? 'iptables-save' : 'ip6tables-save';
      const found = R.ourSavedLines(this.names, this.must(save, ['-t', 'filter'], undefined, 'reading the rules'));
      rules[family === 4 ? 'ipv4' : 'ipv6'] = [...found.declarations, ...found.jumps, ...found.rules];
    }
    const ours = new Set(R.allSetNames(this.names));
    const sets = new Map<string, FirewallSetStatus>();
    for (const line of this.must('ipset', ['save'], undefined, 'reading the sets').split('\n')) {
      const [verb, name, what, ...rest] = line.trim().split(/\s+/);
      if (name === undefined || what === undefined || !ours.has(name)) continue;
      if (verb === 'create') sets.set(name, { name, type: what, entries: [] });
      else if (verb === 'add') {
        const ti = rest.indexOf('timeout');
        sets.get(name)?.entries.push({ entry: what, timeoutSec: ti >= 0 ? Number(rest[ti + 1]) : 0 });
      }
    }
    return { backend: this.backend, macSet: this.macSet, rules, sets: [...sets.values()] };
  }

  private lines(v: Valid, op: 'add' | 'del', t: number): string[] {
    const line = (set: string, entry: string) => (op === 'add' ? R.addLine(set, entry, t) : R.delLine(set, entry));
    switch (v.kind) {
      case 'quarantine': {
        const out = v.ips.map((p) => line(R.setFor(this.names, 'quarantine', p), p.text));
        if (v.mac !== null && this.macSet) out.unshift(line(this.names.sets.mac, v.mac));
        return out;
      }
      case 'block':
        return [line(R.setFor(this.names, 'block', v.target), v.target.text)];
      case 'rate-limit':
        return [line(R.setFor(this.names, 'rate-limit', v.ip), v.ip.text)];
    }
  }

  private restoreSets(lines: string[]): void {
    if (lines.length === 0) return;
    this.must('ipset', ['-exist', 'restore'], lines.join('\n') + '\n', 'updating the ipset sets');
    if (!this.probe) this.applyToModel(lines);
  }

  private writeMacChain(): void {
    const now = this.nowMs();
    for (const [mac, until] of this.macRules) if (until !== null && until <= now) this.macRules.delete(mac);
    const macs = [...this.macRules].map(([mac, untilMs]) => ({ mac, untilMs }));
    const script = R.macChainScript(this.names, macs);
    this.must('iptables-restore', ['-w', '--noflush'], script, `writing chain ${this.names.macChain}`);
    this.must('ip6tables-restore', ['-w', '--noflush'], script, `writing chain ${this.names.macChain}`);
  }

  private ensureReady(): void {
    if (!this.ready) this.setup();
  }

  private checkBrNetfilter(): void {
    for (const family of ['iptables', 'ip6tables']) {
      const key = `/proc/sys/net/bridge/bridge-nf-call-${family}`;
      const r = this.runner.run('cat', [key]);
      if (r.code !== 0) throw new FirewallError(`${key} does not exist: br_netfilter is not loaded. ${BR_NETFILTER_FIX}`);
      if (r.stdout.trim() !== '1') throw new FirewallError(`net.bridge.bridge-nf-call-${family} is ${r.stdout.trim()}, not 1: bridged traffic bypasses ${family}. ${BR_NETFILTER_FIX}`);
    }
  }

  /** Runs a command that must succeed; returns its stdout. */
  private must(cmd: string, args: string[], input: string | undefined, what: string): string {
    const r = this.runner.run(cmd, args, input);
    if (r.code !== 0) throw this.failure(`${what} (${cmd})`, r);
    return r.stdout;
  }

  private failure(what: string, r: CommandResult): FirewallError {
    const err = r.stderr.trim() || `exit code ${r.code}`;
    let hint = '';
    if (/not installed/.test(err)) hint = ' (Debian: apt-get install iptables ipset)';
    else if (/physdev|hashlimit|match-set|Couldn't load match|No chain\/target\/match/i.test(err)) {
      hint = ' (the kernel lacks a netfilter module this needs: xt_physdev, xt_set, xt_hashlimit, xt_conntrack, xt_mac, xt_time)';
    }
    return new FirewallError(`firewall: ${what} failed: ${err}${hint}`);
  }

  /** dry run: keeps what the sets would hold after an `ipset restore` script */
  private applyToModel(lines: string[]): void {
    const now = this.nowMs();
    for (const line of lines) {
      const [verb, set, entry, , timeout] = line.split(' ');
      if (set === undefined) continue;
      const m = this.model.get(set) ?? new Map<string, number | null>();
      this.model.set(set, m);
      if (verb === 'flush') m.clear();
      else if (verb === 'del' && entry !== undefined) m.delete(entry);
      else if (verb === 'add' && entry !== undefined) m.set(entry, Number(timeout) > 0 ? now + Number(timeout) * 1000 : null);
    }
  }

  private modelStatus(): FirewallStatus {
    const now = this.nowMs();
    const sets: FirewallSetStatus[] = [];
    for (const [name, m] of this.model) {
      const entries: FirewallSetStatus['entries'] = [];
      for (const [entry, until] of m) {
        if (until !== null && until <= now) continue;
        entries.push({ entry, timeoutSec: until === null ? 0 : Math.ceil((until - now) / 1000) });
      }
      sets.push({ name, type: name === this.names.sets.mac ? 'hash:mac' : /-b[46]$/.test(name) ? 'hash:net' : 'hash:ip', entries });
    }
    const rules = (family: 4 | 6) =>
      this.ready ? R.chainScript(this.names, family, { macSet: true, ratePerSecond: this.rate, hook: true }).split('\n').filter((l) => l.startsWith(':') || l.startsWith('-')) : [];
    return { backend: this.backend, macSet: this.macSet, rules: { ipv4: rules(4), ipv6: rules(6) }, sets };
  }
}
