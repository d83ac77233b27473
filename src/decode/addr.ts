/**
 * Address formatting and parsing shared by the decoders, the flow engine, storage and the web views.
 *
 * Decoders keep addresses as numbers (MACs as 48-bit integers, IP addresses as four 32-bit big-endian words
 * with IPv4 stored IPv4-mapped) so the per-packet path allocates nothing; the functions here turn them into
 * strings only where a string is kept (a flow record, a device row, a log line).
 */

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

/** Lower-case colon-separated MAC ("aa:bb:cc:dd:ee:ff") from a 48-bit number; '' for a negative (absent) MAC. */
export function macToString(n: number): string {
  if (n < 0 || !Number.isFinite(n)) return '';
  const hi = Math.floor(n / 0x100000000) & 0xffff;
  const lo = n >>> 0;
  return (
    HEX2[hi >>> 8] + ':' + HEX2[hi & 0xff] + ':' +
    HEX2[lo >>> 24] + ':' + HEX2[(lo >>> 16) & 0xff] + ':' + HEX2[(lo >>> 8) & 0xff] + ':' + HEX2[lo & 0xff]
  );
}

/** 48-bit number from "aa:bb:cc:dd:ee:ff" (also '-' separated or bare 12 hex digits); null when malformed. */
export function parseMac(s: string): number | null {
  const hex = s.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return null;
  if (s.length !== 12 && s.length !== 17) return null;
  return parseInt(hex, 16);
}

/** Dotted quad from an IPv4 address held as an unsigned 32-bit number. */
export function ipv4ToString(n: number): string {
  return (n >>> 24) + '.' + ((n >>> 16) & 0xff) + '.' + ((n >>> 8) & 0xff) + '.' + (n & 0xff);
}

/**
 * Text form of an address held as four big-endian words. Version 4 reads the last word (IPv4-mapped storage).
 * Version 6 follows RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups
 * (the first one on a tie) becomes "::", and IPv4-mapped addresses print as "::ffff:a.b.c.d".
 */
export function ipToString(words: Uint32Array, version: 4 | 6): string {
  if (version === 4) return ipv4ToString(words[3]);
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return '::ffff:' + ipv4ToString(words[3]);
  const g = [
    words[0] >>> 16, words[0] & 0xffff, words[1] >>> 16, words[1] & 0xffff,
    words[2] >>> 16, words[2] & 0xffff, words[3] >>> 16, words[3] & 0xffff,
  ];
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 4.2.2: a single zero group is never shortened to "::"
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return head + '::' + tail;
}

/** Unsigned 32-bit number from a dotted quad; null when malformed. */
export function parseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/**
 * Parse an IPv4 dotted quad or an IPv6 address (with "::" and an optional trailing dotted quad) into four
 * big-endian words — IPv4 as IPv4-mapped, like the decoders store it. Returns a new array, or null when the
 * string is not an address (zone ids such as "%eth0" are rejected).
 */
export function parseIp(s: string): { version: 4 | 6; words: Uint32Array } | null {
  if (s.indexOf(':') < 0) {
    const v4 = parseIpv4(s);
    if (v4 === null) return null;
    return { version: 4, words: Uint32Array.of(0, 0, 0xffff, v4) };
  }
  const groups = parseIpv6Groups(s);
  if (groups === null) return null;
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return { version: 6, words };
}

function parseIpv6Groups(s: string): number[] | null {
  if (s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseSide = (side: string, allowV4: boolean): number[] | null => {
    if (side === '') return [];
    const parts = side.split(':');
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (allowV4 && i === parts.length - 1 && p.indexOf('.') >= 0) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  if (dbl < 0) {
    const all = parseSide(s, true);
    return all !== null && all.length === 8 ? all : null;
  }
  const head = parseSide(s.slice(0, dbl), false);
  const tail = parseSide(s.slice(dbl + 2), true);
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
