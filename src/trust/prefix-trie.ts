/**
 * Address sets for threat-intelligence lookups: which list entry (if any) covers an address.
 *
 * Blocklists are mostly single addresses (abuse.ch, FireHOL level 1 has a few thousand prefixes and many
 * /32s), so the table keeps two structures per family:
 * - exact host addresses (/32, /128) in a Map: one hash probe, keyed by the address as a number for IPv4;
 * - shorter prefixes in a binary trie on the address bits, stored in flat typed arrays (no object per node),
 *   walked bit by bit and remembering the last node that carried a value: longest-prefix match.
 * A lookup returns the most specific entry: the exact address first, then the longest covering prefix.
 *
 * Values are non-negative integers (entry ids the caller keeps elsewhere); -1 means "none". Inserting a key
 * that is already present keeps the first value and returns it, so the caller can chain duplicates.
 */
import { ipToString, parseIp } from '../decode/addr.js';

const NONE = -1;

/** Binary trie over the first `len` bits of a key; nodes live in three growable Int32Arrays. */
class BitTrie {
  /** child for a 0 bit, child for a 1 bit, value; node 0 is the root */
  private zero: Int32Array;
  private one: Int32Array;
  private val: Int32Array;
  private count = 1;
  /** prefixes stored */
  size = 0;

  constructor(initialNodes = 1024) {
    this.zero = new Int32Array(initialNodes).fill(NONE);
    this.one = new Int32Array(initialNodes).fill(NONE);
    this.val = new Int32Array(initialNodes).fill(NONE);
  }

  /** nodes allocated (for memory figures) */
  get nodes(): number {
    return this.count;
  }

  /** bytes held by the node arrays and the depth-16 table */
  get bytes(): number {
    return this.zero.byteLength * 3 + (this.top === null ? 0 : this.top.byteLength * 2);
  }

  private newNode(): number {
    if (this.count === this.zero.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2).fill(NONE);
        b.set(a);
        return b;
      };
      this.zero = grow(this.zero);
      this.one = grow(this.one);
      this.val = grow(this.val);
    }
    return this.count++;
  }

  /** Insert the prefix whose bits `bit(0..len-1)` gives; returns the value already there, or NONE after storing `value`. */
  insert(bit: (i: number) => number, len: number, value: number): number {
    this.top = null;
    this.topBest = null;
    let node = 0;
    for (let i = 0; i < len; i++) {
      const arr = bit(i) === 0 ? this.zero : this.one;
      let next = arr[node]!;
      if (next === NONE) {
        next = this.newNode();
        // newNode may have replaced the arrays
        (bit(i) === 0 ? this.zero : this.one)[node] = next;
      }
      node = next;
    }
    const old = this.val[node]!;
    if (old !== NONE) return old;
    this.val[node] = value;
    this.size++;
    return NONE;
  }

  /**
   * For 32-bit keys: the node reached after the first 16 bits of every possible key (or NONE when the path
   * ends earlier) and the best value met on the way, so a lookup starts at depth 16 with one array read
   * instead of 16 steps (512 KiB; built on the first lookup after an insert).
   */
  private top: Int32Array | null = null;
  private topBest: Int32Array | null = null;

  private buildTop(): void {
    const top = new Int32Array(65536);
    const best = new Int32Array(65536);
    for (let k = 0; k < 65536; k++) {
      let node = 0;
      let b = this.val[0]!;
      for (let i = 15; i >= 0 && node !== NONE; i--) {
        node = ((k >>> i) & 1) === 0 ? this.zero[node]! : this.one[node]!;
        if (node !== NONE && this.val[node]! !== NONE) b = this.val[node]!;
      }
      top[k] = node;
      best[k] = b;
    }
    this.top = top;
    this.topBest = best;
  }

  /** Longest-prefix match of a 32-bit key (IPv4 as an unsigned number). */
  lookup32(n: number): number {
    if (this.top === null) this.buildTop();
    const zero = this.zero;
    const one = this.one;
    const val = this.val;
    const k = n >>> 16;
    let best = this.topBest![k]!;
    let node = this.top![k]!;
    if (node === NONE) return best;
    for (let i = 15; i >= 0; i--) {
      node = ((n >>> i) & 1) === 0 ? zero[node]! : one[node]!;
      if (node === NONE) return best;
      const v = val[node]!;
      if (v !== NONE) best = v;
    }
    return best;
  }

  /** Longest-prefix match of a 128-bit key held as four big-endian words. */
  lookup128(w: Uint32Array): number {
    let best = this.val[0]!;
    let node = 0;
    for (let i = 0; i < 128; i++) {
      const b = (w[i >>> 5]! >>> (31 - (i & 31))) & 1;
      node = b === 0 ? this.zero[node]! : this.one[node]!;
      if (node === NONE) return best;
      const v = this.val[node]!;
      if (v !== NONE) best = v;
    }
    return best;
  }
}

