/**
 * IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 4.5), so a fragmented datagram is decoded and counted
 * as the one packet its sender meant: its ports, its flow, its DNS message. Zeek and Suricata do the same — a
 * fragment is held, not handed to any connection, and the reassembled datagram is delivered once, with the IP
 * length of the whole datagram (Zeek's IP analyzer: `packet->len = total_len + hdr_size`; conn.log's
 * orig_pkts/orig_ip_bytes count the reassembled datagram once, as the GTP btest `outer_ip_frag` shows).
 *
 * The IP decoders (ipv4.ts, ipv6.ts) call `add` only for a packet that is a fragment, so an unfragmented packet
 * pays nothing here. What comes back is a new buffer holding the completing fragment's link-layer bytes and the
 * reassembled datagram, which the decoder then decodes like a captured frame.
 *
 * Rules (documented here because they decide what an attacker can make us see):
 * - Key: IP version, source, destination, identification, protocol (IPv4 only, as RFC 791 keys it; IPv6 keys
 *   by source, destination and identification), the VLAN tags and the tunnel depth — fragments of two VLANs or
 *   of a tunnel and its carrier never mix.
 * - Overlaps: first wins, as BSD and Zeek (`Reassembler::NewBlock` keeps the blocks it holds and inserts only
 *   the new bytes around them): bytes already held are never replaced. Every fragment that overlaps held bytes
 *   counts `decoder.ipv{4,6}.frag_overlap` (Suricata's name), whether or not the bytes agree.
 * - Size: the first fragment without more-fragments fixes the datagram's payload size; data beyond it, held or
 *   arriving later, is dropped and a disagreeing last fragment counts `frag_size_inconsistent` (Zeek's
 *   fragment_size_inconsistency). The header is the offset-0 fragment's (IPv4 with its options; IPv6 with the
 *   extension headers before the fragment header, the next header taken from that fragment as RFC 8200 says).
 * - Bounds: a datagram longer than 65,535 bytes is never built (`frag_pkt_too_large`); more than `maxFragments`
 *   fragments end it (`frag_too_many`: its bytes are freed, and the rest of its fragments are swallowed until
 *   its timeout); a non-last fragment shorter than 64 bytes of IP counts `frag_too_small` (Zeek's
 *   excessively_small_fragment: a tiny first fragment is how a TCP header is split to evade filters) and is
 *   still used.
 * - Memory: at most `maxDatagrams` datagrams in progress and `maxBytes` bytes held (fragment data plus headers);
 *   at either cap the oldest datagram is evicted (`frag_evicted`), as Linux evicts its oldest queue. At most
 *   `maxPerSource` datagrams of one source address are in progress: a new one beyond that is refused
 *   (`frag_ignored`, Suricata's name), so one flooding host cannot push out everybody else's datagrams.
 * - Time: packet time. A datagram not complete `timeoutSeconds` after its first fragment is dropped
 *   (`frag_timeout`), like Linux's ipfrag_time (30 s; Zeek's frag_timeout defaults to 5 min). Timeouts are
 *   checked when a fragment arrives and on `expire` (the pipeline calls it when it flushes its outputs), never
 *   by a timer per datagram. A datagram still incomplete when the capture ends is dropped without an event.
 * - A fragment the capture cut short (caplen < its IP length) is not reassembled; the decoders handle it as
 *   Zeek does (ipv4.ts).
 *
 * Ownership: `add` copies what it keeps, so the capture's buffer may be reused after it returns. The buffer it
 * returns is new and belongs to the caller.
 */
import type { Packet } from './packet.js';
import type { DecodeEvent, DecodeStats } from './events.js';
import { Datagram, trimAt, uncovered } from './fragment-datagram.js';

/** The largest datagram an IP length field can describe. */
export const MAX_DATAGRAM = 0xffff;
/** A non-last fragment shorter than this (IP header included) is suspicious (Zeek's MIN_ACCEPTABLE_FRAG_SIZE). */
export const MIN_FRAGMENT = 64;

export interface ReassemblyConfig {
  /** seconds of packet time a datagram may take from its first fragment to its last */
  timeoutSeconds: number;
  /** bytes held across all datagrams in progress */
  maxBytes: number;
  /** datagrams in progress */
  maxDatagrams: number;
  /** datagrams in progress from one source address */
  maxPerSource: number;
  /** fragments one datagram may take */
  maxFragments: number;
}

