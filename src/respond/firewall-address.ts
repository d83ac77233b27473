/**
 * Addresses the response stage hands to the kernel firewall or matches against the allow-list: MACs, IPv4/IPv6
 * addresses and CIDR prefixes. Every one is parsed and written back in one canonical form before it is used,
 * so nothing an attacker put in a packet (a DHCP hostname, an odd address) ever reaches an iptables/ipset
 * argument unchecked, and `10.0.0.1`, `::ffff:0:0` style spellings compare equal to what `ipset list` prints.
 */

/** A bad address, MAC or prefix: the message says what was given and what is accepted. */
import { ipToString } from '../decode/addr.js';

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

/** A parsed IPv4/IPv6 prefix; a single address has the full length (32 or 128). */
export interface Prefix {
  family: 4 | 6;
  /** the network address as an unsigned integer (host bits cleared) */
  value: bigint;
  len: number;
  /** canonical text: `10.0.0.0/8`, `2001:db8::/32`; single addresses without the length */
  text: string;
}

const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;
const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** MAC in canonical form (lower case, colons), or null when `s` is not a unicast-or-multicast 48-bit MAC. */
export function canonicalMac(s: string): string | null {
  return MAC.test(s) ? s.toLowerCase().replaceAll('-', ':') : null;
}

/** Like canonicalMac, but throws an AddressError that names the bad input. */
export function parseMac(s: string): string {
  const m = canonicalMac(s);
  if (m === null) throw new AddressError(`not a MAC address: ${JSON.stringify(s)} (expected six hex bytes, e.g. 02:99:00:00:00:0a)`);
  return m;
}

function v4ToBig(s: string): bigint {
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function bigToV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
}

/** IPv6 text → 128-bit integer, or null. Accepts '::' compression and a trailing dotted IPv4; no zone ids. */
function v6ToBig(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return null;
  let text = s;
  if (text.includes('.')) {
    // a trailing dotted IPv4 ('::ffff:192.0.2.1') is the last two groups written in decimal
    const lastColon = text.lastIndexOf(':');
    const v4 = text.slice(lastColon + 1);
    if (!V4.test(v4)) return null;
    const n = v4ToBig(v4);
    text = `${text.slice(0, lastColon + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  let groups: string[];
  const want = 8;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (h: string): string[] => (h === '' ? [] : h.split(':'));
  if (halves.length === 2) {
    const head = part(halves[0]!);
    const rest = part(halves[1]!);
    const missing = want - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = part(text);
    if (groups.length !== want) return null;
  }
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** RFC 5952 text of a 128-bit value (the decoder's formatter: one text form for an address everywhere). */
function bigToV6(v: bigint): string {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = Number((v >> BigInt((3 - i) * 32)) & 0xffffffffn);
  return ipToString(w, 6);
}

/** An IPv4/IPv6 address or prefix, canonical; null when `s` is neither. Host bits of a prefix must be zero. */
export function canonicalPrefix(s: string): Prefix | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? null : s.slice(slash + 1);
  let family: 4 | 6;
  let value: bigint;
  if (V4.test(addr)) {
    family = 4;
    value = v4ToBig(addr);
  } else {
    const v = v6ToBig(addr);
    if (v === null) return null;
    family = 6;
    value = v;
  }
  const max = family === 4 ? 32 : 128;
  if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return null;
  const len = lenText === null ? max : Number(lenText);
  if (len > max) return null;
  const hostMask = (1n << BigInt(max - len)) - 1n;
  // 10.0.0.1/8 is almost always a typo for 10.0.0.0/8 or 10.0.0.1: refuse rather than guess
  if ((value & hostMask) !== 0n) return null;
  const base = family === 4 ? bigToV4(value) : bigToV6(value);
  return { family, value, len, text: len === max ? base : `${base}/${len}` };
}

/** Like canonicalPrefix, but throws an AddressError that names the bad input. */
export function parsePrefix(s: string): Prefix {
  const p = canonicalPrefix(s);
  if (p === null) {
    throw new AddressError(
      `not an IP address or CIDR prefix: ${JSON.stringify(s)} (expected e.g. 192.0.2.7, 198.51.100.0/24, 2001:db8::1 or 2001:db8::/32, host bits zero)`,
    );
  }
  return p;
}

/** A single IPv4/IPv6 address (no prefix), canonical; throws an AddressError otherwise. */
export function parseIp(s: string): Prefix {
  const p = parsePrefix(s);
  if (p.len !== (p.family === 4 ? 32 : 128) || s.includes('/')) throw new AddressError(`not a single IP address: ${JSON.stringify(s)}`);
  return p;
}

/** true when prefix `outer` contains every address of `inner` (same family). */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  const max = outer.family === 4 ? 32 : 128;
  const shift = BigInt(max - outer.len);
  return inner.value >> shift === outer.value >> shift;
}

/** true when the two prefixes share at least one address. */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/** An allow-list or protect entry: a MAC or an address/prefix, canonical. */
export type AddressEntry = { kind: 'mac'; mac: string; text: string } | { kind: 'prefix'; prefix: Prefix; text: string };

/** Parses a MAC, IP or CIDR; throws an AddressError that says what is accepted. */
export function parseEntry(s: string): AddressEntry {
  const trimmed = s.trim();
  const mac = canonicalMac(trimmed);
  if (mac !== null) return { kind: 'mac', mac, text: mac };
  const p = canonicalPrefix(trimmed);
  if (p !== null) return { kind: 'prefix', prefix: p, text: p.text };
  throw new AddressError(`not a MAC address, IP address or CIDR prefix: ${JSON.stringify(s)}`);
}
