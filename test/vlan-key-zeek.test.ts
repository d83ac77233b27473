/**
 * flow.keyByVlan against Zeek's own test of its connection key (scripts.policy.frameworks.conn_key.vlan_fivetuple):
 * vlan-collisions.pcap holds three overlapping HTTP connections with one 5-tuple, untagged, on VLAN 42 and on
 * VLANs 10/20. Zeek's default key makes them one connection (21 packets each way); its VLAN-aware key three
 * (7 each way, with their VLANs). The flow table must give the same records, by default and with flow.keyByVlan. ARGUS_ZEEK_REPO names a zeek/zeek checkout or bare git directory; skips without one.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { Packet } from '../src/decode/packet.js';
import type { FlowRecord } from '../src/flow/flow-record.js';
import { FlowTable } from '../src/flow/flow-table.js';
import { flowConfig } from './support/flow-packets.js';

const REPO = process.env.ARGUS_ZEEK_REPO ?? '/work/.mirror/zeek+zeek/repo';
const bare = existsSync(join(REPO, 'HEAD')) && existsSync(join(REPO, 'objects'));
const inTree = existsSync(join(REPO, 'testing/btest/Traces'));

function zeekFile(path: string): Buffer | null {
  if (inTree) return existsSync(join(REPO, path)) ? readFileSync(join(REPO, path)) : null;
  const r = spawnSync('git', [`--git-dir=${REPO}`, 'show', `HEAD:${path}`], { maxBuffer: 1 << 26 });
  return r.status === 0 ? r.stdout : null;
}

const trace = bare || inTree ? zeekFile('testing/btest/Traces/vlan-collisions.pcap') : null;
const base = 'testing/btest/Baseline/scripts.policy.frameworks.conn_key.vlan_fivetuple';
const skip = !bare && !inTree ? `no Zeek source tree at ${REPO} (set ARGUS_ZEEK_REPO to a zeek/zeek checkout or bare git directory)` : trace === null ? 'vlan-collisions.pcap is not in the tree' : false;

/** Zeek's zeek-cut baseline: one row per connection as "orig:port resp:port vlan inner_vlan orig_pkts resp_pkts service" */
function zeekRows(path: string): string[] {
  const lines = zeekFile(path)!.toString().split('\n').filter((l) => l !== '' && !l.startsWith('###'));
  const head = lines[0].split('\t');
  const col = (v: string[], n: string) => (head.indexOf(n) >= 0 ? v[head.indexOf(n)] : '-');
  return lines.slice(1).map((l) => {
    const v = l.split('\t');
    return [`${col(v, 'id.orig_h')}:${col(v, 'id.orig_p')}`, `${col(v, 'id.resp_h')}:${col(v, 'id.resp_p')}`, col(v, 'id.ctx.vlan'), col(v, 'id.ctx.inner_vlan'), col(v, 'orig_pkts'), col(v, 'resp_pkts'), col(v, 'service')].join(' ');
  }).sort();
}

async function ours(dir: string, keyByVlan: boolean): Promise<string[]> {
  const f = join(dir, 'vlan-collisions.pcap');
  writeFileSync(f, trace!);
  const records: FlowRecord[] = [];
  const table = new FlowTable(flowConfig({ keyByVlan }), (r) => records.push(r));
  const stats = new DecodeStats();
  await readCaptureFile(f, new Packet(), (p) => {
    p.reset();
    if (decodePacket(p, stats) && p.ipVersion !== 0) table.add(p);
  });
  table.flush('shutdown');
  return records
    .map((r) => [`${r.srcIp}:${r.srcPort}`, `${r.dstIp}:${r.dstPort}`, r.vlan[0] ?? '-', r.vlan[1] ?? '-', r.pktsToServer, r.pktsToClient, r.service ?? '-'].join(' '))
    .sort();
}

/** Zeek's default baseline has no VLAN columns: compare without ours */
const noVlans = (row: string): string => row.split(' ').map((v, i) => (i === 2 || i === 3 ? '-' : v)).join(' ');

t.test("Zeek's default key: the three VLANs' connections are one", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-vlan-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const want = zeekRows(`${base}/conn.log.cut`);
  t.equal(want.length, 1);
  t.same((await ours(dir, false)).map(noVlans), want);
});

t.test("flow.keyByVlan: one connection per VLAN, as Zeek's vlan_fivetuple key", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-vlan-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const want = zeekRows(`${base}-2/conn.log.cut`);
  t.equal(want.length, 3);
  t.same(await ours(dir, true), want);
});
