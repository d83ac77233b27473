/**
 * Address classification the detectors need on the strings a FlowRecord carries: "is this one of ours"
 * (homeNets prefixes) and "is this a group address" (multicast/broadcast traffic is never a probe or a beacon).
 */
import { parseIp } from '../decode/addr.js';

interface Prefix {
  words: Uint32Array;
  /** prefix length in the 128-bit (IPv4-mapped for IPv4) space */
  bits: number;
}

/** Longest-prefix-free membership test over a short list of CIDR prefixes (homeNets has a handful). */
export class PrefixSet {
  private readonly prefixes: Prefix[] = [];

  /** Throws on a malformed prefix: this is startup configuration. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, len] = c.split('/');
      const ip = addr === undefined ? null : parseIp(addr);
      if (ip === null) throw new Error(`not an address or prefix: ${c}`);
      const max = ip.version === 4 ? 32 : 128;
      const n = len === undefined ? max : Number(len);
      if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`bad prefix length: ${c}`);
      this.prefixes.push({ words: ip.words, bits: ip.version === 4 ? 96 + n : n });
    }
  }

  /** true when `ip` (text form) lies inside one of the prefixes; false for unparseable text */
  has(ip: string): boolean {
    const a = parseIp(ip);
    if (a === null) return false;
    for (const p of this.prefixes) if (matches(a.words, p)) return true;
    return false;
  }
}

function matches(w: Uint32Array, p: Prefix): boolean {
  let bits = p.bits;
  for (let i = 0; i < 4 && bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    if (((w[i]! ^ p.words[i]!) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

/** Multicast, broadcast (limited, or a .255 host part in a /24-style LAN) or unspecified. */
export function isGroupAddress(ip: string): boolean {
  if (ip.includes(':')) return /^ff/i.test(ip) || ip === '::';
  const first = Number(ip.slice(0, ip.indexOf('.')));
  if (first >= 224) return true; // 224/4 multicast, 240/4 reserved and 255.255.255.255
  return ip === '0.0.0.0' || ip.endsWith('.255');
}

/** The unspecified address of the family of `ip`: what an alert names as source when there is no single one. */
export function unspecifiedLike(ip: string): string {
  return ip.includes(':') ? '::' : '0.0.0.0';
}

/** 127.0.0.0/8 or ::1: traffic that never leaves the host (only seen when capturing on lo). */
export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}
