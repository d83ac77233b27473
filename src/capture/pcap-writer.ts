/**
 * pcap and pcapng writers for test fixtures and the demo capture.
 *
 * Both collect encoded blocks in memory (`toBuffer()`, `writeFile(path)`), or, given `path` at construction,
 * append them to that file as they come (flushed every ~1 MiB and by `close()`), so a long generated capture
 * needs no more memory than a short one. Writes are synchronous: these run in test setup and scripts,
 * never on the capture path.
 *
 * Timestamps are integer microseconds since the Unix epoch plus optional extra nanoseconds (0–999), the
 * resolution the pipeline works in; pcapng interfaces with other units get the count that reads back as the
 * same microsecond (see `toUnits`). Tests that need an exact raw count pass `rawTs`.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { LinkType } from '../decode/packet.js';

/** 'le' little-endian (what x86 and arm64 hosts write), 'be' big-endian. */
export type ByteOrder = 'le' | 'be';

export interface PacketOptions {
  /** bytes on the wire; default data.length */
  wirelen?: number;
  /** nanoseconds past tsUs, 0–999 */
  extraNs?: number;
}

const FLUSH_BYTES = 1 << 20;

/** Shared sink: a list of encoded pieces, or a file they are appended to. */
abstract class CaptureSink {
  private parts: Buffer[] = [];
  private pending = 0;
  private fd: number | null = null;
  /** records written */
  packets = 0;
  /** bytes written so far: the file offset the next block will have */
  bytes = 0;

  protected constructor(path: string | undefined) {
    if (path !== undefined) this.fd = openSync(path, 'w');
  }

  protected push(b: Buffer): void {
    this.parts.push(b);
    this.pending += b.length;
    this.bytes += b.length;
    if (this.fd !== null && this.pending >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.fd === null) return;
    const all = Buffer.concat(this.parts);
    writeSync(this.fd, all, 0, all.length);
    this.parts = [];
    this.pending = 0;
  }

  /** Everything written so far as one buffer (memory mode only; a streaming writer throws). */
  toBuffer(): Buffer {
    if (this.fd !== null) throw new Error('this writer streams to a file: call close(), not toBuffer()');
    return Buffer.concat(this.parts);
  }

  /** Writes everything collected so far to `path` (memory mode). */
  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }

  /** File mode: flushes and closes the file. A no-op in memory mode. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}

export interface PcapWriterOptions {
  byteOrder?: ByteOrder;
  /** nanosecond magic (a1b23c4d) instead of microsecond (a1b2c3d4) */
  nanos?: boolean;
  /** default LinkType.ETHERNET */
  linkType?: number;
  /** default 262144; longer packets are cut to it */
  snaplen?: number;
  /** stream to this file instead of collecting in memory */
  path?: string;
}

/** Classic pcap, version 2.4. */
export class PcapWriter extends CaptureSink {
  readonly littleEndian: boolean;
  readonly nanos: boolean;
  readonly snaplen: number;

