/**
 * Threat-intelligence lookup benchmark: a realistic feed size (50,000 prefixes + 200,000 single addresses,
 * IPv4, in two files, plus 100,000 domains in a hosts file), loaded through Reputation from disk like the
 * appliance does; then lookups per second for hits and misses, by number (the IPv4 fast path), by text (what
 * a FlowRecord carries) and for domains, and the memory the index holds.
 *
 *   npx tsx --expose-gc bench/reputation.ts [prefixes=50000] [addresses=200000] [domains=100000]
 *
 * Target: ≥ 1 M lookups/s on one core.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultConfig } from '../src/config.js';
import { ipv4ToString } from '../src/decode/addr.js';
import { createLogger } from '../src/log.js';
import { Reputation } from '../src/trust/reputation.js';

const nPrefixes = Number(process.argv[2] ?? 50_000);
const nAddresses = Number(process.argv[3] ?? 200_000);
const nDomains = Number(process.argv[4] ?? 100_000);
const PROBES = 1 << 20;
const MB = 1048576;

let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};
/** a public-looking IPv4 address: first octet 1..223, never 10/127 */
const publicAddr = (): number => {
  for (;;) {
    const n = rnd();
    const a = n >>> 24;
    if (a >= 1 && a <= 223 && a !== 10 && a !== 127) return n;
  }
};
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
const heap = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};

const dir = mkdtempSync(join(tmpdir(), 'argus-bench-rep-'));
try {
  // prefix lengths as in DROP/FireHOL-style lists: mostly /16 to /24
  const prefixes: string[] = [];
  for (let i = 0; i < nPrefixes; i++) {
    const len = 16 + (rnd() % 9);
    const n = (publicAddr() & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
    prefixes.push(`${ipv4ToString(n)}/${len}`);
  }
  const addresses: number[] = [];
  for (let i = 0; i < nAddresses; i++) addresses.push(publicAddr());
  const domains: string[] = [];
  for (let i = 0; i < nDomains; i++) domains.push(`${rnd().toString(36)}-${i}.${['com', 'net', 'xyz', 'top', 'ru'][i % 5]}`);
  writeFileSync(join(dir, 'nets.netset'), '# bench prefixes\n' + prefixes.join('\n') + '\n');
  writeFileSync(join(dir, 'hosts.txt'), '# bench addresses\n' + addresses.map(ipv4ToString).join('\n') + '\n');
  writeFileSync(join(dir, 'domains.hosts'), '# bench domains\n' + domains.map((d) => `0.0.0.0 ${d}`).join('\n') + '\n');

  const before = heap();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const rep = await Reputation.load(
    {
      ...defaultConfig().intel,
      cacheDir: join(dir, 'cache'),
      feeds: [
        { name: 'nets', url: null, path: join(dir, 'nets.netset'), format: 'netset', kind: 'drop' },
        { name: 'hosts', url: null, path: join(dir, 'hosts.txt'), format: 'ip', kind: 'c2' },
        { name: 'domains', url: null, path: join(dir, 'domains.hosts'), format: 'hosts', kind: 'malware' },
      ],
    },
    createLogger('warn'),
  );
  const loadMs = performance.now() - t0;
  const held = heap() - before;
  console.log(`load: ${rep.size.toLocaleString('en-US')} entries (${nPrefixes.toLocaleString('en-US')} prefixes, ${nAddresses.toLocaleString('en-US')} addresses, ${nDomains.toLocaleString('en-US')} domains) from disk in ${loadMs.toFixed(0)} ms`);
  console.log(`memory: index holds ${(held / MB).toFixed(1)} MiB of heap (${(held / rep.size).toFixed(0)} B per entry); RSS +${((process.memoryUsage().rss - rssBefore) / MB).toFixed(1)} MiB`);

  // probes: hits are listed addresses and addresses inside listed prefixes; misses are checked to miss
  const hitNums = new Uint32Array(PROBES);
  const missNums = new Uint32Array(PROBES);
  for (let i = 0; i < PROBES; i++) {
    if (i % 2 === 0) hitNums[i] = addresses[rnd() % addresses.length]!;
    else {
      const [a, l] = prefixes[rnd() % prefixes.length]!.split('/');
      const base = ipNum(a!);
      hitNums[i] = (base | (rnd() & ((1 << (32 - Number(l))) - 1))) >>> 0;
    }
  }
  for (let i = 0; i < PROBES; i++) {
    let n: number;
    do n = publicAddr();
    while (rep.lookupIpv4(n) >= 0);
    missNums[i] = n;
  }
  const hitText = Array.from(hitNums.subarray(0, 1 << 18), ipv4ToString);
  const missText = Array.from(missNums.subarray(0, 1 << 18), ipv4ToString);
  const domHit = Array.from({ length: 1 << 18 }, (_, i) => `www.${domains[i % domains.length]}`);
  const domMiss = Array.from({ length: 1 << 18 }, (_, i) => `www.example-${i}.org`);

  const measure = (label: string, n: number, run: () => number, expectHits: boolean): void => {
    run(); // warm-up: let the JIT settle on the lookup path
    const start = performance.now();
    const hits = run();
    const ms = performance.now() - start;
    if (expectHits ? hits !== n : hits !== 0) throw new Error(`${label}: ${hits} hits of ${n} (wrong answers)`);
    console.log(`${label.padEnd(34)} ${Math.round((n / ms) * 1000).toLocaleString('en-US').padStart(12)} lookups/s`);
  };
  measure('IPv4 by number, hits', PROBES, () => count(hitNums, (n) => rep.lookupIpv4(n) >= 0), true);
  measure('IPv4 by number, misses', PROBES, () => count(missNums, (n) => rep.lookupIpv4(n) >= 0), false);
  measure('IPv4 by text (flow record), hits', hitText.length, () => count(hitText, (s) => rep.lookupIp(s) !== null), true);
  measure('IPv4 by text (flow record), misses', missText.length, () => count(missText, (s) => rep.lookupIp(s) !== null), false);
  measure('domain (name + parents), hits', domHit.length, () => count(domHit, (s) => rep.lookupDomain(s) !== null), true);
  measure('domain (name + parents), misses', domMiss.length, () => count(domMiss, (s) => rep.lookupDomain(s) !== null), false);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (probe arrays included); target ≥ 1,000,000 lookups/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function ipNum(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function count<T>(xs: ArrayLike<T>, f: (x: T) => boolean): number {
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (f(xs[i]!)) n++;
  return n;
}
