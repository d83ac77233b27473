/**
 * The decode cursor: where the current layer starts and where the bytes that belong to it end.
 *
 * One instance is reused for every packet (decode.ts owns it), so walking the layers allocates nothing.
 * Each decoder reads from `off`, and when it hands over to the next layer moves `off` past its header and
 * narrows `end`/`declEnd` to its payload.
 */
export interface Cursor {
  /** offset in pkt.buf where the current layer starts */
  off: number;
  /** one past the last byte present for this layer (never beyond the captured bytes) */
  end: number;
  /**
   * one past the last byte the enclosing IP header declares (may exceed `end` when the capture was cut
   * short): lets L4 report the payload length the sender meant even when not all of it was captured
   */
  declEnd: number;
  /** VLAN tags seen so far in this frame */
  vlanDepth: number;
}

export function newCursor(): Cursor {
  return { off: 0, end: 0, declEnd: 0, vlanDepth: 0 };
}

/** 48-bit MAC at `o` as a number (exact in a double). */
export function readMac(buf: Buffer, o: number): number {
  return (
    ((buf[o] << 8) | buf[o + 1]) * 0x100000000 +
    (((buf[o + 2] << 24) | (buf[o + 3] << 16) | (buf[o + 4] << 8) | buf[o + 5]) >>> 0)
  );
}

/** Unsigned 32-bit big-endian word at `o`. */
export function readU32(buf: Buffer, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}
