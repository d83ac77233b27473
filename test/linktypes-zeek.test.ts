/**
 * Acceptance against Zeek's own link-type tests: replays the traces of the core.* btests of a Zeek source tree
 * whose link layer is PPP, radiotap + 802.11, 802.11, Cisco FabricPath, VN-Tag or PPPoE through the pipeline
 * with the Zeek logs on, and checks that every connection of Zeek's baseline conn.log is in our conn.log (the
 * same 5-tuple either way round), with Zeek's conn_state and packet count. The ARP baselines of the two
 * wireless traces check the 802.11 address rules: each ARP message's link addresses and ARP fields as Zeek
 * prints them. ARGUS_ZEEK_REPO names the tree: a checkout of zeek/zeek or a bare git directory of one. Skips
 * with a message when it is absent.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayFile } from '../src/capture/replay.js';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { loadConfig } from '../src/config.js';
import { macToString, ipv4ToString } from '../src/decode/addr.js';
import { decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { Packet } from '../src/decode/packet.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { readZeekTsv, sameConn, type ZeekCell } from './support/zeek-log-reader.js';

const REPO = process.env.ARGUS_ZEEK_REPO ?? '/work/.mirror/zeek+zeek/repo';
const bare = existsSync(join(REPO, 'HEAD')) && existsSync(join(REPO, 'objects'));
const inTree = existsSync(join(REPO, 'testing/btest/Traces'));

function zeekFile(path: string): Buffer | null {
  if (inTree) return existsSync(join(REPO, path)) ? readFileSync(join(REPO, path)) : null;
  const r = spawnSync('git', [`--git-dir=${REPO}`, 'show', `HEAD:${path}`], { maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout : null;
}

const skip = !bare && !inTree ? `no Zeek source tree at ${REPO} (set ARGUS_ZEEK_REPO to a zeek/zeek checkout or bare git directory)` : false;

/** baseline → its trace (the test's `-r $TRACES/…`) and the link layer it shows */
const CASES: [baseline: string, trace: string, what: string][] = [
  ['core.ppp', 'ppp/quic-interop-retry.pcap', 'LINKTYPE_PPP'],
  ['core.radiotap', 'radiotap.pcap', 'radiotap + 802.11 (To-DS and From-DS data, QoS data)'],
  ['core.wlanmon', 'wlanmon.pcap', '802.11 monitor capture'],
  ['core.cisco-fabric-path', 'cisco-fabric-path.pcap', 'Cisco FabricPath and plain Ethernet'],
  ['core.vntag', 'vntag.pcap', 'VN-Tag, then a VLAN tag'],
  ['core.vntag-in-vlan', 'vntag_vlan_sandwich_clean.pcap', 'VLAN, VN-Tag, VLAN'],
  ['core.pppoe', 'pppoe.pcap', 'PPPoE session frames'],
  ['core.pppoe-over-qinq', 'pppoe-over-qinq.pcap', 'PPPoE behind two VLAN tags'],
];

/**
 * Where we knowingly differ, by baseline, each with its reason; anything else fails.
 * - vntag-in-vlan: the trace's one packet is cut by the snap length inside the TCP options (24 of 40 header
 *   bytes captured). Zeek reads the ports from the fixed header anyway; our TCP decoder does not decode a
 *   header it does not have whole (decoder.tcp.hlen_too_large), so the flow has ports 0 and does not match.
 */
const KNOWN_MISSES = new Map([['core.vntag-in-vlan', 1]]);

async function ourConnLog(file: string, dir: string): Promise<Record<string, ZeekCell>[]> {
  const cfg = loadConfig({ flags: { mode: 'replay', 'zeek.dir': dir, 'models.enabled': 'false', 'detectors.enabled': 'false' } });
  const p = new Pipeline(cfg, createLogger('error'));
  await replayFile(file, p.pkt, p.handlePacket);
  await p.shutdown();
  return readZeekTsv(readFileSync(join(dir, 'conn.log'), 'utf8')).rows;
}

const pkts = (r: Record<string, ZeekCell>): number => Number(r.orig_pkts ?? 0) + Number(r.resp_pkts ?? 0);

t.test("every connection of Zeek's link-type baselines is ours, with its conn_state and packets", { skip }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'argus-linktypes-zeek-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  let total = 0;
  let found = 0;
  for (const [name, trace, what] of CASES) {
    const log = zeekFile(`testing/btest/Baseline/${name}/conn.log`);
    const data = zeekFile(`testing/btest/Traces/${trace}`);
    if (log === null || data === null) {
      t.comment(`${name}: baseline or trace not in the tree, skipped`);
      continue;
    }
    const text = log.toString().replace(/^### .*\n/, '').replace(/XXXXXXXXXX\.XXXXXX/g, '0.000000').replace(/^#(open|close)\s.*$/gm, '#$1\t2020-01-01-00-00-00');
    const zeek = readZeekTsv(text).rows;
    const f = join(tmp, `${name}.pcap`);
    writeFileSync(f, data);
    const ours = await ourConnLog(f, join(tmp, name));
    let missing = 0;
    const used = new Set<Record<string, ZeekCell>>();
    for (const z of zeek) {
      total++;
      const mine = ours.find((r) => !used.has(r) && sameConn(r, z));
      if (mine === undefined) {
        missing++;
        continue;
      }
      used.add(mine);
      found++;
      const id = `${name}: ${z.proto} ${z['id.orig_h']}:${z['id.orig_p']} → ${z['id.resp_h']}:${z['id.resp_p']}`;
      t.equal(mine.conn_state, z.conn_state, `${id}: conn_state`);
      t.equal(pkts(mine), pkts(z), `${id}: packets`);
    }
    t.equal(missing, KNOWN_MISSES.get(name) ?? 0, `${name} (${what}): ${zeek.length - missing} of ${zeek.length} connections present`);
  }
  t.comment(`connections present: ${found} of ${total}`);
  t.ok(total >= 80, `${total} connections in the baselines`);
});

t.test("802.11 address rules: each ARP message's link and ARP addresses as Zeek's ARP baselines print them", { skip }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'argus-linktypes-arp-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  for (const name of ['radiotap', 'wlanmon']) {
    const out = zeekFile(`testing/btest/Baseline/scripts.base.protocols.arp.${name}/.stdout`);
    const data = zeekFile(`testing/btest/Traces/arp-who-has-${name}.pcap`);
    if (out === null || data === null) {
      t.comment(`${name}: baseline or trace not in the tree, skipped`);
      continue;
    }
    // Zeek's script prints: link source, link destination, SPA, SHA, TPA, THA
    const want = out.toString().split('\n').filter((l) => /^[0-9a-f]{2}:/.test(l));
    const f = join(tmp, `${name}.pcap`);
    writeFileSync(f, data);
    const got: string[] = [];
    const stats = new DecodeStats();
    await readCaptureFile(f, new Packet(), (p) => {
      p.reset();
      if (!decodePacket(p, stats) || p.arp === null) return;
      const a = p.arp;
      got.push([macToString(p.srcMac), macToString(p.dstMac), ipv4ToString(a.senderIp), macToString(a.senderMac), ipv4ToString(a.targetIp), macToString(a.targetMac)].join(', '));
    });
    t.ok(want.length >= 2, `${name}: ${want.length} ARP messages in the baseline`);
    t.same(got, want, `${name}: the same addresses as Zeek`);
  }
});