/**
 * Dotted quad → unsigned 32-bit number without allocating; -1 when `s` is not exactly four decimal octets.
 * (decode/addr.ts parseIpv4 splits and tests a regex per octet: fine for config, too slow per flow.)
 */
export function ipv4Number(s: string): number {
  const len = s.length;
  if (len < 7 || len > 15) return -1;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + octet;
}

/** A parsed CIDR: IPv4 as a number, IPv6 as four words; `len` is the prefix length within the family. */
export type Cidr = { version: 4; n: number; len: number } | { version: 6; words: Uint32Array; len: number };

/**
 * "a.b.c.d", "a.b.c.d/nn", an IPv6 address or prefix; null when malformed. Host bits set below the prefix
 * length are cleared (lists do contain "1.2.3.4/24"; it means the /24).
 */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? null : s.slice(slash + 1);
  if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return null;
  const v4 = ipv4Number(addr);
  if (v4 >= 0) {
    const len = lenText === null ? 32 : Number(lenText);
    if (len > 32) return null;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return { version: 4, n: (v4 & mask) >>> 0, len };
  }
  const ip = parseIp(addr);
  if (ip === null || ip.version !== 6) return null;
  const len = lenText === null ? 128 : Number(lenText);
  if (len > 128) return null;
  // an IPv4-mapped address or prefix is the IPv4 one
  if (ip.words[0] === 0 && ip.words[1] === 0 && ip.words[2] === 0xffff && len >= 96) {
    const l4 = len - 96;
    const mask = l4 === 0 ? 0 : (0xffffffff << (32 - l4)) >>> 0;
    return { version: 4, n: (ip.words[3]! & mask) >>> 0, len: l4 };
  }
  const words = ip.words;
  for (let i = 0; i < 4; i++) {
    const keep = Math.min(32, Math.max(0, len - i * 32));
    const mask = keep === 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
    words[i] = (words[i]! & mask) >>> 0;
  }
  return { version: 6, words, len };
}

/** Exact addresses plus a prefix trie, for IPv4 and IPv6. */
export class IpTable {
  private readonly v4Exact = new Map<number, number>();
  private readonly v4Prefixes = new BitTrie();
  private readonly v6Exact = new Map<string, number>();
  private readonly v6Prefixes = new BitTrie();

  /**
   * Store `value` under `cidr`. Returns the value already stored under exactly that key (the caller chains
   * duplicates), or -1 when this one was stored.
   */
  insert(c: Cidr, value: number): number {
    if (c.version === 4) {
      if (c.len === 32) {
        const old = this.v4Exact.get(c.n);
        if (old !== undefined) return old;
        this.v4Exact.set(c.n, value);
        return NONE;
      }
      const n = c.n;
      return this.v4Prefixes.insert((i) => (n >>> (31 - i)) & 1, c.len, value);
    }
    if (c.len === 128) {
      const key = ipToString(c.words, 6);
      const old = this.v6Exact.get(key);
      if (old !== undefined) return old;
      this.v6Exact.set(key, value);
      return NONE;
    }
    const w = c.words;
    return this.v6Prefixes.insert((i) => (w[i >>> 5]! >>> (31 - (i & 31))) & 1, c.len, value);
  }

  /** The most specific value covering the IPv4 address `n` (unsigned 32-bit), or -1. */
  lookupV4(n: number): number {
    const v = this.v4Exact.get(n);
    if (v !== undefined) return v;
    return this.v4Prefixes.size === 0 ? NONE : this.v4Prefixes.lookup32(n);
  }

  /** The most specific value covering the IPv6 address in `words` (four big-endian words), or -1. */
  lookupV6(words: Uint32Array): number {
    if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return this.lookupV4(words[3]!);
    if (this.v6Exact.size > 0) {
      const v = this.v6Exact.get(ipToString(words, 6));
      if (v !== undefined) return v;
    }
    return this.v6Prefixes.size === 0 ? NONE : this.v6Prefixes.lookup128(words);
  }

  /** The most specific value covering the address in text form, or -1 (also for text that is no address). */
  lookup(ip: string): number {
    const n = ipv4Number(ip);
    if (n >= 0) return this.lookupV4(n);
    if (ip.indexOf(':') < 0 || (this.v6Exact.size === 0 && this.v6Prefixes.size === 0 && this.v4Exact.size === 0 && this.v4Prefixes.size === 0)) return NONE;
    const a = parseIp(ip);
    return a === null ? NONE : this.lookupV6(a.words);
  }

  /** entries stored: exact addresses and prefixes, per family */
  counts(): { v4Exact: number; v4Prefixes: number; v6Exact: number; v6Prefixes: number } {
    return { v4Exact: this.v4Exact.size, v4Prefixes: this.v4Prefixes.size, v6Exact: this.v6Exact.size, v6Prefixes: this.v6Prefixes.size };
  }

  /** bytes held by the tries' node arrays (the Maps are measured by the heap) */
  get trieBytes(): number {
    return this.v4Prefixes.bytes + this.v6Prefixes.bytes;
  }
}
