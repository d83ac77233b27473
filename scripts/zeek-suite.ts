/**
 * Replays the traces of Zeek's regression suite through the flow engine and compares the records with Zeek's
 * expected conn.log baselines: how many of Zeek's connections have a flow of ours, and for those, how often
 * conn_state, history (without Zeek's analyzer-limit letter X/x), the direction and the packet counts agree.
 *
 *   npx tsx scripts/zeek-suite.ts --zeek /path/to/zeek [--all] [--list] [--verbose] [--no-tunnels]
 *
 * `--zeek` is a checkout of zeek/zeek or a bare git directory of one (its testing/btest/Traces, Baseline and
 * the test scripts are then extracted to a temporary directory). A baseline counts when its conn.log has the
 * 5-tuple, proto, conn_state and history columns and its test reads traces with `-r $TRACES/…`; all traces
 * of the last such command before `btest-diff conn.log` (each run rewrites conn.log; the first command when
 * there is no such diff) are replayed, in order, through one flow table with Zeek's inactivity timeouts,
 * IP fragments reassembled (the pipeline's default decode.fragments), tunnels decapsulated to Zeek's
 * Tunnel::max_depth (4) unless `--no-tunnels`. Zeek's connections inside a
 * tunnel (tunnel_parents set) are counted apart: present, with a tunnel parent, with as many parents.
 * `--all` also takes the renamed conn logs of tests that run several commands (`mv conn.log conn-1.log`: the
 * traces of the last command before the rename), e.g. core.tcp.rxmit-history/conn-1.log.
 * A test run in bare mode (`zeek -b`) is replayed with bare mode's likely server ports and DNS session timer (bareMode). The
 * baselines and connections of EXCLUDED / EXCLUDED_CONNS are left out of the figures, each with its reason.
 * `--list` prints every disagreement and exclusion, `--verbose` every test with its figures. Not part of the
 * test suite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { Decapsulator, decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { Packet } from '../src/decode/packet.js';
import { FragmentReassembler } from '../src/decode/reassembly.js';
import type { FlowRecord } from '../src/flow/flow-record.js';
import { DEFAULT_FLOW_CONFIG, FlowTable, type FlowConfig } from '../src/flow/flow-table.js';
import type { LikelyServerPorts } from '../src/flow/server-ports.js';
import { addWithTunnels } from '../src/flow/tunnel-flows.js';

const { values: args } = parseArgs({
  options: {
    zeek: { type: 'string' },
    list: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'no-tunnels': { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
  },
});
if (!args.zeek) {
  process.stderr.write('usage: zeek-suite.ts --zeek <zeek checkout or bare git dir> [--all] [--list] [--verbose] [--no-tunnels]\n');
  process.exit(2);
}

/** The btest tree: the checkout's own, or the wanted files of a bare git directory extracted to a temp dir. */
function btestRoot(zeek: string): string {
  const inTree = join(zeek, 'testing/btest');
  if (existsSync(join(inTree, 'Traces'))) return inTree;
  const out = mkdtempSync(join(tmpdir(), 'zeek-suite-'));
  // the extracted tree (~50 MB) goes when the run ends
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const git = (a: string[], input?: string) => spawnSync('git', [`--git-dir=${zeek}`, ...a], { input, maxBuffer: 1 << 30 });
  const ls = git(['ls-tree', '-r', 'HEAD', 'testing/btest']).stdout.toString().split('\n');
  const want: [string, string][] = [];
  for (const line of ls) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const [, type, sha] = line.slice(0, tab).split(' ');
    const path = line.slice(tab + 1);
    if (type !== 'blob') continue;
    if (path.startsWith('testing/btest/Baseline/') ? !/\/conn[^/]*\.log$/.test(path) : /^testing\/btest\/(Baseline\.|Files\/)/.test(path)) continue;
    want.push([sha, path]);
  }
  // the analyzers' port registrations, for the likely server ports of a bare-mode run
  for (const line of git(['ls-tree', '-r', 'HEAD', 'scripts/base/protocols', 'scripts/base/packet-protocols']).stdout.toString().split('\n')) {
    const m = /^\S+ blob (\S+)\t(.*\/main\.zeek)$/.exec(line);
    if (m !== null) want.push([m[1], m[2]]);
  }
  // one batch: large objects a snapshot does not hold are reported "missing" and skipped
  const buf = git(['cat-file', '--batch'], want.map(([s]) => s).join('\n') + '\n').stdout;
  let at = 0;
  for (const [, path] of want) {
    const nl = buf.indexOf(10, at);
    const hdr = buf.subarray(at, nl).toString().split(' ');
    at = nl + 1;
    if (hdr[1] === 'missing') continue;
    const n = Number(hdr[2]);
    const file = join(out, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, buf.subarray(at, at + n));
    at += n + 1;
  }
  return join(out, 'testing/btest');
}

