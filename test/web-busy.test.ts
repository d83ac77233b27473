// WebServer.busy(): what a replay in the same process asks before it takes the event loop for another slice.
import t from 'tap';
import { INTERACTIVE_MS, startWebServer } from '../src/web/server.js';
import { buildWebDeps } from './support/web-deps.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('the server counts as busy while a request is answered and for INTERACTIVE_MS after one arrives', async (t) => {
  const w = buildWebDeps({ config: { 'web.host': '127.0.0.1' } });
  t.teardown(() => w.close());
  const server = await startWebServer(w.deps, { log: () => {} });
  t.teardown(() => server.close());
  t.equal(server.busy(), false, 'idle before any request');
  const res = await fetch(`http://127.0.0.1:${server.address.port}/healthz`);
  t.equal(res.status, 200);
  await res.text();
  t.equal(server.busy(), true, 'busy right after a request');
  await sleep(INTERACTIVE_MS + 100);
  t.equal(server.busy(), false, `idle again ${INTERACTIVE_MS + 100} ms later`);
});
