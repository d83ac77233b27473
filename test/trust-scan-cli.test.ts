/**
 * `argus-edge scan` as a user runs it: a refused target outside scan.scope, a real scan of a listener this
 * test opens on 127.0.0.1 (scope set to 127.0.0.0/8 through the environment), and a scan by MAC looked up
 * in the store, which records it.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { Store } from '../src/store/db.js';
import { nmapSkipReason } from './support/lab-services.js';

const nmapSkip = nmapSkipReason();

const root = projectRoot();
const cli = (args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });

async function listen(): Promise<Server> {
  const s = createServer((c) => c.end());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

t.test('a target outside the scope is refused', async (t) => {
  const store = join(t.testdir(), 'none.db');
  const r = await cli(['scan', '8.8.8.8'], { ARGUS_EDGE_STORE_PATH: store, ARGUS_EDGE_SCAN_SCOPE: '127.0.0.0/8' });
  t.equal(r.status, 1);
  t.match(r.stdout + r.stderr, /8\.8\.8\.8 is not an address inside scan\.scope/);
});

t.test('a real scan, by address and by MAC', { skip: nmapSkip }, async (t) => {
  const server = await listen();
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const env = { ARGUS_EDGE_SCAN_SCOPE: '127.0.0.0/8', ARGUS_EDGE_SCAN_PORTS: `${port}`, ARGUS_EDGE_STORE_PATH: join(t.testdir(), 'argus.db') };

  const r = await cli(['scan', '127.0.0.1'], env);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^scan of 127\.0\.0\.1: done in [\d.]+ s$/m);
  t.match(r.stdout, new RegExp(`^  ${port}/tcp\\s`, 'm'));
  t.match(r.stdout, /^findings: none$/m);
  t.match(r.stdout, /^vulnerability component: 100$/m);

  // a store that knows the device: the MAC is resolved to its address, and the scan is recorded
  const store = Store.open({ path: env.ARGUS_EDGE_STORE_PATH, log: () => {} });
  store.devices.upsert({ mac: 'b8:27:eb:00:00:42', tsUs: 1 });
  store.devices.addAddress('b8:27:eb:00:00:42', '127.0.0.1', 1, 'arp');
  store.close();
  const m = await cli(['scan', 'B8:27:EB:00:00:42', '--json'], env);
  t.equal(m.status, 0, m.stderr);
  const res = JSON.parse(m.stdout) as { ip: string; mac: string; status: string; openPorts: { port: number }[] };
  t.match(res, { ip: '127.0.0.1', mac: 'b8:27:eb:00:00:42', status: 'done' });
  t.same(res.openPorts.map((p) => p.port), [port]);
  const again = Store.open({ path: env.ARGUS_EDGE_STORE_PATH, log: () => {} });
  t.match(again.registry.scans({ mac: 'b8:27:eb:00:00:42' }), [{ ip: '127.0.0.1', status: 'done', score: 100 }]);
  again.close();

  const unknown = await cli(['scan', '02:00:00:00:00:01'], env);
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /no address inside scan\.scope is known for 02:00:00:00:00:01/);
});
