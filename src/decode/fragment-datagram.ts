/**
 * One IP datagram in progress of reassembly (reassembly.ts) and its held pieces: sorted by offset, never
 * overlapping, the bytes seen first kept (first wins, as Zeek's Reassem does).
 */
export interface Piece {
  off: number;
  end: number;
  data: Buffer;
}

/** One datagram in progress. */
export class Datagram {
  hash = 0;
  /** next datagram with the same hash */
  chain: Datagram | null = null;
  /** creation order (also expiry order: every datagram has the same timeout) */
  older: Datagram | null = null;
  newer: Datagram | null = null;
  version: 4 | 6 = 4;
  proto = 0;
  id = 0;
  vlan = 0;
  depth = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  srcKey = '';
  expiresUs = 0;
  /** the offset-0 fragment's header, null until it arrives */
  header: Buffer | null = null;
  /** IPv6: offset in `header` of the next-header byte to rewrite, and what to write there */
  nhAt = -1;
  nextProto = 0;
  /** payload size, fixed by the first last fragment; -1 until then */
  size = -1;
  /** sorted by offset, never overlapping */
  pieces: Piece[] = [];
  bytes = 0;
  fragments = 0;
  /** ended for too many fragments: swallows the rest until its timeout */
  dead = false;
}

/**
 * The parts of [from, to) that no held piece of `d` covers, as [start, end, start, end, …]; `overlap` says
 * whether any held piece intersects [from, to).
 */
export function uncovered(d: Datagram, from: number, to: number): number[] & { overlap: boolean } {
  const out = [] as unknown as number[] & { overlap: boolean };
  out.overlap = false;
  let pos = from;
  for (const p of d.pieces) {
    if (pos >= to) break;
    if (p.end <= pos) continue;
    if (p.off >= to) break;
    out.overlap = true;
    if (p.off > pos) out.push(pos, p.off);
    pos = p.end;
  }
  if (pos < to) out.push(pos, to);
  return out;
}

/** Cut the held pieces of `d` at `size`; returns the bytes dropped beyond it (0: nothing was beyond). */
export function trimAt(d: Datagram, size: number): number {
  let dropped = 0;
  const kept: Piece[] = [];
  for (const p of d.pieces) {
    if (p.end <= size) {
      kept.push(p);
      continue;
    }
    dropped += p.end - Math.max(p.off, size);
    if (p.off < size) kept.push({ off: p.off, end: size, data: p.data.subarray(0, size - p.off) });
  }
  if (dropped > 0) {
    d.pieces = kept;
    d.bytes -= dropped;
  }
  return dropped;
}
