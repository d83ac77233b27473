import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Bus } from '../bus.js';
import { defaultConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Reputation } from '../trust/reputation.js';
import { flowRecord } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { attachBlocklist } from './blocklist.js';

const T0 = 1_700_000_000_000_000;

async function setup(t: { teardown(fn: () => unknown): void }, opts: { suppressSeconds?: number; maxTracked?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ae-blocklist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c2.csv'), '# Firstseen,DstIP,DstPort,LastOnline,Malware\n2024-01-01 00:00:00,198.51.100.7,443,2024-05-01,Pikabot\n');
  writeFileSync(join(dir, 'drop.txt'), '; DROP\n203.0.113.0/24 ; SBL42\n224.0.0.0/3 ; bogons\n');
  writeFileSync(join(dir, 'scan.txt'), '192.0.2.66\n');
  writeFileSync(join(dir, 'hosts.txt'), '0.0.0.0 malware-drop.example\n');
  const base = defaultConfig().intel;
  const rep = await Reputation.load(
    {
      ...base,
      cacheDir: join(dir, 'cache'),
      feeds: [
        { name: 'feodo', url: null, path: join(dir, 'c2.csv'), format: 'auto', kind: 'c2' },
        { name: 'drop', url: null, path: join(dir, 'drop.txt'), format: 'spamhaus', kind: 'drop' },
        { name: 'scanners', url: null, path: join(dir, 'scan.txt'), format: 'ip', kind: 'scanner' },
        { name: 'urlhaus', url: null, path: join(dir, 'hosts.txt'), format: 'hosts', kind: 'malware' },
      ],
    },
    createLogger('error'),
  );
  const bus = new Bus();
  const alerts: Alert[] = [];
  bus.on('alert', (a) => alerts.push(a));
  const h = attachBlocklist(bus, rep, { homeNets: ['10.99.0.0/16', 'fd00:99::/48'], ...opts });
  return { bus, alerts, h };
}

t.test('an outbound flow to a listed C2 raises one alert naming the device, the remote, the feed and the entry', async (t) => {
  const { bus, alerts, h } = await setup(t);
  const f = flowRecord({ flowId: 7, srcIp: '10.99.0.12', dstIp: '198.51.100.7', dstPort: 443, srcMac: '02:99:00:00:00:0c', endUs: T0 });
  bus.emit('flow.end', f);
  bus.emit('flow.end', { ...f, flowId: 8, endUs: T0 + 60e6 });
  t.equal(alerts.length, 1, 'deduplicated per (device, remote)');
  const a = alerts[0]!;
  t.match(a, {
    kind: 'intel.blocklist',
    srcIp: '10.99.0.12',
    srcMac: '02:99:00:00:00:0c',
    targets: ['198.51.100.7'],
    destPort: 443,
    severity: 1,
    suggestedResponse: 'block',
    tsUs: T0,
  });
  t.match(a.signature, /10\.99\.0\.12 contacted 198\.51\.100\.7, a command-and-control server on feodo/);
  t.match(a.evidence[0]!.text, /listed on feodo: 198\.51\.100\.7 \(Pikabot, port 443\)/);
  t.same(a.evidence[1]!.flowIds, [7]);
  t.match(h.stats(), { name: 'blocklist', events: 2, alerts: 1, suppressed: 1 });

  // another device contacting the same host is its own alert; a prefix entry names the prefix
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.13', dstIp: '198.51.100.7', endUs: T0 + 1 }));
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.13', dstIp: '203.0.113.50', endUs: T0 + 2 }));
  t.equal(alerts.length, 3);
  t.match(alerts[2], { srcIp: '10.99.0.13', targets: ['203.0.113.50'], severity: 2 });
  t.match(alerts[2]!.evidence[0]!.text, /drop: 203\.0\.113\.0\/24 \(SBL42\)/);

  // after the suppression window it alerts again
  bus.emit('flow.end', { ...f, endUs: T0 + 601e6 });
  t.equal(alerts.length, 4);
});

t.test('inbound: answered is an alert, unanswered is a low-severity note; LAN, multicast and clean hosts raise nothing', async (t) => {
  const { bus, alerts } = await setup(t);
  // a listed host knocks on a LAN device that never answers
  bus.emit('flow.end', flowRecord({ srcIp: '203.0.113.9', dstIp: '10.99.0.20', dstPort: 23, pktsToClient: 0, connState: 'S0', endUs: T0 }));
  // a listed scanner that got an answer (an exposed service answered it)
  bus.emit('flow.end', flowRecord({ srcIp: '192.0.2.66', dstIp: '10.99.0.21', dstPort: 22, connState: 'SF', endUs: T0 }));
  // nothing: LAN to LAN, SSDP multicast (the DROP file lists 224/3 as bogons), a clean remote
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.12', dstIp: '10.99.0.13' }));
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.12', dstIp: '239.255.255.250', dstPort: 1900, proto: 17, protoName: 'UDP' }));
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.12', dstIp: '8.8.8.8' }));
  bus.emit('flow.end', flowRecord({ ipVersion: 6, srcIp: 'fd00:99::12', dstIp: '2001:db8::1' }));
  t.equal(alerts.length, 2, alerts.map((a) => a.signature).join('\n'));
  t.match(alerts[0], { srcIp: '10.99.0.20', targets: ['203.0.113.9'], severity: 3, suggestedResponse: 'monitor' });
  t.match(alerts[0]!.evidence[1]!.text, /203\.0\.113\.9 connected to 10\.99\.0\.20:23\/TCP \(never answered\)/);
  t.match(alerts[1], { srcIp: '10.99.0.21', targets: ['192.0.2.66'], severity: 3, suggestedResponse: 'block' });
});

t.test('DNS queries and answers, TLS SNI and HTTP Host are checked against the domain lists', async (t) => {
  const { bus, alerts } = await setup(t);
  const meta = { tsUs: T0, vlan: 0, srcMac: 0x029900000012, dstMac: 0x029900000001, srcIp: '10.99.0.12', dstIp: '10.99.0.1' };
  const dns = { id: 1, response: false, opcode: 0, rcode: 0, qname: 'cdn.malware-drop.example', qtype: 1, qclass: 1, answers: [], mdns: false };
  bus.emit('dns', { ...meta, dns });
  // the response to the same query: same device, same entry, suppressed
  bus.emit('dns', { ...meta, srcIp: '10.99.0.1', dstIp: '10.99.0.12', dns: { ...dns, response: true } });
  t.equal(alerts.length, 1);
  t.match(alerts[0], { srcIp: '10.99.0.12', targets: ['cdn.malware-drop.example'], destPort: 53, severity: 1 });
  t.match(alerts[0]!.evidence[0]!.text, /urlhaus: malware-drop\.example/);

  // a CNAME in an answer to an innocent-looking name, for another device
  bus.emit('dns', {
    ...meta,
    srcIp: '10.99.0.1',
    dstIp: '10.99.0.14',
    dns: { ...dns, response: true, qname: 'innocent.example', answers: [{ name: 'innocent.example', type: 5, ttl: 60, data: 'x.malware-drop.example' }] },
  });
  t.equal(alerts.length, 2);
  t.match(alerts[1], { srcIp: '10.99.0.14' });
  t.match(alerts[1]!.evidence[1]!.text, /CNAME innocent\.example → x\.malware-drop\.example/);

  // mDNS is never judged; SNI of a flow to an unlisted address is
  bus.emit('dns', { ...meta, srcIp: '10.99.0.15', dns: { ...dns, mdns: true } });
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.16', dstIp: '192.0.2.200', tlsSni: 'api.malware-drop.example', endUs: T0 }));
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.0.17', dstIp: '192.0.2.201', httpHost: 'MALWARE-DROP.example', endUs: T0 }));
  t.equal(alerts.length, 4);
  t.match(alerts[2]!.evidence[1]!.text, /TLS SNI api\.malware-drop\.example/);
  t.match(alerts[3]!.evidence[1]!.text, /HTTP Host MALWARE-DROP\.example/);
});

t.test('suppression state is bounded by maxTracked', async (t) => {
  const { bus, alerts, h } = await setup(t, { maxTracked: 50 });
  for (let i = 0; i < 1000; i++) bus.emit('flow.end', flowRecord({ srcIp: `10.99.${i >> 8}.${i & 255}`, dstIp: '198.51.100.7', endUs: T0 + i }));
  t.equal(alerts.length, 1000, 'one alert per device');
  const s = h.stats();
  t.ok(s.tracked <= 50, `tracked ${s.tracked}`);
  t.equal(s.evicted, 950);
  h.detach();
  bus.emit('flow.end', flowRecord({ srcIp: '10.99.9.9', dstIp: '198.51.100.7' }));
  t.equal(alerts.length, 1000, 'detached');
});
