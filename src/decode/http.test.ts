import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { httpRequest, tcpFrame } from '../capture/packet-builder.js';
import { HTTP_MAX_HEAD } from './http.js';

const dec = (payload: Buffer | string, wirelen?: number) => {
  const f = tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 50000, dport: 8080, flags: 'PA', payload });
  return decodeFrame(f, 1, { wirelen });
};

t.test('request line and Host', async (t) => {
  const d = dec(httpRequest({ host: 'example.org:8080', path: '/index.html?q=1' }));
  t.same(d.events, []);
  t.equal(d.pkt.httpHost, 'example.org:8080');
  for (const method of ['POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']) {
    t.equal(dec(httpRequest({ method, host: 'h.example', body: method === 'POST' ? 'a=1' : undefined })).pkt.httpHost, 'h.example', method);
  }
  t.equal(dec('CONNECT example.com:443 HTTP/1.1\r\nhOsT:\t example.com:443 \r\n\r\n').pkt.httpHost, 'example.com:443', 'case and whitespace');
  t.equal(dec('GET / HTTP/1.0\nHost: bare-lf.example\n\n').pkt.httpHost, 'bare-lf.example', 'bare LF line ends');
});

t.test('not HTTP, or not all in this segment', async (t) => {
  t.same([dec('GETTING STARTED').pkt.httpHost, dec('GETTING STARTED').events], [null, []], 'no space after the token');
  t.same(dec('HELO mail.example\r\n').events, [], 'SMTP');
  const head = dec('GET /very/long/path HTTP/1.1\r\nUser-Agent: x\r\nAcc');
  t.same([head.events, head.pkt.httpHost], [[], null], 'head continues in the next segment');
  t.same(dec('GET /abc').events, [], 'request line continues');
});

t.test('malformations', async (t) => {
  t.same(dec('GET /a b HTTP/1.1\r\nHost: x\r\n\r\n').events, ['decoder.http.request_line_invalid'], 'space in the target');
  t.same(dec('GET / HTTP/x.1\r\n\r\n').events, ['decoder.http.request_line_invalid'], 'bad version');
  t.same(dec('GET  HTTP/1.1\r\n\r\n').events, ['decoder.http.request_line_invalid'], 'empty target');
  t.same(dec('GET /' + 'a'.repeat(HTTP_MAX_HEAD)).events, ['decoder.http.request_line_invalid'], 'no line end within the head limit');
  const noHost = dec(httpRequest({ host: null }));
  t.same([noHost.events, noHost.pkt.httpHost], [['decoder.http.host_missing'], null]);
});
