/**
 * Receivers for the forwarding tests and the forwarding benchmark, all on 127.0.0.1 with a port the kernel
 * picks: an HTTP collector that records every request (body decompressed) and answers what the test says, a
 * TCP listener that accepts connections and never reads or answers (a hung collector), and a port nobody
 * listens on (a collector that is down: connections are refused).
 */
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** the body as sent (decompressed when Content-Encoding is gzip) */
  body: string;
  /** bytes on the wire */
  wireBytes: number;
  /** performance.now() when the body was complete */
  atMs: number;
  /** the status it was answered with */
  status: number;
}

export interface Answer {
  status: number;
  body?: string;
  /** answer this much later (a slow collector) */
  delayMs?: number;
}

export interface HttpCollector {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** An HTTP collector; `answer` decides each request's reply from it and its index (0 for the first). */
export async function httpCollector(answer: (req: Omit<ReceivedRequest, 'status'>, index: number) => Answer = () => ({ status: 200 }), port = 0): Promise<HttpCollector> {
  const requests: ReceivedRequest[] = [];
  const srv = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, wireBytes: raw.length, atMs: performance.now() };
      const a = answer(r, requests.length);
      requests.push({ ...r, status: a.status });
      const reply = (): void => void res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body ?? '{}');
      if (a.delayMs) setTimeout(reply, a.delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${p}`,
    port: p,
    requests,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

export interface HungListener {
  port: number;
  /** connections accepted so far */
  accepted: number;
  /** connections the sender closed (seen only with `discard`: a listener that never reads never sees the FIN) */
  closed: number;
  close(): Promise<void>;
}

/**
 * Accepts TCP connections and never reads from them nor writes to them: what the sender writes fills the
 * kernel's buffers and then stays in its own; an HTTP request never gets an answer. With `discard`, it reads
 * and throws away what comes (so it sees the sender close) and still never answers.
 */
export async function hungListener(opts: { discard?: boolean } = {}): Promise<HungListener> {
  const socks = new Set<Socket>();
  const h = {
    port: 0,
    accepted: 0,
    closed: 0,
    close: async (): Promise<void> => {},
  };
  const srv = createTcpServer({ pauseOnConnect: true }, (s) => {
    h.accepted++;
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      if (socks.delete(s)) h.closed++;
    });
    if (opts.discard) s.resume();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  h.port = (srv.address() as { port: number }).port;
  h.close = () =>
    new Promise<void>((r) => {
      const open = [...socks];
      socks.clear();
      for (const s of open) s.destroy();
      srv.close(() => r());
    });
  return h;
}

/** A port on 127.0.0.1 that was free a moment ago and has no listener: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
