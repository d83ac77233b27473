/**
 * Live capture from a network interface through libpcap.
 *
 * Two bindings sit behind one API (see LiveBackendName in live-common.ts): the project's own addon
 * (live-argus-pcap.ts: kernel timestamps, wire lengths, pcap_stats) when it is built, else the `cap` npm
 * package (live-cap.ts: frames stamped on delivery, drops read from the packet socket). Both fill the same
 * capture fields of the pipeline's reused Packet and call back synchronously for every frame.
 */
import type { Packet } from '../decode/packet.js';
import { argusPcapAvailable, argusPcapDevices, openArgusPcap } from './live-argus-pcap.js';
import { capDevices, openCap } from './live-cap.js';
import { LiveCaptureError, type LiveBackend, type LiveBackendName, type LiveOptions, type LiveStats } from './live-common.js';

export { LiveCaptureError };
export type { LiveBackendName, LiveOptions, LiveStats };

/**
 * 65535 bytes: the whole of any frame on a normal link, so DHCP (≤ 576 B typical), DNS over UDP (≤ 4096 B with
 * EDNS) and a TLS ClientHello with post-quantum key shares (~1.8 kB, over two segments) are all complete, and
 * GRO-merged frames on the Pi's own NIC (far above the MTU) keep their headers and first payload. It costs
 * nothing per frame (only the captured bytes are copied) and one buffer per capture. With the `cap` binding it
 * matters more: `cap` hides the original frame length, so only a buffer holding the whole frame gives exact
 * byte counts.
 */
export const DEFAULT_SNAPLEN = 65535;

/**
 * 16 MiB of kernel ring: what absorbs traffic while the Node event loop is busy (a GC pause, a model batch).
 * At 100 Mbit/s of full-size frames that is about 1.3 s, at 1 Gbit/s about 0.13 s; it is 1.6 % of a 1 GB Pi's
 * RAM. libpcap rounds it to whole ring blocks.
 */
export const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024;

/** Which binding 'auto' resolves to on this machine. */
export function resolveBackend(name: LiveBackendName = 'auto'): 'argus-pcap' | 'cap' {
  if (name !== 'auto') return name;
  return argusPcapAvailable() ? 'argus-pcap' : 'cap';
}

/** Names of the interfaces libpcap can capture on (pcap_findalldevs), e.g. ['eth0', 'any', 'lo']. */
export function listInterfaces(): string[] {
  return resolveBackend() === 'argus-pcap' ? argusPcapDevices() : capDevices();
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
    const backend = opts.backend ?? 'auto';
    if (backend !== 'auto' && backend !== 'argus-pcap' && backend !== 'cap') {
      throw new LiveCaptureError(`backend must be 'auto', 'argus-pcap' or 'cap', got '${String(backend)}'`);
    }
    this.opts = { ...opts, backend };
    this.pkt = pkt;
    this.onPacket = onPacket;
  }

  /** LINKTYPE_* of the device, known once `start()` returned; -1 before. */
  get linkType(): number {
    return this.link;
  }

  /** The binding in use ('auto' resolved), known once `start()` returned. */
  get backendName(): 'argus-pcap' | 'cap' {
    return resolveBackend(this.opts.backend);
  }

  /** Frames longer than snaplen so far (cut; with 'cap' their wirelen is an estimate). */
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
    const open = this.backendName === 'argus-pcap' ? openArgusPcap : openCap;
    const backend = open(this.opts, this.pkt, this.onPacket);
    this.link = backend.linkType;
    this.pkt.linkType = backend.linkType;
    this.lastStats = { received: 0, dropped: 0, ifDropped: 0 };
    this.backend = backend;
  }

  /**
   * Stops capturing and closes the device, after delivering frames already queued where the binding allows it
   * (argus-pcap). Idempotent; safe before `start()` and from inside `onPacket`.
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
   * the values at stop. With 'cap', `dropped` is read from the packet socket through `ss` at most once a second
   * (0 when `ss` is missing) and `received` = delivered + dropped.
   */
  stats(): LiveStats {
    if (this.backend === null) return { ...this.lastStats };
    return this.backend.stats();
  }
}
