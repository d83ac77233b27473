/**
 * The last good copy of every feed on disk, and the bounded HTTP fetch that replaces it.
 *
 * A copy is `<cacheDir>/<feed name>.txt` plus `<feed name>.txt.meta.json` ({source, fetchedAt, etag?,
 * lastModified?}); both are written to a temporary file and renamed, so a crash or a full disk leaves the
 * previous copy whole. `source` is the URL or path the copy came from: a copy of another source (the
 * configuration changed) is not used.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CopyMeta {
  source: string;
  /** ms since the epoch */
  fetchedAt: number;
  etag?: string;
  lastModified?: string;
}

export class FeedCopies {
  constructor(readonly dir: string) {}

  /** Create the directory; returns the error message when it cannot be made. */
  ensureDir(): string | null {
    try {
      mkdirSync(this.dir, { recursive: true });
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  path(name: string): string {
    return join(this.dir, `${name}.txt`);
  }

  /** The copy's metadata, or null when there is none (or it is unreadable). */
  meta(name: string): CopyMeta | null {
    try {
      const m = JSON.parse(readFileSync(this.path(name) + '.meta.json', 'utf8')) as CopyMeta;
      return typeof m.source === 'string' && typeof m.fetchedAt === 'number' ? m : null;
    } catch {
      return null;
    }
  }

  /** The copy's text when it came from `source`; null otherwise. */
  read(name: string, source: string): string | null {
    if (this.meta(name)?.source !== source) return null;
    try {
      return readFileSync(this.path(name), 'utf8');
    } catch {
      return null;
    }
  }

  /** Replace the copy (body null: only the metadata, after a 304). Throws on a write error. */
  write(name: string, body: string | null, meta: CopyMeta): void {
    const path = this.path(name);
    if (body !== null) {
      writeFileSync(path + '.tmp', body);
      renameSync(path + '.tmp', path);
    }
    writeFileSync(path + '.meta.json.tmp', JSON.stringify(meta));
    renameSync(path + '.meta.json.tmp', path + '.meta.json');
  }
}

export type FetchResult = { changed: false } | { changed: true; body: string; etag: string | null; lastModified: string | null };

/**
 * GET `url` with a conditional request against `meta` (when given), bounded by `timeoutMs` for the whole
 * exchange and by `capBytes` for the body. Resolves to {changed: false} on 304; rejects with a message that
 * says what went wrong (HTTP status, timeout, size, network).
 */
export async function fetchFeed(url: string, opts: { timeoutMs: number; capBytes: number; meta: CopyMeta | null }): Promise<FetchResult> {
  const headers: Record<string, string> = { 'user-agent': 'argus-edge' };
  if (opts.meta?.etag) headers['if-none-match'] = opts.meta.etag;
  if (opts.meta?.lastModified) headers['if-modified-since'] = opts.meta.lastModified;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error(`no complete answer within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
  try {
    const res = await fetch(url, { headers, signal: ctl.signal, redirect: 'follow' });
    if (res.status === 304) {
      await res.body?.cancel();
      return { changed: false };
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    const body = await readCapped(res, opts.capBytes, ctl);
    return { changed: true, body, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
  } catch (err) {
    // an abort rejects with its reason (our message) or a generic AbortError, depending on where it hit
    const why = ctl.signal.aborted && ctl.signal.reason instanceof Error ? ctl.signal.reason.message : (err as Error).message;
    throw new Error(`fetching ${url}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The response body as UTF-8 text, abandoned (and the request aborted) past `cap` bytes. */
async function readCapped(res: Response, cap: number, ctl: AbortController): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    const e = new Error(`larger than intel.maxFeedMB (${declared} bytes declared)`);
    ctl.abort(e);
    throw e;
  }
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > cap) {
      const e = new Error(`larger than intel.maxFeedMB (more than ${cap} bytes)`);
      ctl.abort(e);
      await reader.cancel().catch(() => {});
      throw e;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, n).toString('utf8');
}
