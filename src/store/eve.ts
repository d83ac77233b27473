/**
 * EVE-JSON output: one JSON object per line, exactly as Suricata's schema (etc/schema.json) defines every field
 * it has — a consumer that reads Suricata's EVE reads ours unchanged. What Suricata has no field for is under one
 * namespace object, `argus`, on every line (Zeek's conn_state and history, payload bytes, inter-arrival and
 * packet-size statistics, incident details, model scores, the country and AS of each end), never among Suricata's keys.
 *
 * Event types: `flow` (one per exported flow record), `alert` (per incident change, eve-alert.ts), `anomaly`
 * (Suricata's decoder anomaly: `anomaly.type: decode`, `anomaly.event: decoder.…`) and `argus_anomaly` (the
 * models' scores of a flow at the alert threshold; not Suricata's `anomaly`, which is a protocol anomaly).
 *
 * Lines are buffered and written with synchronous appends on `flush()` (the pipeline flushes every sweep and at
 * shutdown), so a crash loses at most the last second. The file rotates by size: argus.json → argus.json.1 → …
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { FlowRecord, TcpFlagCounts } from '../flow/flow-record.js';
import { icmpCounterpart } from '../flow/community-id.js';
import { eveDns, type EveDnsVersion } from './eve-dns.js';
import type { GeoLookup } from '../enrich/index.js';
import { geoipKeys } from './eve-geoip.js';

export type EveType = 'flow' | 'alert' | 'anomaly' | 'argus_anomaly' | 'device' | 'action';

/** the date-and-second part of the last timestamp written, and its second: a flow line has three, mostly in one second */
let lastSecond = NaN;
let lastPrefix = '';

/** Suricata's timestamp format: 2026-11-21T04:54:25.123456+0000, UTC, microseconds. */
export function eveTimestamp(tsUs: number): string {
  const second = Math.floor(tsUs / 1_000_000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastPrefix = new Date(second * 1000).toISOString().slice(0, 19); // 2026-11-21T04:54:25
  }
  const us = String(tsUs - second * 1_000_000).padStart(6, '0');
  return `${lastPrefix}.${us}+0000`;
}

const hex = (flags: number): string => flags.toString(16).padStart(2, '0');

