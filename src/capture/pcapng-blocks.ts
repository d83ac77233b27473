/**
 * pcapng files (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/): a sequence of blocks
 * `type u32, total length u32, body, total length u32`, grouped in sections. Each Section Header Block sets
 * the byte order (its type 0a0d0d0a is a palindrome; the byte-order magic after it decides) and starts a
 * fresh interface list. Packets come in Enhanced (6), Simple (3) and obsolete Packet (2) blocks; every other
 * block type (name resolution, statistics, decryption secrets, custom, …) is skipped by its length.
 *
 * Complete Enhanced and Simple Packet Blocks are delivered by a tight synchronous loop over the buffered
 * chunk; everything else — section and interface blocks, blocks straddling the chunk end, damage, the end
 * of the file — goes through `readSlowBlock`, one block at a time.
 */
import type { Packet } from '../decode/packet.js';
import type { ChunkedFile } from './chunked-file.js';
import { CaptureFileError, MAX_BLOCK_BYTES, MAX_RECORD_BYTES, type OnPacket, type ReadSummary } from './pcap-file.js';
import { interfaceTsUs, parseInterfaceBlock, type PcapngInterface } from './pcapng-interface.js';

/** Block types handled here. */
export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE: 1,
  /** obsolete Packet Block: 16-bit interface id and drop count */
  PACKET: 2,
  /** Simple Packet Block: interface 0, no timestamp */
  SIMPLE_PACKET: 3,
  ENHANCED_PACKET: 6,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

/** Smallest valid total length per block type: header, fixed fields, trailer. */
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_EPB = 32;
const MIN_PB = 32;
const MIN_SPB = 16;
const MIN_BLOCK = 12;

/** What survives from block to block: the current section. */
interface Section {
  littleEndian: boolean;
  ifaces: PcapngInterface[];
  /** timestamp given to Simple Packet Blocks, which carry none: the last one delivered */
  lastTsUs: number;
}

/** What the slow path tells the record loop. */
const enum Step {
  /** the block was handled; go on with the next */
  CONTINUE,
  /** end of file, damage (summary.error is set) or abort: the read is over */
  STOP,
}

/**
 * Delivers every packet of a pcapng file from `src.pos` (offset 0, at the first Section Header Block).
 * Throws CaptureFileError when that first block is unusable; later damage ends the read with summary.error.
 */
export async function readPcapngBlocks(src: ChunkedFile, pkt: Packet, onPacket: OnPacket, sum: ReadSummary): Promise<void> {
  const sec: Section = { littleEndian: true, ifaces: [], lastTsUs: 0 };
  let packets = 0;
  let bytes = 0;
  try {
    for (;;) {
      const buf = src.buf;
      const dv = src.dv;
      const end = src.end;
      let pos = src.pos;
      // a section header changes the byte order and always goes the slow way, so `le` is fixed in here
      const le = sec.littleEndian;
      const ifaces = sec.ifaces;
      while (end - pos >= 8) {
        const type = dv.getUint32(pos, le);
        const len = dv.getUint32(pos + 4, le);
        // the fast path takes only complete, plausible packet blocks; anything odd is judged by the slow path
        if (len > end - pos || len > MAX_BLOCK_BYTES || (len & 3) !== 0) break;
        if (type === BlockType.ENHANCED_PACKET && len >= MIN_EPB) {
          const ifId = dv.getUint32(pos + 8, le);
          const caplen = dv.getUint32(pos + 20, le);
          if (ifId >= ifaces.length || caplen > len - MIN_EPB || caplen > MAX_RECORD_BYTES) break;
          if (dv.getUint32(pos + len - 4, le) !== len) break;
          const f = ifaces[ifId];
          const wirelen = dv.getUint32(pos + 24, le);
          pkt.tsUs = sec.lastTsUs = interfaceTsUs(f, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le));
          pkt.caplen = caplen;
          pkt.wirelen = wirelen;
          pkt.linkType = f.linkType;
          pkt.ifIndex = ifId;
          pkt.bufOffset = pos + 28;
        } else if (type === BlockType.SIMPLE_PACKET && len >= MIN_SPB && ifaces.length > 0) {
          if (dv.getUint32(pos + len - 4, le) !== len) break;
          const f = ifaces[0];
          const wirelen = dv.getUint32(pos + 8, le);
          const caplen = simpleCaplen(wirelen, len, f.snaplen);
          if (caplen > MAX_RECORD_BYTES) break;
          pkt.tsUs = sec.lastTsUs;
          pkt.caplen = caplen;
          pkt.wirelen = wirelen;
          pkt.linkType = f.linkType;
          pkt.ifIndex = 0;
          pkt.bufOffset = pos + 12;
        } else break;
        pkt.buf = buf;
        pos += len;
        src.pos = pos;
        packets++;
        bytes += pkt.wirelen;
        const r = onPacket(pkt);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
        if (src.stopped) return;
      }
      src.pos = pos;
      if (src.stopped) return;
      const step = await readSlowBlock(src, sec, pkt, onPacket, sum);
      if (step === Step.STOP) return;
    }
  } finally {
    sum.packets += packets;
    sum.bytes += bytes;
  }
}

