/**
 * The lookup the pipeline holds: the databases are opened on the first address that could be in them (one
 * that is not private, loopback, link-local, multicast or documentation), or by `load()`. Opening them takes
 * about a second and 100 MB here; a replay of a LAN-only capture, and every command that never sees an
 * internet address, pays nothing. `run` calls `load()` at start, so the first remote flow of a live network
 * does not hold the event loop. Opening is synchronous, so a replay's output is the same every time.
 */
import { ipv4Number, ipv6Words, mappedIpv4, specialIpv4, specialIpv6 } from './ip.js';
import type { GeoInfo, GeoLookup, GeoSource } from './types.js';

const words = new Uint32Array(4);

/** Whether `ip` is an address the databases could know: not special, and an address at all. */
export function lookupWorthy(ip: string): boolean {
  if (ip.indexOf(':') < 0) {
    const v4 = ipv4Number(ip);
    return v4 >= 0 && !specialIpv4(v4);
  }
  if (!ipv6Words(ip, words)) return false;
  const v4 = mappedIpv4(words);
  return v4 >= 0 ? !specialIpv4(v4) : !specialIpv6(words);
}

export class LazyGeo implements GeoLookup {
  private inner: GeoLookup | null = null;
  private opened = false;

  /** `open` returns null when no database could be read (the reason is in its log); it is called once. */
  constructor(private readonly open: () => GeoLookup | null) {}

  /** Opens the databases now (a no-op once opened); false when none could be read. */
  load(): boolean {
    if (!this.opened) {
      this.opened = true;
      this.inner = this.open();
    }
    return this.inner !== null;
  }

  /** whether the databases were opened (and could be read) */
  get loaded(): boolean {
    return this.inner !== null;
  }

  lookup(ip: string): GeoInfo | undefined {
    if (!this.opened) {
      if (!lookupWorthy(ip)) return undefined;
      this.load();
    }
    return this.inner?.lookup(ip);
  }

  get sources(): readonly GeoSource[] {
    return this.inner?.sources ?? [];
  }

  stats(): { hits: number; misses: number; evicted: number; cached: number } {
    return this.inner?.stats() ?? { hits: 0, misses: 0, evicted: 0, cached: 0 };
  }
}
