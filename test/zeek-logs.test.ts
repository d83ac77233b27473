/**
 * Acceptance: Zeek tooling reads our conn.log, dns.log and ssl.log. Each log is read back with Zeek's own format
 * rules (test/support/zeek-log-reader.ts: header lines, separators, unset `-`, empty `(empty)`, escapes, the
 * types of #types) and checked field by field against the flow records the pipeline exported — one conn.log
 * row per record, in order — for a generated capture (with ground truth from the frames themselves) and for
 * replays of the shared real captures (skipped with a message when absent). The JSON form must carry the same
 * values. The escaping cases are Zeek's own test baselines (testing/btest/Baseline/scripts.base.frameworks.
 * logging.ascii-escape-*).
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsQuery, dnsResponse, httpRequest, icmpFrame, tcpFrame, tlsClientHello, udpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { PrefixSet } from '../src/detectors/addresses.js';
import type { FlowRecord } from '../src/flow/flow-record.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { tsvRow } from '../src/zeek/format.js';
import { CONN_LOG, DNS_LOG, SSL_LOG } from '../src/zeek/index.js';
import { projectRoot } from '../src/assets.js';
import { sharedPcap, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';
import { readZeekJson, readZeekTsv, type ZeekCell, type ZeekLogFile } from './support/zeek-log-reader.js';

const HOME = ['10.0.0.0/8', 'fd00::/8'];
const T0 = 1_700_000_000_000_000;

interface Frame {
  us: number;
  frame: Buffer;
}

/** The generated capture: each kind of row, and the frames themselves for ground truth. */
function fixture(path: string): Frame[] {
  const frames: Frame[] = [];
  const at = (s: number, frame: Buffer) => frames.push({ us: T0 + Math.round(s * 1e6), frame });
  const c = '10.99.0.2';
  const web = '198.51.100.7';
  // HTTP: handshake, request, response, both FINs
  at(0, tcpFrame({ src: c, dst: web, sport: 40000, dport: 80, flags: 'S', seq: 100 }));
  at(0.01, tcpFrame({ src: web, dst: c, sport: 80, dport: 40000, flags: 'SA', seq: 500, ack: 101 }));
  at(0.02, tcpFrame({ src: c, dst: web, sport: 40000, dport: 80, flags: 'A', seq: 101, ack: 501 }));
  const req = httpRequest({ host: 'www.example.test', path: '/a' });
  at(0.03, tcpFrame({ src: c, dst: web, sport: 40000, dport: 80, flags: 'PA', seq: 101, ack: 501, payload: req }));
  at(0.05, tcpFrame({ src: web, dst: c, sport: 80, dport: 40000, flags: 'PA', seq: 501, ack: 101 + req.length, payload: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
  at(0.06, tcpFrame({ src: c, dst: web, sport: 40000, dport: 80, flags: 'FA', seq: 101 + req.length, ack: 540 }));
  at(0.07, tcpFrame({ src: web, dst: c, sport: 80, dport: 40000, flags: 'FA', seq: 540, ack: 102 + req.length }));
  at(0.08, tcpFrame({ src: c, dst: web, sport: 40000, dport: 80, flags: 'A', seq: 102 + req.length, ack: 541 }));
  // rejected
  at(0.1, tcpFrame({ src: c, dst: web, sport: 40001, dport: 81, flags: 'S', seq: 1 }));
  at(0.11, tcpFrame({ src: web, dst: c, sport: 81, dport: 40001, flags: 'RA', seq: 0, ack: 2 }));
  // DNS with a CNAME whose name holds the set separator (escaped as \x2c inside the vector)
  at(0.2, udpFrame({ src: c, dst: '10.99.0.1', sport: 53000, dport: 53, payload: dnsQuery({ id: 0x1234, name: 'www.example.test' }) }));
  at(
    0.23,
    udpFrame({
      src: '10.99.0.1', dst: c, sport: 53, dport: 53000,
      payload: dnsResponse({ id: 0x1234, name: 'www.example.test', answers: [{ name: 'www.example.test', type: 'CNAME', ttl: 60, data: 'edge,1.example.test' }, { name: 'edge,1.example.test', type: 'A', ttl: 30, data: '198.51.100.8' }] }),
    }),
  );
  // NXDOMAIN, no answers
  at(0.3, udpFrame({ src: c, dst: '10.99.0.1', sport: 53001, dport: 53, payload: dnsQuery({ id: 7, name: 'nothing.example.test', type: 'AAAA' }) }));
  at(0.31, udpFrame({ src: '10.99.0.1', dst: c, sport: 53, dport: 53001, payload: dnsResponse({ id: 7, name: 'nothing.example.test', type: 'AAAA', rcode: 3, answers: [] }) }));
  // TLS with SNI
  const tls = '203.0.113.5';
  at(0.4, tcpFrame({ src: c, dst: tls, sport: 40002, dport: 443, flags: 'S', seq: 1 }));
  at(0.41, tcpFrame({ src: tls, dst: c, sport: 443, dport: 40002, flags: 'SA', seq: 9, ack: 2 }));
  at(0.42, tcpFrame({ src: c, dst: tls, sport: 40002, dport: 443, flags: 'A', seq: 2, ack: 10 }));
  at(0.43, tcpFrame({ src: c, dst: tls, sport: 40002, dport: 443, flags: 'PA', seq: 2, ack: 10, payload: tlsClientHello({ sni: 'secure.example.test' }) }));
  // port 443 without any TLS seen: the port's hint is no confirmed service
  at(0.5, tcpFrame({ src: c, dst: tls, sport: 40003, dport: 443, flags: 'S', seq: 1 }));
  // ICMP echo and reply
  at(0.6, icmpFrame({ src: c, dst: '192.0.2.9', type: 8, id: 1, seq: 1 }));
  at(0.61, icmpFrame({ src: '192.0.2.9', dst: c, type: 0, id: 1, seq: 1 }));
  // one IPv6 datagram: duration 0, so duration and bytes unset
  at(0.7, udpFrame({ src: 'fd00::2', dst: '2001:db8::1', sport: 5000, dport: 5001, payload: 'hello' }));
  // a long UDP flow cut by the 10 s active timeout: three records, three rows, three uids
  for (let s = 1; s <= 25; s += 2) at(s, udpFrame({ src: c, dst: '192.0.2.10', sport: 6000, dport: 6001, payload: `tick ${s}` }));
  const w = new PcapWriter();
  for (const f of frames) w.add(f.us, f.frame);
  writeFileSync(path, w.toBuffer());
  return frames;
}

/** Replay `file` with the Zeek logs on; the records the pipeline exported, in order. */
async function replay(file: string, dir: string, format: 'tsv' | 'json', extra: Record<string, string> = {}): Promise<FlowRecord[]> {
  const cfg = loadConfig({ flags: { mode: 'replay', 'zeek.dir': dir, 'zeek.format': format, homeNets: HOME.join(','), 'models.enabled': 'false', ...extra } });
  const p = new Pipeline(cfg, createLogger('error'));
  const records: FlowRecord[] = [];
  p.bus.on('flow.end', (r) => records.push(r));
  try {
    await replayFile(file, p.pkt, p.handlePacket);
  } catch {
    // a damaged capture ends early; its rows are checked like any other
  }
  await p.shutdown();
  return records;
}

const local = new PrefixSet(HOME);
const ZEEK_PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' };
/** Zeek's analyzer names for what payload showed */
const ZEEK_SERVICE: Record<string, string> = { dns: 'dns', mdns: 'dns', tls: 'ssl', http: 'http', ssh: 'ssh', dhcp: 'dhcp' };

/** What Zeek's conn.log says of a connection, from our record (the mapping the README documents). */
function expectedConn(r: FlowRecord): Record<string, ZeekCell> {
  const d = r.endUs - r.startUs;
  return {
    ts: r.startUs,
    'id.orig_h': r.srcIp,
    'id.orig_p': r.srcPort,
    'id.resp_h': r.dstIp,
    'id.resp_p': r.dstPort,
    proto: ZEEK_PROTO[r.proto] ?? 'unknown_transport',
    service: r.serviceSeen && r.service !== null ? (ZEEK_SERVICE[r.service] ?? r.service) : null,
    duration: d > 0 ? d : null,
    orig_bytes: d > 0 ? r.payloadBytesToServer : null,
    resp_bytes: d > 0 ? r.payloadBytesToClient : null,
    conn_state: r.proto === 6 || r.proto === 17 ? r.connState : 'OTH',
    local_orig: local.has(r.srcIp),
    local_resp: local.has(r.dstIp),
    missed_bytes: 0,
    history: r.history === '' ? null : r.history,
    orig_pkts: r.pktsToServer,
    orig_ip_bytes: r.ipBytesToServer!,
    resp_pkts: r.pktsToClient,
    resp_ip_bytes: r.ipBytesToClient!,
    tunnel_parents: null,
    ip_proto: r.proto,
  };
}

const QTYPE: Record<number, string> = { 1: 'A', 28: 'AAAA', 5: 'CNAME', 12: 'PTR', 16: 'TXT', 33: 'SRV', 255: '*', 65: 'HTTPS', 10: 'NULL', 15: 'MX', 2: 'NS', 6: 'SOA' };
const RCODE: Record<number, string> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

function expectedDns(r: FlowRecord, uid: string): Record<string, ZeekCell> {
  const d = r.dns!;
  const rrs = (d.rrs ?? []).filter((a) => a.data !== '');
  return {
    ts: r.startUs, uid, 'id.orig_h': r.srcIp, 'id.orig_p': r.srcPort, 'id.resp_h': r.dstIp, 'id.resp_p': r.dstPort,
    proto: ZEEK_PROTO[r.proto]!, trans_id: d.id!, rtt: null, query: d.qname, qclass: d.qclass!, qclass_name: d.qclass === 1 ? 'C_INTERNET' : `qclass-${d.qclass}`,
    qtype: d.qtype, qtype_name: QTYPE[d.qtype] ?? `query-${d.qtype}`,
    rcode: d.response ? d.rcode : null, rcode_name: d.response ? (RCODE[d.rcode] ?? `rcode-${d.rcode}`) : null,
    AA: null, TC: null, RD: null, RA: null, Z: null,
    answers: rrs.length > 0 ? rrs.map((a) => a.data) : null, TTLs: rrs.length > 0 ? rrs.map((a) => a.ttl * 1e6) : null,
    rejected: null, opcode: null, opcode_name: null,
  };
}

function expectedSsl(r: FlowRecord, uid: string): Record<string, ZeekCell> {
  return {
    ts: r.startUs, uid, 'id.orig_h': r.srcIp, 'id.orig_p': r.srcPort, 'id.resp_h': r.dstIp, 'id.resp_p': r.dstPort,
    version: null, cipher: null, curve: null, server_name: r.tlsSni, resumed: null, last_alert: null, next_protocol: null,
    established: null, ssl_history: null, cert_chain_fps: null, client_cert_chain_fps: null, sni_matches_cert: null,
  };
}

const fieldsOf = (f: ZeekLogFile) => f.fields.map((n, i) => `${n}:${f.types[i]}`).join(' ');
const specOf = (s: typeof CONN_LOG) => s.fields.map((f) => `${f.name}:${f.type}`).join(' ');

/** Every row against its record; returns the number of mismatching fields (each reported once per field). */
function compareLogs(t: Test, dir: string, records: FlowRecord[], label: string): { conn: ZeekLogFile; uids: string[] } {
  const conn = readZeekTsv(readFileSync(join(dir, 'conn.log'), 'utf8'));
  t.equal(conn.path, 'conn', `${label}: #path conn`);
  t.ok(conn.close !== null && /^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/.test(conn.close), `${label}: #close written at shutdown`);
  t.ok(/^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/.test(conn.open ?? ''), `${label}: #open in Zeek's time format`);
  t.equal(fieldsOf(conn), 'ts:time uid:string id.orig_h:addr id.orig_p:port id.resp_h:addr id.resp_p:port proto:enum service:string duration:interval orig_bytes:count resp_bytes:count conn_state:string local_orig:bool local_resp:bool missed_bytes:count history:string orig_pkts:count orig_ip_bytes:count resp_pkts:count resp_ip_bytes:count tunnel_parents:set[string] ip_proto:count', `${label}: Zeek 8.2's conn.log columns and types`);
  t.equal(conn.rows.length, records.length, `${label}: one conn.log row per flow record (${records.length})`);
  const bad = new Map<string, string>();
  const uids = conn.rows.map((row) => row.uid as string);
  records.forEach((r, i) => {
    const row = conn.rows[i];
    if (row === undefined) return;
    const want = expectedConn(r);
    for (const [k, v] of Object.entries(want)) if (JSON.stringify(row[k]) !== JSON.stringify(v) && !bad.has(k)) bad.set(k, `row ${i + 1}: ${JSON.stringify(row[k])} ≠ ${JSON.stringify(v)}`);
  });
  t.same([...bad].map(([k, v]) => `${k} ${v}`), [], `${label}: every conn.log field equals the record's`);
  t.ok(uids.every((u) => /^C[0-9a-zA-Z]{12,17}$/.test(u)), `${label}: uids in Zeek's form`);
  t.equal(new Set(uids).size, uids.length, `${label}: a uid per row`);

  const dnsRecords = records.map((r, i) => ({ r, uid: uids[i]! })).filter(({ r }) => r.dns !== null && r.dns.qname !== '' && r.segment === 0);
  const sslRecords = records.map((r, i) => ({ r, uid: uids[i]! })).filter(({ r }) => r.tlsSni !== null && r.segment === 0);
  for (const [name, recs, expect, spec] of [['dns', dnsRecords, expectedDns, DNS_LOG], ['ssl', sslRecords, expectedSsl, SSL_LOG]] as const) {
    const file = join(dir, `${name}.log`);
    if (recs.length === 0) {
      t.notOk(existsSync(file), `${label}: no ${name}.log without ${name} rows (Zeek creates a log at its first row)`);
      continue;
    }
    const log = readZeekTsv(readFileSync(file, 'utf8'));
    t.equal(fieldsOf(log), specOf(spec), `${label}: ${name}.log columns`);
    t.equal(log.rows.length, recs.length, `${label}: one ${name}.log row per flow with ${name} data (${recs.length})`);
    const mism = new Map<string, string>();
    recs.forEach(({ r, uid }, i) => {
      const row = log.rows[i];
      if (row === undefined) return;
      for (const [k, v] of Object.entries(expect(r, uid))) if (JSON.stringify(row[k]) !== JSON.stringify(v) && !mism.has(k)) mism.set(k, `row ${i + 1}: ${JSON.stringify(row[k])} ≠ ${JSON.stringify(v)}`);
    });
    t.same([...mism].map(([k, v]) => `${k} ${v}`), [], `${label}: every ${name}.log field equals the record's, the uid its conn.log row's`);
  }
  return { conn, uids };
}

t.test('the escaping of Zeek’s own baselines', async (t) => {
  const s = (v: string) => tsvRow([{ name: 's', type: 'string' }], [v]);
  t.equal(s('-'), '\\x2d', 'a string that is the unset marker (ascii-escape-notset-str)');
  t.equal(s('(empty)'), '\\x28empty)', 'a string that is the empty marker');
  t.equal(s(''), '(empty)', 'an empty string');
  t.equal(tsvRow([{ name: 'ss', type: 'set[string]' }], [[',', 'CC', ',,', 'AA']]), '\\x2c,CC,\\x2c\\x2c,AA', 'set separators inside elements (ascii-escape-set-separator)');
  t.equal(s('AB\\xffCD'), 'AB\\\\xffCD', 'a backslash doubled (ascii-escape-binary)');
  t.equal(s('abc\u0000def'), 'abc\\x00def', 'a NUL byte');
  t.equal(s('a\tb'), 'a\\x09b', 'the separator');
  t.equal(s('caf\u00e9'), 'caf\u00e9', 'valid UTF-8 is kept (LogAscii::enable_utf_8)');
  t.equal(tsvRow([{ name: 'v', type: 'vector[string]' }], [[]]), '(empty)', 'an empty vector');
  t.equal(tsvRow([{ name: 'v', type: 'vector[string]' }], [null]), '-', 'an unset vector');
  t.equal(tsvRow([{ name: 'd', type: 'interval' }, { name: 'b', type: 'bool' }], [1_500_000, false]), '1.500000\tF', 'interval with 6 decimals, bool F');
});

t.test('a generated capture: every row against its record and against the frames', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-zeek-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'fixture.pcap');
  const frames = fixture(pcap);
  const out = join(dir, 'tsv');
  const records = await replay(pcap, out, 'tsv', { 'flow.timeouts.active': '10' });
  const { conn, uids } = compareLogs(t, out, records, 'fixture');

  // ground truth from the frames: the IP total length of every packet, per direction
  const ipLen = (f: Buffer) => (f[14]! >> 4 === 4 ? f.readUInt16BE(16) : 40 + f.readUInt16BE(18));
  const sum = (pred: (f: Buffer) => boolean) => frames.filter((x) => pred(x.frame)).reduce((a, x) => a + ipLen(x.frame), 0);
  const port = (f: Buffer, off: number) => f.readUInt16BE(14 + (f[14]! & 0xf) * 4 + off);
  const http = conn.rows.find((r) => r['id.resp_p'] === 80)!;
  t.equal(http.orig_ip_bytes, sum((f) => f[23] === 6 && port(f, 2) === 80), 'orig_ip_bytes: the IP total lengths the client sent');
  t.equal(http.resp_ip_bytes, sum((f) => f[23] === 6 && port(f, 0) === 80), 'resp_ip_bytes: what the server sent');
  t.same([http.service, http.conn_state, http.history, http.orig_pkts, http.resp_pkts, http.local_orig, http.local_resp], ['http', 'SF', 'ShADdFf', 5, 3, true, false], 'the HTTP connection as Zeek logs it');
  t.equal(http.duration, 80_000, 'duration: first to last packet');
  const rej = conn.rows.find((r) => r['id.resp_p'] === 81)!;
  t.same([rej.conn_state, rej.service], ['REJ', null], 'a rejected attempt, no service');
  const tlsOnly = conn.rows.find((r) => r['id.orig_p'] === 40002)!;
  t.equal(tlsOnly.service, 'ssl', "TLS seen: Zeek's analyzer name ssl");
  const synOnly = conn.rows.find((r) => r['id.orig_p'] === 40003)!;
  t.same([synOnly.service, synOnly.conn_state, synOnly.duration, synOnly.orig_bytes], [null, 'S0', null, null], 'a port alone confirms no service; one packet: duration and bytes unset');
  const icmp = conn.rows.find((r) => r.ip_proto === 1)!;
  t.same([icmp.proto, icmp['id.orig_p'], icmp['id.resp_p'], icmp.conn_state], ['icmp', 8, 0, 'OTH'], "ICMP: type and code in the port fields, as Zeek's convention");
  const v6 = conn.rows.find((r) => r['id.orig_h'] === 'fd00::2')!;
  t.same([v6.duration, v6.orig_bytes, v6.resp_bytes, v6.orig_ip_bytes, v6.local_orig, v6.local_resp], [null, null, null, 40 + 8 + 5, true, false], 'one IPv6 datagram');
  const long = conn.rows.filter((r) => r['id.orig_p'] === 6000);
  t.equal(long.length, 3, 'the long flow: a row per active-timeout record');
  t.equal(long.reduce((a, r) => a + (r.orig_pkts as number), 0), 13, 'its packets, all counted once');

  const dns = readZeekTsv(readFileSync(join(out, 'dns.log'), 'utf8'));
  const www = dns.rows.find((r) => r.query === 'www.example.test')!;
  t.same(www.answers, ['edge,1.example.test', '198.51.100.8'], 'answers: a comma inside an element survives the set separator');
  t.same([www.TTLs, www.trans_id, www.qtype_name, www.rcode_name, www.uid], [[60e6, 30e6], 0x1234, 'A', 'NOERROR', uids[conn.rows.indexOf(conn.rows.find((r) => r['id.orig_p'] === 53000)!)]], 'TTLs, id, names; the uid of its conn.log row');
  t.match(readFileSync(join(out, 'dns.log'), 'utf8'), /edge\\x2c1\.example\.test,198\.51\.100\.8/, 'written as Zeek escapes it');
  const nx = dns.rows.find((r) => r.query === 'nothing.example.test')!;
  t.same([nx.qtype_name, nx.rcode, nx.rcode_name, nx.answers, nx.TTLs], ['AAAA', 3, 'NXDOMAIN', null, null], 'NXDOMAIN: no answers, unset');
  const ssl = readZeekTsv(readFileSync(join(out, 'ssl.log'), 'utf8'));
  t.same(ssl.rows.map((r) => r.server_name), ['secure.example.test'], 'ssl.log: the SNI');

  // JSON: the same values, no header, unset fields left out
  const jdir = join(dir, 'json');
  const again = await replay(pcap, jdir, 'json', { 'flow.timeouts.active': '10' });
  t.equal(again.length, records.length, 'the same records');
  for (const spec of [CONN_LOG, DNS_LOG, SSL_LOG]) {
    const names = spec.fields.map((f) => f.name);
    const types = spec.fields.map((f) => f.type);
    const text = readFileSync(join(jdir, `${spec.path}.log`), 'utf8');
    const rows = readZeekJson(text, names, types);
    const tsvRows = readZeekTsv(readFileSync(join(out, `${spec.path}.log`), 'utf8')).rows;
    t.same(rows, tsvRows, `${spec.path}.log as JSON: the values of the TSV form`);
    if (spec === CONN_LOG) {
      const first = JSON.parse(text.split('\n')[0]!) as Record<string, unknown>;
      t.ok(typeof first.ts === 'number' && 'id.orig_h' in first && !('tunnel_parents' in first), 'ts as epoch seconds, "id.orig_h" keys, unset fields left out');
      t.match(text, /"duration":0\.08,/, 'an interval as rapidjson writes a double');
    }
  }
});

t.test('a second run keeps the first run’s logs under Zeek’s rotated names', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-zeek-again-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'fixture.pcap');
  fixture(pcap);
  const out = join(dir, 'logs');
  await replay(pcap, out, 'tsv');
  const first = readFileSync(join(out, 'conn.log'), 'utf8');
  await replay(pcap, out, 'tsv');
  const kept = readdirSync(out).filter((f) => /^conn\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d(-\d+)?\.log$/.test(f));
  t.equal(kept.length, 1, `the earlier conn.log kept as ${kept[0]}`);
  t.equal(readFileSync(join(out, kept[0]!), 'utf8'), first, 'unchanged');
  t.equal(readZeekTsv(readFileSync(join(out, 'conn.log'), 'utf8')).rows.length, readZeekTsv(first).rows.length, 'a fresh conn.log with its own header');
});