export const DEFAULT_REASSEMBLY_CONFIG: ReassemblyConfig = {
  timeoutSeconds: 30,
  maxBytes: 4 * 1024 * 1024,
  maxDatagrams: 4096,
  maxPerSource: 256,
  maxFragments: 128,
};

/**
 * One fragment as the IP decoder found it, all offsets into pkt.buf. The decoder fills one instance in place
 * for every fragment (no allocation per packet).
 */
export interface FragmentInfo {
  version: 4 | 6;
  /** IPv4 protocol / the next header after the IPv6 fragment header */
  proto: number;
  /** IPv4 16-bit / IPv6 32-bit identification */
  id: number;
  /** where this fragment's data sits in the datagram's payload, in bytes */
  offset: number;
  /** more-fragments flag */
  more: boolean;
  /** start of the IP header (the bytes before it, from pkt.bufOffset, are the link layer) */
  ipStart: number;
  /** end of the header kept from the offset-0 fragment: the IPv4 header, or the IPv6 header and the extension headers before the fragment header */
  hdrEnd: number;
  /** IPv6: where the next-header byte naming the fragment header is (rewritten on reassembly); -1 for IPv4 */
  nhAt: number;
  /** this fragment's data */
  dataStart: number;
  dataEnd: number;
}

export function newFragmentInfo(): FragmentInfo {
  return { version: 4, proto: 0, id: 0, offset: 0, more: false, ipStart: 0, hdrEnd: 0, nhAt: -1, dataStart: 0, dataEnd: 0 };
}

/** Counters of one reassembler, for the summary and metrics. */
export interface ReassemblyStats {
  /** fragments given to add() */
  fragments: number;
  /** datagrams reassembled and handed back */
  reassembled: number;
  /** datagrams dropped incomplete at their timeout */
  timedOut: number;
  /** datagrams evicted at the byte or datagram cap */
  evicted: number;
  /** fragments refused: per-source cap, too large, or of a datagram ended for too many fragments */
  dropped: number;
}

interface EventNames {
  overlap: DecodeEvent;
  size: DecodeEvent;
  tooLarge: DecodeEvent;
  tooMany: DecodeEvent;
  tooSmall: DecodeEvent;
  timeout: DecodeEvent;
  evicted: DecodeEvent;
  ignored: DecodeEvent;
}

const EVENTS: Record<4 | 6, EventNames> = {
  4: {
    overlap: 'decoder.ipv4.frag_overlap',
    size: 'decoder.ipv4.frag_size_inconsistent',
    tooLarge: 'decoder.ipv4.frag_pkt_too_large',
    tooMany: 'decoder.ipv4.frag_too_many',
    tooSmall: 'decoder.ipv4.frag_too_small',
    timeout: 'decoder.ipv4.frag_timeout',
    evicted: 'decoder.ipv4.frag_evicted',
    ignored: 'decoder.ipv4.frag_ignored',
  },
  6: {
    overlap: 'decoder.ipv6.frag_overlap',
    size: 'decoder.ipv6.frag_size_inconsistent',
    tooLarge: 'decoder.ipv6.frag_pkt_too_large',
    tooMany: 'decoder.ipv6.frag_too_many',
    tooSmall: 'decoder.ipv6.frag_too_small',
    timeout: 'decoder.ipv6.frag_timeout',
    evicted: 'decoder.ipv6.frag_evicted',
    ignored: 'decoder.ipv6.frag_ignored',
  },
};

/** Bytes of payload [off, end) held, in `data`. */
function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x01000193);
  return h ^ (h >>> 15);
}

export class FragmentReassembler {
  private readonly byHash = new Map<number, Datagram>();
  private readonly perSource = new Map<string, number>();
  private oldest: Datagram | null = null;
  private newest: Datagram | null = null;
  private readonly timeoutUs: number;
  /** datagrams in progress */
  datagrams = 0;
  /** bytes held */
  bytes = 0;
  readonly stats: ReassemblyStats = { fragments: 0, reassembled: 0, timedOut: 0, evicted: 0, dropped: 0 };

  constructor(readonly config: ReassemblyConfig = DEFAULT_REASSEMBLY_CONFIG) {
    this.timeoutUs = config.timeoutSeconds * 1e6;
  }