interface ZeekConn {
  ts: number;
  orig: string;
  origPort: number;
  resp: string;
  respPort: number;
  proto: string;
  connState: string;
  history: string;
  pkts: number;
  /** entries of tunnel_parents (0 when unset) */
  parents: number;
}

function parseConnLog(text: string): ZeekConn[] | null {
  let fields: string[] | null = null;
  const rows: ZeekConn[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#fields\t')) fields = line.split('\t').slice(1);
    if (line.startsWith('#') || line === '' || fields === null) continue;
    const v = line.split('\t');
    const get = (...names: string[]): string => {
      for (const n of names) {
        const i = fields!.indexOf(n);
        if (i >= 0) return v[i] ?? '-';
      }
      return '-';
    };
    rows.push({
      ts: Number(get('ts')),
      orig: get('id.orig_h', 'src'),
      origPort: Number(get('id.orig_p', 'src_port')),
      resp: get('id.resp_h', 'dst'),
      respPort: Number(get('id.resp_p', 'dst_port')),
      proto: get('proto'),
      connState: get('conn_state'),
      history: get('history'),
      pkts: Number(get('orig_pkts')) + Number(get('resp_pkts')),
      parents: ['-', '(empty)'].includes(get('tunnel_parents')) ? 0 : get('tunnel_parents').split(',').length,
    });
  }
  if (fields === null) return null;
  for (const need of ['proto', 'conn_state', 'history']) if (!fields.includes(need)) return null;
  if (!fields.includes('id.orig_h') && !fields.includes('src')) return null;
  return rows;
}

/** test name (dotted path) → test file */
function testFiles(root: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        if (!/^(Baseline|Traces|Files)/.test(e)) walk(p);
      } else {
        m.set(relative(root, p).replace(/\.[^./]+$/, '').replaceAll('/', '.'), p);
      }
    }
  };
  walk(root);
  return m;
}

function zeekProto(r: FlowRecord): string {
  if (r.proto === 6) return 'tcp';
  if (r.proto === 17) return 'udp';
  if (r.proto === 1 || r.proto === 58) return 'icmp';
  return 'unknown_transport';
}

/** Replays `traces` through one flow table; `bare` for a bare-mode run, else Zeek's default scripts. */
async function replay(traces: string[], bare?: BareMode): Promise<FlowRecord[]> {
  const records: FlowRecord[] = [];
  // Zeek's defaults: tcp_inactivity_timeout 5 min, udp/icmp 1 min; no active timeout
  const cfg: FlowConfig = {
    ...DEFAULT_FLOW_CONFIG,
    maxFlows: 100_000,
    timeouts: { ...DEFAULT_FLOW_CONFIG.timeouts, tcpNew: 300, tcpEstablished: 300, udp: 60, dns: 10, icmp: 60, other: 60, active: 1e9 },
    // Zeek's close_complete for a FIN towards a silent peer (off in the appliance's defaults: flow-config.ts)
    loneFinCloses: true,
    ...(bare !== undefined ? { likelyServerPorts: bare.likelyServerPorts } : {}),
  };
  // without the DNS analyzer there is no DNS session timer
  if (bare !== undefined && !bare.dns) delete cfg.timeouts.dns;
  const table = new FlowTable(cfg, (r) => records.push(r));
  const pkt = new Packet();
  const stats = new DecodeStats();
  // fragments reassembled outside and inside tunnels, as the pipeline does by default (decode.fragments)
  const frags = new FragmentReassembler();
  const decap = args['no-tunnels'] ? null : new Decapsulator(4, frags);
  for (const file of traces) {
    try {
      await readCaptureFile(file, pkt, (p) => {
        p.reset();
        if (!decodePacket(p, stats, frags) || p.ipVersion === 0) return;
        addWithTunnels(table, p, decap, stats);
      });
    } catch {
      // a trace we cannot read (truncated on purpose, unknown format): its connections count as unmatched
    }
  }
  table.flush('shutdown');
  return records;
}