/** Suricata's tcp booleans; it names the ECE flag (0x40) `ecn`. */
function flagBools(c: TcpFlagCounts): Record<string, true> {
  const out: Record<string, true> = {};
  for (const k of ['syn', 'fin', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'] as const) if (c[k] > 0) out[k === 'ece' ? 'ecn' : k] = true;
  return out;
}

const CLOSED = new Set(['SF', 'REJ', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH']);

function roundStats(s: FlowRecord['iat']): Record<string, number> {
  return { count: s.count, min: s.min, max: s.max, mean: Math.round(s.mean * 1000) / 1000, std: Math.round(s.std * 1000) / 1000 };
}

/** Suricata's `ether` object: only the addresses known (Suricata's schema wants strings, never null). */
export function etherOf(srcMac: string | null, dstMac: string | null): Record<string, unknown> {
  if (srcMac === null && dstMac === null) return {};
  return { ether: { ...(srcMac !== null ? { src_mac: srcMac } : {}), ...(dstMac !== null ? { dest_mac: dstMac } : {}) } };
}

/**
 * What Suricata writes for ICMP instead of ports: the flow table keys ICMP by type and, for a two-way type
 * (echo, …), the reply type, else the code (flow-table.ts), so `icmp_type` is the first, then
 * `response_icmp_type` when replies were seen, or `icmp_code` for a one-way type.
 */
function icmpOf(r: FlowRecord): Record<string, number> {
  if (icmpCounterpart(r.proto === 58, r.srcPort) === undefined) return { icmp_type: r.srcPort, icmp_code: r.dstPort };
  return r.pktsToClient > 0 ? { icmp_type: r.srcPort, response_icmp_type: r.dstPort } : { icmp_type: r.srcPort };
}

export interface FlowEventOptions {
  /** capture interface (live); absent in replay */
  iface?: string;
  /** the form of `dns` (3, Suricata 8's, by default) */
  dnsVersion?: EveDnsVersion;
  /** country and AS of both ends (argus.src_geoip, argus.dest_geoip); absent with enrich.enabled false */
  geo?: GeoLookup | null;
}

/** The EVE `flow` event for a record. Key order is fixed, so identical records give identical lines. */
export function flowEvent(r: FlowRecord, opts: FlowEventOptions = {}): Record<string, unknown> {
  const icmp = r.proto === 1 || r.proto === 58;
  const ev: Record<string, unknown> = {
    timestamp: eveTimestamp(r.endUs),
    flow_id: r.flowId,
    ...(opts.iface ? { in_iface: opts.iface } : {}),
    event_type: 'flow',
    ...(r.vlan.length > 0 ? { vlan: r.vlan } : {}),
    src_ip: r.srcIp,
    ...(icmp ? {} : { src_port: r.srcPort }),
    dest_ip: r.dstIp,
    ...(icmp ? {} : { dest_port: r.dstPort }),
    proto: r.protoName,
    ...(icmp ? icmpOf(r) : {}),
    ...(r.service ? { app_proto: r.service } : {}),
    community_id: r.communityId,
    ...etherOf(r.srcMac, r.dstMac),
    ...tunnelOf(r),
    flow: {
      pkts_toserver: r.pktsToServer,
      pkts_toclient: r.pktsToClient,
      bytes_toserver: r.bytesToServer,
      bytes_toclient: r.bytesToClient,
      start: eveTimestamp(r.startUs),
      end: eveTimestamp(r.endUs),
      age: Math.round((r.endUs - r.startUs) / 1e6),
      state: r.proto !== 6 ? (r.connState === 'SF' ? 'established' : 'new') : CLOSED.has(r.connState) ? 'closed' : r.connState === 'S0' || r.connState === 'OTH' ? 'new' : 'established',
      reason: r.endReason === 'shutdown' ? 'shutdown' : r.endReason === 'evicted' ? 'forced' : 'timeout',
      alerted: false,
    },
  };
  if (r.proto === 6) {
    ev.tcp = {
      tcp_flags: hex(r.tcpFlagsToServer | r.tcpFlagsToClient),
      tcp_flags_ts: hex(r.tcpFlagsToServer),
      tcp_flags_tc: hex(r.tcpFlagsToClient),
      ...flagBools({
        fin: r.flagCountsToServer.fin + r.flagCountsToClient.fin,
        syn: r.flagCountsToServer.syn + r.flagCountsToClient.syn,
        rst: r.flagCountsToServer.rst + r.flagCountsToClient.rst,
        psh: r.flagCountsToServer.psh + r.flagCountsToClient.psh,
        ack: r.flagCountsToServer.ack + r.flagCountsToClient.ack,
        urg: r.flagCountsToServer.urg + r.flagCountsToClient.urg,
        ece: r.flagCountsToServer.ece + r.flagCountsToClient.ece,
        cwr: r.flagCountsToServer.cwr + r.flagCountsToClient.cwr,
      }),
    };
  }
  if (r.dns) ev.dns = eveDns(r.dns, opts.dnsVersion ?? 3);
  if (r.tlsSni) ev.tls = { sni: r.tlsSni };
  if (r.httpHost) ev.http = { hostname: r.httpHost };
  // what Zeek's conn.log has and Suricata does not
  ev.argus = {
    conn_state: r.connState,
    history: r.history,
    end_reason: r.endReason,
    segment: r.segment,
    payload_bytes_toserver: r.payloadBytesToServer,
    payload_bytes_toclient: r.payloadBytesToClient,
    ...(r.firstTtlToServer >= 0 ? { ttl_toserver: r.firstTtlToServer } : {}),
    ...(r.firstTtlToClient >= 0 ? { ttl_toclient: r.firstTtlToClient } : {}),
    ...(r.firstWindowToServer >= 0 ? { window_toserver: r.firstWindowToServer } : {}),
    ...(r.firstWindowToClient >= 0 ? { window_toclient: r.firstWindowToClient } : {}),
    iat_us: roundStats(r.iat),
    pkt_len_toserver: roundStats(r.pktLenToServer),
    pkt_len_toclient: roundStats(r.pktLenToClient),
    ...geoipKeys(opts.geo, r.srcIp, r.dstIp),
    ...(r.tunnel
      ? {
          tunnel: {
            type: r.tunnel.type,
            depth: r.tunnel.depth,
            ...(r.tunnel.key !== undefined ? { key: r.tunnel.key } : {}),
            parents: r.tunnel.parents.map((p) => ({ flow_id: p.flowId, community_id: p.communityId })),
          },
        }
      : {}),
  };
  return ev;
}

/**
 * Suricata's `tunnel` object, which it writes for a packet inside a tunnel: the endpoints and protocol of the
 * packet on the wire that carried it (its root) and how deep inside it was. Ours describes the flow: the root
 * is the outermost flow that carried its first packet, from that flow's originator's side.
 */
function tunnelOf(r: FlowRecord): Record<string, unknown> {
  if (r.tunnel === undefined) return {};
  const root = r.tunnel.root;
  return { tunnel: { src_ip: root.srcIp, src_port: root.srcPort, dest_ip: root.dstIp, dest_port: root.dstPort, proto: root.protoName, depth: r.tunnel.depth } };
}

export interface EveWriterOptions {
  /** file path, '-' for stdout, or '' for no file (the lines only go to onLine) */
  path: string;
  types: readonly EveType[];
  /** rotate at this size; 0 = never */
  maxBytes: number;
  /** rotated files kept */
  keep: number;
  /** where a failing disk is reported, once per failure (default stderr) */
  log?: (msg: string) => void;
  /** also hands every line (without its newline) to this, e.g. the forwarders (src/forward); it must not block */
  onLine?: (line: string) => void;
}

/** EVE files hold the network's history: owner read/write, group read (a log shipper's group), nobody else. */
const EVE_MODE = 0o640;

export class EveWriter {
  private fd: number;
  private size: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private pendingLines = 0;
  private readonly enabled: Set<string>;
  /** lines written, by event type */
  readonly counts: Record<EveType, number> = { flow: 0, alert: 0, anomaly: 0, argus_anomaly: 0, device: 0, action: 0 };
  rotations = 0;
  /** lines lost because the disk was full or failing */
  droppedLines = 0;
  /** the disk refused the last write (logged once; the next successful write ends it) */
  private failing = false;
  /** a write stopped part-way: the next one starts on a new line so that every later line parses */
  private cut = false;

  constructor(private readonly opts: EveWriterOptions) {
    this.enabled = new Set(opts.types);
    this.fd = opts.path === '-' ? 1 : opts.path === '' ? -1 : openSync(opts.path, 'a', EVE_MODE);
    this.size = opts.path === '-' || opts.path === '' ? 0 : fstatSync(this.fd).size;
  }

  wants(type: EveType): boolean {
    return this.enabled.has(type);
  }

  /** Queue one event line (the object's `event_type` must be `type`). */
  write(type: EveType, event: Record<string, unknown>): void {
    if (!this.enabled.has(type)) return;
    const json = JSON.stringify(event);
    this.counts[type]++;
    this.opts.onLine?.(json);
    if (this.fd === -1) return;
    const line = json + '\n';
    this.pending.push(line);
    this.pendingLines++;
    this.pendingBytes += Buffer.byteLength(line);
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  /** Append queued lines to the file, rotating first when the size limit would be crossed. */
  flush(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.join('');
    const lines = this.pendingLines;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingLines = 0;
    if (this.opts.path !== '-' && this.opts.maxBytes > 0 && this.size > 0 && this.size + Buffer.byteLength(data) > this.opts.maxBytes) this.rotate();
    const buf = Buffer.from(data);
    if (this.opts.path === '-') {
      // stdout may be a non-blocking pipe, where writeSync fails part-way with EAGAIN and a line would be cut;
      // Node writes pipes synchronously on Linux and waits out a full pipe itself
      process.stdout.write(buf);
      return;
    }
    let off = 0;
    try {
      if (this.cut) {
        writeSync(this.fd, '\n');
        this.cut = false;
      }
      while (off < buf.length) off += writeSync(this.fd, buf, off);
    } catch (err) {
      // a full disk (ENOSPC, EDQUOT) or an I/O error: the lines are dropped and counted, capture goes on
      this.size += off;
      this.cut = off > 0;
      this.droppedLines += lines;
      if (!this.failing) {
        this.failing = true;
        (this.opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(
          `eve: ERROR cannot write ${this.opts.path} (${(err as Error).message}): lines are dropped and counted until the disk accepts writes again`,
        );
      }
      return;
    }
    this.size += buf.length;
    if (this.failing) {
      this.failing = false;
      (this.opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(`eve: writing ${this.opts.path} again; ${this.droppedLines} lines were dropped`);
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    const p = this.opts.path;
    if (this.opts.keep === 0) rmSync(p, { force: true });
    else {
      rmSync(`${p}.${this.opts.keep}`, { force: true });
      for (let i = this.opts.keep - 1; i >= 1; i--) if (existsSync(`${p}.${i}`)) renameSync(`${p}.${i}`, `${p}.${i + 1}`);
      renameSync(p, `${p}.1`);
    }
    this.fd = openSync(p, 'a', EVE_MODE);
    this.size = 0;
    this.rotations++;
  }

  close(): void {
    this.flush();
    if (this.opts.path !== '-' && this.opts.path !== '') closeSync(this.fd);
  }
}
