/**
 * Test harness for the flow engine: builds real frames with packet-builder, decodes them with the real
 * decoder into one reused Packet and feeds them to a FlowTable, collecting the exported records.
 */
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeStats } from '../../src/decode/events.js';
import { LinkType, Packet } from '../../src/decode/packet.js';
import { ethernet, icmpFrame, ipv4, tcpFrame, udpFrame, EtherType, IpProto, type TcpFrameOpts } from '../../src/capture/packet-builder.js';
import { DEFAULT_FLOW_CONFIG, FlowTable, type FlowConfig } from '../../src/flow/flow-table.js';
import type { FragmentReassembler } from '../../src/decode/reassembly.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';

export type ConfigPatch = Partial<Omit<FlowConfig, 'timeouts'>> & { timeouts?: Partial<FlowConfig['timeouts']> };

export function flowConfig(patch: ConfigPatch = {}): FlowConfig {
  return {
    ...DEFAULT_FLOW_CONFIG,
    ...patch,
    timeouts: { ...DEFAULT_FLOW_CONFIG.timeouts, ...(patch.timeouts ?? {}) },
  };
}

/** seconds → packet-time microseconds from a fixed, arbitrary epoch */
export const T0 = 1_700_000_000_000_000;
export const sec = (s: number): number => T0 + Math.round(s * 1e6);

export class FlowHarness {
  readonly pkt = new Packet();
  readonly decodeStats = new DecodeStats();
  readonly records: FlowRecord[] = [];
  readonly table: FlowTable;

  /** `frags` reassembles IP fragments, as the pipeline does with decode.fragments.reassemble */
  constructor(
    patch: ConfigPatch = {},
    readonly frags: FragmentReassembler | null = null,
  ) {
    this.table = new FlowTable(flowConfig(patch), (r) => this.records.push(r));
  }

  /** decode one Ethernet frame at time `s` seconds and account it */
  feed(frame: Buffer, s: number): void {
    const p = this.pkt;
    p.reset();
    p.tsUs = sec(s);
    p.buf = frame;
    p.bufOffset = 0;
    p.caplen = frame.length;
    p.wirelen = frame.length;
    p.linkType = LinkType.ETHERNET;
    if (!decodePacket(p, this.decodeStats, this.frags)) throw new Error('test frame did not decode');
    if (p.ipVersion === 0) throw new Error('test frame has no IP layer');
    this.table.add(p);
  }

  advance(s: number): void {
    this.table.advance(sec(s));
  }

  flush(): FlowRecord[] {
    this.table.flush('shutdown');
    return this.records;
  }
}

export interface Endpoints {
  client: string;
  server: string;
  cport: number;
  sport: number;
}

export const V4: Endpoints = { client: '10.99.0.2', server: '10.99.0.1', cport: 40000, sport: 80 };
export const V6: Endpoints = { client: 'fd00:99::2', server: 'fd00:99::1', cport: 40000, sport: 443 };

/**
 * A TCP conversation builder: `seg(t, 'c', 'S')` sends a SYN from the client at t seconds. Sequence numbers
 * advance with payload and SYN/FIN so the frames are plausible to tshark too.
 */
export class TcpTalk {
  private cseq = 1000;
  private sseq = 5000;
  constructor(
    readonly h: FlowHarness,
    readonly ep: Endpoints = V4,
    readonly extra: Partial<TcpFrameOpts> = {},
  ) {}

  frame(from: 'c' | 's', flags: string, payload = ''): Buffer {
    const c = from === 'c';
    const seq = c ? this.cseq : this.sseq;
    const ack = c ? this.sseq : this.cseq;
    const f = tcpFrame({
      ...this.extra,
      src: c ? this.ep.client : this.ep.server,
      dst: c ? this.ep.server : this.ep.client,
      sport: c ? this.ep.cport : this.ep.sport,
      dport: c ? this.ep.sport : this.ep.cport,
      srcMac: c ? '02:00:00:00:00:02' : '02:00:00:00:00:01',
      dstMac: c ? '02:00:00:00:00:01' : '02:00:00:00:00:02',
      ttl: c ? 64 : 128,
      window: c ? 64240 : 65535,
      flags,
      seq,
      ack: flags.includes('A') ? ack : 0,
      payload,
    });
    const adv = payload.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (c) this.cseq += adv;
    else this.sseq += adv;
    return f;
  }

  seg(t: number, from: 'c' | 's', flags: string, payload = ''): this {
    this.h.feed(this.frame(from, flags, payload), t);
    return this;
  }
}

export function udpAt(h: FlowHarness, t: number, src: string, dst: string, sp: number, dp: number, payload: Buffer | string = 'x'): void {
  h.feed(udpFrame({ src, dst, sport: sp, dport: dp, payload }), t);
}

export function icmpAt(h: FlowHarness, t: number, src: string, dst: string, type: number, code = 0): void {
  h.feed(icmpFrame({ src, dst, type, code, id: 7, seq: 1 }), t);
}

/**
 * IPv4 fragments of one UDP datagram: the first carries the UDP header, the others only data.
 * `udpDatagram` is the complete UDP header + payload; `fragSize` a multiple of 8.
 */
export function ipv4Fragments(src: string, dst: string, udpDatagram: Buffer, fragSize: number, id = 0x4242): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < udpDatagram.length; off += fragSize) {
    const part = udpDatagram.subarray(off, off + fragSize);
    const more = off + fragSize < udpDatagram.length;
    const pkt = ipv4({ src, dst, proto: IpProto.UDP, payload: part, id, mf: more, fragOffset: off });
    out.push(ethernet({ etherType: EtherType.IPV4, payload: pkt }));
  }
  return out;
}

/** the only record matching `pred`; throws when there is not exactly one */
export function only(records: FlowRecord[], pred: (r: FlowRecord) => boolean = () => true): FlowRecord {
  const m = records.filter(pred);
  if (m.length !== 1) throw new Error(`expected one matching record, got ${m.length}: ${JSON.stringify(m.map((r) => [r.srcIp, r.srcPort, r.dstIp, r.dstPort, r.proto, r.endReason]))}`);
  return m[0];
}
