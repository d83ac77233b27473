/**
 * Flow records and their hourly per-device rollups.
 *
 * Raw flows are kept for `store.flowRetentionDays`; rollups (one row per device per hour) for
 * `store.rollupRetentionDays`, so the dashboard can draw months of per-device traffic after the raw rows
 * are gone. Rollups are updated in the same transaction as the flows they summarise, so the two never
 * disagree after a crash.
 *
 * The device key comes from the wire (a MAC, else an address), so each hour holds at most `maxDevicesPerHour`
 * devices (store.maxDevices); the rest of a flooded hour is summed under the empty key, like the top lists'.
 */
import type Database from 'better-sqlite3';
import type { FlowRecord, SeriesStats, TcpFlagCounts } from '../flow/flow-record.js';
import { addTraffic, endpointTraffic, type DeviceTraffic } from './device-traffic.js';
import { HourKeys, OTHER_KEY, TopRollups } from './top-rollups.js';

const HOUR_US = 3_600_000_000;

/** A flows row as the dashboard reads it; `detail` is the parsed statistics blob. */
export interface FlowRow {
  id: number;
  flowId: number;
  segment: number;
  startUs: number;
  endUs: number;
  proto: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  srcMac: string | null;
  dstMac: string | null;
  communityId: string;
  service: string | null;
  pktsToServer: number;
  pktsToClient: number;
  bytesToServer: number;
  bytesToClient: number;
  connState: string;
  endReason: string;
  history: string;
  detail: FlowDetail;
}

/** The parts of a FlowRecord kept only as JSON (shown on one flow's page, never filtered on). */
export type FlowDetail = Pick<
  FlowRecord,
  | 'ipVersion'
  | 'protoName'
  | 'vlan'
  | 'payloadBytesToServer'
  | 'payloadBytesToClient'
  | 'tcpFlagsToServer'
  | 'tcpFlagsToClient'
  | 'flagCountsToServer'
  | 'flagCountsToClient'
  | 'iat'
  | 'iatToServer'
  | 'iatToClient'
  | 'pktLenToServer'
  | 'pktLenToClient'
  | 'firstTtlToServer'
  | 'firstTtlToClient'
  | 'firstWindowToServer'
  | 'firstWindowToClient'
  | 'dns'
  | 'tlsSni'
  | 'httpHost'
>;

export interface RollupRow extends DeviceTraffic {
  hourUs: number;
  device: string;
  /** flows this device originated that ended REJ or S0: a scan or a dead service shows up here */
  rejected: number;
}

export interface FlowQuery {
  /**
   * flows that involve this MAC on either side. Only the originator side is indexed (an index per side
   * costs ~40 bytes per stored flow, written twice): give `fromUs` to bound the scan for the responder side.
   */
  mac?: string;
  /** flows that involve this IP on either side */
  ip?: string;
  fromUs?: number;
  toUs?: number;
  connState?: string;
  /** rows with `id` below this (keyset paging: pass the last row's id) */
  beforeId?: number;
  /** default 100, at most 1000 */
  limit?: number;
}

export class FlowStore {
  private readonly insertStmt: Database.Statement;
  private readonly rollupStmt: Database.Statement;
  /** rollup deltas accumulated by `insert` until `commitRollups`, keyed by hour and device */
  private readonly pending = new Map<string, RollupRow>();
  /** the DNS-name and remote-destination rollups, written with the same batches */
  readonly tops: TopRollups;
  private readonly deviceKeys: HourKeys;
  /** flow endpoints summed under the empty key because their hour already held maxDevicesPerHour devices */
  rollupOverflowed = 0;

