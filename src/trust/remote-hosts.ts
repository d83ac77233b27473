/**
 * Remote hosts the LAN talks to, keyed by IP, with the DNS names the LAN resolved to them: what turns
 * "203.0.113.9" into "api.vendor.example" on the dashboard and in explanations. Keyed by attacker-controlled
 * values (any DNS answer, any flow), so capped: the least recently seen host is evicted and counted.
 */

import { LruMap } from '../lru-map.js';

export interface RemoteHost {
  ip: string;
  /** names the LAN resolved to this address, oldest first, at most MAX_NAMES */
  names: string[];
  firstSeenUs: number;
  lastSeenUs: number;
}

/** Names kept per remote host (CDNs serve hundreds of names from one address; the newest matter most). */
export const MAX_NAMES = 8;

export class RemoteHosts {
  /** least recently seen first */
  private readonly hosts: LruMap<string, RemoteHost>;

  constructor(cap: number) {
    this.hosts = new LruMap(Math.max(1, cap));
  }

  /** hosts dropped to stay under the cap */
  get evicted(): number {
    return this.hosts.evicted;
  }

  get size(): number {
    return this.hosts.size;
  }

  get(ip: string): RemoteHost | undefined {
    return this.hosts.peek(ip);
  }

  /** The host for `ip`, created when new, marked as seen at `tsUs`. */
  touch(ip: string, tsUs: number): RemoteHost {
    const r = this.hosts.touch(ip, () => ({ ip, names: [], firstSeenUs: tsUs, lastSeenUs: tsUs }));
    if (tsUs > r.lastSeenUs) r.lastSeenUs = tsUs;
    return r;
  }

  /** Adds `name` (lower-cased) as the newest name of `r`, dropping its oldest beyond MAX_NAMES. */
  static addName(r: RemoteHost, name: string): void {
    const n = name.toLowerCase();
    const i = r.names.indexOf(n);
    if (i >= 0) r.names.splice(i, 1);
    else if (r.names.length >= MAX_NAMES) r.names.shift();
    r.names.push(n);
  }
}
