/**
 * The offline lookups against the databases the packages ship: rows picked from the AS range files
 * themselves (read here with a plain line split, independently of the parser under test), countries compared
 * with mmdb-lib's own lookup, and the addresses that must give nothing. A replaced file in enrich.geoDir
 * wins over the bundled one; a broken one falls back to it.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { assetPath } from '../assets.js';
import { AsnTable, parseAsnRanges } from './asn-table.js';
import { CountryDb } from './country-mmdb.js';
import { GEO_FILES, openGeoLookup } from './index.js';
import { ipv4Number, ipv6Words, specialIpv4 } from './ip.js';
import { LruCache } from './lru.js';

const V4 = readFileSync(assetPath(GEO_FILES.asnV4.asset));
const V6 = readFileSync(assetPath(GEO_FILES.asnV6.asset));
const MMDB = readFileSync(assetPath(GEO_FILES.country.asset));

/** [start, end, asn, org] of a CSV line, split the slow and obvious way. */
function splitLine(line: string): [string, string, number, string] {
  const [a, b, n, ...rest] = line.split(',');
  let org = rest.join(',');
  if (org.startsWith('"')) org = org.slice(1, -1).replace(/""/g, '"');
  return [a!, b!, Number(n), org];
}

/** Every `step`-th line of a file, from an offset, so the sample spans the whole address space. */
function sample(buf: Buffer, step: number): [string, string, number, string][] {
  const lines = buf.toString('utf8').split('\n').filter((l) => l !== '');
  const out: [string, string, number, string][] = [];
  for (let i = step === 1 ? 0 : 7; i < lines.length; i += step) out.push(splitLine(lines[i]!));
  return out;
}

/** a deterministic sequence (mulberry32) for sampled addresses */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (x ^ (x >>> 14)) >>> 0;
  };
}

const v4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

t.test('address parsing', async (t) => {
  t.equal(ipv4Number('1.2.3.4'), 0x01020304);
  t.equal(ipv4Number('255.255.255.255'), 0xffffffff);
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '', '1.2.3.1234']) t.equal(ipv4Number(bad), -1, `not an address: '${bad}'`);
  const w = new Uint32Array(4);
  const cases: [string, number[]][] = [
    ['2001:db8::1', [0x20010db8, 0, 0, 1]],
    ['::', [0, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]],
    ['fe80::1:2', [0xfe800000, 0, 0, 0x10002]],
    ['1:2:3:4:5:6:7:8', [0x10002, 0x30004, 0x50006, 0x70008]],
    ['::ffff:1.2.3.4', [0, 0, 0xffff, 0x01020304]],
    ['2a00:1450:4001:80b::200e', [0x2a001450, 0x4001080b, 0, 0x200e]],
    ['1::', [0x10000, 0, 0, 0]],
  ];
  for (const [s, want] of cases) {
    t.ok(ipv6Words(s, w), `parses ${s}`);
    t.same([...w], want, s);
  }
  for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '12345::', ':1', '1:', 'fe80::1%eth0', 'g::1', '1:2:3:4:5:6:7:8:9']) t.notOk(ipv6Words(bad, w), `not an address: '${bad}'`);
});

t.test('AS ranges: rows of the package files are found at their first, last and a middle address', async (t) => {
  const table = AsnTable.fromFiles(V4, V6);
  t.ok(table.stats.v4 > 100_000, `${table.stats.v4} IPv4 ranges`);
  t.ok(table.stats.v6 > 10_000, `${table.stats.v6} IPv6 ranges`);
  t.equal(table.stats.skipped, 0, 'every line of the shipped files is read');
  // an overlap written on purpose: the later range wins from its start, the earlier keeps what is before it
  const cut = new AsnTable(parseAsnRanges(Buffer.from('1.0.0.0,1.0.0.255,1,Wide\n1.0.0.16,1.0.0.31,2,Inner\n'), 4), null);
  t.same([cut.lookup('1.0.0.15')?.asn, cut.lookup('1.0.0.16')?.asn, cut.lookup('1.0.0.31')?.asn, cut.stats.trimmed], [1, 2, 2, 1], 'an overlap is cut at the later start');
  let checked = 0;
  const all = sample(V4, 1);
  for (let i = 7; i < all.length; i += 997) {
    const [a, b, asn, org] = all[i]!;
    const lo = ipv4Number(a);
    // a range the next one starts inside ends where that one begins
    const next = all[i + 1] === undefined ? Infinity : ipv4Number(all[i + 1]![0]);
    const hi = Math.min(ipv4Number(b), next - 1);
    for (const n of [lo, hi, lo + Math.floor((hi - lo) / 2)]) {
      const hit = table.lookup(v4Text(n));
      t.same(hit, { asn, org }, `${v4Text(n)} in ${a}–${b}`);
      checked++;
    }
  }
  for (const [a, b, asn, org] of sample(V6, 499)) {
    t.same(table.lookup(a), { asn, org }, `${a} (first of its range)`);
    t.same(table.lookup(b), { asn, org }, `${b} (last of its range)`);
    checked += 2;
  }
  t.ok(checked > 1500, `${checked} addresses checked against the files`);
});

