/**
 * EVE lines to an HTTP endpoint in batches (ndjson, Elasticsearch bulk or Loki push, http-formats.ts),
 * optionally gzip-compressed (`Content-Encoding: gzip`, compressed on libuv's thread pool, not on the event
 * loop). A batch goes when batchLines are waiting or flushMs after the first of them; one request is in
 * flight at a time. A queue smaller than batchLines goes when it is full: waiting for flushMs would drop lines
 * from a queue that has nowhere else to go.
 *
 * A network error, a time-out, 408, 429 or 5xx puts the batch back at the head of the queue and retries after
 * a back-off (0.5 s doubling to 60 s); meanwhile new lines queue behind it, the oldest dropped when the queue
 * is full. Any other status outside 2xx is the receiver refusing the batch (a bad token, a malformed body):
 * retrying would not help, so its lines are dropped and counted. Elasticsearch answers 200 with `errors: true`
 * when single documents are refused (a mapping conflict); those are counted as dropped, the rest as sent.
 *
 * `http://user:password@host/…` (Elasticsearch's usual form) is sent as HTTP Basic auth: fetch refuses a URL
 * with credentials, and its error would carry the password into the log.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { httpRequest } from '../notify/http-channels.js';
import { redactUrl } from '../notify/secret.js';
import { LineBuffer } from '../store/line-buffer.js';
import { batchBody, elasticRefused, type FormatOptions, type HttpFormat } from './http-formats.js';
import { backoffMs, type Forwarder, type ForwarderStats } from './types.js';

const gzip = promisify(gzipCb);

export interface HttpForwardSettings extends FormatOptions {
  url: string;
  format: HttpFormat;
  batchLines: number;
  flushMs: number;
  gzip: boolean;
  /** extra request headers (Authorization for a token, an Elastic ApiKey, X-Scope-OrgID for a multi-tenant Loki) */
  headers: Record<string, string>;
  queueLines: number;
  timeoutMs: number;
  warn: (msg: string) => void;
}

const RETRY_STATUS = new Set([408, 429]);

/** The URL without its user:password, and those as a Basic Authorization value (null when it has none). */
export function splitCredentials(url: string): { url: string; authorization: string | null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, authorization: null };
  }
  if (u.username === '' && u.password === '') return { url, authorization: null };
  const decode = (x: string): string => {
    try {
      return decodeURIComponent(x);
    } catch {
      return x; // a stray '%': taken as it is
    }
  };
  const auth = `Basic ${Buffer.from(`${decode(u.username)}:${decode(u.password)}`, 'utf8').toString('base64')}`;
  u.username = '';
  u.password = '';
  return { url: u.href, authorization: auth };
}

export class HttpForwarder implements Forwarder {
  readonly kind = 'http';
  readonly target: string;
  private readonly queue: LineBuffer;
  private readonly st = { sent: 0, dropped: 0, errors: 0, lastError: null as string | null, lastSentMs: null as number | null };
  private inFlight: string[] | null = null;
  /** gives up the request in flight (close, once shutdownSeconds are over) */
  private abort: AbortController | null = null;
  /** lines that make a batch worth sending at once: batchLines, or the whole queue when that is smaller */
  private readonly fullBatch: number;
  /** the URL requested (without credentials) and the headers of every request */
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private failures = 0;
  private closing = false;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(private readonly s: HttpForwardSettings) {
    this.queue = new LineBuffer(s.queueLines);
    this.fullBatch = Math.min(s.batchLines, s.queueLines);
    const c = splitCredentials(s.url);
    this.url = c.url;
    // an Authorization set explicitly (token, headers) wins over the URL's
    this.headers = { ...(c.authorization !== null ? { authorization: c.authorization } : {}), ...s.headers };
    this.target = `${s.format} ${redactUrl(s.url)}`;
  }

  offer(line: string): void {
    if (this.closed) return;
    this.queue.push(line);
    if (this.queue.size >= this.fullBatch) this.schedule();
    else if (this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.schedule();
      }, this.s.flushMs);
      this.flushTimer.unref();
    }
  }

  stats(): ForwarderStats {
    return { kind: this.kind, target: this.target, sent: this.st.sent, dropped: this.st.dropped + this.queue.dropped, errors: this.st.errors, queued: this.queue.size + (this.inFlight?.length ?? 0), lastError: this.st.lastError, lastSentMs: this.st.lastSentMs };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight !== null || this.retryTimer !== null || this.closed) return;
    if (this.queue.size === 0) {
      for (const f of this.idle.splice(0)) f();
      return;
    }
    // a partial batch waits for its flush time, unless the forwarder is stopping
    if (this.queue.size < this.fullBatch && this.flushTimer !== null && !this.closing) return;
    const lines = this.queue.take(this.s.batchLines);
    this.inFlight = lines;
    const abort = (this.abort = new AbortController());
    this.send(lines, abort.signal).then(
      (refused) => {
        // close gave the batch up and counted it
        if (this.inFlight !== lines) return;
        this.inFlight = null;
        this.st.sent += lines.length - refused;
        this.st.dropped += refused;
        this.st.lastSentMs = Date.now();
        if (this.st.lastError !== null && refused === 0) {
          this.s.warn(`forward http ${this.target}: delivering again`);
          this.st.lastError = null;
        }
        this.failures = 0;
        this.pump();
      },
      (err: Error & { retry?: boolean }) => {
        if (this.inFlight !== lines) return;
        this.inFlight = null;
        this.st.errors++;
        this.failures++;
        if (this.st.lastError === null) this.s.warn(`forward http ${this.target}: ${err.message}${err.retry === false ? ' (the batch is dropped)' : ` (retrying; lines wait in a queue of ${this.s.queueLines})`}`);
        this.st.lastError = err.message;
        if (err.retry === false) this.st.dropped += lines.length;
        else this.queue.putBack(lines);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.pump();
        }, backoffMs(this.failures));
        this.retryTimer.unref();
      },
    );
  }

  /** Sends one batch; resolves with the number of lines the receiver refused one by one (Elasticsearch). */
  private async send(lines: string[], signal: AbortSignal): Promise<number> {
    const { body, contentType } = batchBody(this.s.format, lines, this.s);
    const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'argus-edge', ...this.headers };
    let payload: string | Buffer = body;
    if (this.s.gzip) {
      payload = await gzip(body);
      headers['content-encoding'] = 'gzip';
    }
    const res = await httpRequest('forward', this.url, { method: 'POST', headers, body: payload, signal }, this.s.timeoutMs);
    if (res.status < 200 || res.status > 299) {
      const err: Error & { retry?: boolean } = new Error(`HTTP ${res.status}`);
      err.retry = res.status >= 500 || RETRY_STATUS.has(res.status);
      throw err;
    }
    if (this.s.format !== 'elastic') return 0;
    const r = elasticRefused(res.text);
    if (r.refused > 0) {
      if (this.st.lastError === null) this.s.warn(`forward http ${this.target}: Elasticsearch refused ${r.refused} of ${lines.length} documents (${r.reason})`);
      this.st.lastError = `refused documents: ${r.reason}`;
    }
    return r.refused;
  }

  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.idle.push(() => {
        clearTimeout(t);
        resolve();
      });
      this.pump();
    });
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // a request still unanswered is given up now, not left running for timeoutMs after shutdown; its lines are
    // counted as dropped (the receiver may have them, but never said so)
    if (this.inFlight !== null) {
      this.st.dropped += this.inFlight.length;
      this.inFlight = null;
      this.abort?.abort();
    }
    this.abort = null;
    this.st.dropped += this.queue.size;
    this.queue.take(this.queue.size);
  }
}
