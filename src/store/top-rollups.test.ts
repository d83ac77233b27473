import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './db.js';
import { isRemoteAddress, MAX_KEYS_PER_HOUR, OTHER_KEY } from './top-rollups.js';
import { flowRecord } from '../../test/support/flow-records.js';
import { topLists } from '../web/top-queries.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-top-rollups-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000_000;
const T0 = 1_750_000_000_000_000 - (1_750_000_000_000_000 % HOUR);

const dnsFlow = (i: number, endUs: number, qname: string, answers: string[], rcode = 0) =>
  flowRecord({
    flowId: i, endUs, startUs: endUs - 1000, proto: 17, protoName: 'UDP', srcIp: '192.168.1.20', srcPort: 40000 + (i % 1000), dstIp: '192.168.1.1', dstPort: 53,
    service: 'dns', tlsSni: null, httpHost: null, bytesToServer: 80, bytesToClient: 120, dns: { qname, qtype: 1, rcode, answers },
  });
const webFlow = (i: number, endUs: number, dstIp: string, sni: string | null, bytes = 1000) =>
  flowRecord({ flowId: i, endUs, startUs: endUs - 1000, srcIp: '192.168.1.20', dstIp, tlsSni: sni, httpHost: null, bytesToServer: bytes / 2, bytesToClient: bytes / 2 });

t.test('remote means an address on the internet', async (t) => {
  for (const ip of ['8.8.8.8', '93.184.216.34', '2606:4700::1111']) t.ok(isRemoteAddress(ip), ip);
  for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '224.0.0.251', '255.255.255.255', '0.0.0.0', 'fe80::1', 'fd00::1', 'ff02::fb', '::1']) t.notOk(isRemoteAddress(ip), ip);
});

t.test('DNS names and remote destinations are summed per hour, with names from DNS answers', async (t) => {
  const s = Store.open({ path: join(dir, 'sum.db'), batchSize: 1000, log: () => {} });
  t.teardown(() => s.close());
  let i = 0;
  // hour 0: three lookups of one name (one NXDOMAIN), one of another; then flows to what they resolved to
  s.addFlow(dnsFlow(++i, T0 + 1, 'Updates.Example.COM.', ['93.184.216.34']));
  s.addFlow(dnsFlow(++i, T0 + 2, 'updates.example.com', ['93.184.216.34']));
  s.addFlow(dnsFlow(++i, T0 + 3, 'updates.example.com', [], 3));
  s.addFlow(dnsFlow(++i, T0 + 4, 'time.example.net', ['203.0.113.7']));
  s.addFlow(webFlow(++i, T0 + 5, '93.184.216.34', null, 4000));
  s.addFlow(webFlow(++i, T0 + 6, '93.184.216.34', null, 6000));
  s.addFlow(webFlow(++i, T0 + 7, '198.51.100.9', 'cdn.example.org', 500));
  // LAN to LAN and inbound flows are not destinations on the internet
  s.addFlow(webFlow(++i, T0 + 8, '192.168.1.30', 'nas.lan', 99_000));
  s.addFlow(flowRecord({ flowId: ++i, endUs: T0 + 9, srcIp: '198.51.100.77', dstIp: '192.168.1.20', bytesToServer: 50_000, bytesToClient: 0 }));
  // hour 1: the same name again
  s.addFlow(dnsFlow(++i, T0 + HOUR + 1, 'updates.example.com', ['93.184.216.34']));
  s.flush();

  const dns = s.db.prepare('SELECT hour_us AS h, qname, queries, nxdomain FROM dns_rollups ORDER BY hour_us, qname').all();
  t.same(dns, [
    { h: T0, qname: 'time.example.net', queries: 1, nxdomain: 0 },
    { h: T0, qname: 'updates.example.com', queries: 3, nxdomain: 1 },
    { h: T0 + HOUR, qname: 'updates.example.com', queries: 1, nxdomain: 0 },
  ], 'names lower-cased without the root dot, counted per hour');
  const remote = s.db.prepare('SELECT ip, name, flows, bytes FROM remote_rollups ORDER BY bytes DESC').all();
  t.same(remote, [
    { ip: '93.184.216.34', name: 'updates.example.com', flows: 2, bytes: 10_000 },
    { ip: '198.51.100.9', name: 'cdn.example.org', flows: 1, bytes: 500 },
  ], 'outbound flows to internet addresses only, named from the TLS SNI or an earlier DNS answer');

  const tops = topLists(s, T0, T0 + 2 * HOUR);
  t.same(tops.names.map((n) => [n.qname, n.queries]), [['updates.example.com', 4], ['time.example.net', 1]], 'top names over two hours');
  t.same(tops.remotes.map((r) => r.ip), ['93.184.216.34', '198.51.100.9']);
  t.equal(tops.devices[0]!.device, '02:00:00:00:00:02', 'the device in every flow moved the most bytes');
  t.same(topLists(s, T0 + HOUR, T0 + 2 * HOUR, Date.now() + 60_000).names.map((n) => n.queries), [1], 'a shorter range sums fewer hours');
});

t.test('a flood of random names costs one row per hour past the cap', async (t) => {
  const s = Store.open({ path: join(dir, 'cap.db'), batchSize: 5000, log: () => {} });
  t.teardown(() => s.close());
  const n = MAX_KEYS_PER_HOUR + 500;
  for (let i = 0; i < n; i++) s.addFlow(dnsFlow(i + 1, T0 + 10 + i, `r${i}.tunnel.example`, []));
  for (let i = 0; i < n; i++) s.addFlow(webFlow(n + i + 1, T0 + 10 + i, `203.0.${113 + Math.floor(i / 250)}.${(i % 250) + 1}`, null));
  s.flush();
  const rows = (table: string) => (s.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  t.equal(rows('dns_rollups'), MAX_KEYS_PER_HOUR + 1, `${MAX_KEYS_PER_HOUR} names and one "other" row`);
  t.equal(rows('remote_rollups'), MAX_KEYS_PER_HOUR + 1, `${MAX_KEYS_PER_HOUR} addresses and one "other" row`);
  const other = s.db.prepare('SELECT queries FROM dns_rollups WHERE qname = ?').get(OTHER_KEY) as { queries: number };
  t.equal(other.queries, 500, 'what is past the cap is still counted');
  t.equal(s.flows.tops.overflowed, 1000, 'and the overflow is counted');
});
