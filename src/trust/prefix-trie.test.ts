import t from 'tap';
import { ipToString, ipv4ToString } from '../decode/addr.js';
import { DomainSet, normalizeDomain } from './domain-set.js';
import { IpTable, ipv4Number, parseCidr } from './prefix-trie.js';

/** Seeded xorshift32: the same random data every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

t.test('ipv4Number parses dotted quads and rejects everything else', async (t) => {
  t.equal(ipv4Number('0.0.0.0'), 0);
  t.equal(ipv4Number('255.255.255.255'), 0xffffffff);
  t.equal(ipv4Number('10.99.0.10'), (10 << 24) + (99 << 16) + 10);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', '.1.2.3', 'a.b.c.d', '1.2.3.4/8', '1234.1.1.1', ' 1.2.3.4', '::1']) {
    t.equal(ipv4Number(bad), -1, JSON.stringify(bad));
  }
});

t.test('parseCidr clears host bits and maps IPv4-mapped IPv6 to IPv4', async (t) => {
  t.same(parseCidr('1.2.3.4/24'), { version: 4, n: ipv4Number('1.2.3.0'), len: 24 });
  t.same(parseCidr('1.2.3.4'), { version: 4, n: ipv4Number('1.2.3.4'), len: 32 });
  t.same(parseCidr('::ffff:1.2.3.4'), { version: 4, n: ipv4Number('1.2.3.4'), len: 32 });
  const v6 = parseCidr('2001:db8:ffff::1/33');
  t.equal(v6?.version, 6);
  if (v6?.version === 6) t.equal(ipToString(v6.words, 6), '2001:db8:8000::');
  for (const bad of ['1.2.3.4/33', '1.2.3.4/', '1.2.3.4/x', '2001:db8::/129', 'example.com', '1.2.3.4/-1']) t.equal(parseCidr(bad), null, bad);
});

t.test('IPv4 lookups agree with a brute-force scan on random prefixes and addresses', async (t) => {
  const next = rng(42);
  const table = new IpTable();
  const entries: { n: number; len: number; id: number }[] = [];
  for (let id = 0; id < 3000; id++) {
    // lengths weighted toward the lists' reality: many /32s, prefixes from /12 to /31, a few /8 to /11
    const r = next() % 100;
    const len = r < 50 ? 32 : r < 99 ? 12 + (next() % 20) : 8 + (next() % 4);
    // cluster addresses in a few /8s so prefixes nest and overlap
    const n = ((((next() % 4) + 10) << 24) | (next() & 0xffffff)) >>> 0;
    const c = parseCidr(`${ipv4ToString(n)}/${len}`)!;
    if (table.insert(c, id) < 0) entries.push({ n: c.version === 4 ? c.n : 0, len, id });
  }
  const brute = (a: number): number => {
    let best = -1;
    let bestLen = -1;
    for (const e of entries) {
      const mask = e.len === 0 ? 0 : (0xffffffff << (32 - e.len)) >>> 0;
      if (((a & mask) >>> 0) === e.n && e.len > bestLen) [best, bestLen] = [e.id, e.len];
    }
    return best;
  };
  let hits = 0;
  let wrong = 0;
  for (let i = 0; i < 20000; i++) {
    // half the probes near listed entries, half anywhere in the clustered range
    const e = entries[next() % entries.length]!;
    const a = i % 2 === 0 ? (e.n | (next() & (e.len === 32 ? 0 : (1 << Math.min(31, 32 - e.len)) - 1))) >>> 0 : ((((next() % 5) + 9) << 24) | (next() & 0xffffff)) >>> 0;
    const want = brute(a);
    if (want >= 0) hits++;
    if (table.lookupV4(a) !== want || table.lookup(ipv4ToString(a)) !== want) wrong++;
  }
  t.equal(wrong, 0, 'every lookup matches the brute-force answer');
  t.ok(hits > 5000 && hits < 20000, `both hits (${hits}) and misses were probed`);
});

t.test('IPv6 lookups agree with a brute-force scan on random prefixes and addresses', async (t) => {
  const next = rng(7);
  const table = new IpTable();
  const entries: { words: Uint32Array; len: number; id: number }[] = [];
  const rand6 = (): Uint32Array => Uint32Array.of(0x20010db8, (next() & 0xff0000ff) >>> 0, next(), next());
  for (let id = 0; id < 1500; id++) {
    const len = next() % 3 === 0 ? 128 : 40 + (next() % 88);
    const c = parseCidr(`${ipToString(rand6(), 6)}/${len}`)!;
    if (c.version === 6 && table.insert(c, id) < 0) entries.push({ words: c.words, len, id });
  }
  const covers = (p: { words: Uint32Array; len: number }, a: Uint32Array): boolean => {
    for (let i = 0; i < 4; i++) {
      const keep = Math.min(32, Math.max(0, p.len - i * 32));
      const mask = keep === 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
      if (((a[i]! & mask) >>> 0) !== p.words[i]) return false;
    }
    return true;
  };
  let wrong = 0;
  let hits = 0;
  for (let i = 0; i < 5000; i++) {
    const e = entries[next() % entries.length]!;
    const a = i % 2 === 0 ? Uint32Array.of(e.words[0]!, e.words[1]!, e.len >= 96 ? e.words[2]! : next(), e.len === 128 ? e.words[3]! : next()) : rand6();
    let want = -1;
    let bestLen = -1;
    for (const p of entries) if (p.len > bestLen && covers(p, a)) [want, bestLen] = [p.id, p.len];
    if (want >= 0) hits++;
    if (table.lookupV6(a) !== want || table.lookup(ipToString(a, 6)) !== want) wrong++;
  }
  t.equal(wrong, 0, 'every lookup matches the brute-force answer');
  t.ok(hits > 1000 && hits < 5000, `both hits (${hits}) and misses were probed`);
});

t.test('duplicates keep the first value and report it; a /0 covers everything', async (t) => {
  const table = new IpTable();
  t.equal(table.insert(parseCidr('10.0.0.0/8')!, 1), -1);
  t.equal(table.insert(parseCidr('10.1.2.3/8')!, 2), 1, 'same prefix after clearing host bits');
  t.equal(table.insert(parseCidr('10.1.2.3')!, 3), -1);
  t.equal(table.insert(parseCidr('::ffff:10.1.2.3')!, 4), 3, 'IPv4-mapped is the same key');
  t.equal(table.lookup('10.1.2.3'), 3);
  t.equal(table.lookup('::ffff:10.1.2.3'), 3);
  t.equal(table.lookup('10.200.0.1'), 1);
  t.equal(table.lookup('11.0.0.1'), -1);
  t.equal(table.lookup('not an address'), -1);
  table.insert(parseCidr('0.0.0.0/0')!, 9);
  t.equal(table.lookup('11.0.0.1'), 9);
  t.same(table.counts(), { v4Exact: 1, v4Prefixes: 2, v6Exact: 0, v6Prefixes: 0 });
});

t.test('domain sets match the name and its parents, never a sibling', async (t) => {
  const d = new DomainSet();
  d.insert('bad.example', 1);
  d.insert('deep.sub.good.example', 2);
  t.equal(d.lookup('bad.example'), 1);
  t.equal(d.lookup('WWW.Bad.Example.'), 1);
  t.equal(d.lookup('a.b.c.bad.example'), 1);
  t.equal(d.lookup('notbad.example'), -1);
  t.equal(d.lookup('example'), -1);
  t.equal(d.lookup('sub.good.example'), -1, 'a parent of a listed name is not listed');
  t.equal(d.lookup('x.deep.sub.good.example'), 2);
  t.equal(d.lookup(''), -1);
  t.equal(normalizeDomain('Bad.Example.'), 'bad.example');
  t.equal(normalizeDomain('bad..example'), '');
  t.equal(normalizeDomain('bad example'), '');
});
