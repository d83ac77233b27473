/**
 * `argus-edge firewall`: what the appliance put into the kernel firewall (--status), and taking all of it out
 * again (--remove: every chain, rule and ipset set it made; idempotent, and what uninstalling runs).
 */
import type { Config } from '../config.js';
import { KernelFirewall, type FirewallStatus, type RemoveReport } from '../respond/firewall.js';

export interface FirewallCommandOptions {
  remove: boolean;
  json: boolean;
  /** run inside this network namespace (tests, or an appliance in its own namespace) */
  netns?: string;
}

function printStatus(s: FirewallStatus, chain: string): void {
  const lines: string[] = [];
  const rules = [...s.rules.ipv4, ...s.rules.ipv6];
  if (rules.length === 0 && s.sets.length === 0) {
    process.stdout.write(`nothing installed (no chain ${chain}, no sets)\n`);
    return;
  }
  for (const [family, list] of [['iptables', s.rules.ipv4], ['ip6tables', s.rules.ipv6]] as const) {
    lines.push(`${family}: ${list.length === 0 ? 'none' : ''}`);
    for (const l of list) lines.push(`  ${l}`);
  }
  for (const set of s.sets) {
    lines.push(`set ${set.name} (${set.type}): ${set.entries.length} ${set.entries.length === 1 ? 'entry' : 'entries'}`);
    for (const e of set.entries) lines.push(`  ${e.entry}${e.timeoutSec > 0 ? `  expires in ${e.timeoutSec} s` : '  until released'}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

function printRemoved(r: RemoveReport): void {
  const n = r.rules.ipv4 + r.rules.ipv6;
  if (n === 0 && r.chains.length === 0 && r.sets.length === 0 && r.errors.length === 0) {
    process.stdout.write('nothing to remove\n');
    return;
  }
  process.stdout.write(
    `removed ${r.rules.ipv4} iptables and ${r.rules.ipv6} ip6tables rules; chains: ${r.chains.join(', ') || 'none'}; sets: ${r.sets.join(', ') || 'none'}\n`,
  );
  for (const e of r.errors) process.stderr.write(`error: ${e}\n`);
}

/** Exit code 0 on success, 1 when something could not be read or removed. */
export function commandFirewall(cfg: Config, opts: FirewallCommandOptions): number {
  const fw = new KernelFirewall({ chain: cfg.response.chain, ratePerSecond: cfg.response.rateLimitPerSecond, netns: opts.netns });
  if (opts.remove) {
    const r = fw.remove();
    if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
    else printRemoved(r);
    return r.errors.length === 0 ? 0 : 1;
  }
  const s = fw.status();
  if (opts.json) process.stdout.write(JSON.stringify(s) + '\n');
  else printStatus(s, cfg.response.chain);
  return 0;
}
