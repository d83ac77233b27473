/**
 * pcapng Interface Description Blocks and the timestamp arithmetic they imply.
 *
 * Each interface has its own link type, snaplen and timestamp unit (`if_tsresol`: 10^-n seconds, or 2^-n
 * when the top bit is set; 10^-6 when absent) and may add `if_tsoffset` whole seconds. Timestamps are 64-bit
 * counts of that unit, split in two 32-bit words, and become integer microseconds here without going through
 * a lossy double: a nanosecond count since 1970 is ~2^61, past the 2^53 a double holds exactly.
 */

/** IDB option codes read here (pcapng spec §4.2). */
const IdbOption = {
  END: 0,
  TSRESOL: 9,
  TSOFFSET: 14,
} as const;

const TWO_32 = 4294967296;

export interface PcapngInterface {
  linkType: number;
  /** 0 = no limit */
  snaplen: number;
  /** the raw if_tsresol byte (6 when absent) */
  tsresol: number;
  /**
   * How a timestamp count becomes µs, chosen once per interface:
   *   div > 1       count / div (units finer than 1 µs, 10^-7 … 10^-12), exact split division
   *   mul ≥ 1       count * mul (units of 1 µs or coarser: 10^-6 … 10^0)
   *   perSec ≠ 0n   count * 10^6 / perSec in BigInt (2^-n units and 10^-13 and finer): allocates, rare
   */
  div: number;
  mul: number;
  perSec: bigint;
  /** if_tsoffset in µs */
  offsetUs: number;
}

/**
 * Parses an IDB whose body (after the 8-byte block header, before the trailing length) is `buf[pos, end)`.
 * Returns the interface, or an error message for a malformed option list.
 */
export function parseInterfaceBlock(dv: DataView, pos: number, end: number, le: boolean): PcapngInterface | string {
  const linkType = dv.getUint16(pos, le);
  const snaplen = dv.getUint32(pos + 4, le);
  let tsresol = 6;
  let offsetSec = 0n;
  let p = pos + 8;
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === IdbOption.END) break;
    if (p + 4 + len > end) return `option ${code} of length ${len} runs past the end of the block`;
    if (code === IdbOption.TSRESOL && len >= 1) tsresol = dv.getUint8(p + 4);
    else if (code === IdbOption.TSOFFSET && len >= 8) offsetSec = dv.getBigInt64(p + 4, le);
    p += 4 + ((len + 3) & ~3);
  }
  return makeInterface(linkType, snaplen, tsresol, Number(offsetSec));
}

export function makeInterface(linkType: number, snaplen: number, tsresol: number, offsetSec: number): PcapngInterface {
  const exp = tsresol & 0x7f;
  let div = 1;
  let mul = 1;
  let perSec = 0n;
  if (tsresol & 0x80) perSec = 1n << BigInt(exp);
  else if (exp <= 6) mul = 10 ** (6 - exp);
  // up to 10^6 the split division below stays below 2^53; finer units go to BigInt
  else if (exp <= 12) div = 10 ** (exp - 6);
  else perSec = 10n ** BigInt(exp);
  if (perSec === 1000000n) perSec = 0n; // 2^-n never equals 10^6, but a caller may build one directly
  return { linkType, snaplen, tsresol, div, mul, perSec, offsetUs: offsetSec * 1e6 };
}

/** The timestamp count `hi * 2^32 + lo` of interface `f`, in integer µs (floor), plus the interface offset. */
export function interfaceTsUs(f: PcapngInterface, hi: number, lo: number): number {
  if (f.perSec !== 0n) return Number((((BigInt(hi) << 32n) | BigInt(lo)) * 1000000n) / f.perSec) + f.offsetUs;
  if (f.div === 1) return (hi * TWO_32 + lo) * f.mul + f.offsetUs;
  // (hi*2^32 + lo) / d = floor(hi/d) * 2^32 + ((hi mod d) * 2^32 + lo) / d, and the second numerator
  // is < d * 2^32 <= 2^52, so every step is exact in a double; % on integral doubles is exact as well
  const d = f.div;
  const rh = hi % d;
  const x = rh * TWO_32 + lo;
  return ((hi - rh) / d) * TWO_32 + (x - (x % d)) / d + f.offsetUs;
}