  /**
   * Take the fragment `f` of pkt (pkt.tsUs, addresses, VLANs and depth already decoded). Returns null while the
   * datagram is incomplete (or the fragment was refused, counted); when this fragment completes it, a new buffer:
   * pkt.buf[pkt.bufOffset, f.ipStart) followed by the datagram, its IP length set to the whole and (IPv4) its
   * fragment fields cleared, (IPv6) its fragment header removed. Never throws on any byte content.
   */
  add(pkt: Packet, f: FragmentInfo, stats: DecodeStats): Buffer | null {
    const ev = EVENTS[f.version];
    const now = pkt.tsUs;
    this.stats.fragments++;
    if (this.oldest !== null && this.oldest.expiresUs <= now) this.expire(now, stats);

    const dataLen = f.dataEnd - f.dataStart;
    const end = f.offset + dataLen;
    if (end > MAX_DATAGRAM) {
      // the decoder has counted frag_pkt_too_large: such bytes can never be part of a datagram
      this.stats.dropped++;
      return null;
    }
    if (f.more && f.dataEnd - f.ipStart < MIN_FRAGMENT) stats.event(ev.tooSmall);

    const vlan = (pkt.vlan & 0xfff) | ((pkt.vlanInner & 0xfff) << 12);
    const proto = f.version === 4 ? f.proto : 0;
    const s = pkt.srcAddr;
    const t = pkt.dstAddr;
    let h = mix(f.version | (proto << 8) | (pkt.depth << 16), f.id);
    h = mix(h, vlan);
    for (let i = 0; i < 4; i++) h = mix(mix(h, s[i]), t[i]);
    h >>>= 0;

    let d = this.byHash.get(h) ?? null;
    while (d !== null) {
      if (
        d.id === f.id && d.version === f.version && d.proto === proto && d.vlan === vlan && d.depth === pkt.depth &&
        d.src[3] === s[3] && d.dst[3] === t[3] && d.src[2] === s[2] && d.dst[2] === t[2] &&
        d.src[1] === s[1] && d.dst[1] === t[1] && d.src[0] === s[0] && d.dst[0] === t[0]
      ) break;
      d = d.chain;
    }
    if (d === null) {
      const srcKey = `${f.version}:${s[0]}:${s[1]}:${s[2]}:${s[3]}`;
      const n = this.perSource.get(srcKey) ?? 0;
      if (n >= this.config.maxPerSource) {
        stats.event(ev.ignored);
        this.stats.dropped++;
        return null;
      }
      while (this.datagrams >= this.config.maxDatagrams && this.oldest !== null) this.evict(this.oldest, stats);
      d = new Datagram();
      d.hash = h;
      d.version = f.version;
      d.proto = proto;
      d.id = f.id;
      d.vlan = vlan;
      d.depth = pkt.depth;
      d.src.set(s);
      d.dst.set(t);
      d.srcKey = srcKey;
      d.expiresUs = now + this.timeoutUs;
      d.chain = this.byHash.get(h) ?? null;
      this.byHash.set(h, d);
      d.older = this.newest;
      if (this.newest !== null) this.newest.newer = d;
      else this.oldest = d;
      this.newest = d;
      this.perSource.set(srcKey, n + 1);
      this.datagrams++;
    }
    if (d.dead) {
      this.stats.dropped++;
      return null;
    }
    if (++d.fragments > this.config.maxFragments) {
      stats.event(ev.tooMany);
      this.stats.dropped++;
      this.bytes -= d.bytes;
      d.bytes = 0;
      d.pieces = [];
      d.header = null;
      d.dead = true;
      return null;
    }

    // the first last fragment fixes the size; anything beyond it is not part of the datagram
    let inconsistent = false;
    if (!f.more) {
      if (d.size < 0) {
        d.size = end;
        const dropped = trimAt(d, end);
        if (dropped > 0) {
          this.bytes -= dropped;
          inconsistent = true;
        }
      } else if (end !== d.size) {
        inconsistent = true;
      }
    }
    let upper = end;
    if (d.size >= 0 && upper > d.size) {
      upper = d.size;
      inconsistent = true;
    }
    if (inconsistent) stats.event(ev.size);

    const buf = pkt.buf;
    let add = 0;
    const headerLen = f.hdrEnd - f.ipStart;
    if (f.offset === 0 && d.header === null) add += headerLen;
    // the new bytes, first wins: only the gaps between what is held are taken
    const gaps = uncovered(d, f.offset, upper);
    for (let i = 0; i < gaps.length; i += 2) add += gaps[i + 1] - gaps[i];
    if (gaps.overlap) stats.event(ev.overlap);
    if (add > 0) {
      while (this.bytes + add > this.config.maxBytes && this.oldest !== null && this.oldest !== d) this.evict(this.oldest, stats);
      if (this.bytes + add > this.config.maxBytes) {
        // this datagram alone is at the cap: evicting it is the only way to stay bounded
        this.evict(d, stats);
        return null;
      }
    }
    if (f.offset === 0 && d.header === null) {
      d.header = Buffer.from(buf.subarray(f.ipStart, f.hdrEnd));
      d.nhAt = f.nhAt < 0 ? -1 : f.nhAt - f.ipStart;
      d.nextProto = f.proto;
    }
    if (gaps.length > 0) {
      const last = d.pieces.length > 0 ? d.pieces[d.pieces.length - 1].end : 0;
      for (let i = 0; i < gaps.length; i += 2) {
        const off = gaps[i];
        const e = gaps[i + 1];
        const at = f.dataStart + (off - f.offset);
        d.pieces.push({ off, end: e, data: Buffer.from(buf.subarray(at, at + (e - off))) });
      }
      // fragments in order only append; out of order they land in a gap
      if (gaps[0] < last) d.pieces.sort((a, b) => a.off - b.off);
    }
    d.bytes += add;
    this.bytes += add;

    if (d.header === null || d.size < 0) return null;
    let pos = 0;
    for (const p of d.pieces) {
      if (p.off > pos) return null; // a hole
      pos = p.end;
    }
    if (pos < d.size) return null;
    return this.assemble(d, pkt, f, stats);
  }

