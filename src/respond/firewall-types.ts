/**
 * The Firewall interface both backends implement (firewall.ts), and what goes in and comes out of it.
 */

/** What one action puts into the firewall. Addresses are validated (and canonicalised) by the backend. */
export type FirewallEntry =
  /** a LAN device: frames from its MAC and packets from/to its addresses are dropped on the bridge */
  | { kind: 'quarantine'; mac: string | null; ips: string[] }
  /** a remote address or prefix (IPv4/IPv6): packets from/to it are dropped */
  | { kind: 'block'; target: string }
  /** a LAN device's new connections above response.rateLimitPerSecond are dropped */
  | { kind: 'rate-limit'; ip: string };

/** An entry with the seconds until the kernel drops it by itself (0: until removed). */
export interface TimedEntry {
  entry: FirewallEntry;
  timeoutSec: number;
}

export interface RemoveReport {
  /** rules deleted (jumps into our chains and the rules inside them), per family */
  rules: { ipv4: number; ipv6: number };
  chains: string[];
  sets: string[];
  /** problems met on the way; removal continues past each */
  errors: string[];
}

export interface FirewallSetStatus {
  name: string;
  type: string;
  /** entry and seconds left (0: no timeout) */
  entries: { entry: string; timeoutSec: number }[];
}

export interface FirewallStatus {
  backend: 'iptables' | 'dry-run';
  /** quarantined MACs are matched by a hash:mac set (else by per-MAC rules); null before setup */
  macSet: boolean | null;
  /** our lines of iptables-save / ip6tables-save (chain declarations, their rules, the jump from FORWARD) */
  rules: { ipv4: string[]; ipv6: string[] };
  sets: FirewallSetStatus[];
}

export interface Firewall {
  /** true: commands are recorded, never run */
  readonly dryRun: boolean;
  readonly backend: 'iptables' | 'dry-run';
  /**
   * Creates the sets and (re)writes the chain and its FORWARD hook; idempotent. Throws a FirewallError that
   * says what to do when the system cannot enforce anything (no br_netfilter, missing programs).
   */
  setup(): void;
  /** Enforces an entry; adding it again refreshes its timeout. Throws AddressError on a bad address. */
  add(entry: FirewallEntry, timeoutSec: number): void;
  /** Lifts an entry; lifting one that is not there is not an error. */
  del(entry: FirewallEntry): void;
  /** Makes the firewall hold exactly `entries` (start-up reconciliation: the store is the truth). */
  sync(entries: TimedEntry[]): void;
  /** Deletes every chain, rule and set this appliance made; idempotent. */
  remove(): RemoveReport;
  status(): FirewallStatus;
}

/** The firewall cannot do what was asked (missing program, kernel feature, failing command). */
export class FirewallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirewallError';
  }
}
