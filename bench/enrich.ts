/**
 * Offline country and AS lookups (src/enrich) on the bundled databases, as the pipeline uses them: the time
 * and memory to open them, then lookups per second by address text (what a FlowRecord carries) for
 *   - distinct random public IPv4 addresses, uncached (the cache off: every lookup reads both databases),
 *   - the same through the LRU cache, at the size of a home network's working set (10,000 addresses, hits),
 *   - random public IPv6 addresses, uncached,
 *   - LAN addresses (answered before any database is read).
 *
 *   npx tsx --expose-gc bench/enrich.ts [probes=1000000]
 *
 * Target: ≥ 1 M lookups/s on one core (issue: "Lookup ≥ 1 M/s, benchmarked").
 */
import { performance } from 'node:perf_hooks';
import { openGeoLookup } from '../src/enrich/index.js';
import { ipv4ToString } from '../src/decode/addr.js';

const PROBES = Number(process.argv[2] ?? 1_000_000);
const MB = 1048576;

let seed = 0x9e3779b9;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};
const publicV4 = (): string => {
  for (;;) {
    const n = rnd();
    const a = n >>> 24;
    if (a >= 1 && a <= 223 && a !== 10 && a !== 127 && a !== 100 && a !== 169 && a !== 172 && a !== 192) return ipv4ToString(n);
  }
};
const publicV6 = (): string => `2${(rnd() % 0xfff).toString(16).padStart(3, '0')}:${(rnd() & 0xffff).toString(16)}:${(rnd() & 0xffff).toString(16)}::${(rnd() & 0xffff).toString(16)}`;
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

gc();
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const cold = openGeoLookup({ enabled: true, geoDir: '', cacheSize: 0 }, (level, m) => level !== 'info' && console.error(m));
const openMs = performance.now() - t0;
if (cold === null) throw new Error('no database could be opened');
gc();
console.log(`open: ${fmt(openMs)} ms, ${fmt((process.memoryUsage().rss - rss0) / MB)} MB RSS; ${cold.sources.map((s) => `${s.kind}: ${s.detail}`).join('; ')}`);

function rate(name: string, addrs: string[], lookup: (ip: string) => unknown, rounds = 1): void {
  let known = 0;
  // one warm-up pass of 10 %, then the measured passes
  for (let i = 0; i < addrs.length / 10; i++) lookup(addrs[i]!);
  const t = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < addrs.length; i++) if (lookup(addrs[i]!) !== undefined) known++;
  const s = (performance.now() - t) / 1000;
  console.log(`${name.padEnd(42)} ${fmt((addrs.length * rounds) / s).padStart(12)} lookups/s  (${((100 * known) / (addrs.length * rounds)).toFixed(1)} % known)`);
}

const v4 = Array.from({ length: PROBES }, publicV4);
rate('IPv4, distinct, uncached', v4, (ip) => cold.lookup(ip));
const v6 = Array.from({ length: Math.min(PROBES, 200_000) }, publicV6);
rate('IPv6, distinct, uncached', v6, (ip) => cold.lookup(ip));

const cached = openGeoLookup({ enabled: true, geoDir: '', cacheSize: 65_536 })!;
const working = Array.from({ length: 10_000 }, publicV4);
const stream = Array.from({ length: PROBES }, (_, i) => working[(i * 7919) % working.length]!);
rate('IPv4, 10,000-address working set, cached', stream, (ip) => cached.lookup(ip));
const st = cached.stats();
console.log(`  cache: ${fmt(st.hits)} hits, ${fmt(st.misses)} misses, ${fmt(st.cached)} held`);

const lan = Array.from({ length: PROBES }, (_, i) => `192.168.${(i >> 8) & 255}.${i & 255}`);
rate('LAN addresses (never in a database)', lan, (ip) => cold.lookup(ip));
