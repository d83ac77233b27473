/**
 * Live capture from a network interface through libpcap, on the project's own addon (native/argus_pcap.c; the
 * reader is live-argus-pcap.ts): kernel timestamps, original wire lengths, pcap_stats() drop counters, and the
 * snap length and promiscuous mode asked for. It fills the capture fields of the pipeline's reused Packet and
 * calls back synchronously for every frame.
 */
import type { Packet } from '../decode/packet.js';
import { argusPcapDevices, openArgusPcap } from './live-argus-pcap.js';
import { LiveCaptureError, type LiveBackend, type LiveOptions, type LiveStats } from './live-common.js';

export { LiveCaptureError };
export type { LiveOptions, LiveStats };

/**
 * 1978 bytes. The capture uses libpcap's immediate mode (for latency), in which libpcap captures into a
 * TPACKET_V2 ring of fixed slots of align16(70 + snaplen) bytes, one or more per 4 KiB block, so the snap length
 * decides how many frames a ring holds and how much RAM it really takes. 1978 is the largest value whose slot
 * is 2048 bytes, two per page: a 16 MiB ring holds 8,192 frames in 16 MiB (`ss -0 -e` shows frm_size:2048).
 * At 2048 a slot is 2128 bytes and takes a page of its own: ~7,900 frames in ~31 MiB; at 65535, 255 frames.
 * 1978 keeps every frame of a 1500-byte MTU link whole (1522 bytes with two VLAN tags), hence every DHCP
 * message, DNS over UDP, the TLS ClientHello segment that carries the SNI and an HTTP request's Host header.
 * Longer frames (jumbo, GRO-merged on the Pi's own NIC) are cut with their wire length kept, so byte counts
 * stay right.
 */
export const DEFAULT_SNAPLEN = 1978;

/**
 * 16 MiB of kernel ring: what absorbs traffic while the Node event loop is busy (a GC pause, a model batch).
 * At the default snap length that is 8,192 frames: about 1 s of 100 Mbit/s in full-size frames, 55 ms of a
 * minimum-size flood at 100 Mbit/s line rate; 1.6 % of a 1 GB Pi's RAM.
 */
export const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024;

/** Names of the interfaces libpcap can capture on (pcap_findalldevs), e.g. ['eth0', 'any', 'lo']. */
export function listInterfaces(): string[] {
  return argusPcapDevices();
}

export class LiveCapture {
  private readonly opts: LiveOptions;
  private readonly pkt: Packet;
  private readonly onPacket: (pkt: Packet) => void;
  private backend: LiveBackend | null = null;
  private lastStats: LiveStats = { received: 0, dropped: 0, ifDropped: 0 };
  private link = -1;

  /**
   * `pkt` is the pipeline's reused Packet: for every frame the capture fills its capture fields (tsUs, caplen,
   * wirelen, linkType, ifIndex = 0, buf, bufOffset) and calls `onPacket(pkt)` synchronously. It never calls
   * `pkt.reset()`; the caller does. `pkt.buf` belongs to the capture and is overwritten after the callback.
   * Throws LiveCaptureError for an out-of-range snaplen or bufferSize.
   */
  constructor(opts: LiveOptions, pkt: Packet, onPacket: (pkt: Packet) => void) {
    if (!Number.isInteger(opts.snaplen) || opts.snaplen < 64 || opts.snaplen > 262144) {
      throw new LiveCaptureError(`snaplen must be an integer from 64 to 262144, got ${opts.snaplen}`);
    }
    if (!Number.isInteger(opts.bufferSize) || opts.bufferSize < 65536 || opts.bufferSize > 0x7fffffff) {
      throw new LiveCaptureError(`bufferSize must be an integer from 65536 to 2147483647 bytes, got ${opts.bufferSize}`);
    }
    this.opts = { ...opts };
    this.pkt = pkt;
    this.onPacket = onPacket;
  }

  /** LINKTYPE_* of the device, known once `start()` returned; -1 before. */
  get linkType(): number {
    return this.link;
  }

  /** Frames longer than snaplen so far (cut, with their original wirelen kept). */
  get truncated(): number {
    return this.backend?.truncated() ?? 0;
  }

  get running(): boolean {
    return this.backend !== null;
  }

  /**
   * Opens the interface and starts delivering frames from the event loop; sets `pkt.linkType`. Throws
   * LiveCaptureError when the interface does not exist (listing those that do), the process may not capture
   * (saying how to grant it) or the filter does not compile (with libpcap's message). No-op while running.
   */
  start(): void {
    if (this.backend !== null) return;
    const backend = openArgusPcap(this.opts, this.pkt, this.onPacket);
    this.link = backend.linkType;
    this.pkt.linkType = backend.linkType;
    this.lastStats = { received: 0, dropped: 0, ifDropped: 0 };
    this.backend = backend;
  }

  /**
   * Stops capturing and closes the device, after delivering frames already queued in the kernel ring (bounded).
   * Idempotent; safe before `start()` and from inside `onPacket`.
   */
  stop(): void {
    const backend = this.backend;
    if (backend === null) return;
    this.backend = null;
    backend.stop();
    this.lastStats = backend.stats();
  }

  /**
   * libpcap/kernel counters since `start()` (see LiveStats). All zeros before the first start; after `stop()`
   * the values at stop.
   */
  stats(): LiveStats {
    if (this.backend === null) return { ...this.lastStats };
    return this.backend.stats();
  }
}
