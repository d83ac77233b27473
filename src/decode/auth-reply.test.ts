import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { tcpFrame } from '../capture/packet-builder.js';
import { FlowHarness, only, TcpTalk } from '../../test/support/flow-packets.js';
import { AuthReply } from './auth-reply.js';

const frame = (payload: string | Buffer, sport = 80) =>
  tcpFrame({ src: '10.99.0.3', dst: '10.99.0.2', sport, dport: 50000, flags: 'PA', seq: 1, ack: 1, payload });
const reply = (payload: string | Buffer, sport?: number) => decodeFrame(frame(payload, sport)).pkt.authReply;

t.test('HTTP status lines: 401/403 are failed logins, 2xx answered ones, the rest says nothing', async (t) => {
  t.equal(reply('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n'), AuthReply.FAILURE);
  t.equal(reply('HTTP/1.0 403 Forbidden\r\n\r\n', 8080), AuthReply.FAILURE);
  t.equal(reply('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), AuthReply.SUCCESS);
  t.equal(reply('HTTP/1.1 204 No Content\r\n\r\n'), AuthReply.SUCCESS);
  t.equal(reply('HTTP/1.1 404 Not Found\r\n\r\n'), AuthReply.NONE);
  t.equal(reply('HTTP/1.1 302 Found\r\n\r\n'), AuthReply.NONE);
  t.equal(reply('HTTP/1.1 4O1 typo\r\n\r\n'), AuthReply.NONE, 'not digits');
  t.equal(reply('HTTP/1.1 40'), AuthReply.NONE, 'cut short');
  t.equal(reply('HTTP/2 401 \r\n'), AuthReply.NONE, 'HTTP/2 is binary, never this text');
});

t.test('FTP replies from the control port: 530 and 230', async (t) => {
  t.equal(reply('530 Login incorrect.\r\n', 21), AuthReply.FAILURE);
  t.equal(reply('230-Welcome\r\n230 Login successful.\r\n', 21), AuthReply.SUCCESS);
  t.equal(reply('331 Please specify the password.\r\n', 21), AuthReply.NONE);
  t.equal(reply('530 Login incorrect.\r\n', 2121), AuthReply.NONE, 'only port 21');
  t.equal(reply('530x', 21), AuthReply.NONE);
  t.equal(reply(Buffer.from([0x35, 0x33]), 21), AuthReply.NONE, 'two bytes');
});

t.test('the flow record counts the responder\'s answers only', async (t) => {
  const h = new FlowHarness();
  const talk = new TcpTalk(h).seg(0, 'c', 'S').seg(0.01, 's', 'SA').seg(0.02, 'c', 'A');
  for (let i = 0; i < 3; i++) talk.seg(0.1 + i, 'c', 'PA', 'GET /admin HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic eDp5\r\n\r\n').seg(0.2 + i, 's', 'PA', 'HTTP/1.1 401 Unauthorized\r\n\r\n');
  talk.seg(3.1, 'c', 'PA', 'HTTP/1.1 200 OK\r\n\r\n'); // a client sending a status line proves nothing
  talk.seg(3.2, 'c', 'PA', 'GET /admin HTTP/1.1\r\nHost: cam\r\n\r\n').seg(3.3, 's', 'PA', 'HTTP/1.1 200 OK\r\n\r\n');
  talk.seg(4, 'c', 'FA').seg(4.1, 's', 'FA').seg(4.2, 'c', 'A');
  h.advance(20);
  t.same(only(h.records).authReplies, { failures: 3, successes: 1 });
  // a flow without any such answer carries no field at all
  const h2 = new FlowHarness();
  new TcpTalk(h2).seg(0, 'c', 'S').seg(0.01, 's', 'SA').seg(0.02, 'c', 'A').seg(0.1, 'c', 'FA').seg(0.2, 's', 'FA').seg(0.3, 'c', 'A');
  h2.advance(20);
  t.equal(only(h2.records).authReplies, undefined);
});
