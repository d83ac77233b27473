/**
 * One Zeek log file (DIR/<path>.log): rows are formatted when they are added, kept in memory and appended with
 * synchronous writes on `flush()` — which the pipeline calls between capture chunks and on idle ticks, never
 * per packet — or when 1 MiB is waiting. `close()` flushes and, in TSV, ends the file with `#close`.
 *
 * Like Zeek, the file is created at its first row (a log without rows does not appear) and starts with the
 * header. A file of the same name left by an earlier run is kept: it is renamed to
 * <path>.<its last change, %Y-%m-%d-%H-%M-%S>.log, the names Zeek gives rotated logs, before the new one opens.
 * A disk that refuses writes costs the rows (counted, reported once), never the capture.
 */
import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { headerTime, jsonRow, tsvClose, tsvHeader, tsvRow } from './format.js';
import type { ZeekFormat, ZeekLogSpec, ZeekValue } from './types.js';

/** The logs hold the network's history: owner read/write, group read (a log shipper's group). */
const LOG_MODE = 0o640;
const FLUSH_AT_BYTES = 1 << 20;

export interface ZeekWriterOptions {
  dir: string;
  format: ZeekFormat;
  /** the wall clock in ms, for #open and #close (Zeek writes wall-clock times there, also when reading a capture) */
  nowMs?: () => number;
  /** where a failing disk is reported, once per failure */
  log?: (msg: string) => void;
}

export class ZeekLogWriter {
  readonly file: string;
  rows = 0;
  droppedRows = 0;
  private fd = -1;
  private pending: string[] = [];
  private pendingBytes = 0;
  private pendingRows = 0;
  private failing = false;
  private closed = false;

  constructor(
    readonly spec: ZeekLogSpec,
    private readonly opts: ZeekWriterOptions,
  ) {
    this.file = join(opts.dir, `${spec.path}.log`);
  }

  private now(): number {
    return this.opts.nowMs ? this.opts.nowMs() : Date.now();
  }

  /** Queue one row (one value per column of the spec). */
  write(values: readonly ZeekValue[]): void {
    if (this.closed) return;
    if (this.fd < 0 && this.pendingRows === 0 && this.opts.format === 'tsv') this.queue(tsvHeader(this.spec.path, this.spec.fields, this.now()), 0);
    const line = (this.opts.format === 'json' ? jsonRow(this.spec.fields, values) : tsvRow(this.spec.fields, values)) + '\n';
    this.queue(line, 1);
    this.rows++;
    if (this.pendingBytes >= FLUSH_AT_BYTES) this.flush();
  }

  private queue(text: string, rows: number): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    this.pendingRows += rows;
  }

  private open(): void {
    if (existsSync(this.file)) {
      const st = statSync(this.file);
      if (st.size > 0) {
        let aside = join(this.opts.dir, `${this.spec.path}.${headerTime(st.mtimeMs)}.log`);
        for (let i = 1; existsSync(aside); i++) aside = join(this.opts.dir, `${this.spec.path}.${headerTime(st.mtimeMs)}-${i}.log`);
        renameSync(this.file, aside);
      }
    }
    this.fd = openSync(this.file, 'w', LOG_MODE);
  }

  /** Append what is queued. */
  flush(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    const rows = this.pendingRows;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingRows = 0;
    try {
      if (this.fd < 0) this.open();
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off);
    } catch (err) {
      this.droppedRows += rows;
      if (!this.failing) {
        this.failing = true;
        (this.opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(
          `zeek: ERROR cannot write ${this.file} (${(err as Error).message}): rows are dropped and counted until the disk accepts writes again`,
        );
      }
      return;
    }
    if (this.failing) {
      this.failing = false;
      (this.opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(`zeek: writing ${this.file} again; ${this.droppedRows} rows were dropped`);
    }
  }

  /** Flush, write #close (TSV) and close the file; later rows are ignored. */
  close(): void {
    if (this.closed) return;
    if (this.fd >= 0 || this.pending.length > 0) {
      if (this.opts.format === 'tsv') this.queue(tsvClose(this.now()), 0);
      this.flush();
    }
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
