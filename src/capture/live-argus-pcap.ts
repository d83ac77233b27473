/**
 * The live capture reader on the project's own libpcap addon (native/argus_pcap.c, typed in libpcap.ts), which
 * `npm run build` (build.mjs, node-gyp) always builds.
 *
 * The addon reads in batches: every POLL_MS a timer calls dispatch(), which copies every waiting frame into one
 * reused Buffer as records `u32 sec | u32 usec | u32 caplen | u32 wirelen | bytes padded to 4` in host byte
 * order. Frames are handed to the pipeline straight out of that Buffer (zero copy), with the kernel's
 * timestamp and the original wire length, so packet time is the time the kernel saw the frame even when the
 * event loop was busy. Counters are libpcap's own pcap_stats().
 */
import { endianness } from 'node:os';
import { LinkType, type Packet } from '../decode/packet.js';
import { libpcap, type LibPcap, type PcapHandle } from './libpcap.js';
import { explainOpenError, LiveCaptureError, type LiveBackend, type LiveOptions, type LiveStats } from './live-common.js';

/**
 * 5 ms between reads: at most 5 ms of added latency before a frame reaches the pipeline, and 200 wake-ups a
 * second when idle, each one non-blocking ring check (negligible on a Pi). The kernel ring buffers the rest.
 */
export const POLL_MS = 5;

/** One batch buffer; dispatch() stops when the next frame might not fit, so it must hold 16 + snaplen. */
const BATCH_BYTES = 4 << 20;

/**
 * dispatch() calls per timer tick before yielding to the event loop, so a flood cannot starve timers and
 * I/O (the web server, the flow sweeper); what is left stays in the kernel ring for the next tick.
 */
const MAX_BATCHES_PER_TICK = 8;

/** dispatch() calls at stop() to deliver what is already queued, bounded so stop() always returns. */
const MAX_DRAIN_BATCHES = 64;

/** The addon, or a LiveCaptureError saying how to build it (a checkout where `npm run build` never ran). */
function loadLibpcap(): LibPcap {
  try {
    return libpcap();
  } catch (err) {
    throw new LiveCaptureError(`${(err as Error).message}; build it with "npm run build" (needs libpcap-dev)`);
  }
}

/** Devices libpcap can capture on, through the addon. */
export function argusPcapDevices(): string[] {
  return loadLibpcap().devices();
}

/** DLT_* from pcap_datalink() to LINKTYPE_*: they are equal on Linux except raw IP. */
function linkTypeOfDlt(dlt: number): number {
  return dlt === 12 || dlt === 14 ? LinkType.RAW : dlt;
}

/** Opens `opts.iface` with the addon and starts the read timer; throws LiveCaptureError. */
export function openArgusPcap(opts: LiveOptions, pkt: Packet, onPacket: (pkt: Packet) => void): LiveBackend {
  const pcap = loadLibpcap();
  let h: PcapHandle;
  try {
    h = pcap.open(opts.iface, opts.snaplen, opts.promisc, opts.bufferSize, opts.bpf);
  } catch (err) {
    throw explainOpenError(opts.iface, opts.bpf, err, () => pcap.devices());
  }
  return new ArgusPcapBackend(pcap, h, opts.snaplen, pkt, onPacket);
}

class ArgusPcapBackend implements LiveBackend {
  readonly linkType: number;
  private h: PcapHandle | null;
  private readonly batch: Buffer;
  private readonly timer: NodeJS.Timeout;
  private readonly le = endianness() === 'LE';
  private truncatedCount = 0;
  private reading = false;
  private stopRequested = false;
  private last: LiveStats = { received: 0, dropped: 0, ifDropped: 0 };

  constructor(
    private readonly pcap: LibPcap,
    h: PcapHandle,
    snaplen: number,
    private readonly pkt: Packet,
    private readonly onPacket: (pkt: Packet) => void,
  ) {
    this.h = h;
    this.linkType = linkTypeOfDlt(pcap.datalink(h));
    pkt.linkType = this.linkType;
    this.batch = Buffer.allocUnsafe(Math.max(BATCH_BYTES, 16 + snaplen + 4));
    this.timer = setInterval(() => this.read(MAX_BATCHES_PER_TICK), POLL_MS);
  }

  /**
   * Reads up to `maxBatches` batches; stops early when the ring is empty. A stop() from inside onPacket only
   * sets `stopRequested` (the batch Buffer is still being walked); the capture is closed when the walk returns.
   */
  private read(maxBatches: number): void {
    if (this.reading) return;
    this.reading = true;
    try {
      for (let i = 0; i < maxBatches && !this.stopRequested; i++) {
        const n = this.h === null ? 0 : this.pcap.dispatch(this.h, this.batch);
        if (n === 0) break;
        this.deliverBatch(n);
      }
    } finally {
      this.reading = false;
    }
    if (this.stopRequested) this.close();
  }

  private deliverBatch(n: number): void {
    const b = this.batch;
    const pkt = this.pkt;
    const le = this.le;
    let off = 0;
    for (let i = 0; i < n && !this.stopRequested; i++) {
      const sec = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
      const usec = le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4);
      const caplen = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
      const wirelen = le ? b.readUInt32LE(off + 12) : b.readUInt32BE(off + 12);
      if (caplen < wirelen) this.truncatedCount++;
      pkt.tsUs = sec * 1_000_000 + usec;
      pkt.caplen = caplen;
      pkt.wirelen = wirelen;
      pkt.linkType = this.linkType;
      pkt.ifIndex = 0;
      pkt.buf = b;
      pkt.bufOffset = off + 16;
      this.onPacket(pkt);
      off += 16 + ((caplen + 3) & ~3);
    }
  }

  truncated(): number {
    return this.truncatedCount;
  }

  stats(): LiveStats {
    if (this.h !== null) {
      const s = this.pcap.stats(this.h);
      this.last = { received: s.received, dropped: s.dropped, ifDropped: s.ifDropped };
    }
    return { ...this.last };
  }

  stop(): void {
    if (this.h === null) return;
    if (this.reading) {
      this.stopRequested = true;
      return;
    }
    clearInterval(this.timer);
    // frames already in the ring belong to this capture (the last ACK of a flow, say): deliver them first
    this.read(MAX_DRAIN_BATCHES);
    this.close();
  }

  private close(): void {
    const h = this.h;
    if (h === null) return;
    clearInterval(this.timer);
    this.stats();
    this.h = null;
    this.pcap.close(h);
  }
}