t.test('AS ranges: after loading, ranges are disjoint, so the last range starting below an address is the only candidate', async (t) => {
  for (const [buf, family] of [[V4, 4], [V6, 6]] as const) {
    const r = parseAsnRanges(buf, family);
    const words = family === 4 ? 1 : 4;
    let overlaps = 0;
    for (let i = 1; i < r.asn.length; i++) {
      // start[i] > end[i-1], word by word
      for (let k = 0; k < words; k++) {
        const s = r.start[i * words + k]!;
        const e = r.end[(i - 1) * words + k]!;
        if (s !== e) {
          if (s < e) overlaps++;
          break;
        }
        if (k === words - 1) overlaps++;
      }
    }
    t.equal(overlaps, 0, `IPv${family}: no range starts before the previous one ends (${r.trimmed} cut to make it so)`);
    // where a range was cut, its own start still finds it, and the one inside it wins from its start on
    if (family === 4) t.ok(r.trimmed <= 10, 'the shipped IPv4 file has (almost) no overlaps');
  }
});

t.test('countries: the tree walk agrees with mmdb-lib on sampled addresses', async (t) => {
  const db = new CountryDb(MMDB);
  const reader = new Reader<Response>(MMDB);
  const next = rng(17);
  let known = 0;
  let disagree = 0;
  for (let i = 0; i < 20_000; i++) {
    const n = next();
    const rec = reader.get(v4Text(n)) as { country_code?: string } | null;
    const got = db.country4(n);
    if (got !== rec?.country_code) disagree++;
    if (got !== undefined) known++;
  }
  t.equal(disagree, 0, 'IPv4: same answer for 20,000 random addresses');
  t.ok(known > 5000, `${known} of them have a country`);
  // IPv6: addresses inside the AS file's IPv6 ranges (random 128-bit numbers are nearly all unallocated)
  const w = new Uint32Array(4);
  let v6known = 0;
  disagree = 0;
  for (const [a] of sample(V6, 97)) {
    ipv6Words(a, w);
    const rec = reader.get(a) as { country_code?: string } | null;
    const got = db.country6(w);
    if (got !== rec?.country_code) disagree++;
    if (got !== undefined) v6known++;
  }
  t.equal(disagree, 0, 'IPv6: same answer at the start of sampled allocated ranges');
  t.ok(v6known > 500, `${v6known} IPv6 addresses have a country`);
  t.match(db.info.type, /country/i, `database type ${db.info.type}`);
  t.ok(db.info.built.getUTCFullYear() >= 2024, `built ${db.info.built.toISOString()}`);
});

t.test('GeoLookup: country and AS together; private, loopback and other special addresses give nothing', async (t) => {
  const geo = openGeoLookup({ enabled: true, geoDir: '', cacheSize: 1000 })!;
  t.ok(geo, 'the bundled databases open');
  t.same(geo.sources.map((s) => [s.kind, s.origin]), [['country', 'bundled'], ['asn', 'bundled']]);
  const reader = new Reader<Response>(MMDB);
  const table = AsnTable.fromFiles(V4, V6);
  // addresses from rows of the AS file whose start is a public address
  let checked = 0;
  for (const [a, , asn, org] of sample(V4, 4999)) {
    if (specialIpv4(ipv4Number(a))) continue;
    const country = (reader.get(a) as { country_code?: string } | null)?.country_code;
    t.same(geo.lookup(a), { ...(country !== undefined ? { country } : {}), asn, ...(org !== '' ? { org } : {}) }, a);
    checked++;
  }
  t.ok(checked > 50, `${checked} public addresses`);
  const special = ['10.1.2.3', '172.16.5.4', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.251', '255.255.255.255', '192.0.2.1', '198.51.100.7', '203.0.113.9', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::fb', '2001:db8::1', '::ffff:10.0.0.1', 'not an address'];
  for (const ip of special) t.equal(geo.lookup(ip), undefined, `${ip}: nothing`);
  // the same answer for the mapped form of a public address
  const pub = sample(V4, 4999).map((r) => r[0]).find((a) => !specialIpv4(ipv4Number(a)))!;
  t.same(geo.lookup(`::ffff:${pub}`), geo.lookup(pub), 'IPv4-mapped IPv6 is looked up as IPv4');
  t.ok(table.lookup(pub) !== undefined);
});

