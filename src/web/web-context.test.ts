import t from 'tap';
import { Hono } from 'hono';
import type { WebEnv } from './env.js';
import { clientAddress, isLoopback } from './web-context.js';

t.test('loopback clients', async (t) => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1']) t.ok(isLoopback(a), a);
  for (const a of ['', '10.0.0.1', '::ffff:127.0.0.1', '::', '0.0.0.0', '128.0.0.1', 'localhost', '127.0.0.1.evil']) t.notOk(isLoopback(a), a);
});

t.test('the client address comes from the socket, never from headers', async (t) => {
  const app = new Hono<WebEnv>();
  app.get('/', (c) => c.text(clientAddress(c)));
  const ask = async (remoteAddress: string | undefined, headers: Record<string, string> = {}) =>
    (await app.request('http://x/', { headers }, remoteAddress === undefined ? undefined : { incoming: { socket: { remoteAddress } } })).text();
  t.equal(await ask('192.0.2.4'), '192.0.2.4');
  t.equal(await ask('::ffff:127.0.0.1'), '127.0.0.1', 'IPv4-mapped addresses are unwrapped');
  t.equal(await ask('2001:db8::1'), '2001:db8::1');
  t.equal(await ask('192.0.2.4', { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' }), '192.0.2.4');
  t.equal(await ask(undefined), '', 'unknown without a socket');
});
