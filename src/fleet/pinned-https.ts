/**
 * HTTPS requests to the head with its certificate pinned: the TLS connection is made first, the peer
 * certificate's SHA-256 fingerprint compared with the one from the enrolment token, and only then is the
 * request written on it. The head's certificate is self-signed, so there is no chain to check; the pin is
 * the whole trust.
 */
import { request, type RequestOptions } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';

export interface PinnedResponse {
  status: number;
  body: string;
}

export class PinMismatch extends Error {}

export function pinnedRequest(url: string, fingerprint: string, method: string, path: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PinnedResponse> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port,
      method,
      path,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      timeout: timeoutMs,
      // the connection is handed to the request only once the pin has been checked
      createConnection: (_opts: unknown, done: (err: Error | null, s?: TLSSocket) => void) => {
        const sock = connect({ host, port, rejectUnauthorized: false, servername: /^[\d.]+$|:/.test(host) ? undefined : host });
        const timer = setTimeout(() => sock.destroy(new Error(`no TLS connection within ${timeoutMs} ms`)), timeoutMs);
        sock.once('secureConnect', () => {
          clearTimeout(timer);
          const fp = sock.getPeerCertificate().fingerprint256;
          if (fp !== fingerprint) {
            sock.destroy();
            done(new PinMismatch(`the head's certificate (${fp ?? 'none'}) is not the one pinned at enrolment`));
          } else done(null, sock);
        });
        sock.once('error', (err) => {
          clearTimeout(timer);
          done(err);
        });
        return undefined;
      },
    } as unknown as RequestOptions);
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (text.length > 4 * 1024 * 1024) req.destroy(new Error('answer too large'));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.end(body);
  });
}
