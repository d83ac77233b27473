/**
 * Failed sign-in counting with exponential back-off, per (user name, client address) pair and per client
 * address. After `maxFailures` failures of a pair, the pair waits 1 s before its next attempt, 2 s after the
 * next failure, 4 s, … up to `windowMs`; an address waits the same way after `4 × maxFailures` failures over all
 * the names it tried. Failures are forgotten `windowMs` after the last one.
 *
 * Nothing is counted per user name alone: a guesser on one address must not lock the real admin out of every
 * other address (an address that has not failed is never refused). IPv6 addresses count per /64, the block
 * one host can pick addresses from at will.
 *
 * Each table is capped (`maxKeys`); at the cap the least recently failed key is evicted and counted, so a
 * flood of made-up user names costs bounded memory. The pair table and the address table are separate, so
 * flooding names cannot evict an address's count.
 */
import { isIP } from 'node:net';

interface Failures {
  count: number;
  lastMs: number;
}

export interface LoginLimiterOptions {
  /** failures of one pair before back-off starts (web.loginMaxFailures) */
  maxFailures: number;
  /** the longest wait; failures are forgotten twice this long after the last one (web.loginWindowMinutes) */
  windowMs: number;
  /** keys per table (default 10,000) */
  maxKeys?: number;
  /** wall clock, ms */
  nowMs: () => number;
}

/** the address-wide threshold, as a multiple of the pair's */
const ADDRESS_FACTOR = 4;

class FailureTable {
  private readonly map = new Map<string, Failures>();
  evictions = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly windowMs: number,
  ) {}

  live(key: string, nowMs: number): Failures | undefined {
    const f = this.map.get(key);
    if (f !== undefined && nowMs - f.lastMs >= this.windowMs) {
      this.map.delete(key);
      return undefined;
    }
    return f;
  }

  add(key: string, nowMs: number): void {
    const f = this.live(key, nowMs) ?? { count: 0, lastMs: nowMs };
    f.count++;
    f.lastMs = nowMs;
    // delete + set moves the key to the end of the Map's order, which makes the first key the least recent
    this.map.delete(key);
    this.map.set(key, f);
    while (this.map.size > this.maxKeys) {
      this.map.delete(this.map.keys().next().value!);
      this.evictions++;
    }
  }

  /** Takes `n` failures off `key` (all when n is undefined); returns how many it held. */
  forgive(key: string, n?: number): number {
    const f = this.map.get(key);
    if (f === undefined) return 0;
    const had = f.count;
    if (n === undefined || n >= f.count) this.map.delete(key);
    else f.count -= n;
    return had;
  }

  get size(): number {
    return this.map.size;
  }
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64. */
export function addressKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

export class LoginLimiter {
  private readonly byPair: FailureTable;
  private readonly byAddress: FailureTable;

  constructor(private readonly opts: LoginLimiterOptions) {
    // remembered for two windows, so a guesser at the longest wait keeps it instead of starting again
    this.byPair = new FailureTable(opts.maxKeys ?? 10_000, 2 * opts.windowMs);
    this.byAddress = new FailureTable(opts.maxKeys ?? 10_000, 2 * opts.windowMs);
  }

  private pairKey(ip: string, username: string): string {
    return `${username.toLowerCase()}\n${addressKey(ip)}`;
  }

  /** The wait after `count` failures with threshold `max`, ms (0 below the threshold). */
  private backoffMs(count: number, max: number): number {
    if (count < max) return 0;
    return Math.min(this.opts.windowMs, 1000 * 2 ** Math.min(30, count - max));
  }

  /** Seconds until an attempt from `ip` for `username` is allowed again; 0 when it is allowed now. */
  retryAfterSeconds(ip: string, username: string): number {
    const now = this.opts.nowMs();
    let until = 0;
    const pair = this.byPair.live(this.pairKey(ip, username), now);
    if (pair !== undefined) until = Math.max(until, pair.lastMs + this.backoffMs(pair.count, this.opts.maxFailures));
    const addr = this.byAddress.live(addressKey(ip), now);
    if (addr !== undefined) until = Math.max(until, addr.lastMs + this.backoffMs(addr.count, this.opts.maxFailures * ADDRESS_FACTOR));
    return until <= now ? 0 : Math.max(1, Math.ceil((until - now) / 1000));
  }

  fail(ip: string, username: string): void {
    const now = this.opts.nowMs();
    this.byPair.add(this.pairKey(ip, username), now);
    this.byAddress.add(addressKey(ip), now);
  }

  /**
   * A successful sign-in forgets its pair's failures and takes them off its address's count; the failures
   * that address made for other names stay (signing in to one's own account does not reset a guess at another).
   */
  succeed(ip: string, username: string): void {
    const n = this.byPair.forgive(this.pairKey(ip, username));
    if (n > 0) this.byAddress.forgive(addressKey(ip), n);
  }

  stats(): { pairs: number; addresses: number; evictions: number } {
    return { pairs: this.byPair.size, addresses: this.byAddress.size, evictions: this.byPair.evictions + this.byAddress.evictions };
  }
}