// Zeek logs an empty history as '-'
const stripX = (h: string): string => h.replace(/[Xx]/g, '') || '-';

const root = btestRoot(args.zeek);
const tests = testFiles(root);
const baselineDir = join(root, 'Baseline');
const tally = { tests: 0, conns: 0, matched: 0, state: 0, history: 0, historyX: 0, direction: 0, pkts: 0, pktsKnown: 0 };
const tun = { conns: 0, matched: 0, withParent: 0, sameParents: 0 };
const byProto = new Map<string, { conns: number; matched: number; state: number; history: number }>();
const diffs = new Map<string, number>();
const lines: string[] = [];
const excluded: string[] = [];

/** The traces a conn log comes from, with the zeek command line that read them. */
interface LogSource {
  traces: string[];
  command: string;
}

/**
 * Which traces each conn log of a test comes from: `conn.log` from the last command that reads traces before
 * `btest-diff conn.log` (the first such command when the test diffs none), a renamed one (`mv conn.log
 * conn-1.log`) from the last such command before the rename.
 */
function logSources(src: string): Map<string, LogSource> {
  const m = new Map<string, LogSource>();
  let first: LogSource | null = null;
  let current: LogSource | null = null;
  for (const line of src.split('\n')) {
    if (!line.includes('@TEST-EXEC:')) continue;
    const traces = [...line.matchAll(/\s-[A-Za-z]*r\s+\$\{?TRACES\}?\/(\S+)/g)].map((x) => join(root, 'Traces', x[1]));
    if (traces.length > 0) {
      current = { traces, command: line };
      first ??= current;
    }
    for (const mv of line.matchAll(/\bmv\s+conn\.log\s+(conn[^\s/]*\.log)\b/g)) if (current !== null) m.set(mv[1], current);
    // each run rewrites conn.log: the one diffed is the last run's before the diff
    if (/btest-diff\s+conn\.log\b/.test(line) && current !== null && !m.has('conn.log')) m.set('conn.log', current);
  }
  if (first !== null && !m.has('conn.log')) m.set('conn.log', first);
  return m;
}

/** Whether a zeek command line has the single-letter option `letter` (alone or in a group such as `-bCr`). */
const hasOption = (command: string, letter: string): boolean => new RegExp(`\\szeek\\b[^|;&]*\\s-[A-Za-z]*${letter}`).test(command);

const scriptsDir = join(root, '../../scripts');
const portSets = new Map<string, LikelyServerPorts>();

/**
 * The server ports the analyzer scripts under `dir` (base/protocols/<name> or base/packet-protocols/<name>)
 * register (Analyzer::register_for_ports' first set, PacketAnalyzer::register_for_ports' set): what they add to
 * likely_server_ports when loaded.
 */
function registeredPorts(dir: string): LikelyServerPorts {
  const known = portSets.get(dir);
  if (known !== undefined) return known;
  const out: LikelyServerPorts = { tcp: [], udp: [] };
  const file = join(scriptsDir, dir, 'main.zeek');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    for (const reg of text.matchAll(/register_for_ports\(([^;]*)\);/g)) {
      const names = reg[1].split(',').map((a) => a.trim().replace(/^\w+::/, ''));
      // Analyzer::register_for_ports(tag, server_ports, client_ports); PacketAnalyzer's (parent, child, ports)
      const name = reg[1].includes('PacketAnalyzer::') ? names[2] : names[1];
      const def = new RegExp(`\\b${name}\\s*(?::[^=]*)?=\\s*\\{([^}]*)\\}`).exec(text);
      for (const p of def?.[1].matchAll(/(\d+)\/(tcp|udp)/g) ?? []) out[p[2] as 'tcp' | 'udp'].push(Number(p[1]));
    }
  }
  portSets.set(dir, out);
  return out;
}

/** What a bare-mode run (`zeek -b`) has of the analyzers the default scripts load. */
interface BareMode {
  likelyServerPorts: LikelyServerPorts;
  /** whether the test loads base/protocols/dns (its UDP sessions then end by dns_session_timeout) */
  dns: boolean;
}

/**
 * Zeek's likely_server_ports in bare mode: init-bare loads every packet protocol, so the tunnel ports are in
 * it, and each base/protocols script the test loads adds its analyzer's ports; nothing else.
 */