  constructor(opts: PcapWriterOptions = {}) {
    super(opts.path);
    this.littleEndian = (opts.byteOrder ?? 'le') === 'le';
    this.nanos = opts.nanos ?? false;
    this.snaplen = opts.snaplen ?? 262144;
    const h = Buffer.alloc(24);
    const dv = view(h);
    const le = this.littleEndian;
    dv.setUint32(0, this.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
    dv.setUint16(4, 2, le);
    dv.setUint16(6, 4, le);
    dv.setUint32(16, this.snaplen, le);
    dv.setUint32(20, opts.linkType ?? LinkType.ETHERNET, le);
    this.push(h);
  }

  /** Appends one record; caplen is min(data.length, snaplen). */
  add(tsUs: number, data: Uint8Array, opts: PacketOptions = {}): this {
    const caplen = Math.min(data.length, this.snaplen);
    const r = Buffer.alloc(16 + caplen);
    const dv = view(r);
    const le = this.littleEndian;
    const sec = Math.floor(checkTs(tsUs) / 1e6);
    const us = tsUs - sec * 1e6;
    dv.setUint32(0, sec, le);
    dv.setUint32(4, this.nanos ? us * 1000 + (opts.extraNs ?? 0) : us, le);
    dv.setUint32(8, caplen, le);
    dv.setUint32(12, opts.wirelen ?? data.length, le);
    r.set(data.subarray(0, caplen), 16);
    this.push(r);
    this.packets++;
    return this;
  }
}

export interface PcapngInterfaceOptions {
  linkType: number;
  /** 0 = unlimited (the default) */
  snaplen?: number;
  /** raw if_tsresol byte: n for 10^-n s, 0x80 | n for 2^-n s. Omitted: no option, which means 10^-6. */
  tsresol?: number;
  /** if_tsoffset, whole seconds added to every timestamp */
  tsoffset?: number;
  /** if_name */
  name?: string;
}

export interface PcapngPacketOptions extends PacketOptions {
  /** the 64-bit timestamp count written as is, instead of one derived from tsUs */
  rawTs?: bigint;
}

export interface PcapngWriterOptions {
  byteOrder?: ByteOrder;
  /** shb_userappl of the first section */
  userAppl?: string;
  /** stream to this file instead of collecting in memory */
  path?: string;
}

/** pcapng: sections, interfaces, Enhanced/Simple/obsolete Packet Blocks and arbitrary extra blocks. */
export class PcapngWriter extends CaptureSink {
  private littleEndian: boolean;
  private ifaces: { snaplen: number; tsresol: number; tsoffset: number }[] = [];

  constructor(opts: PcapngWriterOptions = {}) {
    super(opts.path);
    this.littleEndian = (opts.byteOrder ?? 'le') === 'le';
    this.writeSection(opts.userAppl);
  }

  /** Starts a new section (optionally in another byte order); interface ids start again at 0. */
  newSection(opts: { byteOrder?: ByteOrder; userAppl?: string } = {}): this {
    if (opts.byteOrder !== undefined) this.littleEndian = opts.byteOrder === 'le';
    this.ifaces = [];
    this.writeSection(opts.userAppl);
    return this;
  }

  /** Adds an Interface Description Block; returns its id within the current section. */
  addInterface(o: PcapngInterfaceOptions): number {
    const opts: Buffer[] = [];
    if (o.name !== undefined) opts.push(this.option(2, Buffer.from(o.name, 'utf8')));
    if (o.tsresol !== undefined) opts.push(this.option(9, Buffer.from([o.tsresol])));
    if (o.tsoffset !== undefined) {
      const v = Buffer.alloc(8);
      view(v).setBigInt64(0, BigInt(o.tsoffset), this.littleEndian);
      opts.push(this.option(14, v));
    }
    if (opts.length > 0) opts.push(Buffer.alloc(4)); // opt_endofopt
    const fixed = Buffer.alloc(8);
    const dv = view(fixed);
    dv.setUint16(0, o.linkType, this.littleEndian);
    dv.setUint32(4, o.snaplen ?? 0, this.littleEndian);
    this.writeBlock(1, Buffer.concat([fixed, ...opts]));
    this.ifaces.push({ snaplen: o.snaplen ?? 0, tsoffset: o.tsoffset ?? 0, tsresol: o.tsresol ?? 6 });
    return this.ifaces.length - 1;
  }

  /** Enhanced Packet Block; caplen is min(data.length, the interface snaplen). */
  addPacket(ifId: number, tsUs: number, data: Uint8Array, opts: PcapngPacketOptions = {}): this {
    return this.packetBlock(6, ifId, tsUs, data, opts, 0);
  }

  /** Obsolete Packet Block (type 2), as written by pcapng 1.0 tools. */
  addObsoletePacket(ifId: number, tsUs: number, data: Uint8Array, opts: PcapngPacketOptions & { drops?: number } = {}): this {
    return this.packetBlock(2, ifId, tsUs, data, opts, opts.drops ?? 0);
  }

  /**
   * Simple Packet Block: interface 0, no timestamp; data is cut to that interface's snaplen. The block has
   * no caplen field, so a reader takes min(wirelen, data, snaplen): a wirelen above data.length only reads
   * back as such when the snaplen did the cutting.
   */
  addSimplePacket(data: Uint8Array, opts: { wirelen?: number } = {}): this {
    const f = this.ifaces[0];
    if (f === undefined) throw new Error('a simple packet block needs interface 0 in the section');
    const caplen = f.snaplen !== 0 ? Math.min(f.snaplen, data.length) : data.length;
    const body = Buffer.alloc(4 + pad4(caplen));
    view(body).setUint32(0, opts.wirelen ?? data.length, this.littleEndian);
    body.set(data.subarray(0, caplen), 4);
    this.writeBlock(3, body);
    this.packets++;
    return this;
  }