const SHARED = ['benign/web-page-load.pcapng', 'benign/laptop-browsing.pcap', 'benign/kitsune-iot-camera-lan.pcap', 'attack/dns-tunnel-iodine.pcap', 'attack/https-c2-beacon.pcap', 'attack/nmap-udp-scan.pcap', 'odd/ipv6-fragmented-dns.pcap', 'odd/mixed-vlan-mpls.pcap', 'odd/tcp_missing-syn.pcap'];

t.test('replays of real captures: every row against its record', { skip: sharedPcap('benign') === null ? SHARED_PCAPS_SKIP : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-zeek-shared-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let rows = 0;
  for (const rel of SHARED) {
    const file = sharedPcap(rel);
    if (file === null) {
      t.comment(`${rel} absent`);
      continue;
    }
    const out = join(dir, rel.replace(/\W/g, '_'));
    const records = await replay(file, out, 'tsv');
    const { conn } = compareLogs(t, out, records, rel);
    rows += conn.rows.length;
  }
  t.ok(rows > 1000, `${rows} conn.log rows checked`);
});

t.test('replay --zeek-log DIR writes the logs; --help says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-zeek-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'fixture.pcap');
  fixture(pcap);
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot(), 'src/cli.ts'), ...args], { encoding: 'utf8', env: { ...process.env, ARGUS_EDGE_MODELS_ENABLED: 'false' } });
  const r = cli(['replay', pcap, '--zeek-log', join(dir, 'z')]);
  t.equal(r.status, 0, r.stderr);
  const conn = readZeekTsv(readFileSync(join(dir, 'z', 'conn.log'), 'utf8'));
  t.ok(conn.rows.length === 9 && conn.close !== null, `conn.log with ${conn.rows.length} rows and #close`);
  t.ok(existsSync(join(dir, 'z', 'dns.log')) && existsSync(join(dir, 'z', 'ssl.log')), 'dns.log and ssl.log');
  for (const cmd of ['replay', 'run']) t.match(cli([cmd, '--help']).stdout, /--zeek-log DIR/, `${cmd} --help names --zeek-log`);
});
