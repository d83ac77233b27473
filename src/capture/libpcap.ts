/**
 * Typed access to the project's libpcap addon (native/argus_pcap.c). See that file for the batch format.
 */
import { loadAddon } from '../assets.js';

export const LIBPCAP_ADDON = 'native/build/Release/argus_pcap.node';

declare const handleBrand: unique symbol;
export type PcapHandle = { readonly [handleBrand]: 'pcap' };
declare const filterBrand: unique symbol;
export type BpfFilter = { readonly [filterBrand]: 'bpf' };

export interface LibPcap {
  /** throws Error('CODE: detail') with CODE one of PERM_DENIED, NO_SUCH_DEVICE, IFACE_NOT_UP, BAD_FILTER, ERROR */
  open(iface: string, snaplen: number, promisc: boolean, bufferSize: number, filter: string): PcapHandle;
  /** copies waiting packets into `out` as records (u32 sec, u32 usec, u32 caplen, u32 wirelen, data padded to 4) */
  dispatch(h: PcapHandle, out: Buffer): number;
  stats(h: PcapHandle): { received: number; dropped: number; ifDropped: number };
  datalink(h: PcapHandle): number;
  close(h: PcapHandle): void;
  devices(): string[];
  /** throws Error('BAD_FILTER: …') */
  compileFilter(linkType: number, snaplen: number, expression: string): BpfFilter;
  filterMatches(f: BpfFilter, buf: Buffer, offset: number, caplen: number, wirelen: number): boolean;
  libVersion(): string;
}

export function libpcap(): LibPcap {
  return loadAddon<LibPcap>(LIBPCAP_ADDON);
}

/**
 * A BPF expression applied to packets read from a file. Compiled lazily per link type, since a pcapng file
 * may mix interfaces of several link types.
 */
export class OfflineFilter {
  private readonly byLinkType = new Map<number, BpfFilter>();
  private readonly pcap = libpcap();

  constructor(
    readonly expression: string,
    private readonly snaplen = 262144,
  ) {
    this.compile(1); // Ethernet: reject a bad expression at start-up, before reading anything
  }

  private compile(linkType: number): BpfFilter {
    let f = this.byLinkType.get(linkType);
    if (f === undefined) {
      try {
        f = this.pcap.compileFilter(linkType, this.snaplen, this.expression);
      } catch (err) {
        throw new Error(`BPF filter '${this.expression}' (link type ${linkType}): ${(err as Error).message.replace(/^BAD_FILTER: /, '')}`);
      }
      this.byLinkType.set(linkType, f);
    }
    return f;
  }

  matches(linkType: number, buf: Buffer, offset: number, caplen: number, wirelen: number): boolean {
    return this.pcap.filterMatches(this.compile(linkType), buf, offset, caplen, wirelen);
  }
}
