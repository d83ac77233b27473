/**
 * What the kernel firewall holds for Argus Edge, as text for `iptables-restore`/`ip6tables-restore` and
 * `ipset restore`. Pure functions of validated input: the real backend runs these scripts, the dry-run backend
 * records them, and tests read them.
 *
 * Layout (per family, table filter):
 *   FORWARD ── -m physdev --physdev-is-bridged ──► CHAIN   (one jump, inserted first, only bridged frames)
 *   CHAIN:      RETURN for DHCP (a quarantined device keeps its lease), then DROP by set membership:
 *               quarantined MACs (hash:mac set, or the CHAIN-MAC rules where the kernel lacks hash:mac),
 *               quarantined device addresses (source or destination), blocked remote addresses/prefixes
 *               (source or destination), rate-limited devices' new connections above the hashlimit rate.
 *   CHAIN-MAC:  one `-m mac --mac-source` rule per quarantined MAC when hash:mac is unavailable; a
 *               `-m time --datestop` makes each rule lapse in the kernel at its expiry, like a set timeout.
 * The chain only drops or returns, never accepts, so the admin's own FORWARD rules still apply to what passes.
 */
import type { Prefix } from './firewall-address.js';

/** Seconds ipset accepts as an entry timeout (2^31 / 1000); 0 means "no timeout". */
export const MAX_IPSET_TIMEOUT = 2147483;

export interface FirewallNames {
  /** the dedicated chain, in iptables and in ip6tables */
  chain: string;
  /** per-MAC rules when the kernel has no hash:mac set type */
  macChain: string;
  sets: {
    /** hash:mac: quarantined devices (both families) */
    mac: string;
    /** hash:ip: quarantined device addresses */
    q4: string;
    q6: string;
    /** hash:net: blocked remote addresses and prefixes */
    b4: string;
    b6: string;
    /** hash:ip: rate-limited devices */
    rl4: string;
    rl6: string;
  };
}

const CHAIN_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,23}$/;

/** null when `chain` can name the chain and (lower-cased) prefix the sets; else what is wrong. */
export function chainNameProblem(chain: string): string | null {
  return CHAIN_NAME.test(chain) ? null : 'a chain name: a letter, then up to 23 letters, digits, - or _ (set names add a suffix within ipset\'s 31 characters)';
}

/** Chain and set names derived from response.chain (`ARGUS-EDGE` → sets `argus-edge-q4`, …). */
export function firewallNames(chain: string): FirewallNames {
  const problem = chainNameProblem(chain);
  if (problem !== null) throw new Error(`response.chain ${JSON.stringify(chain)} is not ${problem}`);
  const p = chain.toLowerCase();
  return {
    chain,
    macChain: `${chain}-MAC`,
    sets: { mac: `${p}-mac`, q4: `${p}-q4`, q6: `${p}-q6`, b4: `${p}-b4`, b6: `${p}-b6`, rl4: `${p}-rl4`, rl6: `${p}-rl6` },
  };
}

export function allSetNames(n: FirewallNames): string[] {
  return Object.values(n.sets);
}

/** `ipset restore` lines creating every set (with -exist they leave existing sets and entries alone). */
export function createSetsScript(n: FirewallNames, withMacSet: boolean): string {
  const s = n.sets;
  const lines = [
    `create ${s.q4} hash:ip family inet timeout 0`,
    `create ${s.q6} hash:ip family inet6 timeout 0`,
    `create ${s.b4} hash:net family inet timeout 0`,
    `create ${s.b6} hash:net family inet6 timeout 0`,
    `create ${s.rl4} hash:ip family inet timeout 0`,
    `create ${s.rl6} hash:ip family inet6 timeout 0`,
  ];
  if (withMacSet) lines.unshift(`create ${s.mac} hash:mac timeout 0`);
  return lines.join('\n') + '\n';
}

export interface ChainOptions {
  /** quarantined MACs are matched through the hash:mac set (else through CHAIN-MAC rules) */
  macSet: boolean;
  /** new connections per second a rate-limited device may open */
  ratePerSecond: number;
  /** insert the FORWARD jump (false when it is there already) */
  hook: boolean;
}

const comment = (text: string): string => `-m comment --comment "${text}"`;

/**
 * The `iptables-restore --noflush` (family 4) or `ip6tables-restore --noflush` (family 6) script that
 * (re)writes the chain. Declaring the chains flushes them inside the same transaction, so the chain is never
 * seen half-written; the sets are not touched.
 */
