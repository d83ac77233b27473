/**
 * Failed sign-in counting, per client address and per user name: after `maxFailures` failures within
 * `windowMs` (counted from the first of them), further attempts are refused until that window ends, even with
 * the right password. Each table is capped (`maxKeys`); at the cap the least recently failed key is evicted
 * and counted, so a flood of made-up user names costs bounded memory. The address table and the name table are
 * separate, so flooding names cannot evict an address's count.
 */

interface Failures {
  count: number;
  firstMs: number;
}

export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** keys per table (default 10,000) */
  maxKeys?: number;
  /** wall clock, ms */
  nowMs: () => number;
}

class FailureTable {
  private readonly map = new Map<string, Failures>();
  evictions = 0;

  constructor(private readonly maxKeys: number) {}

  live(key: string, nowMs: number, windowMs: number): Failures | undefined {
    const f = this.map.get(key);
    if (f !== undefined && nowMs - f.firstMs >= windowMs) {
      this.map.delete(key);
      return undefined;
    }
    return f;
  }

  add(key: string, nowMs: number, windowMs: number): void {
    const f = this.live(key, nowMs, windowMs) ?? { count: 0, firstMs: nowMs };
    f.count++;
    // delete + set moves the key to the end of the Map's order, which makes the first key the least recent
    this.map.delete(key);
    this.map.set(key, f);
    while (this.map.size > this.maxKeys) {
      this.map.delete(this.map.keys().next().value!);
      this.evictions++;
    }
  }

  clear(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

export class LoginLimiter {
  private readonly byIp: FailureTable;
  private readonly byUser: FailureTable;

  constructor(private readonly opts: LoginLimiterOptions) {
    this.byIp = new FailureTable(opts.maxKeys ?? 10_000);
    this.byUser = new FailureTable(opts.maxKeys ?? 10_000);
  }

  /** Seconds until an attempt from `ip` for `username` is allowed again; 0 when it is allowed now. */
  retryAfterSeconds(ip: string, username: string): number {
    const now = this.opts.nowMs();
    let until = 0;
    for (const f of [this.byIp.live(ip, now, this.opts.windowMs), this.byUser.live(username.toLowerCase(), now, this.opts.windowMs)]) {
      if (f !== undefined && f.count >= this.opts.maxFailures) until = Math.max(until, f.firstMs + this.opts.windowMs);
    }
    return until === 0 ? 0 : Math.max(1, Math.ceil((until - now) / 1000));
  }

  fail(ip: string, username: string): void {
    const now = this.opts.nowMs();
    this.byIp.add(ip, now, this.opts.windowMs);
    this.byUser.add(username.toLowerCase(), now, this.opts.windowMs);
  }

  /** A successful sign-in forgets the failures of its address and of its user name (not of other names). */
  succeed(ip: string, username: string): void {
    this.byIp.clear(ip);
    this.byUser.clear(username.toLowerCase());
  }

  stats(): { ips: number; users: number; evictions: number } {
    return { ips: this.byIp.size, users: this.byUser.size, evictions: this.byIp.evictions + this.byUser.evictions };
  }
}