  constructor(
    private readonly db: Database.Database,
    maxDevicesPerHour = 10_000,
  ) {
    this.tops = new TopRollups(db);
    this.deviceKeys = new HourKeys(maxDevicesPerHour);
    this.insertStmt = db.prepare(`
      INSERT INTO flows (flow_id, segment, start_us, end_us, proto, src_ip, src_port, dst_ip, dst_port,
        src_mac, dst_mac, community_id, service, pkts_to_server, pkts_to_client, bytes_to_server,
        bytes_to_client, conn_state, end_reason, history, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.rollupStmt = db.prepare(`
      INSERT INTO flow_rollups (hour_us, device, flows_orig, flows_resp, pkts_out, pkts_in, bytes_out, bytes_in, rejected)
      VALUES (@hourUs, @device, @flowsOrig, @flowsResp, @pktsOut, @pktsIn, @bytesOut, @bytesIn, @rejected)
      ON CONFLICT (hour_us, device) DO UPDATE SET
        flows_orig = flows_orig + excluded.flows_orig, flows_resp = flows_resp + excluded.flows_resp,
        pkts_out = pkts_out + excluded.pkts_out, pkts_in = pkts_in + excluded.pkts_in,
        bytes_out = bytes_out + excluded.bytes_out, bytes_in = bytes_in + excluded.bytes_in,
        rejected = rejected + excluded.rejected`);
  }

  /**
   * Inserts one flow and adds it to the pending rollups. Call inside a transaction and finish the
   * transaction with `commitRollups()` (the write queue does both).
   */
  insert(f: FlowRecord): void {
    this.insertStmt.run(
      f.flowId, f.segment, f.startUs, f.endUs, f.proto, f.srcIp, f.srcPort, f.dstIp, f.dstPort,
      f.srcMac, f.dstMac, f.communityId, f.service, f.pktsToServer, f.pktsToClient, f.bytesToServer,
      f.bytesToClient, f.connState, f.endReason, f.history, encodeDetail(f),
    );
    const hourUs = f.endUs - (f.endUs % HOUR_US);
    const rejected = f.connState === 'REJ' || f.connState === 'S0' ? 1 : 0;
    const [orig, resp] = endpointTraffic(f);
    this.add(hourUs, orig.device, orig.traffic, rejected);
    this.add(hourUs, resp.device, resp.traffic, 0);
    this.tops.add(f);
  }

  private add(hourUs: number, wireDevice: string, d: DeviceTraffic, rejected: number): void {
    const device = this.deviceKeys.admit(hourUs, wireDevice);
    if (device === OTHER_KEY) this.rollupOverflowed++;
    const key = `${hourUs}|${device}`;
    const r = this.pending.get(key);
    if (r === undefined) {
      this.pending.set(key, { hourUs, device, ...d, rejected });
      return;
    }
    addTraffic(r, d);
    r.rejected += rejected;
  }

  /** Writes the pending rollup deltas (one upsert per device-hour in the batch, not per flow). */
  commitRollups(): void {
    for (const r of this.pending.values()) this.rollupStmt.run(r);
    this.pending.clear();
    this.tops.commit();
  }

  /** Forgets pending rollups after the transaction that held their flows was rolled back. */
  discardRollups(): void {
    this.pending.clear();
    this.tops.discard();
  }

  /**
   * Every stored flow that ended in [fromUs, toUs), oldest first, rebuilt as a FlowRecord (the training input
   * of `argus-edge retrain`). Streams rows one at a time: memory stays flat however many flows match. Means and
   * standard deviations come back rounded to whole units (see the detail layout below).
   */
  *records(fromUs: number, toUs: number): IterableIterator<FlowRecord> {
    const stmt = this.db.prepare(`SELECT * FROM flows WHERE end_us >= ? AND end_us < ? ORDER BY end_us, id`);
    for (const r of stmt.iterate(fromUs, toUs) as IterableIterator<RawFlowRow>) {
      const { id: _id, detail, ...row } = toFlowRow(r);
      yield { ...row, ...detail, connState: row.connState as FlowRecord['connState'], endReason: row.endReason as FlowRecord['endReason'] };
    }
  }

  /** Newest first, keyset-paged by id. */
  query(q: FlowQuery = {}): FlowRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.mac !== undefined) {
      where.push('(src_mac = ? OR dst_mac = ?)');
      args.push(q.mac, q.mac);
    }
    if (q.ip !== undefined) {
      where.push('(src_ip = ? OR dst_ip = ?)');
      args.push(q.ip, q.ip);
    }
    if (q.fromUs !== undefined) {
      where.push('end_us >= ?');
      args.push(q.fromUs);
    }
    if (q.toUs !== undefined) {
      where.push('end_us < ?');
      args.push(q.toUs);
    }
    if (q.connState !== undefined) {
      where.push('conn_state = ?');
      args.push(q.connState);
    }
    if (q.beforeId !== undefined) {
      where.push('id < ?');
      args.push(q.beforeId);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const sql = `SELECT * FROM flows ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...args) as RawFlowRow[]).map(toFlowRow);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM flows').get() as { n: number }).n;
  }

  /** Rollups of one device (MAC or IP) in [fromUs, toUs), oldest first. */
  rollups(device: string, fromUs: number, toUs: number): RollupRow[] {
    return (
      this.db
        .prepare(
          `SELECT hour_us AS hourUs, device, flows_orig AS flowsOrig, flows_resp AS flowsResp, pkts_out AS pktsOut,
             pkts_in AS pktsIn, bytes_out AS bytesOut, bytes_in AS bytesIn, rejected
           FROM flow_rollups WHERE device = ? AND hour_us >= ? AND hour_us < ? ORDER BY hour_us`,
        )
        .all(device, fromUs, toUs) as RollupRow[]
    );
  }
}

interface RawFlowRow {
  id: number;
  flow_id: number;
  segment: number;
  start_us: number;
  end_us: number;
  proto: number;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  src_mac: string | null;
  dst_mac: string | null;
  community_id: string;
  service: string | null;
  pkts_to_server: number;
  pkts_to_client: number;
  bytes_to_server: number;
  bytes_to_client: number;
  conn_state: string;
  end_reason: string;
  history: string;
  detail: string;
}

