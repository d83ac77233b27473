/**
 * A sliding window over a capture file for the pcap and pcapng readers.
 *
 * The whole file is never in memory: one buffer (the chunk) is read with positional reads and parsed in
 * place. When a record straddles the end of the chunk, the unparsed tail is moved to the front and the rest
 * is read behind it, so a record is always contiguous in `buf`. A record bigger than the chunk grows the
 * buffer once, to `maxBuffered`; the readers refuse records larger than that before asking for them.
 *
 * Offsets: `buf[i]` holds file byte `base + i`. The readers parse `buf[pos, end)` and advance `pos`.
 */
import type { FileHandle } from 'node:fs/promises';

/** Default chunk: large enough that one read amortises over tens of thousands of records. */
export const DEFAULT_CHUNK_SIZE = 4 << 20;

/** Chunks below this would make a read per record; tests use tiny ones on purpose, so only 0/NaN is rejected. */
const MIN_CHUNK_SIZE = 1;

export class ChunkedFile {
  buf: Buffer;
  /** DataView over `buf`, rebuilt whenever `buf` is replaced */
  dv: DataView;
  /** parse position in `buf` */
  pos = 0;
  /** end of valid data in `buf` */
  end = 0;
  /** file offset of `buf[0]` */
  base = 0;
  /** true once the abort signal fired; readers check it between records */
  stopped = false;

  private readPos = 0;
  private eof = false;
  private readonly chunkSize: number;

  constructor(
    private readonly fh: FileHandle,
    /** file size when opened: the total for progress and the bound for skips */
    readonly size: number,
    chunkSize: number,
    /** largest span a reader may ask `fill` for */
    private readonly maxBuffered: number,
    private readonly onProgress?: (bytesRead: number, totalBytes: number) => void,
  ) {
    this.chunkSize = Math.max(MIN_CHUNK_SIZE, Math.floor(chunkSize) || DEFAULT_CHUNK_SIZE);
    // a small file needs no 4 MiB buffer (a test suite opens hundreds of them); a size of 0 may be a lie
    // (files in /proc), so then the full chunk is used
    const capacity = size > 0 ? Math.min(this.chunkSize, size) : this.chunkSize;
    // allocUnsafeSlow: a buffer of its own, not a slice of Node's shared pool, so the DataView covers only it
    this.buf = Buffer.allocUnsafeSlow(capacity);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** File offset of buffer position `p`. */
  offsetOf(p: number): number {
    return this.base + p;
  }

  /** Bytes available from `pos` without reading. */
  get available(): number {
    return this.end - this.pos;
  }

  /**
   * Makes at least `need` contiguous bytes available from `pos`, reading one chunk at a time.
   * Returns false when the file ends first; `available` then says how many bytes there were.
   * `buf`, `dv` and `pos` may change: callers reload them after awaiting this.
   */
  async fill(need: number): Promise<boolean> {
    if (this.end - this.pos >= need) return true;
    if (need > this.buf.length) this.grow(need);
    if (this.pos > 0) {
      // move the unparsed tail to the front so the record being completed stays contiguous
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end < need) {
      if (this.eof || this.stopped) return false;
      const room = Math.min(this.chunkSize, this.buf.length - this.end);
      const { bytesRead } = await this.fh.read(this.buf, this.end, room, this.readPos);
      if (bytesRead === 0) {
        this.eof = true;
        return false;
      }
      this.end += bytesRead;
      this.readPos += bytesRead;
      this.onProgress?.(this.readPos, this.size);
    }
    return true;
  }

  /**
   * Advances `pos` past `n` bytes that may lie beyond the buffered data (a block nobody needs), without
   * reading them. Returns false when the file is shorter than that; nothing moves then.
   */
  skip(n: number): boolean {
    if (this.end - this.pos >= n) {
      this.pos += n;
      return true;
    }
    const target = this.base + this.pos + n;
    if (target > this.size) return false;
    this.base = target;
    this.readPos = target;
    this.pos = 0;
    this.end = 0;
    return true;
  }

  private grow(need: number): void {
    if (need > this.maxBuffered) throw new Error(`internal: reader asked for ${need} bytes, above its ${this.maxBuffered}-byte limit`);
    // grow straight to the limit: a file with one oversized record usually has more of them
    const next = Buffer.allocUnsafeSlow(this.maxBuffered);
    this.buf.copy(next, 0, this.pos, this.end);
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
    this.buf = next;
    this.dv = new DataView(next.buffer, next.byteOffset, next.length);
  }
}
