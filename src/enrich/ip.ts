/**
 * Address parsing for the lookups: text to numbers without allocating (the enrichment runs once per flow
 * endpoint, so this is a hot path), and the ranges that are never on the internet.
 *
 * IPv4 is one unsigned 32-bit number; IPv6 four big-endian 32-bit words written into a caller's array. An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is looked up as the IPv4 address it carries.
 */

/** Unsigned 32-bit value of a dotted quad, or -1 when `s` is not one (no leading "+", at most 3 digits a part). */
export function ipv4Number(s: string, from = 0, to = s.length): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

/** Value of one hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const groups = new Uint16Array(8);

/**
 * Parse an IPv6 address into four words in `out`; true on success. "::" and a trailing dotted quad are
 * accepted; a zone ("%eth0") is not an address of the internet and is rejected.
 */
export function ipv6Words(s: string, out: Uint32Array): boolean {
  const len = s.length;
  if (len < 2 || len > 45) return false;
  let n = 0; // groups parsed
  let gap = -1; // group index where "::" stands
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    // a trailing dotted quad takes the place of two groups
    let j = i;
    let v = 0;
    let digits = 0;
    for (; j < len; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      digits++;
    }
    if (j < len && s.charCodeAt(j) === 46) {
      const v4 = ipv4Number(s, i, len);
      if (v4 < 0 || n > 6) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (digits === 0 || digits > 4 || n >= 8) return false;
    groups[n++] = v;
    if (j === len) {
      i = len;
      break;
    }
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < len && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
    } else {
      if (j + 1 === len) return false;
      i = j + 1;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  // spread: groups before the gap, zeros, groups after it
  const tail = gap < 0 ? 0 : n - gap;
  for (let w = 0; w < 4; w++) {
    let word = 0;
    for (let k = 0; k < 2; k++) {
      const g = 2 * w + k;
      let value: number;
      if (gap < 0 || g < gap) value = groups[g]!;
      else if (g >= 8 - tail) value = groups[gap + (g - (8 - tail))]!;
      else value = 0;
      word = word * 65536 + value;
    }
    out[w] = word;
  }
  return true;
}

/**
 * Not on the internet: "this network", private (RFC 1918), shared/CGNAT (RFC 6598), loopback, link-local,
 * documentation ranges, benchmarking (198.18/15), multicast and reserved (224/3, with broadcast).
 */
export function specialIpv4(n: number): boolean {
  const a = n >>> 24;
  const b = (n >>> 16) & 0xff;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return true;
  if (a === 100) return b >= 64 && b < 128;
  if (a === 169) return b === 254;
  if (a === 172) return b >= 16 && b < 32;
  if (a === 192) return b === 168 || (b === 0 && ((n >>> 8) & 0xff) === 2) || (b === 0 && ((n >>> 8) & 0xff) === 0);
  if (a === 198) return b === 18 || b === 19 || (b === 51 && ((n >>> 8) & 0xff) === 100);
  if (a === 203) return b === 0 && ((n >>> 8) & 0xff) === 113;
  return false;
}

/**
 * Not on the internet, for IPv6 outside the IPv4-mapped range: unspecified and loopback (::/127),
 * unique-local fc00::/7, link-local fe80::/10, multicast ff00::/8, documentation 2001:db8::/32.
 */
export function specialIpv6(w: Uint32Array): boolean {
  const top = w[0]! >>> 16;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3]! <= 1) return true;
  if ((top & 0xfe00) === 0xfc00 || (top & 0xffc0) === 0xfe80 || (top & 0xff00) === 0xff00) return true;
  return w[0] === 0x20010db8;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:0:0/96), or -1. */
export function mappedIpv4(w: Uint32Array): number {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff ? w[3]! : -1;
}
