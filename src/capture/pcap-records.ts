/**
 * Classic libpcap files: the 24-byte global header and the record loop.
 *
 * Layout (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/): magic, version major/minor, thiszone,
 * sigfigs, snaplen, link type; then records of ts_sec, ts_frac, caplen, wirelen, data. The byte order is the
 * writer's, told by how the magic reads. Variants read here, as libpcap reads them:
 *   a1b2c3d4  microsecond fractions;            a1b23c4d  nanosecond fractions;
 *   a1b2cd34  Kuznetzov's patched format: 8 more bytes per record header (ifindex, protocol, pkt_type, pad);
 *   version < 2.3 (and DG/UX's 543.x) store wirelen before caplen; 2.3 files are ambiguous, so the pair is
 *   swapped there only when caplen > wirelen.
 */
import type { Packet } from '../decode/packet.js';
import type { ChunkedFile } from './chunked-file.js';
import { CaptureFileError, MAX_RECORD_BYTES, type OnPacket, type ReadSummary } from './pcap-file.js';

export const PCAP_HEADER_BYTES = 24;

/** The four magic values as they read big-endian from the first four bytes, before byte-order detection. */
export const PcapMagic = {
  MICROS: 0xa1b2c3d4,
  NANOS: 0xa1b23c4d,
  KUZNETZOV: 0xa1b2cd34,
} as const;

/** How caplen and wirelen are ordered in the record header; see the file comment. */
const Lengths = { NORMAL: 0, SWAPPED: 1, MAYBE_SWAPPED: 2 } as const;

export interface PcapHeader {
  littleEndian: boolean;
  nanos: boolean;
  /** 16, or 24 for the Kuznetzov format */
  recordHeaderBytes: number;
  lengths: number;
  linkType: number;
  snaplen: number;
}

/** Matches a magic in either byte order; null when the four bytes are no pcap magic. */
export function pcapMagicOrder(b0: number, b1: number, b2: number, b3: number): { littleEndian: boolean; magic: number } | null {
  const be = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  const le = ((b3 << 24) | (b2 << 16) | (b1 << 8) | b0) >>> 0;
  for (const magic of [PcapMagic.MICROS, PcapMagic.NANOS, PcapMagic.KUZNETZOV]) {
    if (be === magic) return { littleEndian: false, magic };
    if (le === magic) return { littleEndian: true, magic };
  }
  return null;
}

/** Parses the global header at `src.pos` (all 24 bytes present). Throws CaptureFileError when unusable. */
export function parsePcapHeader(src: ChunkedFile): PcapHeader {
  const { buf, dv, pos } = src;
  const order = pcapMagicOrder(buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]);
  if (order === null) throw new CaptureFileError('not a pcap file', 0);
  const le = order.littleEndian;
  const major = dv.getUint16(pos + 4, le);
  const minor = dv.getUint16(pos + 6, le);
  let lengths: number = Lengths.NORMAL;
  if (major === 2) lengths = minor < 3 ? Lengths.SWAPPED : minor === 3 ? Lengths.MAYBE_SWAPPED : Lengths.NORMAL;
  else if (major === 543) lengths = Lengths.SWAPPED; // DG/UX tcpdump
  else if (major < 2) throw new CaptureFileError(`pcap version ${major}.${minor} is too old to read`, 4);
  return {
    littleEndian: le,
    nanos: order.magic === PcapMagic.NANOS,
    recordHeaderBytes: order.magic === PcapMagic.KUZNETZOV ? 24 : 16,
    lengths,
    snaplen: dv.getUint32(pos + 16, le),
    // the upper bits carry the FCS length; the link type is the low 16 (libpcap's LT_LINKTYPE)
    linkType: dv.getUint32(pos + 20, le) & 0xffff,
  };
}

/**
 * Delivers every record after the global header (already consumed). Stops at the end of the file, at the
 * first damaged record (summary.error), or when `src.stopped` is set. Returns nothing: the summary carries it.
 */
export async function readPcapRecords(
  src: ChunkedFile,
  h: PcapHeader,
  pkt: Packet,
  onPacket: OnPacket,
  sum: ReadSummary,
): Promise<void> {
  const le = h.littleEndian;
  const hdrBytes = h.recordHeaderBytes;
  const fracDiv = h.nanos ? 1000 : 1;
  const swap = h.lengths;
  const linkType = h.linkType;
  let packets = 0;
  let bytes = 0;
  try {
    for (;;) {
      // the window may have moved or grown while we awaited: reload it
      const buf = src.buf;
      const dv = src.dv;
      const end = src.end;
      let pos = src.pos;
      let need = hdrBytes;
      while (end - pos >= hdrBytes) {
        let caplen = dv.getUint32(pos + 8, le);
        let wirelen = dv.getUint32(pos + 12, le);
        if (swap !== Lengths.NORMAL && (swap === Lengths.SWAPPED || caplen > wirelen)) {
          const t = caplen;
          caplen = wirelen;
          wirelen = t;
        }
        if (caplen > MAX_RECORD_BYTES) {
          src.pos = pos;
          sum.error = {
            offset: src.offsetOf(pos),
            message: `record at byte ${src.offsetOf(pos)}: caplen ${caplen} exceeds the ${MAX_RECORD_BYTES}-byte limit`,
          };
          return;
        }
        if (end - pos - hdrBytes < caplen) {
          need = hdrBytes + caplen;
          break;
        }
        const frac = dv.getUint32(pos + 4, le);
        pkt.tsUs = dv.getUint32(pos, le) * 1e6 + (fracDiv === 1 ? frac : (frac - (frac % 1000)) / 1000);
        pkt.caplen = caplen;
        pkt.wirelen = wirelen;
        pkt.linkType = linkType;
        pkt.ifIndex = 0;
        pkt.buf = buf;
        pkt.bufOffset = pos + hdrBytes;
        // consume before the callback so an abort or error inside it leaves fileBytes past this record
        pos += hdrBytes + caplen;
        src.pos = pos;
        packets++;
        bytes += wirelen;
        const r = onPacket(pkt);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
        if (src.stopped) return;
      }
      src.pos = pos;
      if (!(await src.fill(need))) {
        if (src.stopped) return;
        const left = src.available;
        if (left === 0) return; // clean end of file
        const at = src.offsetOf(src.pos);
        sum.error = {
          offset: at,
          message:
            left < hdrBytes
              ? `file ends inside a record header at byte ${at} (${left} of ${hdrBytes} bytes)`
              : `file ends inside a record at byte ${at}: caplen ${need - hdrBytes} but only ${left - hdrBytes} bytes follow the header`,
        };
        return;
      }
    }
  } finally {
    sum.packets += packets;
    sum.bytes += bytes;
  }
}