  /** Any other block (custom 0xbad, statistics 5, name resolution 4, an unknown type): body is padded to 4. */
  addBlock(type: number, body: Uint8Array): this {
    const b = Buffer.alloc(pad4(body.length));
    b.set(body);
    this.writeBlock(type, b);
    return this;
  }

  private packetBlock(type: 2 | 6, ifId: number, tsUs: number, data: Uint8Array, opts: PcapngPacketOptions, drops: number): this {
    const f = this.ifaces[ifId];
    if (f === undefined) throw new Error(`interface ${ifId} does not exist in this section`);
    const caplen = f.snaplen !== 0 ? Math.min(f.snaplen, data.length) : data.length;
    const body = Buffer.alloc(20 + pad4(caplen));
    const dv = view(body);
    const le = this.littleEndian;
    const units = opts.rawTs ?? toUnits(tsUs - f.tsoffset * 1e6, opts.extraNs ?? 0, f.tsresol);
    if (type === 6) dv.setUint32(0, ifId, le);
    else {
      dv.setUint16(0, ifId, le);
      dv.setUint16(2, drops, le);
    }
    dv.setUint32(4, Number(units >> 32n), le);
    dv.setUint32(8, Number(units & 0xffffffffn), le);
    dv.setUint32(12, caplen, le);
    dv.setUint32(16, opts.wirelen ?? data.length, le);
    body.set(data.subarray(0, caplen), 20);
    this.writeBlock(type, body);
    this.packets++;
    return this;
  }

  private writeSection(userAppl: string | undefined): void {
    const fixed = Buffer.alloc(16);
    const dv = view(fixed);
    const le = this.littleEndian;
    dv.setUint32(0, 0x1a2b3c4d, le);
    dv.setUint16(4, 1, le);
    dv.setUint16(6, 0, le);
    dv.setBigInt64(8, -1n, le); // section length unknown: we stream
    const opts = userAppl !== undefined ? [this.option(4, Buffer.from(userAppl, 'utf8')), Buffer.alloc(4)] : [];
    this.writeBlock(0x0a0d0d0a, Buffer.concat([fixed, ...opts]));
  }

  private option(code: number, value: Buffer): Buffer {
    const b = Buffer.alloc(4 + pad4(value.length));
    const dv = view(b);
    dv.setUint16(0, code, this.littleEndian);
    dv.setUint16(2, value.length, this.littleEndian);
    b.set(value, 4);
    return b;
  }

  private writeBlock(type: number, body: Buffer): void {
    const len = 12 + body.length;
    const head = Buffer.alloc(8);
    const tail = Buffer.alloc(4);
    view(head).setUint32(0, type, this.littleEndian);
    view(head).setUint32(4, len, this.littleEndian);
    view(tail).setUint32(0, len, this.littleEndian);
    this.push(Buffer.concat([head, body, tail]));
  }
}

/**
 * Timestamp count for an interface unit (raw if_tsresol byte), rounded down from tsUs + extraNs — except
 * that for units finer than 1 µs the count is at least the first one inside tsUs's microsecond: 2^-20 s
 * units do not fall on microsecond boundaries, and the reader's floor division must give back tsUs exactly.
 */
export function toUnits(tsUs: number, extraNs: number, tsresol: number): bigint {
  const exp = BigInt(tsresol & 0x7f);
  const perSec = tsresol & 0x80 ? 1n << exp : 10n ** exp;
  const us = BigInt(checkTs(tsUs));
  const count = ((us * 1000n + BigInt(extraNs)) * perSec) / 1000000000n;
  if (perSec < 1000000n) return count;
  const first = (us * perSec + 999999n) / 1000000n;
  return count > first ? count : first;
}

function checkTs(tsUs: number): number {
  if (!Number.isSafeInteger(tsUs) || tsUs < 0) throw new RangeError(`timestamp ${tsUs} µs is not a non-negative integer`);
  return tsUs;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function view(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}
