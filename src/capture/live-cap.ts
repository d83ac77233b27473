/**
 * Live capture backend on the `cap` npm package (0.2.1), the fallback when the project's own libpcap addon is
 * not built. What `cap` gives and what it does not (from its src/binding.cc), and what this file does about it:
 *
 * - It copies each frame into one Buffer we hand it and emits `packet(nbytes, truncated)` synchronously from
 *   its libuv poll callback. No timestamp, no original wire length, no `pcap_stats()`.
 * - Timestamps: frames are stamped when the callback runs, with a monotonic clock (`performance.now()`)
 *   anchored to the wall clock once at open. Frames libpcap queued while the event loop was busy get the time
 *   they were delivered, not the time the kernel saw them, so inter-arrival times inside a burst read near
 *   zero; a wall-clock step (NTP) never makes packet time go backwards. Stamps never decrease.
 * - Snap length: `cap` always asks the kernel for 65535 bytes and cuts to the length of our Buffer, so
 *   `snaplen` is the size of that one reused Buffer.
 * - Wire length: the captured length unless the frame was cut; then it is estimated from the IPv4/IPv6 length
 *   field behind an Ethernet (+VLAN) header, else left at the captured length.
 * - Counters: packet-socket-stats.ts reads the drops the binding does not expose.
 * - Promiscuous and immediate mode are always on (`promisc: false` is not honoured). `cap` prints
 *   "Warning: <if>: no IPv4 address assigned - This may not actually work" to stderr when the interface has no
 *   IPv4 address (a bridge or SPAN port); capture works regardless.
 * - Pending frames at stop() cannot be drained: the poll callback delivers them as soon as they arrive.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadAddon } from '../assets.js';
import { LinkType, type Packet } from '../decode/packet.js';
import { explainOpenError, noSuchInterface, type LiveBackend, type LiveOptions, type LiveStats } from './live-common.js';
import { PacketSocketCounters } from './packet-socket-stats.js';

export const CAP_ADDON = 'node_modules/cap/build/Release/cap.node';

/** The part of `cap`'s native API used here (the package ships no types). */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}
interface CapAddon {
  Cap: new () => CapHandle;
  deviceList(): Array<{ name: string }>;
}

let capAddon: CapAddon | undefined;

/** The native part of `cap`, loaded on first use through assets.ts, wired up as its lib/Cap.js does. */
function cap(): CapAddon {
  if (capAddon === undefined) {
    const addon = loadAddon<CapAddon>(CAP_ADDON);
    // the native constructor looks up `emit` on the new object, so the prototype must be an EventEmitter first
    Object.setPrototypeOf(addon.Cap.prototype, EventEmitter.prototype);
    capAddon = addon;
  }
  return capAddon;
}

/**
 * `cap` leaves a half-opened handle behind when open() fails after pcap_activate (a bad filter), and its
 * close()/destructor then touch an uninitialised poll handle and an unreferenced ObjectWrap. Keeping failed
 * objects reachable means their destructor never runs; this only grows when a start fails (a config error).
 */
const failedHandles: CapHandle[] = [];

/** Devices libpcap can capture on, through `cap`. */
export function capDevices(): string[] {
  return cap()
    .deviceList()
    .map((d) => d.name);
}

/** Maps the string `cap`'s open() returns to a LINKTYPE_* number. */
function linkTypeOf(name: string): number {
  switch (name) {
    case 'ETHERNET':
      return LinkType.ETHERNET;
    case 'NULL':
      return LinkType.NULL;
    case 'RAW':
      return LinkType.RAW; // DLT_RAW (12 on Linux) is LINKTYPE_RAW 101 in files
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'IEEE802_11_RADIO':
      return 127;
  }
  // "Unknown linktype N": on Linux the remaining DLT_ values equal their LINKTYPE_ values
  const m = /(\d+)$/.exec(name);
  return m === null ? -1 : Number(m[1]);
}

