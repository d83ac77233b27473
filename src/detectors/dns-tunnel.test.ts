import t from 'tap';
import type { BusEvents } from '../bus.js';
import type { Alert } from './alert.js';
import { resolveDetectorConfig } from './config.js';
import { DnsTunnelDetector, entropyBits, splitName } from './dns-tunnel.js';

const T0 = 1_700_000_000_000_000;

function query(i: number, qname: string, qtype = 1, o: Partial<BusEvents['dns']> = {}): BusEvents['dns'] {
  return {
    tsUs: T0 + i * 500_000,
    vlan: 0,
    srcMac: 0x020000000002,
    dstMac: 0x020000000001,
    srcIp: '10.99.0.2',
    dstIp: '10.99.0.1',
    dns: { id: i, response: false, opcode: 0, rcode: 0, qname, qtype, qclass: 1, answers: [], mdns: false },
    ...o,
  };
}

function run(events: BusEvents['dns'][]): Alert[] {
  const alerts: Alert[] = [];
  const d = new DnsTunnelDetector(resolveDetectorConfig(), (a) => alerts.push(a));
  for (const e of events) d.onDns(e);
  return alerts;
}

/** deterministic base32-ish label of `n` characters */
function encoded(seed: number, n: number): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz234567';
  let x = seed * 2654435761;
  let s = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += abc[(x >>> 16) % 32];
  }
  return s;
}

t.test('registered domain and entropy helpers', async (t) => {
  t.same(splitName('abc.def.example.com'), ['abc.def', 'example.com']);
  t.same(splitName('x.example.co.uk.'), ['x', 'example.co.uk']);
  t.equal(splitName('example.com'), null);
  t.equal(splitName('4.3.2.1.in-addr.arpa'), null);
  t.equal(splitName('printer.local'), null);
  t.equal(entropyBits('aaaa'), 0);
  t.equal(entropyBits('abcd'), 2);
});

t.test('long random labels under one domain: one alert with examples', async (t) => {
  const alerts = run(Array.from({ length: 50 }, (_, i) => query(i, `${encoded(i, 40)}.t.tunnel.example`, 1)));
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'dns.tunnel');
  t.equal(a.srcIp, '10.99.0.2');
  t.equal(a.srcMac, '02:00:00:00:00:02');
  t.same(a.targets, ['10.99.0.1']);
  t.match(a.signature, /tunnel\.example/);
  t.ok(a.evidence.some((e) => e.text.startsWith('e.g. ')));
});

t.test('TXT and NULL volume with short encoded names', async (t) => {
  t.equal(run(Array.from({ length: 12 }, (_, i) => query(i, `${encoded(i, 10)}.exfil.example`, 16)))[0]?.kind, 'dns.tunnel', 'TXT');
  t.equal(run(Array.from({ length: 12 }, (_, i) => query(i, `${encoded(i, 6)}.t1.exfil.example`, 10)))[0]?.kind, 'dns.tunnel', 'NULL');
});

t.test('benign look-alikes raise nothing', async (t) => {
  // many distinct short CDN/API names of one domain
  t.equal(run(Array.from({ length: 100 }, (_, i) => query(i, `img${i}.cdn.example.com`))).length, 0, 'short names');
  // DNS blocklist and IP-to-ASN lookups: reverse-address form, TXT
  t.equal(run(Array.from({ length: 100 }, (_, i) => query(i, `${i}.${i % 7}.113.203.origin.asn.lookup.example`, 16))).length, 0, 'reverse-IP form');
  t.equal(run(Array.from({ length: 100 }, (_, i) => query(i, `${encoded(i, 40)}.hash.cymru.com`, 16))).length, 0, 'ignored domain');
  // the same long name asked again and again (a retrying client) is one name
  t.equal(run(Array.from({ length: 100 }, (_, i) => query(i, `${encoded(1, 40)}.example.net`))).length, 0, 'repeats');
  // responses and mDNS are not counted
  t.equal(run(Array.from({ length: 50 }, (_, i) => ({ ...query(i, `${encoded(i, 40)}.example.org`), dns: { ...query(i, '').dns, qname: `${encoded(i, 40)}.example.org`, mdns: true } }))).length, 0, 'mDNS');
  // spread over a long time: never 8 within the window
  t.equal(run(Array.from({ length: 20 }, (_, i) => ({ ...query(i, `${encoded(i, 40)}.slow.example`), tsUs: T0 + i * 60_000_000 }))).length, 0, 'slow');
});
