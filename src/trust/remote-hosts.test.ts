import t from 'tap';
import { RemoteHosts } from './remote-hosts.js';

t.test('RemoteHosts: the least recently seen goes at the cap; a flood of new addresses costs O(1) each', async (t) => {
  const r = new RemoteHosts(3);
  r.touch('203.0.113.1', 1);
  r.touch('203.0.113.2', 2);
  r.touch('203.0.113.3', 3);
  r.touch('203.0.113.1', 4); // seen again: now the most recent
  r.touch('203.0.113.4', 5); // .2 goes
  t.equal(r.get('203.0.113.2'), undefined);
  t.same([r.get('203.0.113.1')?.firstSeenUs, r.get('203.0.113.1')?.lastSeenUs], [1, 4]);
  t.equal(r.size, 3);
  t.equal(r.evicted, 1);

  // 200,000 spoofed sources through a full table of 20,000 (trust.maxRemoteHosts): with the Map's own order
  // each eviction walked the entries deleted before it (~50 µs a new address)
  const big = new RemoteHosts(20_000);
  const t0 = performance.now();
  for (let i = 0; i < 200_000; i++) big.touch(`20.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i);
  const ms = performance.now() - t0;
  t.equal(big.size, 20_000);
  t.equal(big.evicted, 180_000);
  t.ok(ms < 2000, `200,000 new addresses in ${ms.toFixed(0)} ms`);
});
