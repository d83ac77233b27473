/**
 * Acceptance against Zeek's own tunnel tests: replays the traces of every core.tunnels.* btest of a Zeek source
 * tree through the pipeline with the Zeek logs on, and checks that each connection Zeek's baseline conn.log
 * lists inside a tunnel (tunnel_parents set) is in our conn.log too, with as many tunnel parents, each the uid
 * of a row of ours (the tunnel's own flow). ARGUS_ZEEK_REPO names the tree: a checkout of zeek/zeek or a bare
 * git directory of one. Skips with a message when it is absent.
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
import { readZeekTsv, sameConn, type ZeekCell } from './support/zeek-log-reader.js';

const REPO = process.env.ARGUS_ZEEK_REPO ?? '/work/.mirror/zeek+zeek/repo';
const bare = existsSync(join(REPO, 'HEAD')) && existsSync(join(REPO, 'objects'));
const inTree = existsSync(join(REPO, 'testing/btest/Traces/tunnels'));

/** A file of the tree, or null when it has none. */
function zeekFile(path: string): Buffer | null {
  if (inTree) return existsSync(join(REPO, path)) ? readFileSync(join(REPO, path)) : null;
  const r = spawnSync('git', [`--git-dir=${REPO}`, 'show', `HEAD:${path}`], { maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout : null;
}
function zeekList(dir: string): string[] {
  if (inTree) return spawnSync('ls', [join(REPO, dir)]).stdout.toString().split('\n').filter(Boolean);
  return spawnSync('git', [`--git-dir=${REPO}`, 'ls-tree', '--name-only', 'HEAD', `${dir}/`]).stdout.toString().split('\n').filter(Boolean).map((p) => p.slice(dir.length + 1));
}

const skip = !bare && !inTree ? `no Zeek source tree at ${REPO} (set ARGUS_ZEEK_REPO to a zeek/zeek checkout or bare git directory)` : false;

/** Where we knowingly differ (none left since Aruba's 802.11-in-GRE is decoded): anything missing fails. */
const KNOWN_MISSES = new Map<string, number>();
/**
 * GRE in UDP: our parents are the flows that carried the packets, the UDP flows (one per source port here);
 * Zeek names one GRE tunnel by its address pair instead.
 */
const PARENTS_DIFFER = new Set(['core.tunnels.gre-over-udp']);

interface Case {
  name: string;
  traces: string[];
  tunnelled: Record<string, ZeekCell>[];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const name of zeekList('testing/btest/Baseline').filter((n) => n.startsWith('core.tunnels.'))) {
    const log = zeekFile(`testing/btest/Baseline/${name}/conn.log`);
    if (log === null) continue;
    // baselines have their times and the #open/#close dates masked: put numbers back so the reader parses them
    const text = log.toString().replace(/^### .*\n/, '').replace(/XXXXXXXXXX\.XXXXXX/g, '0.000000').replace(/^#(open|close)\s.*$/gm, '#$1\t2020-01-01-00-00-00');
    let rows: Record<string, ZeekCell>[];
    try {
      rows = readZeekTsv(text).rows;
    } catch {
      continue; // a few baselines hold zeek-cut columns only, without the 5-tuple
    }
    const tunnelled = rows.filter((r) => Array.isArray(r.tunnel_parents) && r.tunnel_parents.length > 0);
    if (tunnelled.length === 0) continue;
    const rel = name.slice('core.'.length).replaceAll('.', '/');
    const src = zeekFile(`testing/btest/core/${rel}.zeek`) ?? zeekFile(`testing/btest/core/${rel}.test`);
    if (src === null) continue;
    const cmd = src.toString().split('\n').find((l) => /@TEST-EXEC:.*\s-[A-Za-z]*r\s+\$\{?TRACES/.test(l));
    if (cmd === undefined) continue;
    const traces = [...cmd.matchAll(/\s-[A-Za-z]*r\s+\$\{?TRACES\}?\/(\S+)/g)].map((m) => `testing/btest/Traces/${m[1]}`);
    out.push({ name, traces, tunnelled });
  }
  return out;
}

async function ourConnLog(files: string[], dir: string, extra: Record<string, string> = {}): Promise<Record<string, ZeekCell>[]> {
  const cfg = loadConfig({ flags: { mode: 'replay', 'zeek.dir': dir, 'models.enabled': 'false', 'detectors.enabled': 'false', ...extra } });
  const p = new Pipeline(cfg, createLogger('error'));
  for (const f of files) {
    try {
      await replayFile(f, p.pkt, p.handlePacket);
    } catch {
      // Zeek's suite has traces cut short on purpose: what was read counts
    }
  }
  await p.shutdown();
  return readZeekTsv(readFileSync(join(dir, 'conn.log'), 'utf8')).rows;
}

t.test("every connection Zeek's tunnel baselines list inside a tunnel is ours too, with its tunnel parents", { skip }, async (t) => {
  const all = cases();
  t.ok(all.length >= 20, `${all.length} tunnel baselines with tunnelled connections`);
  const tmp = mkdtempSync(join(tmpdir(), 'argus-tunnels-zeek-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  let zeekTotal = 0;
  let found = 0;
  for (const c of all) {
    const files = c.traces.map((tr, i) => {
      const data = zeekFile(tr);
      if (data === null) return null;
      const f = join(tmp, `${c.name}.${i}.pcap`);
      writeFileSync(f, data);
      return f;
    });
    if (files.some((f) => f === null)) {
      t.comment(`${c.name}: a trace is not in the tree, skipped`);
      continue;
    }
    const dir = join(tmp, c.name);
    const ours = await ourConnLog(files as string[], dir);
    const uids = new Set(ours.map((r) => r.uid));
    let missing = 0;
    for (const z of c.tunnelled) {
      zeekTotal++;
      const mine = ours.find((r) => sameConn(r, z) && Array.isArray(r.tunnel_parents));
      if (mine === undefined) {
        missing++;
        continue;
      }
      found++;
      const parents = mine.tunnel_parents as string[];
      if (!PARENTS_DIFFER.has(c.name)) t.equal(parents.length, (z.tunnel_parents as string[]).length, `${c.name}: ${z.proto} ${z['id.orig_h']} → ${z['id.resp_h']}: as many tunnel parents as Zeek`);
      t.ok(parents.every((u) => uids.has(u)), `${c.name}: each parent is a connection of our conn.log`);
    }
    t.equal(missing, KNOWN_MISSES.get(c.name) ?? 0, `${c.name}: ${c.tunnelled.length - missing} of ${c.tunnelled.length} tunnelled connections present`);
  }
  t.comment(`tunnelled connections present: ${found} of ${zeekTotal}`);
  t.ok(zeekTotal > 40);
});

t.test('with decode.tunnels off, a tunnel is its outer flow only', { skip }, async (t) => {
  const trace = zeekFile('testing/btest/Traces/tunnels/gre-sample.pcap');
  if (trace === null) {
    t.comment('gre-sample.pcap is not in the tree');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'argus-tunnels-off-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const f = join(tmp, 'gre.pcap');
  writeFileSync(f, trace);
  const on = await ourConnLog([f], join(tmp, 'on'));
  const off = await ourConnLog([f], join(tmp, 'off'), { 'decode.tunnels': 'false' });
  t.same(off.map((r) => r.proto), ['unknown_transport'], 'the GRE flow only');
  t.equal(on.length, 8, 'the GRE flow and the seven connections inside');
  t.equal(on.filter((r) => r.tunnel_parents !== null).length, 7);
  const gre = on.find((r) => r.proto === 'unknown_transport')!;
  t.ok(on.every((r) => r === gre || (r.tunnel_parents as string[])[0] === gre.uid), "every inner connection names the GRE flow's uid");
});
