/**
 * Types and error wording shared by live.ts and its libpcap reader (live-argus-pcap.ts).
 */
import { readdirSync } from 'node:fs';

export interface LiveOptions {
  iface: string;
  /** pcap-filter(7) expression; '' = everything */
  bpf: string;
  /** bytes of each frame kept; see DEFAULT_SNAPLEN */
  snaplen: number;
  /** promiscuous mode */
  promisc: boolean;
  /** kernel capture ring size in bytes; see DEFAULT_BUFFER_SIZE */
  bufferSize: number;
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

/** What live.ts needs from the reader once it has opened the device. */
export interface LiveBackend {
  /** LINKTYPE_* of the device */
  readonly linkType: number;
  /** frames cut by snaplen so far */
  truncated(): number;
  stats(): LiveStats;
  /** delivers what is already queued, then closes; idempotent */
  stop(): void;
}

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
 * Turns the message the addon threw while opening into one that says what to do. The addon prefixes libpcap's
 * text with a code word: PERM_DENIED, NO_SUCH_DEVICE, IFACE_NOT_UP, BAD_FILTER, or ERROR for anything else.
 */
export function explainOpenError(iface: string, bpf: string, err: unknown, pcapDevices: () => string[]): LiveCaptureError {
  const raw = err instanceof Error ? err.message : String(err);
  const code = /^([A-Z_]+): /.exec(raw)?.[1] ?? '';
  const msg = code !== '' ? raw.slice(code.length + 2) : raw;
  if (code === 'PERM_DENIED') {
    return new LiveCaptureError(
      `no permission to capture on "${iface}" (${msg}): run as root, or grant the capabilities with ` +
        `"setcap cap_net_raw,cap_net_admin=eip <the node binary or the argus-edge executable>", or under systemd ` +
        `with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN`,
    );
  }
  if (code === 'NO_SUCH_DEVICE') {
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
  if (code === 'BAD_FILTER') {
    return new LiveCaptureError(`invalid BPF filter "${bpf}": ${msg}`);
  }
  return new LiveCaptureError(`cannot capture on "${iface}": ${msg}`);
}
