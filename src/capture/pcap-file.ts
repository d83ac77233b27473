/**
 * Streaming reader for capture files: classic pcap (µs and ns, either byte order, and libpcap's old
 * variants) and pcapng (several sections and interfaces, Enhanced/Simple/obsolete Packet Blocks).
 *
 * The format is sniffed from the magic number; the file name means nothing (public captures often carry the
 * wrong extension). Memory stays constant however large the file: one reused chunk buffer (4 MiB by default)
 * that grows at most once, to MAX_BLOCK_BYTES, when a chunk smaller than that meets a record larger than it.
 *
 * Damage handling: everything before the first damaged record is delivered; reading stops there and
 * `summary.error` names the byte offset and what was wrong. Only a file that cannot be opened, or whose first
 * bytes are not a capture at all, throws (CaptureFileError).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Packet } from '../decode/packet.js';
import { ChunkedFile, DEFAULT_CHUNK_SIZE } from './chunked-file.js';
import { parsePcapHeader, pcapMagicOrder, PCAP_HEADER_BYTES, readPcapRecords } from './pcap-records.js';
import { readPcapngBlocks } from './pcapng-blocks.js';

/**
 * Largest caplen accepted: libpcap's and Wireshark's maximum snapshot length. A record claiming more is a
 * corrupt length field, not a packet, and reading stops there.
 */
export const MAX_RECORD_BYTES = 262144;

/** Largest pcapng packet, interface or section block buffered whole: a maximal record plus room for options. */
export const MAX_BLOCK_BYTES = MAX_RECORD_BYTES + 65536;

export type OnPacket = (pkt: Packet) => void | Promise<void>;

export interface ReadSummary {
  format: 'pcap' | 'pcapng';
  /** records delivered */
  packets: number;
  /** sum of wirelen */
  bytes: number;
  /** bytes of the file consumed: its size after a clean read, the damage offset after an error */
  fileBytes: number;
  /** distinct link types seen (interfaces), in order of appearance */
  linkTypes: number[];
  /** first damage: byte offset + what was wrong; reading stopped there */
  error: { offset: number; message: string } | null;
}

export interface ReadOptions {
  /** bytes per read; default 4 MiB. Small values are for tests that force records across chunk ends. */
  chunkSize?: number;
  /** called at most once per chunk read */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** stop early; the summary is returned normally, counting what was delivered */
  signal?: AbortSignal;
}

/** A file that cannot be opened, is not a capture, or whose header is unusable. */
export class CaptureFileError extends Error {
  constructor(
    message: string,
    /** byte offset of the problem (0 for the file header) */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CaptureFileError';
  }
}

/** First bytes of every format read here, for telling a cut-short header from a foreign file. */
const MAGIC_PREFIXES: readonly (readonly number[])[] = [
  [0xd4, 0xc3, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xc3, 0xd4],
  [0x4d, 0x3c, 0xb2, 0xa1],
  [0xa1, 0xb2, 0x3c, 0x4d],
  [0x34, 0xcd, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xcd, 0x34],
  [0x0a, 0x0d, 0x0d, 0x0a],
];

/**
 * Reads every record, filling the given reused Packet's capture fields (tsUs, caplen, wirelen, linkType,
 * ifIndex, buf, bufOffset) and calling onPacket synchronously. pkt.buf is only valid during the call.
 * If onPacket returns a Promise the reader awaits it before the next record (used for real-time pacing).
 * onPacket must not call pkt.reset(): the pipeline does. An exception from onPacket propagates.
 *
 * Returns the summary; throws CaptureFileError only for a file that cannot be opened or is not a capture.
 */
export async function readCaptureFile(path: string, pkt: Packet, onPacket: OnPacket, opts: ReadOptions = {}): Promise<ReadSummary> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new CaptureFileError(`cannot open capture file ${path}: ${(err as Error).message}`, 0);
  }
  const signal = opts.signal;
  let onAbort: (() => void) | undefined;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new CaptureFileError(`${path} is a directory, not a capture file`, 0);
    const src = new ChunkedFile(fh, st.size, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, MAX_BLOCK_BYTES, opts.onProgress);
    if (signal !== undefined) {
      // a plain flag the record loops can test for free, instead of the signal's getter per record
      onAbort = () => {
        src.stopped = true;
      };
      if (signal.aborted) src.stopped = true;
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    const sum: ReadSummary = { format: 'pcap', packets: 0, bytes: 0, fileBytes: 0, linkTypes: [], error: null };
    await src.fill(4);
    const n = src.available;
    if (n === 0) return sum; // an empty file is an empty capture
    const b = src.buf;
    const p = src.pos;
    const head = Array.from(b.subarray(p, p + Math.min(n, 4)));
    if (n < 4) {
      if (!MAGIC_PREFIXES.some((m) => head.every((x, i) => m[i] === x))) throw notCapture(path, head);
      if (head[0] === 0x0a) sum.format = 'pcapng';
      sum.error = { offset: 0, message: `file ends inside the ${sum.format} file header (${n} bytes)` };
      return sum;
    }
    if (b.readUInt32BE(p) === 0x0a0d0d0a) {
      sum.format = 'pcapng';
      await readPcapngBlocks(src, pkt, onPacket, sum);
    } else if (pcapMagicOrder(b[p], b[p + 1], b[p + 2], b[p + 3]) !== null) {
      if (!(await src.fill(PCAP_HEADER_BYTES))) {
        if (src.stopped) return sum;
        sum.error = { offset: 0, message: `file ends inside the pcap global header (${src.available} of ${PCAP_HEADER_BYTES} bytes)` };
        return sum;
      }
      const h = parsePcapHeader(src);
      sum.linkTypes.push(h.linkType);
      src.pos += PCAP_HEADER_BYTES;
      await readPcapRecords(src, h, pkt, onPacket, sum);
    } else {
      throw notCapture(path, head);
    }
    sum.fileBytes = src.offsetOf(src.pos);
    return sum;
  } catch (err) {
    if (err instanceof CaptureFileError && !err.message.includes(path)) err.message = `${path}: ${err.message}`;
    throw err;
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    await fh.close();
  }
}

function notCapture(path: string, head: number[]): CaptureFileError {
  const hex = head.map((x) => x.toString(16).padStart(2, '0')).join('');
  return new CaptureFileError(`${path} is not a pcap or pcapng capture file (it starts with 0x${hex})`, 0);
}
