/**
 * Decode one frame the way the pipeline does (fresh Packet, reset, capture fields set) for byte-level tests.
 */
import { LinkType, Packet } from '../../src/decode/packet.js';
import { DecodeStats, type DecodeEvent } from '../../src/decode/events.js';
import { Decapsulator, decodePacket } from '../../src/decode/decode.js';
import type { FragmentReassembler } from '../../src/decode/reassembly.js';

export interface Decoded {
  pkt: Packet;
  stats: DecodeStats;
  /** decodePacket's return value */
  ok: boolean;
  /** the non-zero events, in DECODE_EVENTS order */
  events: DecodeEvent[];
  /** with `tunnels`: the packets inside the frame's tunnels, outermost first (each its own Packet) */
  inner: Packet[];
}

/**
 * Decode `frame` with the given link type. `wirelen` defaults to the frame length (nothing cut by a snap
 * length); `offset` places the frame inside a larger buffer, as capture readers deliver it; `tunnels`
 * decapsulates down to that depth, as the pipeline does with decode.maxTunnelDepth. `frags` reassembles
 * fragments (the same reassembler across calls, as the pipeline's), `stats` counts into an existing instance,
 * `tsUs` is the packet time (default 0).
 */
export function decodeFrame(
  frame: Buffer,
  linkType: number = LinkType.ETHERNET,
  opts: { wirelen?: number; offset?: number; tunnels?: number; frags?: FragmentReassembler; stats?: DecodeStats; tsUs?: number } = {},
): Decoded {
  const pkt = new Packet();
  const stats = opts.stats ?? new DecodeStats();
  const frags = opts.frags ?? null;
  const off = opts.offset ?? 0;
  const buf = off > 0 ? Buffer.concat([Buffer.alloc(off, 0xee), frame, Buffer.alloc(7, 0xee)]) : frame;
  pkt.reset();
  pkt.buf = buf;
  pkt.bufOffset = off;
  pkt.caplen = frame.length;
  pkt.wirelen = opts.wirelen ?? frame.length;
  pkt.linkType = linkType;
  pkt.tsUs = opts.tsUs ?? 0;
  const ok = decodePacket(pkt, stats, frags);
  const inner: Packet[] = [];
  if (opts.tunnels !== undefined) {
    const decap = new Decapsulator(opts.tunnels, frags);
    for (let p = decap.inner(pkt, stats); p !== null; p = decap.inner(p, stats)) inner.push(p);
  }
  return { pkt, stats, ok, events: Object.keys(stats.toJSON().events) as DecodeEvent[], inner };
}