function bareMode(testSource: string, command: string): BareMode {
  const out: LikelyServerPorts = { tcp: [], udp: [] };
  const add = (p: LikelyServerPorts): void => {
    out.tcp.push(...p.tcp);
    out.udp.push(...p.udp);
  };
  if (existsSync(join(scriptsDir, 'base/packet-protocols'))) {
    for (const d of readdirSync(join(scriptsDir, 'base/packet-protocols'))) add(registeredPorts(`base/packet-protocols/${d}`));
  }
  const loads = [...testSource.matchAll(/^\s*@load\s+base\/protocols\/([\w-]+)/gm), ...command.matchAll(/\sbase\/protocols\/([\w-]+)/g)];
  const loaded = new Set(loads.map((x) => x[1]));
  for (const l of loaded) add(registeredPorts(`base/protocols/${l}`));
  return { likelyServerPorts: out, dns: loaded.has('dns') };
}

/**
 * Baselines not comparable with a plain replay, left out of the figures (and listed with `--list`): the
 * test's own script or command line changes which packets Zeek analyses, so its conn.log is not the trace's.
 */
const EXCLUDED = new Map<string, string>([
  ['core.pcap.dynamic-filter', 'its script installs BPF filters (port 80, then another) while the trace is read'],
  ['core.skip_analyzer', "its script makes Zeek skip the first 38 bytes of every packet, so the GRE tunnel's outer layers are never seen"],
  ['scripts.base.frameworks.netcontrol.packetfilter', 'its script installs a NetControl drop filter on each originator once its connection is established'],
]);

/** Single connections left out likewise (`test proto orig:port > resp:port`), for the same kind of reason. */
const EXCLUDED_CONNS = new Map<string, string>([
  [
    'scripts.base.protocols.ftp.gridftp tcp 192.168.57.103:35391 > 192.168.57.101:55968',
    'the GridFTP script (GridFTP::skip_data) stops Zeek processing the data channel once it is detected (skip_further_processing), so its FINs are not in the record',
  ],
]);

interface Baseline {
  name: string;
  log: string;
  source: LogSource;
  testSource: string;
}
const baselines: Baseline[] = [];
for (const name of readdirSync(baselineDir).sort()) {
  const testFile = tests.get(name) ?? tests.get(name.replace(/-\d+$/, ''));
  if (testFile === undefined) continue;
  const testSource = readFileSync(testFile, 'utf8');
  const sources = logSources(testSource);
  for (const file of readdirSync(join(baselineDir, name)).sort()) {
    const source = sources.get(file);
    if (source !== undefined && (file === 'conn.log' || args.all)) {
      baselines.push({ name: file === 'conn.log' ? name : `${name}/${file}`, log: join(baselineDir, name, file), source, testSource });
    }
  }
}

