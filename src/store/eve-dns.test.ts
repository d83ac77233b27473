/**
 * EVE's `dns` object in Suricata 8's v3 shape (and the v2 form by option), from real DNS packets written with
 * the project's packet builders and pcap writer and replayed through the pipeline into a real EVE file.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsQuery, dnsResponse, udpFrame } from '../capture/packet-builder.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { replayFile } from '../capture/replay.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { rcodeName, rrtypeName } from './eve-dns.js';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;
const dir = mkdtempSync(join(tmpdir(), 'argus-eve-dns-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT = '10.99.0.2';
const RESOLVER = '10.99.0.1';
const frame = (fromClient: boolean, sport: number, payload: Buffer) =>
  udpFrame({ src: fromClient ? CLIENT : RESOLVER, dst: fromClient ? RESOLVER : CLIENT, sport: fromClient ? sport : 53, dport: fromClient ? 53 : sport, payload });

function capture(): string {
  const file = join(dir, 'dns.pcap');
  const w = new PcapWriter({ path: file });
  // a CNAME chain answered
  w.add(T0, frame(true, 40001, dnsQuery({ id: 0x1234, name: 'www.example.test' })));
  w.add(T0 + 2000, frame(false, 40001, dnsResponse({ id: 0x1234, name: 'www.example.test', answers: [
    { name: 'www.example.test', type: 'CNAME', ttl: 300, data: 'cdn.example.test' },
    { name: 'cdn.example.test', type: 'A', ttl: 60, data: '192.0.2.10' },
    { name: 'cdn.example.test', type: 'A', ttl: 60, data: '192.0.2.11' },
  ] })));
  // NXDOMAIN: no answers, so no answers key
  w.add(T0 + S, frame(true, 40002, dnsQuery({ id: 7, name: 'nope.example.test', type: 'AAAA' })));
  w.add(T0 + S + 2000, frame(false, 40002, dnsResponse({ id: 7, name: 'nope.example.test', type: 'AAAA', rcode: 3, answers: [] })));
  // a query nobody answers
  w.add(T0 + 2 * S, frame(true, 40003, dnsQuery({ id: 9, name: 'lost.example.test', type: 'TXT' })));
  w.close();
  return file;
}

async function dnsObjects(file: string, version?: string): Promise<Record<string, unknown>[]> {
  const out = join(dir, `eve-${version ?? 'default'}.json`);
  const cfg = loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.enabled': 'false', ...(version ? { 'eve.dnsVersion': version } : {}) } });
  const p = new Pipeline(cfg, createLogger('error'));
  await replayFile(file, p.pkt, p.handlePacket);
  await p.shutdown();
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; src_port: number; dns?: Record<string, unknown> });
  return lines.filter((l) => l.event_type === 'flow' && l.dns).sort((a, b) => a.src_port - b.src_port).map((l) => l.dns!);
}

t.test('v3 (the default): version, type, queries and answers as objects, names for rcode and rrtype', async (t) => {
  const [chain, nx, lost] = await dnsObjects(capture());
  t.same(chain, {
    version: 3,
    type: 'response',
    id: 0x1234,
    rcode: 'NOERROR',
    queries: [{ rrname: 'www.example.test', rrtype: 'A' }],
    answers: [
      { rrname: 'www.example.test', rrtype: 'CNAME', ttl: 300, rdata: 'cdn.example.test' },
      { rrname: 'cdn.example.test', rrtype: 'A', ttl: 60, rdata: '192.0.2.10' },
      { rrname: 'cdn.example.test', rrtype: 'A', ttl: 60, rdata: '192.0.2.11' },
    ],
  });
  t.same(nx, { version: 3, type: 'response', id: 7, rcode: 'NXDOMAIN', queries: [{ rrname: 'nope.example.test', rrtype: 'AAAA' }] }, 'no empty answers list');
  t.same(lost, { version: 3, type: 'request', id: 9, queries: [{ rrname: 'lost.example.test', rrtype: 'TXT' }] }, 'an unanswered query has no rcode');
});

t.test('v2 by option: the flat form Suricata 6 and 7 write', async (t) => {
  const [chain, nx, lost] = await dnsObjects(capture(), '2');
  t.same(chain, {
    version: 2,
    type: 'answer',
    id: 0x1234,
    rrname: 'www.example.test',
    rrtype: 'A',
    rcode: 'NOERROR',
    answers: [
      { rrname: 'www.example.test', rrtype: 'CNAME', ttl: 300, rdata: 'cdn.example.test' },
      { rrname: 'cdn.example.test', rrtype: 'A', ttl: 60, rdata: '192.0.2.10' },
      { rrname: 'cdn.example.test', rrtype: 'A', ttl: 60, rdata: '192.0.2.11' },
    ],
  });
  t.same(nx, { version: 2, type: 'answer', id: 7, rrname: 'nope.example.test', rrtype: 'AAAA', rcode: 'NXDOMAIN' });
  t.same(lost, { version: 2, type: 'query', id: 9, rrname: 'lost.example.test', rrtype: 'TXT' });
});

t.test('names as Suricata writes them; unknown values as their numbers', async (t) => {
  t.same([1, 28, 5, 16, 10, 33, 65, 255, 4242].map(rrtypeName), ['A', 'AAAA', 'CNAME', 'TXT', 'NULL', 'SRV', 'HTTPS', 'ANY', '4242']);
  t.same([0, 2, 3, 5, 9, 12].map(rcodeName), ['NOERROR', 'SERVFAIL', 'NXDOMAIN', 'REFUSED', 'NOTAUTH', '12']);
});
