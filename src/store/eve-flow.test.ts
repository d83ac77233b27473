/**
 * EVE flow lines keep Suricata's fields in Suricata's places and ours under `argus`: real frames written with
 * the project's builders and pcap writer, replayed through the pipeline into a real file.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { icmpFrame, tcpFrame } from '../capture/packet-builder.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { replayFile } from '../capture/replay.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { eveTimestamp } from './eve.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;
const A = '10.99.0.2';
const B = '10.99.0.3';

t.test('ICMP flows carry icmp_type/icmp_code, not ports; TCP flows Suricata\'s flags; Zeek fields under argus', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-eve-flow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'flows.pcap');
  const w = new PcapWriter({ path: pcap });
  w.add(T0, icmpFrame({ src: A, dst: B, type: 8, id: 1, seq: 1 }));
  w.add(T0 + 1000, icmpFrame({ src: B, dst: A, type: 0, id: 1, seq: 1 }));
  w.add(T0 + 2000, icmpFrame({ src: B, dst: A, type: 3, code: 3 }));
  // a SYN with ECE and CWR (an ECN setup), refused
  w.add(T0 + 3000, tcpFrame({ src: A, dst: B, sport: 40000, dport: 81, flags: 'SEC', seq: 1 }));
  w.add(T0 + 4000, tcpFrame({ src: B, dst: A, sport: 81, dport: 40000, flags: 'RA', seq: 0, ack: 2 }));
  w.close();
  const out = join(dir, 'eve.json');
  const p = new Pipeline(loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.enabled': 'false' } }), createLogger('error'));
  await replayFile(pcap, p.pkt, p.handlePacket);
  await p.shutdown();
  const flows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event_type === 'flow');
  const echo = flows.find((f) => f.icmp_type === 8)!;
  t.match(echo, { proto: 'ICMP', icmp_type: 8, response_icmp_type: 0 }, 'echo: request type and reply type');
  t.notOk('src_port' in echo || 'dest_port' in echo, 'no ports on ICMP');
  t.match(flows.find((f) => f.icmp_type === 3), { icmp_type: 3, icmp_code: 3 }, 'a one-way type with its code');
  const tcp = flows.find((f) => f.proto === 'TCP')!;
  t.match(tcp, { src_port: 40000, dest_port: 81, tcp: { tcp_flags_ts: 'c2', syn: true, rst: true, ack: true, ecn: true, cwr: true }, argus: { conn_state: 'REJ', history: 'Sr', end_reason: 'rst' } });
  t.notOk('ece' in (tcp.tcp as object), "Suricata names the ECE flag ecn");
  t.same(Object.keys(tcp.flow as object), ['pkts_toserver', 'pkts_toclient', 'bytes_toserver', 'bytes_toclient', 'start', 'end', 'age', 'state', 'reason', 'alerted'], "only Suricata's keys in flow");
  t.same(Object.keys(tcp).slice(0, 8), ['timestamp', 'flow_id', 'event_type', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'proto'], "Suricata's key order");
});

t.test('eveTimestamp: Suricata form, the same as from a Date for every microsecond tried (the second is cached)', async (t) => {
  const viaDate = (tsUs: number): string => {
    const iso = new Date(Math.floor(tsUs / 1000)).toISOString();
    return `${iso.slice(0, 19)}.${String(((tsUs % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0')}+0000`;
  };
  t.equal(eveTimestamp(1_763_700_865_123_456), '2025-11-21T04:54:25.123456+0000');
  let bad = 0;
  let s = 7;
  for (let i = 0; i < 20_000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // runs within one second, and jumps back and forth across seconds and the epoch
    const t0 = i % 3 === 0 ? -5_000_000 + (s % 10_000_000) : 1_767_225_599_000_000 + (s % 2_000_000);
    if (eveTimestamp(t0) !== viaDate(t0)) bad++;
  }
  t.equal(bad, 0, 'no difference in 20,000 timestamps');
});
