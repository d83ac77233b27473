/**
 * Fragment reassembly against Zeek's own tests: replays the fragment traces of a Zeek source tree through the
 * pipeline with the Zeek logs on and compares with what the btests' baselines say —
 * - core.tunnels.gtp.outer_ip_frag: conn.log (the fragmented GTP carrier and the TCP connection inside it):
 *   packets and IP bytes per direction, the inner history;
 * - core.ipv6-frag: the `new_packet` output gives each UDP datagram's IPv6 payload length; a 3,238-byte DNS
 *   answer in three fragments is one packet of the 51851 → 53 connection;
 * - bifs.get_current_packet_header_fragmented_syn: a SYN split over two fragments is one SYN of 60 IP bytes;
 * - core.ipv6-atomic-frag: the four HTTP connections made of atomic fragments;
 * - core.reassembly (ipv4/fragmented-1…4): Zeek's fragment weirds per trace, by kind, against our events.
 * ARGUS_ZEEK_REPO names the tree (a checkout of zeek/zeek or a bare git directory of one); skips without it.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { readZeekTsv, type ZeekCell } from './support/zeek-log-reader.js';

const REPO = process.env.ARGUS_ZEEK_REPO ?? '/work/.mirror/zeek+zeek/repo';
const bare = existsSync(join(REPO, 'HEAD')) && existsSync(join(REPO, 'objects'));
const inTree = existsSync(join(REPO, 'testing/btest/Traces'));
const skip = !bare && !inTree ? `no Zeek source tree at ${REPO} (set ARGUS_ZEEK_REPO to a zeek/zeek checkout or bare git directory)` : false;

function zeekFile(path: string): Buffer | null {
  if (inTree) return existsSync(join(REPO, path)) ? readFileSync(join(REPO, path)) : null;
  const r = spawnSync('git', [`--git-dir=${REPO}`, 'show', `HEAD:${path}`], { maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout : null;
}

const tmp = mkdtempSync(join(tmpdir(), 'argus-fragments-zeek-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

interface Ours {
  conns: Record<string, ZeekCell>[];
  events: Record<string, number>;
}

/** Our conn.log and decoder events for a trace of the tree; null when the tree lacks it. */
async function replay(trace: string): Promise<Ours | null> {
  const data = zeekFile(`testing/btest/Traces/${trace}`);
  if (data === null) return null;
  const name = trace.replaceAll('/', '_');
  const file = join(tmp, name);
  writeFileSync(file, data);
  const dir = join(tmp, `${name}.logs`);
  const cfg = loadConfig({ flags: { mode: 'replay', 'zeek.dir': dir, 'models.enabled': 'false', 'detectors.enabled': 'false' } });
  const p = new Pipeline(cfg, createLogger('error'));
  await replayFile(file, p.pkt, p.handlePacket);
  await p.shutdown();
  const log = join(dir, 'conn.log');
  return { conns: existsSync(log) ? readZeekTsv(readFileSync(log, 'utf8')).rows : [], events: p.decodeStats.toJSON().events };
}

