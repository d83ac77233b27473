/**
 * Types and error wording shared by live.ts and its two libpcap backends (live-argus-pcap.ts, live-cap.ts).
 */
import { readdirSync } from 'node:fs';
import type { Packet } from '../decode/packet.js';

/**
 * Which libpcap binding captures:
 * - 'argus-pcap': the project's own addon (native/argus_pcap.c): kernel timestamps, original wire lengths,
 *   pcap_stats(), honours snaplen and promisc. Polled in batches on a short timer.
 * - 'cap': the `cap` npm package: no timestamps (stamped on delivery), no wire length, no pcap_stats(),
 *   always promiscuous. Kept as the fallback when the addon is not built for this machine.
 * - 'auto': 'argus-pcap' when its addon file is present, else 'cap'.
 */
export type LiveBackendName = 'auto' | 'argus-pcap' | 'cap';

export interface LiveOptions {
  iface: string;
  /** pcap-filter(7) expression; '' = everything */
  bpf: string;
  /** bytes of each frame kept; see DEFAULT_SNAPLEN */
  snaplen: number;
  /** promiscuous mode (the 'cap' backend always enables it) */
  promisc: boolean;
  /** kernel capture ring size in bytes; see DEFAULT_BUFFER_SIZE */
  bufferSize: number;
  /** libpcap binding; default 'auto' */
  backend?: LiveBackendName;
}

/**
 * Capture counters, in the sense of libpcap's `pcap_stats()`:
 * - received: frames that passed the filter, delivered or not (libpcap's ps_recv)
 * - dropped: frames the kernel dropped because the capture ring was full (ps_drop)
 * - ifDropped: frames the interface itself dropped (ps_ifdrop; on Linux its rx_dropped counter)
 */
export interface LiveStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

/** A live capture that cannot start: the message says what is wrong and how to fix it. */
export class LiveCaptureError extends Error {
  override name = 'LiveCaptureError';
}

/** What live.ts needs from a backend once it has opened the device. */
export interface LiveBackend {
  /** LINKTYPE_* of the device */
  readonly linkType: number;
  /** frames cut by snaplen so far */
  truncated(): number;
  stats(): LiveStats;
  /** delivers what is already queued (where the binding allows it), then closes; idempotent */
  stop(): void;
}

/** Opens the device and starts delivering; throws LiveCaptureError (use explainOpenError). */
export type LiveBackendOpen = (opts: LiveOptions, pkt: Packet, onPacket: (pkt: Packet) => void) => LiveBackend;

/** Interfaces that exist in this network namespace, from sysfs, sorted. */
export function sysInterfaces(): string[] {
  try {
    return readdirSync('/sys/class/net').sort();
  } catch {
    return [];
  }
}

/** The "interface does not exist" error, listing what does exist here (sysfs plus libpcap's pseudo-devices). */
export function noSuchInterface(iface: string, pcapDevices: string[], detail?: string): LiveCaptureError {
  const present = [...new Set([...sysInterfaces(), ...pcapDevices])];
  return new LiveCaptureError(
    `interface "${iface}" does not exist${detail ? ` (${detail})` : ''}; interfaces here: ` +
      (present.length > 0 ? present.join(', ') : '(none)'),
  );
}

/**
 * Turns the message a binding threw while opening into one that says what to do. Understands the
 * argus-pcap code words (PERM_DENIED:, NO_SUCH_DEVICE:, BAD_FILTER:, IFACE_NOT_UP:) and cap's bare libpcap text.
 */
export function explainOpenError(iface: string, bpf: string, err: unknown, pcapDevices: () => string[]): LiveCaptureError {
  const raw = err instanceof Error ? err.message : String(err);
  const code = /^([A-Z_]+): /.exec(raw)?.[1] ?? '';
  const msg = code !== '' ? raw.slice(code.length + 2) : raw;
  if (code === 'PERM_DENIED' || (code === '' && /permission|not permitted|EPERM|EACCES/i.test(msg))) {
    return new LiveCaptureError(
      `no permission to capture on "${iface}" (${msg}): run as root, or grant the capabilities with ` +
        `"setcap cap_net_raw,cap_net_admin=eip <the node binary or the argus-edge executable>", or under systemd ` +
        `with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN`,
    );
  }
  if (code === 'NO_SUCH_DEVICE' || (code === '' && /no such device|doesn't exist|does not exist/i.test(msg))) {
    let devices: string[] = [];
    try {
      devices = pcapDevices();
    } catch {
      // listing is best effort inside an error message
    }
    return noSuchInterface(iface, devices, msg);
  }
  if (code === 'IFACE_NOT_UP') {
    return new LiveCaptureError(`interface "${iface}" is down (${msg}): bring it up with "ip link set ${iface} up"`);
  }
  // cap compiles the filter after activating the device, so with a filter set its other messages are the filter's
  if (code === 'BAD_FILTER' || (code === '' && bpf !== '' && /syntax|parse|filter|illegal|unknown|expression|not supported|invalid/i.test(msg))) {
    return new LiveCaptureError(`invalid BPF filter "${bpf}": ${msg}`);
  }
  return new LiveCaptureError(`cannot capture on "${iface}": ${msg}`);
}