for (const { name, log, source, testSource } of baselines) {
  const traces = source.traces;
  const conns = parseConnLog(readFileSync(log, 'utf8'));
  if (conns === null || conns.length === 0) continue;
  if (traces.length === 0 || !traces.every((f) => existsSync(f))) continue;
  const why = EXCLUDED.get(name.replace(/\/.*$/, ''));
  if (why !== undefined) {
    excluded.push(`${name}: ${why}`);
    continue;
  }
  const ours = await replay(traces, hasOption(source.command, 'b') ? bareMode(testSource, source.command) : undefined);
  tally.tests++;
  const used = new Set<FlowRecord>();
  let tm = 0;
  let ts = 0;
  for (const z of conns) {
    const skip = EXCLUDED_CONNS.get(`${name} ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort}`);
    if (skip !== undefined) {
      excluded.push(`${name} ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort}: ${skip}`);
      continue;
    }
    tally.conns++;
    const bp = byProto.get(z.proto) ?? { conns: 0, matched: 0, state: 0, history: 0 };
    byProto.set(z.proto, bp);
    bp.conns++;
    if (z.parents > 0) tun.conns++;
    let best: FlowRecord | null = null;
    let bestDt = Infinity;
    for (const r of ours) {
      if (used.has(r) || r.segment !== 0 || zeekProto(r) !== z.proto) continue;
      const same = r.srcIp === z.orig && r.srcPort === z.origPort && r.dstIp === z.resp && r.dstPort === z.respPort;
      const swapped = r.srcIp === z.resp && r.srcPort === z.respPort && r.dstIp === z.orig && r.dstPort === z.origPort;
      // ICMP: ports are type and code; a flipped ICMP flow keeps the addresses only
      const icmpAddr = z.proto === 'icmp' && ((r.srcIp === z.orig && r.dstIp === z.resp) || (r.srcIp === z.resp && r.dstIp === z.orig));
      if (!same && !swapped && !(icmpAddr && (z.proto !== 'icmp' || r.srcPort === z.origPort || r.srcPort === z.respPort))) continue;
      const dt = Number.isFinite(z.ts) ? Math.abs(r.startUs / 1e6 - z.ts) : 0;
      if (dt < bestDt) {
        best = r;
        bestDt = dt;
      }
    }
    if (best === null) {
      if (args.list) lines.push(`${name}: unmatched${z.parents > 0 ? ' tunnelled' : ''} ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort} ${z.connState} ${z.history}`);
      continue;
    }
    used.add(best);
    tally.matched++;
    if (z.parents > 0) {
      tun.matched++;
      if (best.tunnel !== undefined) tun.withParent++;
      if ((best.tunnel?.parents.length ?? 0) === z.parents) tun.sameParents++;
      else if (args.list) lines.push(`${name}: ${z.parents} parents, ours ${best.tunnel?.parents.length ?? 0}: ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort}`);
    } else if (best.tunnel !== undefined && args.list) lines.push(`${name}: ours in a tunnel, Zeek's not: ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort}`);
    bp.matched++;
    tm++;
    const stateOk = best.connState === z.connState;
    const histOk = stripX(best.history) === stripX(z.history);
    if (stateOk) {
      tally.state++;
      bp.state++;
      ts++;
    }
    if ((best.history || '-') === z.history) tally.history++;
    if (histOk) {
      tally.historyX++;
      bp.history++;
    }
    if (best.srcIp === z.orig && best.srcPort === z.origPort) tally.direction++;
    // some baselines log no packet counts
    if (Number.isFinite(z.pkts)) {
      tally.pktsKnown++;
      if (best.pktsToServer + best.pktsToClient === z.pkts) tally.pkts++;
      else if (args.list) lines.push(`${name}: packets ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort} zeek ${z.pkts} ours ${best.pktsToServer + best.pktsToClient}`);
    }
    if (!stateOk || !histOk) {
      const k = `${z.proto} ${z.connState}/${stripX(z.history)} → ${best.connState}/${best.history}`;
      diffs.set(k, (diffs.get(k) ?? 0) + 1);
      if (args.list) lines.push(`${name}: ${z.proto} ${z.orig}:${z.origPort} > ${z.resp}:${z.respPort} zeek ${z.connState} ${z.history} ours ${best.connState} ${best.history}`);
    }
  }
  if (args.verbose) lines.push(`${name}: ${conns.length} conns, ${tm} matched, ${ts} conn_state agree`);
}

const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)} %`);
const out: string[] = [];
out.push(`tests ${tally.tests}, Zeek connections ${tally.conns}, matched ${tally.matched} (${pct(tally.matched, tally.conns)})`);
out.push(`of the matched: conn_state ${pct(tally.state, tally.matched)}, history ${pct(tally.history, tally.matched)} (ignoring X: ${pct(tally.historyX, tally.matched)}), direction ${pct(tally.direction, tally.matched)}, packets ${pct(tally.pkts, tally.pktsKnown)} (of ${tally.pktsKnown} with packet counts)`);
out.push(`tunnelled connections (tunnel_parents set) ${tun.conns}: present ${tun.matched} (${pct(tun.matched, tun.conns)}), with a tunnel parent ${tun.withParent}, as many parents as Zeek ${tun.sameParents}`);
for (const [p, b] of [...byProto].sort()) {
  out.push(`  ${p}: ${b.conns} conns, matched ${b.matched}, conn_state ${pct(b.state, b.matched)}, history (no X) ${pct(b.history, b.matched)}`);
}
out.push('most frequent disagreements (zeek conn_state/history → ours):');
for (const [k, n] of [...diffs].sort((a, b) => b[1] - a[1]).slice(0, 25)) out.push(`  ${String(n).padStart(4)}  ${k}`);
out.push(`excluded (baselines and connections) ${excluded.length}:`);
for (const e of excluded) out.push(`  ${e}`);
process.stdout.write([...lines, ...out].join('\n') + '\n');