/** A Zeek baseline with its masked times put back, parsed; null when absent. */
function baselineConnLog(test: string): Record<string, ZeekCell>[] | null {
  const log = zeekFile(`testing/btest/Baseline/${test}/conn.log`);
  if (log === null) return null;
  const text = log.toString().replace(/^### .*\n/, '').replace(/XXXXXXXXXX\.XXXXXX/g, '0.000000').replace(/^#(open|close)\s.*$/gm, '#$1\t2020-01-01-00-00-00');
  return readZeekTsv(text).rows;
}

const key = (r: Record<string, ZeekCell>) => `${r.proto} ${r['id.orig_h']}:${r['id.orig_p']} > ${r['id.resp_h']}:${r['id.resp_p']}`;

t.test('core.tunnels.gtp.outer_ip_frag: the fragmented carrier and the connection inside, counted as Zeek counts them', { skip }, async (t) => {
  const zeek = baselineConnLog('core.tunnels.gtp.outer_ip_frag');
  const ours = await replay('tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap');
  if (zeek === null || ours === null) {
    t.comment('trace or baseline not in the tree: not compared');
    return;
  }
  t.equal(zeek.length, 2);
  for (const z of zeek) {
    const o = ours.conns.find((r) => key(r) === key(z));
    t.ok(o, `${key(z)} is ours`);
    if (o === undefined) continue;
    for (const f of ['orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'conn_state', 'history', 'orig_bytes']) t.equal(o[f], z[f], `${key(z)} ${f}`);
  }
  t.equal(ours.conns.length, 2, 'no port-0 flow of later fragments');
});

t.test('core.ipv6-frag: a DNS answer in three fragments is one packet of its connection', { skip }, async (t) => {
  const out = zeekFile('testing/btest/Baseline/core.ipv6-frag/output');
  const ours = await replay('ipv6-fragmented-dns.pcap');
  if (out === null || ours === null) {
    t.comment('trace or baseline not in the tree: not compared');
    return;
  }
  // Zeek prints every UDP packet it hands to a connection: ip6 payload length, ports
  const pkts = [...out.toString().matchAll(/len=(\d+), nxt=17, hlim=\d+, src=([^,]+), dst=([^,]+),.*sport=(\d+)\/udp, dport=(\d+)\/udp/g)].map((m) => ({
    ipBytes: 40 + Number(m[1]),
    src: m[2]!,
    sport: Number(m[4]),
    dport: Number(m[5]),
  }));
  t.equal(pkts.length, 5);
  t.equal(ours.conns.length, 2, 'two connections, no port-0 flow');
  for (const c of ours.conns) {
    const client = c['id.orig_p'] as number;
    const sent = pkts.filter((p) => p.sport === client);
    const got = pkts.filter((p) => p.dport === client);
    t.same(
      [c.orig_pkts, c.orig_ip_bytes, c.resp_pkts, c.resp_ip_bytes],
      [sent.length, sent.reduce((n, p) => n + p.ipBytes, 0), got.length, got.reduce((n, p) => n + p.ipBytes, 0)],
      `port ${client}: packets and IP bytes as Zeek saw them`,
    );
  }
  t.same(ours.events, {}, 'no decoder event (the answer parses whole)');
});

t.test('bifs.get_current_packet_header_fragmented_syn: a SYN in two fragments is one SYN of 60 IP bytes', { skip }, async (t) => {
  const out = zeekFile('testing/btest/Baseline/bifs.get_current_packet_header_fragmented_syn/output');
  const ours = await replay('ipv4/fragmented-syn.pcap');
  if (out === null || ours === null) {
    t.comment('trace or baseline not in the tree: not compared');
    return;
  }
  const m = /ip=\[hl=20, [^\]]*len=(\d+),.*src=([\d.]+), dst=([\d.]+)\], .*tcp=\[sport=(\d+)\/tcp, dport=(\d+)\/tcp, seq=(\d+).*flags=(\d+)/.exec(out.toString());
  t.ok(m, 'the baseline names the reassembled header');
  t.equal(ours.conns.length, 1);
  const c = ours.conns[0]!;
  t.same([c['id.orig_h'], c['id.orig_p'], c['id.resp_h'], c['id.resp_p']], [m![2], Number(m![4]), m![3], Number(m![5])]);
  t.same([c.orig_pkts, c.orig_ip_bytes, c.history], [1, Number(m![1]), 'S'], 'one SYN, the reassembled length');
  t.equal(Number(m![7]), 2, 'flags=2: SYN');
});

t.test('core.ipv6-atomic-frag: atomic fragments are whole packets', { skip }, async (t) => {
  const out = zeekFile('testing/btest/Baseline/core.ipv6-atomic-frag/output');
  const ours = await replay('ipv6-http-atomic-frag.pcap');
  if (out === null || ours === null) {
    t.comment('trace or baseline not in the tree: not compared');
    return;
  }
  const zeekPorts = [...out.toString().matchAll(/orig_p=(\d+)\/tcp, resp_h=[^,]+, resp_p=80\/tcp/g)].map((m) => Number(m[1])).sort();
  const ourPorts = ours.conns.filter((c) => c.proto === 'tcp' && c['id.resp_p'] === 80).map((c) => c['id.orig_p'] as number).sort();
  t.equal(zeekPorts.length, 4);
  t.same(ourPorts, zeekPorts);
});

/**
 * Zeek's fragment weirds and ours. Zeek's fragment_overlap (same bytes) and fragment_inconsistency (other bytes)
 * are both our frag_overlap; Zeek counts an overlap per held block it touches, we per fragment, so kinds are
 * compared, not counts. fragment_with_DF has no counterpart (a DF bit on a fragment is odd, not an attack).
 */
const WEIRDS: Record<string, string | null> = {
  excessively_small_fragment: 'frag_too_small',
  fragment_size_inconsistency: 'frag_size_inconsistent',
  fragment_inconsistency: 'frag_overlap',
  fragment_overlap: 'frag_overlap',
  excessively_large_fragment: 'frag_pkt_too_large',
  fragment_with_DF: null,
};

t.test("core.reassembly: Zeek's fragment weirds on ipv4/fragmented-1…4 are our decoder events", { skip }, async (t) => {
  const out = zeekFile('testing/btest/Baseline/core.reassembly/output');
  if (out === null) {
    t.comment('baseline not in the tree: not compared');
    return;
  }
  // one section per trace, in the order the test runs them; the fifth is a TCP trace
  const sections = out.toString().split('----------------------\n').slice(1, 5);
  t.equal(sections.length, 4);
  for (let i = 0; i < 4; i++) {
    const ours = await replay(`ipv4/fragmented-${i + 1}.pcap`);
    if (ours === null) continue;
    const zeekKinds = new Set([...sections[i]!.matchAll(/flow weird, (\w+),/g)].map((m) => WEIRDS[m[1]!]).filter((k): k is string => k !== null && k !== undefined));
    const ourKinds = new Set(Object.keys(ours.events).filter((e) => e.startsWith('decoder.ipv4.frag_')).map((e) => e.slice('decoder.ipv4.'.length)));
    t.same([...ourKinds].sort(), [...zeekKinds].sort(), `fragmented-${i + 1}: ${[...zeekKinds].join(', ') || 'none'}`);
    t.notOk(ours.conns.some((c) => c['id.orig_p'] === 0 && c['id.resp_p'] === 0 && c.proto !== 'icmp'), `fragmented-${i + 1}: no port-0 flow`);
  }
});
