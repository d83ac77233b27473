/**
 * Zeek logs of a pipeline (zeek.dir, --zeek-log DIR): conn.log for every exported flow record, dns.log and
 * ssl.log for the flows that carried DNS or a TLS server name, in Zeek's TSV format or as JSON lines
 * (zeek.format). Listens to `flow.end` on the bus; the pipeline flushes it with its other outputs and closes it
 * at shutdown, which writes each file's #close.
 */
import { mkdirSync } from 'node:fs';
import type { Bus } from '../bus.js';
import { PrefixSet } from '../detectors/addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { CONN_LOG, DNS_LOG, SSL_LOG, connRow, dnsRow, sslRow, type RowContext } from './logs.js';
import type { ZeekFormat, ZeekLogStats } from './types.js';
import { zeekUid } from './uid.js';
import { ZeekLogWriter, type ZeekWriterOptions } from './writer.js';

export type { ZeekFormat, ZeekLogStats } from './types.js';
export { CONN_LOG, DNS_LOG, SSL_LOG } from './logs.js';
export { zeekUid } from './uid.js';

export interface ZeekOutputOptions {
  dir: string;
  format: ZeekFormat;
  /** Site::local_nets: local_orig/local_resp say whether an address is inside; empty leaves them unset */
  localNets: readonly string[];
  nowMs?: ZeekWriterOptions['nowMs'];
  log?: ZeekWriterOptions['log'];
}

export class ZeekOutput {
  readonly conn: ZeekLogWriter;
  readonly dns: ZeekLogWriter;
  readonly ssl: ZeekLogWriter;
  private readonly isLocal: RowContext['isLocal'];

  constructor(opts: ZeekOutputOptions) {
    mkdirSync(opts.dir, { recursive: true });
    const w = { dir: opts.dir, format: opts.format, nowMs: opts.nowMs, log: opts.log };
    this.conn = new ZeekLogWriter(CONN_LOG, w);
    this.dns = new ZeekLogWriter(DNS_LOG, w);
    this.ssl = new ZeekLogWriter(SSL_LOG, w);
    const nets = new PrefixSet(opts.localNets);
    this.isLocal = opts.localNets.length > 0 ? (ip) => nets.has(ip) : null;
  }

  /** Listen to the bus's flow records. */
  attach(bus: Bus): this {
    bus.on('flow.end', (r) => this.add(r));
    return this;
  }

  /** The rows of one flow record. */
  add(r: FlowRecord): void {
    const ctx: RowContext = { uid: zeekUid(r), isLocal: this.isLocal };
    this.conn.write(connRow(r, ctx));
    const dns = dnsRow(r, ctx);
    if (dns !== null) this.dns.write(dns);
    const ssl = sslRow(r, ctx);
    if (ssl !== null) this.ssl.write(ssl);
  }

  flush(): void {
    this.conn.flush();
    this.dns.flush();
    this.ssl.flush();
  }

  close(): void {
    this.conn.close();
    this.dns.close();
    this.ssl.close();
  }

  stats(): ZeekLogStats {
    return {
      rows: { conn: this.conn.rows, dns: this.dns.rows, ssl: this.ssl.rows },
      droppedRows: this.conn.droppedRows + this.dns.droppedRows + this.ssl.droppedRows,
    };
  }
}