/** Opens `opts.iface` with `cap`; throws LiveCaptureError. */
export function openCap(opts: LiveOptions, pkt: Packet, onPacket: (pkt: Packet) => void): LiveBackend {
  const addon = cap();
  const devices = capDevices();
  // checked first: cap's open() would print a libpcap warning and leak the handle before failing
  if (!devices.includes(opts.iface) && !existsSync(`/sys/class/net/${opts.iface}`)) throw noSuchInterface(opts.iface, devices);
  const buffer = Buffer.alloc(opts.snaplen);
  const sockets = PacketSocketCounters.socketInodes();
  const handle = new addon.Cap();
  let linkName: string;
  try {
    linkName = handle.open(opts.iface, opts.bpf, opts.bufferSize, buffer);
  } catch (err) {
    failedHandles.push(handle);
    throw explainOpenError(opts.iface, opts.bpf, err, capDevices);
  }
  return new CapBackend(handle, linkTypeOf(linkName), buffer, new PacketSocketCounters(opts.iface, sockets), pkt, onPacket);
}

class CapBackend implements LiveBackend {
  private handle: CapHandle | null;
  private delivered = 0;
  private truncatedCount = 0;
  private readonly epochUs = Date.now() * 1000;
  private readonly perfStartMs = performance.now();
  private lastTsUs = 0;

  constructor(
    handle: CapHandle,
    readonly linkType: number,
    private readonly buffer: Buffer,
    private readonly counters: PacketSocketCounters,
    private readonly pkt: Packet,
    private readonly onPacket: (pkt: Packet) => void,
  ) {
    this.handle = handle;
    handle.on('packet', (nbytes, truncated) => this.deliver(nbytes, truncated));
  }

  private deliver(nbytes: number, truncated: boolean): void {
    const pkt = this.pkt;
    let ts = this.epochUs + Math.round((performance.now() - this.perfStartMs) * 1000);
    if (ts < this.lastTsUs) ts = this.lastTsUs;
    this.lastTsUs = ts;
    pkt.tsUs = ts;
    pkt.caplen = nbytes;
    pkt.wirelen = nbytes;
    // 65535 is the kernel snap length cap always sets: a frame of exactly that length was probably cut there
    if (truncated || nbytes === 65535) {
      this.truncatedCount++;
      pkt.wirelen = estimateWireLen(this.buffer, nbytes, this.linkType);
    }
    pkt.linkType = this.linkType;
    pkt.ifIndex = 0;
    pkt.buf = this.buffer;
    pkt.bufOffset = 0;
    this.delivered++;
    this.onPacket(pkt);
  }

  truncated(): number {
    return this.truncatedCount;
  }

  /** received = delivered + ring drops, which is what libpcap's ps_recv counts on Linux. */
  stats(): LiveStats {
    const dropped = this.counters.dropped();
    return { received: this.delivered + dropped, dropped, ifDropped: this.counters.ifDropped() };
  }

  stop(): void {
    const handle = this.handle;
    if (handle === null) return;
    this.handle = null;
    handle.removeAllListeners('packet');
    handle.close();
    this.counters.close();
  }
}

/**
 * Wire length of a frame cut at `caplen`, from the IP header's own length field behind an Ethernet header and
 * up to two VLAN tags; `caplen` when no such header is there. Only used for cut frames, so a lying length field
 * cannot inflate the byte counts of normal traffic.
 */
export function estimateWireLen(buf: Buffer, caplen: number, linkType: number): number {
  if (linkType !== LinkType.ETHERNET || caplen < 14) return caplen;
  let off = 12;
  let etherType = buf.readUInt16BE(off);
  for (let tags = 0; tags < 2 && (etherType === 0x8100 || etherType === 0x88a8) && off + 6 <= caplen; tags++) {
    off += 4;
    etherType = buf.readUInt16BE(off);
  }
  const l3 = off + 2;
  if (etherType === 0x0800 && l3 + 4 <= caplen) return Math.max(caplen, l3 + buf.readUInt16BE(l3 + 2));
  if (etherType === 0x86dd && l3 + 6 <= caplen) return Math.max(caplen, l3 + 40 + buf.readUInt16BE(l3 + 4));
  return caplen;
}