/** Simple Packet Block caplen: the block's data, but no more than the wire length or the snaplen. */
function simpleCaplen(wirelen: number, blockLen: number, snaplen: number): number {
  let caplen = blockLen - MIN_SPB;
  if (wirelen < caplen) caplen = wirelen;
  if (snaplen !== 0 && snaplen < caplen) caplen = snaplen;
  return caplen;
}

/** Handles the one block at `src.pos`, reading as much as it needs. */
async function readSlowBlock(src: ChunkedFile, sec: Section, pkt: Packet, onPacket: OnPacket, sum: ReadSummary): Promise<Step> {
  const at = src.offsetOf(src.pos);
  const fail = (message: string): Step => {
    if (at === 0) throw new CaptureFileError(`pcapng section header at byte 0 is unusable: ${message}`, 0);
    sum.error = { offset: at, message: `block at byte ${at}: ${message}` };
    return Step.STOP;
  };
  const ends = (what: string): Step => {
    sum.error = { offset: at, message: `file ends inside ${what} at byte ${at} (${src.available} bytes present)` };
    return Step.STOP;
  };

  if (!(await src.fill(8))) {
    if (src.stopped || src.available === 0) return Step.STOP; // clean end of file
    return ends('a block header');
  }
  let { dv, pos } = src;
  const type = dv.getUint32(pos, sec.littleEndian);
  if (type === BlockType.SECTION_HEADER) {
    if (!(await src.fill(12))) return ends('a section header');
    ({ dv, pos } = src);
    const bom = dv.getUint32(pos + 8, false);
    if (bom !== BYTE_ORDER_MAGIC && bom !== BYTE_ORDER_MAGIC_SWAPPED) {
      return fail(`byte-order magic 0x${bom.toString(16).padStart(8, '0')} is not 1a2b3c4d in either order`);
    }
    sec.littleEndian = bom === BYTE_ORDER_MAGIC_SWAPPED;
  }
  const le = sec.littleEndian;
  const len = dv.getUint32(pos + 4, le);
  if (len < MIN_BLOCK || (len & 3) !== 0) return fail(`total length ${len} is ${len < MIN_BLOCK ? 'too small' : 'not a multiple of 4'}`);

  const minLen = minLength(type);
  if (len < minLen) return fail(`total length ${len} is below the ${minLen} bytes of a type-${type} block`);
  if (type === BlockType.ENHANCED_PACKET || type === BlockType.PACKET) {
    if (!(await src.fill(28))) return ends('a packet block');
    ({ dv, pos } = src);
    const caplen = dv.getUint32(pos + 20, le);
    if (caplen > MAX_RECORD_BYTES) return fail(`caplen ${caplen} exceeds the ${MAX_RECORD_BYTES}-byte limit`);
  }
  if (len > MAX_BLOCK_BYTES) {
    if (minLen !== MIN_BLOCK) return fail(`total length ${len} exceeds the ${MAX_BLOCK_BYTES}-byte limit`);
    // a block nobody reads may be any size: step over it without buffering it (its trailer goes unchecked)
    return src.skip(len) ? Step.CONTINUE : ends(`a ${len}-byte block`);
  }
  if (!(await src.fill(len))) return ends(`a ${len}-byte block`);
  ({ dv, pos } = src);
  if (dv.getUint32(pos + len - 4, le) !== len) {
    return fail(`trailing length ${dv.getUint32(pos + len - 4, le)} does not match the leading ${len}`);
  }

  switch (type) {
    case BlockType.SECTION_HEADER: {
      const major = dv.getUint16(pos + 12, le);
      if (major !== 1) return fail(`pcapng version ${major}.${dv.getUint16(pos + 14, le)} is not 1.x`);
      sec.ifaces = [];
      break;
    }
    case BlockType.INTERFACE: {
      const f = parseInterfaceBlock(dv, pos + 8, pos + len - 4, le);
      if (typeof f === 'string') return fail(`interface ${sec.ifaces.length}: ${f}`);
      sec.ifaces.push(f);
      if (!sum.linkTypes.includes(f.linkType)) sum.linkTypes.push(f.linkType);
      break;
    }
    case BlockType.ENHANCED_PACKET:
    case BlockType.PACKET: {
      const enhanced = type === BlockType.ENHANCED_PACKET;
      const ifId = enhanced ? dv.getUint32(pos + 8, le) : dv.getUint16(pos + 8, le);
      const caplen = dv.getUint32(pos + 20, le);
      if (ifId >= sec.ifaces.length) return fail(`interface id ${ifId} but the section has ${sec.ifaces.length} interfaces`);
      if (caplen > len - MIN_EPB) return fail(`caplen ${caplen} exceeds the ${len - MIN_EPB} data bytes of the block`);
      const f = sec.ifaces[ifId];
      pkt.tsUs = sec.lastTsUs = interfaceTsUs(f, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le));
      pkt.caplen = caplen;
      pkt.wirelen = dv.getUint32(pos + 24, le);
      pkt.linkType = f.linkType;
      pkt.ifIndex = ifId;
      pkt.bufOffset = pos + 28;
      return deliver(src, len, pkt, onPacket, sum);
    }
    case BlockType.SIMPLE_PACKET: {
      if (sec.ifaces.length === 0) return fail('simple packet block but the section has no interface');
      const f = sec.ifaces[0];
      const wirelen = dv.getUint32(pos + 8, le);
      const caplen = simpleCaplen(wirelen, len, f.snaplen);
      if (caplen > MAX_RECORD_BYTES) return fail(`caplen ${caplen} exceeds the ${MAX_RECORD_BYTES}-byte limit`);
      pkt.tsUs = sec.lastTsUs;
      pkt.caplen = caplen;
      pkt.wirelen = wirelen;
      pkt.linkType = f.linkType;
      pkt.ifIndex = 0;
      pkt.bufOffset = pos + 12;
      return deliver(src, len, pkt, onPacket, sum);
    }
    default:
      break; // name resolution, statistics, secrets, custom and unknown blocks carry no packets
  }
  src.pos = pos + len;
  return Step.CONTINUE;
}

async function deliver(src: ChunkedFile, len: number, pkt: Packet, onPacket: OnPacket, sum: ReadSummary): Promise<Step> {
  pkt.buf = src.buf;
  src.pos += len;
  sum.packets++;
  sum.bytes += pkt.wirelen;
  const r = onPacket(pkt);
  if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
  return src.stopped ? Step.STOP : Step.CONTINUE;
}

function minLength(type: number): number {
  switch (type) {
    case BlockType.SECTION_HEADER:
      return MIN_SHB;
    case BlockType.INTERFACE:
      return MIN_IDB;
    case BlockType.ENHANCED_PACKET:
      return MIN_EPB;
    case BlockType.PACKET:
      return MIN_PB;
    case BlockType.SIMPLE_PACKET:
      return MIN_SPB;
    default:
      return MIN_BLOCK;
  }
}
