/**
 * Hourly rollups behind the dashboard's "top" lists: the DNS names the network asked for (Pi-hole's top
 * domains) and the remote addresses its devices talked to (top destinations), so a 7-day list reads a few
 * thousand rollup rows instead of every stored flow.
 *
 * - dns_rollups(hour_us, qname): DNS queries seen (one per DNS flow with a question), and how many of them
 *   were answered NXDOMAIN.
 * - remote_rollups(hour_us, ip): flows a LAN-side originator opened to an address outside the private,
 *   link-local, CGNAT, loopback and group ranges, with the bytes both ways and the newest name known for it
 *   (TLS SNI, HTTP Host, else an earlier DNS answer, from a bounded map).
 *
 * Both keys come from the wire, so each hour holds at most MAX_KEYS_PER_HOUR distinct names and addresses;
 * past that the rest of the hour is summed under the empty key (shown as "other") and counted in
 * `overflowed`. A flood of random names costs one row per hour, not one per name.
 */
import type Database from 'better-sqlite3';
import type { FlowRecord } from '../flow/flow-record.js';
import { LruMap } from '../lru-map.js';
import { isGroupAddress, PrefixSet } from '../detectors/addresses.js';

const HOUR_US = 3_600_000_000;
export const MAX_KEYS_PER_HOUR = 2000;
/** remote address → name, from DNS answers (the oldest forgotten first) */
const MAX_NAMES = 20_000;
/** the key that collects what is past the per-hour cap */
export const OTHER_KEY = '';

const NOT_REMOTE = new PrefixSet([
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8',
]);

/** An address on the internet: not private, link-local, shared (CGNAT), loopback, multicast or broadcast. */
export function isRemoteAddress(ip: string): boolean {
  return !NOT_REMOTE.has(ip) && !isGroupAddress(ip);
}

const NXDOMAIN = 3;

interface DnsDelta {
  hourUs: number;
  qname: string;
  queries: number;
  nxdomain: number;
}

interface RemoteDelta {
  hourUs: number;
  ip: string;
  name: string | null;
  flows: number;
  bytes: number;
}

/** Distinct keys per hour, for the cap; only the last few hours are kept (flows end roughly in order). */
export class HourKeys {
  private readonly hours = new Map<number, Set<string>>();

  constructor(private readonly cap: number = MAX_KEYS_PER_HOUR) {}

  /** `key`, or OTHER_KEY when the hour already holds its share of other keys */
  admit(hourUs: number, key: string): string {
    let s = this.hours.get(hourUs);
    if (s === undefined) {
      this.hours.set(hourUs, (s = new Set()));
      if (this.hours.size > 3) this.hours.delete(Math.min(...this.hours.keys()));
    }
    if (s.has(key)) return key;
    if (s.size >= this.cap) return OTHER_KEY;
    s.add(key);
    return key;
  }
}

export class TopRollups {
  private readonly dns = new Map<string, DnsDelta>();
  private readonly remote = new Map<string, RemoteDelta>();
  private readonly dnsKeys = new HourKeys();
  private readonly remoteKeys = new HourKeys();
  private readonly names = new LruMap<string, string>(MAX_NAMES);
  private readonly dnsStmt: Database.Statement;
  private readonly remoteStmt: Database.Statement;
  /** flows whose name or address went to OTHER_KEY because its hour was full */
  overflowed = 0;

  constructor(db: Database.Database) {
    this.dnsStmt = db.prepare(`
      INSERT INTO dns_rollups (hour_us, qname, queries, nxdomain) VALUES (@hourUs, @qname, @queries, @nxdomain)
      ON CONFLICT (hour_us, qname) DO UPDATE SET queries = queries + excluded.queries, nxdomain = nxdomain + excluded.nxdomain`);
    this.remoteStmt = db.prepare(`
      INSERT INTO remote_rollups (hour_us, ip, name, flows, bytes) VALUES (@hourUs, @ip, @name, @flows, @bytes)
      ON CONFLICT (hour_us, ip) DO UPDATE SET name = coalesce(excluded.name, name), flows = flows + excluded.flows, bytes = bytes + excluded.bytes`);
  }

  /** Adds one stored flow to the pending deltas (written by `commit`, in the flow's transaction). */
  add(f: FlowRecord): void {
    const hourUs = f.endUs - (f.endUs % HOUR_US);
    const d = f.dns;
    if (d !== null && d.qname !== '') {
      const qname = this.admit(this.dnsKeys, hourUs, d.qname.toLowerCase().replace(/\.$/, ''));
      const k = `${hourUs}|${qname}`;
      const r = this.dns.get(k) ?? this.dns.set(k, { hourUs, qname, queries: 0, nxdomain: 0 }).get(k)!;
      r.queries++;
      if (d.rcode === NXDOMAIN) r.nxdomain++;
      for (const a of d.answers) this.learn(a, d.qname);
    }
    if (!isRemoteAddress(f.srcIp) && isRemoteAddress(f.dstIp)) {
      const ip = this.admit(this.remoteKeys, hourUs, f.dstIp);
      const name = ip === OTHER_KEY ? null : (f.tlsSni ?? f.httpHost ?? this.names.peek(f.dstIp) ?? null);
      const k = `${hourUs}|${ip}`;
      const r = this.remote.get(k) ?? this.remote.set(k, { hourUs, ip, name: null, flows: 0, bytes: 0 }).get(k)!;
      r.flows++;
      r.bytes += f.bytesToServer + f.bytesToClient;
      if (name !== null) r.name = name;
    }
  }

  private admit(keys: HourKeys, hourUs: number, key: string): string {
    const k = keys.admit(hourUs, key);
    if (k === OTHER_KEY) this.overflowed++;
    return k;
  }

  private learn(ip: string, qname: string): void {
    this.names.set(ip, qname.replace(/\.$/, ''));
  }

  commit(): void {
    for (const r of this.dns.values()) this.dnsStmt.run(r);
    for (const r of this.remote.values()) this.remoteStmt.run(r);
    this.discard();
  }

  discard(): void {
    this.dns.clear();
    this.remote.clear();
  }
}
