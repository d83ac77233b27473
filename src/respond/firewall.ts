/**
 * The response stage's hands: the kernel firewall (iptables/ip6tables + ipset on bridged traffic) or a dry run
 * that records the same commands without running them. The policy (policy.ts) decides; a Firewall only does
 * what it is told, after validating every address it is given.
 *
 * Backends:
 * - iptables (KernelFirewall, firewall-kernel.ts): real; inline mode with response.firewall 'auto'. Needs
 *   iptables, ip6tables, ipset, and br_netfilter with net.bridge.bridge-nf-call-ip(6)tables=1.
 * - dry-run (DryRunFirewall): records every command it would run, same interface; the default outside inline
 *   mode, and what passive and replay modes always use — they never change the firewall.
 *
 * The interface and its types are in firewall-types.ts, the command runners in firewall-exec.ts, the scripts
 * in firewall-rules.ts, address validation in firewall-address.ts.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { RecordingRunner, type RecordedCommand } from './firewall-exec.js';
import { KernelFirewall, type KernelFirewallOptions } from './firewall-kernel.js';
import type { Firewall } from './firewall-types.js';

export { AddressError } from './firewall-address.js';
export * from './firewall-exec.js';
export * from './firewall-types.js';
export { KernelFirewall, type KernelFirewallOptions } from './firewall-kernel.js';

/**
 * The dry-run backend: the same scripts as the real one, recorded in `commands` instead of run. It reads
 * nothing from the system either (it assumes a kernel with hash:mac and no earlier set-up), so it behaves the
 * same on every machine and can never fail for lack of privileges.
 */
export class DryRunFirewall extends KernelFirewall {
  override readonly dryRun = true;
  override readonly backend = 'dry-run' as const;
  readonly recorder: RecordingRunner;

  constructor(opts: Omit<KernelFirewallOptions, 'runner' | 'netns'> & { keep?: number } = {}) {
    const recorder = new RecordingRunner(opts.keep);
    super({ ...opts, runner: recorder, probe: false });
    this.recorder = recorder;
  }

  /** the newest commands it would have run, oldest first */
  get commands(): readonly RecordedCommand[] {
    return this.recorder.commands;
  }
}

/**
 * The firewall for this configuration: the real one in inline mode with response.firewall 'auto', the dry run
 * otherwise (passive and replay never touch the firewall). `netns` runs the real one's commands inside that
 * network namespace (tests); production leaves it unset.
 */
export function createFirewall(config: Pick<Config, 'mode' | 'response'>, log?: Logger, opts: { netns?: string } = {}): Firewall {
  const o = { chain: config.response.chain, ratePerSecond: config.response.rateLimitPerSecond, log };
  if (config.mode === 'inline' && config.response.firewall === 'auto') return new KernelFirewall({ ...o, netns: opts.netns });
  return new DryRunFirewall(o);
}
