import { connect, createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import { Bus } from '../bus.js';
import { defaultConfig } from '../config.js';
import { createLogger } from '../log.js';
import type { Alert } from './alert.js';
import { Decoys, printableEscape, type DecoyConfig } from './decoy.js';
import { freePort } from '../../test/support/victoria-metrics.js';

/** Connect, send `data`, wait until the decoy closes the connection; resolves to what the client received. */
function touch(port: number, data: Buffer | string | null, opts: { endAfterWrite?: boolean } = {}): Promise<{ received: number; closedBy: 'server' | 'error' }> {
  return new Promise((resolve) => {
    let received = 0;
    const s: Socket = connect(port, '127.0.0.1', () => {
      if (data !== null) s.write(data);
      if (opts.endAfterWrite) s.end();
    });
    s.on('data', (d) => (received += d.length));
    s.on('error', () => resolve({ received, closedBy: 'error' }));
    s.on('close', () => resolve({ received, closedBy: 'server' }));
  });
}

function decoyConfig(ports: number[], more: Partial<DecoyConfig> = {}): DecoyConfig {
  return { ...defaultConfig().decoys, enabled: true, host: '127.0.0.1', ports, idleTimeoutSeconds: 0.3, ...more };
}

t.test('printableEscape keeps text readable and escapes the rest', async (t) => {
  t.equal(printableEscape(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\\\t')), 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\\\\\t');
  t.equal(printableEscape(Buffer.from([0, 0xff, 0x7f, 0x41])), '\\x00\\xff\\x7fA');
});

t.test('a connection raises decoy.touch with the first bytes; nothing is answered', async (t) => {
  const port = await freePort();
  const bus = new Bus();
  const alerts: Alert[] = [];
  bus.on('alert', (a) => alerts.push(a));
  let clock = 1_800_000_000_000_000;
  const d = new Decoys(decoyConfig([port], { captureBytes: 16 }), bus, createLogger('error'), { clock: () => clock, homeNets: ['127.0.0.0/8'] });
  t.teardown(() => d.stop());
  t.same(await d.start(), [{ port, ok: true }]);

  // more than captureBytes: the decoy closes as soon as it has them
  const r1 = await touch(port, '\xffSMBrest-of-a-long-probe-beyond-16-bytes');
  t.equal(r1.received, 0, 'the decoy sends nothing');
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.match(a, { kind: 'decoy.touch', severity: 1, srcIp: '127.0.0.1', targets: ['127.0.0.1'], destPort: port, proto: 'TCP', tsUs: clock, suggestedResponse: 'quarantine' });
  t.ok(a.confidence >= 0.9);
  t.match(a.evidence[0]!.text, new RegExp(`decoy port ${port}/tcp on 127\\.0\\.0\\.1 from 127\\.0\\.0\\.1:\\d+`));
  t.match(a.evidence[1]!.text, /^first 16 of \d+ bytes sent: "\\xc3\\xbfSMBrest-of-a-l"$/);

  // the same source and port within the suppression window: counted, not raised
  clock += 1e6;
  await touch(port, 'again', { endAfterWrite: true });
  t.equal(alerts.length, 1);
  t.match(d.stats(), { accepted: 2, alerts: 1, suppressed: 1, open: 0, bytesCaptured: 21 });
  // after it, raised again: a silent client is closed after the idle timeout
  clock += 601e6;
  const t0 = Date.now();
  await touch(port, null);
  t.ok(Date.now() - t0 >= 250, 'closed after the idle timeout');
  t.equal(alerts.length, 2);
  t.match(alerts[1]!.evidence[1]!.text, /sent nothing/);
});

t.test('a port that cannot be bound is reported; the others work', async (t) => {
  const [busy, free] = [await freePort(), await freePort()];
  const holder: Server = createServer();
  await new Promise<void>((r) => holder.listen(busy, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => holder.close(() => r())));
  const bus = new Bus();
  const alerts: Alert[] = [];
  bus.on('alert', (a) => alerts.push(a));
  const logs: string[] = [];
  const d = new Decoys(decoyConfig([busy, free]), bus, createLogger('info', (l) => logs.push(l)));
  t.teardown(() => d.stop());
  const st = await d.start();
  t.match(st, [{ port: busy, ok: false, error: /EADDRINUSE/ }, { port: free, ok: true }]);
  t.match(logs.join('\n'), new RegExp(`ERROR decoy port ${busy}: cannot listen on 127\\.0\\.0\\.1:${busy}: EADDRINUSE.*another program uses it.*the other decoy ports still work`));
  await touch(free, 'x', { endAfterWrite: true });
  t.equal(alerts.length, 1);
  t.match(alerts[0], { destPort: free, severity: 1 }, 'without homeNets every source counts as the LAN');
});

t.test('disabled decoys listen on nothing; a touch from outside homeNets is severity 2', async (t) => {
  const port = await freePort();
  const bus = new Bus();
  const off = new Decoys({ ...decoyConfig([port]), enabled: false }, bus, createLogger('error'));
  t.same(await off.start(), []);
  await off.stop();
  const alerts: Alert[] = [];
  bus.on('alert', (a) => alerts.push(a));
  const d = new Decoys(decoyConfig([port]), bus, createLogger('error'), { homeNets: ['10.99.0.0/16'] });
  t.teardown(() => d.stop());
  await d.start();
  await touch(port, 'hello', { endAfterWrite: true });
  t.match(alerts[0], { severity: 2, srcIp: '127.0.0.1' });
  t.match(alerts[0]!.evidence[2]!.text, /outside homeNets/);
});
