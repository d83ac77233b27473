/**
 * The head of bench/fleet.ts, as its own process so its CPU time is its own: the real fleet API server
 * (src/fleet/head-server.ts, HTTPS with its self-signed certificate) on 127.0.0.1 over a fresh store. Talks to
 * the benchmark over IPC: 'tokens' (enrolment secrets to register with), 'cpu' (process.cpuUsage and
 * memory), 'count' (results stored per sensor), 'stop'.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret, newSecret } from '../../src/fleet/enrol-token.js';
import { startFleetServer } from '../../src/fleet/head-server.js';
import { Store } from '../../src/store/db.js';
import { tlsPaths } from '../../src/web/tls.js';

type Msg = { id: number; cmd: 'tokens'; n: number } | { id: number; cmd: 'cpu' | 'count' | 'stop' };

const dir = mkdtempSync(join(tmpdir(), 'argus-bench-fleet-'));
const storePath = join(dir, 'head.db');
const store = Store.open({ path: storePath, log: () => {} });
const web = { host: '127.0.0.1', certFile: '', keyFile: '' };
const server = await startFleetServer({ host: '127.0.0.1', port: 0, heartbeatSeconds: 30, web, storePath }, store.fleet, () => {});
const cert = readFileSync(tlsPaths(web, storePath).certFile, 'utf8');

const send = (m: unknown) => process.send!(m);
send({ ready: true, url: server.url, fingerprint: server.fingerprint, cert });

process.on('message', async (m: Msg) => {
  if (m.cmd === 'tokens') {
    const now = Date.now();
    const secrets = Array.from({ length: m.n }, () => newSecret());
    store.db.transaction(() => {
      for (const s of secrets) store.fleet.addEnrolToken(hashSecret(s), null, now, now + 3_600_000);
    })();
    send({ id: m.id, secrets });
  } else if (m.cmd === 'cpu') {
    send({ id: m.id, cpu: process.cpuUsage(), rssMB: Math.round(process.memoryUsage().rss / 1048576), stats: server.stats });
  } else if (m.cmd === 'count') {
    const rows = store.db.prepare('SELECT sensor_id AS s, count(*) AS n FROM fleet_results GROUP BY sensor_id').all() as { s: string; n: number }[];
    const dbMB = Math.round(store.size().usedBytes / 1048576);
    send({ id: m.id, perSensor: Object.fromEntries(rows.map((r) => [r.s, r.n])), total: store.fleet.resultCount(), dbMB });
  } else if (m.cmd === 'stop') {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
    send({ id: m.id, stopped: true });
    process.exit(0);
  }
});