export function chainScript(n: FirewallNames, family: 4 | 6, o: ChainOptions): string {
  const s = n.sets;
  const q = family === 4 ? s.q4 : s.q6;
  const b = family === 4 ? s.b4 : s.b6;
  const rl = family === 4 ? s.rl4 : s.rl6;
  const [client, server] = family === 4 ? [68, 67] : [546, 547];
  const c = n.chain;
  const lines = ['*filter', `:${c} - [0:0]`, `:${n.macChain} - [0:0]`];
  lines.push(`-A ${c} -p udp --sport ${client} --dport ${server} ${comment('argus-edge: DHCP passes')} -j RETURN`);
  lines.push(`-A ${c} -p udp --sport ${server} --dport ${client} ${comment('argus-edge: DHCP passes')} -j RETURN`);
  if (o.macSet) {
    lines.push(`-A ${c} -m set --match-set ${s.mac} src ${comment('argus-edge: quarantined device')} -j DROP`);
    lines.push(`-A ${c} -m set --match-set ${s.mac} dst ${comment('argus-edge: quarantined device')} -j DROP`);
  }
  lines.push(`-A ${c} -j ${n.macChain}`);
  lines.push(`-A ${c} -m set --match-set ${q} src ${comment('argus-edge: quarantined device')} -j DROP`);
  lines.push(`-A ${c} -m set --match-set ${q} dst ${comment('argus-edge: quarantined device')} -j DROP`);
  lines.push(`-A ${c} -m set --match-set ${b} src ${comment('argus-edge: blocked remote')} -j DROP`);
  lines.push(`-A ${c} -m set --match-set ${b} dst ${comment('argus-edge: blocked remote')} -j DROP`);
  const rate = Math.max(1, Math.floor(o.ratePerSecond));
  lines.push(
    `-A ${c} -m set --match-set ${rl} src -m conntrack --ctstate NEW -m hashlimit --hashlimit-above ${rate}/second` +
      ` --hashlimit-burst ${rate * 2} --hashlimit-mode srcip --hashlimit-name ${rl} ${comment('argus-edge: rate-limited device')} -j DROP`,
  );
  if (o.hook) lines.push(`-I FORWARD 1 -m physdev --physdev-is-bridged -j ${c}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** `YYYY-MM-DDThh:mm:ss` in UTC, the form `-m time --datestop` reads (UTC unless --kerneltz). */
export function iptablesUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * The restore script that rewrites CHAIN-MAC with one DROP rule per quarantined MAC (hash:mac fallback).
 * `untilMs` null: until released; else the rule stops matching at that wall-clock time.
 */
export function macChainScript(n: FirewallNames, macs: { mac: string; untilMs: number | null }[]): string {
  const lines = ['*filter', `:${n.macChain} - [0:0]`];
  for (const m of macs) {
    const until = m.untilMs === null ? '' : ` -m time --datestop ${iptablesUtc(m.untilMs)}`;
    lines.push(`-A ${n.macChain} -m mac --mac-source ${m.mac}${until} ${comment('argus-edge: quarantined device')} -j DROP`);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** The set a quarantined/rate-limited device address or a blocked prefix goes to. */
export function setFor(n: FirewallNames, kind: 'quarantine' | 'block' | 'rate-limit', p: Prefix): string {
  const s = n.sets;
  if (kind === 'block') return p.family === 4 ? s.b4 : s.b6;
  if (kind === 'quarantine') return p.family === 4 ? s.q4 : s.q6;
  return p.family === 4 ? s.rl4 : s.rl6;
}

/** `ipset restore` line adding (or, with -exist, refreshing the timeout of) one entry. */
export function addLine(set: string, entry: string, timeoutSec: number): string {
  const t = Math.max(0, Math.min(MAX_IPSET_TIMEOUT, Math.ceil(timeoutSec)));
  return `add ${set} ${entry} timeout ${t}`;
}

export function delLine(set: string, entry: string): string {
  return `del ${set} ${entry}`;
}

/**
 * Lines of an `iptables-save -t filter` dump that belong to us: our chains' declarations and rules, and every
 * rule elsewhere that jumps to them.
 */
export function ourSavedLines(n: FirewallNames, save: string): { declarations: string[]; rules: string[]; jumps: string[] } {
  const ours = new Set([n.chain, n.macChain]);
  const declarations: string[] = [];
  const rules: string[] = [];
  const jumps: string[] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]!;
      if (ours.has(name)) declarations.push(line);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1]!;
      if (ours.has(chain)) rules.push(line);
      else if ([...ours].some((c) => line.endsWith(` -j ${c}`) || line.includes(` -j ${c} `) || line.endsWith(` -g ${c}`))) jumps.push(line);
    }
  }
  return { declarations, rules, jumps };
}

/** The restore script that deletes the jumps into our chains, then flushes and deletes the chains. */
export function removeScript(found: { declarations: string[]; jumps: string[] }): string | null {
  if (found.declarations.length === 0 && found.jumps.length === 0) return null;
  const present = found.declarations.map((d) => d.slice(1).split(' ')[0]!);
  const lines = ['*filter'];
  for (const j of found.jumps) lines.push('-D' + j.slice(2));
  for (const c of present) lines.push(`-F ${c}`);
  for (const c of present) lines.push(`-X ${c}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}