function toFlowRow(r: RawFlowRow): FlowRow {
  return {
    id: r.id,
    flowId: r.flow_id,
    segment: r.segment,
    startUs: r.start_us,
    endUs: r.end_us,
    proto: r.proto,
    srcIp: r.src_ip,
    srcPort: r.src_port,
    dstIp: r.dst_ip,
    dstPort: r.dst_port,
    srcMac: r.src_mac,
    dstMac: r.dst_mac,
    communityId: r.community_id,
    service: r.service,
    pktsToServer: r.pkts_to_server,
    pktsToClient: r.pkts_to_client,
    bytesToServer: r.bytes_to_server,
    bytesToClient: r.bytes_to_client,
    connState: r.conn_state,
    endReason: r.end_reason,
    history: r.history,
    detail: decodeDetail(r.detail),
  };
}

/*
 * The detail blob is a JSON array in a fixed order rather than an object: field names would triple its size,
 * and at 1,000 flows/s every byte saved is written twice (WAL, then the database) to an SD card.
 * Layout version 1:
 *   [1, ipVersion, protoName, vlan[], payloadToServer, payloadToClient, tcpFlagsToServer, tcpFlagsToClient,
 *    flagCountsToServer[8], flagCountsToClient[8], iat[5], iatToServer[5], iatToClient[5], pktLenToServer[5],
 *    pktLenToClient[5], ttlS, ttlC, winS, winC, dns | 0, tlsSni | 0, httpHost | 0]
 * flag counts in the order fin syn rst psh ack urg ece cwr; series stats as count min max mean std, with
 * mean and std rounded to whole µs or bytes (the models read exact values from the live FlowRecord; a
 * person reading a stored flow needs no finer grain, and the decimals were 8 % of the row).
 */
const FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'] as const;

/** mean and std are the only computed floats: a NaN or Infinity from a degenerate series would not be JSON */
const whole = (x: number): number => (Number.isFinite(x) ? Math.round(x) : 0);
const stats = (s: SeriesStats): string => `[${s.count},${s.min},${s.max},${whole(s.mean)},${whole(s.std)}]`;
const unstats = (a: number[]): SeriesStats => ({ count: a[0]!, min: a[1]!, max: a[2]!, mean: a[3]!, std: a[4]! });
const flags = (c: TcpFlagCounts): string => `[${c.fin},${c.syn},${c.rst},${c.psh},${c.ack},${c.urg},${c.ece},${c.cwr}]`;
const unflags = (a: number[]): TcpFlagCounts => {
  const c = {} as TcpFlagCounts;
  FLAGS.forEach((k, i) => (c[k] = a[i]!));
  return c;
};
/** JSON for a string that may be absent (0 stands for null: shorter, and never a valid name) */
const optString = (v: string | null): string => (v === null ? '0' : JSON.stringify(v));

/**
 * Serialises the FlowDetail part of a flow record (layout above). Built by hand rather than with
 * JSON.stringify on arrays: this runs once per stored flow and the generic path costs several times more.
 * Numbers are finite by construction (counters and statistics), so their JS string form is valid JSON.
 * DNS keeps its compact form (query, rcode, decoded answers): the full answer records are for EVE only.
 */
export function encodeDetail(f: FlowRecord): string {
  return (
    `[1,${f.ipVersion},${JSON.stringify(f.protoName)},[${f.vlan.join(',')}],${f.payloadBytesToServer},${f.payloadBytesToClient},` +
    `${f.tcpFlagsToServer},${f.tcpFlagsToClient},${flags(f.flagCountsToServer)},${flags(f.flagCountsToClient)},` +
    `${stats(f.iat)},${stats(f.iatToServer)},${stats(f.iatToClient)},${stats(f.pktLenToServer)},${stats(f.pktLenToClient)},` +
    `${f.firstTtlToServer},${f.firstTtlToClient},${f.firstWindowToServer},${f.firstWindowToClient},` +
    `${f.dns === null ? '0' : JSON.stringify({ qname: f.dns.qname, qtype: f.dns.qtype, rcode: f.dns.rcode, answers: f.dns.answers })},${optString(f.tlsSni)},${optString(f.httpHost)}]`
  );
}

/** Inverse of encodeDetail; throws on a layout it does not know (a newer program wrote the row). */
export function decodeDetail(text: string): FlowDetail {
  const a = JSON.parse(text) as any[];
  if (a[0] !== 1) throw new Error(`flow detail layout ${String(a[0])} is not supported`);
  return {
    ipVersion: a[1],
    protoName: a[2],
    vlan: a[3],
    payloadBytesToServer: a[4],
    payloadBytesToClient: a[5],
    tcpFlagsToServer: a[6],
    tcpFlagsToClient: a[7],
    flagCountsToServer: unflags(a[8]),
    flagCountsToClient: unflags(a[9]),
    iat: unstats(a[10]),
    iatToServer: unstats(a[11]),
    iatToClient: unstats(a[12]),
    pktLenToServer: unstats(a[13]),
    pktLenToClient: unstats(a[14]),
    firstTtlToServer: a[15],
    firstTtlToClient: a[16],
    firstWindowToServer: a[17],
    firstWindowToClient: a[18],
    dns: a[19] === 0 ? null : a[19],
    tlsSni: a[20] === 0 ? null : a[20],
    httpHost: a[21] === 0 ? null : a[21],
  };
}