t.test('GeoLookup cache: hits are counted, the cap holds, answers are frozen and shared', async (t) => {
  const geo = openGeoLookup({ enabled: true, geoDir: '', cacheSize: 4 })!;
  const [a, b, c, d, e] = sample(V4, 50_000).map((r) => r[0]).filter((x) => !specialIpv4(ipv4Number(x)));
  const first = geo.lookup(a!);
  t.equal(geo.lookup(a!), first, 'the cached object is returned again');
  t.ok(Object.isFrozen(first), 'answers are frozen');
  for (const x of [b, c, d, e]) geo.lookup(x!);
  const st = geo.stats();
  t.equal(st.hits, 1);
  t.equal(st.misses, 5);
  t.ok(st.cached <= 4, `${st.cached} entries: at most cacheSize`);
  t.equal(st.evicted + st.cached, 5, 'what is not held was evicted');
  geo.lookup('10.0.0.1');
  geo.lookup('10.0.0.1');
  t.equal(geo.stats().hits, 2, '"nothing known" is cached too');

});

t.test('the cache: never above its capacity, a working set of half of it always hits, a stream of new keys costs no more', async (t) => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (const cap of [1, 2, 3, 17, 256]) {
    const lru = new LruCache<number, number>(cap);
    let over = 0;
    let wrong = 0;
    const last = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const k = rnd(cap * 3);
      if (rnd(2) === 0) {
        const v = lru.get(k);
        if (v !== undefined && v !== last.get(k)) wrong++;
      } else {
        lru.set(k, i);
        last.set(k, i);
        if (lru.get(k) !== i) wrong++;
      }
      if (lru.size > cap) over++;
    }
    t.equal(over, 0, `capacity ${cap}: never more than ${cap} keys`);
    t.equal(wrong, 0, `capacity ${cap}: a hit is the value last set, a set is found at once`);
    // a working set of half the capacity, cycled, always hits once it is in
    const ws = Math.max(1, Math.floor(cap / 2));
    const w = new LruCache<string, number>(cap);
    for (let i = 0; i < ws; i++) w.set(`w${i}`, i);
    let misses = 0;
    for (let r = 0; r < 50; r++) for (let i = 0; i < ws; i++) if (w.get(`w${i}`) !== i) misses++;
    t.equal(misses, 0, `capacity ${cap}: a working set of ${ws} always hits`);
    // distinct keys: what is not held was counted as evicted
    const d = new LruCache<string, number>(cap);
    for (let i = 0; i < 10_000; i++) d.set(`d${i}`, i);
    t.ok(d.size <= cap, `capacity ${cap}: ${d.size} held after 10,000 distinct keys`);
    t.equal(d.evicted + d.size, 10_000, `capacity ${cap}: evicted + held = inserted`);
    d.clear();
    t.equal(d.size, 0, 'clear empties it');
  }
  const off = new LruCache<string, number>(0);
  off.set('x', 1);
  t.equal(off.get('x'), undefined, 'capacity 0 keeps nothing');
});

t.test('enrich.geoDir: a file of the same name replaces the bundled one; an unusable one falls back to it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-geodir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // a public range of the bundled file, given to another (private-use) AS; unsorted on purpose
  const [a, b] = sample(V4, 997).find((r) => !specialIpv4(ipv4Number(r[0])))!;
  writeFileSync(join(dir, 'asn-ipv4.csv'), `${v4Text(ipv4Number(a) + 0)},${b},64512,"Example ""Lab"", Ltd"\n1.0.0.0,1.0.0.0,64513,Tiny\r\n\nbroken line\n`);
  writeFileSync(join(dir, 'dbip-country.mmdb'), 'not a MaxMind DB');
  const logs: string[] = [];
  const geo = openGeoLookup({ enabled: true, geoDir: dir, cacheSize: 10 }, (level, m) => logs.push(`${level} ${m}`))!;
  t.same(geo.lookup(a)?.asn, 64512, 'the replacement AS file answers');
  t.equal(geo.lookup(a)?.org, 'Example "Lab", Ltd', 'quoted organisation with a comma and doubled quotes');
  t.equal(geo.lookup('1.0.0.0')?.asn, 64513, 'a CRLF line');
  t.ok(geo.lookup(a)?.country, 'the country still comes from the bundled file');
  t.same(geo.sources.map((s) => [s.kind, s.origin]), [['country', 'bundled'], ['asn', 'geoDir']]);
  t.ok(logs.some((l) => l.startsWith('error') && l.includes('dbip-country.mmdb') && l.includes('bundled')), 'the unusable replacement is reported');
  t.ok(logs.some((l) => l.startsWith('warn') && l.includes('1 lines')), 'the unreadable line is counted');
  t.ok(geo.lookup('2a00:1450:4001:80b::200e')?.asn, 'the IPv6 AS file is still the bundled one');
});

t.test('enrich.enabled false: no lookup at all', async (t) => {
  t.equal(openGeoLookup({ enabled: false, geoDir: '', cacheSize: 10 }), null);
});