  /**
   * Drop every datagram whose timeout has passed at `nowUs` (packet time), counting `frag_timeout` for each that
   * was still being assembled.
   */
  expire(nowUs: number, stats: DecodeStats): void {
    while (this.oldest !== null && this.oldest.expiresUs <= nowUs) {
      const d = this.oldest;
      if (!d.dead) {
        stats.event(EVENTS[d.version].timeout);
        this.stats.timedOut++;
      }
      this.remove(d);
    }
  }

  /** Drop everything held (end of capture): no events, the datagrams did not time out. */
  clear(): void {
    while (this.oldest !== null) this.remove(this.oldest);
  }

  private assemble(d: Datagram, pkt: Packet, f: FragmentInfo, stats: DecodeStats): Buffer | null {
    const header = d.header!;
    const hlen = header.length;
    const total = hlen + d.size;
    // IPv4's total length and IPv6's payload length are 16 bits: a longer datagram cannot be what was sent
    if ((d.version === 4 ? total : total - 40) > MAX_DATAGRAM) {
      stats.event(EVENTS[d.version].tooLarge);
      this.stats.dropped++;
      this.remove(d);
      return null;
    }
    const linkStart = pkt.bufOffset;
    const linkLen = f.ipStart - linkStart;
    const out = Buffer.allocUnsafe(linkLen + total);
    pkt.buf.copy(out, 0, linkStart, f.ipStart);
    header.copy(out, linkLen);
    const ip = linkLen;
    if (d.version === 4) {
      out[ip + 2] = total >> 8;
      out[ip + 3] = total & 0xff;
      out[ip + 6] &= 0x40; // keep DF, clear MF and the offset
      out[ip + 7] = 0;
    } else {
      const plen = total - 40;
      out[ip + 4] = plen >> 8;
      out[ip + 5] = plen & 0xff;
      out[ip + d.nhAt] = d.nextProto;
    }
    for (const p of d.pieces) p.data.copy(out, ip + hlen + p.off);
    this.stats.reassembled++;
    this.remove(d);
    return out;
  }

  private evict(d: Datagram, stats: DecodeStats): void {
    stats.event(EVENTS[d.version].evicted);
    this.stats.evicted++;
    this.remove(d);
  }

  private remove(d: Datagram): void {
    let p = this.byHash.get(d.hash) ?? null;
    if (p === d) {
      if (d.chain === null) this.byHash.delete(d.hash);
      else this.byHash.set(d.hash, d.chain);
    } else {
      while (p !== null && p.chain !== d) p = p.chain;
      if (p !== null) p.chain = d.chain;
    }
    if (d.older !== null) d.older.newer = d.newer;
    else this.oldest = d.newer;
    if (d.newer !== null) d.newer.older = d.older;
    else this.newest = d.older;
    d.older = d.newer = d.chain = null;
    const n = (this.perSource.get(d.srcKey) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(d.srcKey);
    else this.perSource.set(d.srcKey, n);
    this.bytes -= d.bytes;
    this.datagrams--;
  }
}
