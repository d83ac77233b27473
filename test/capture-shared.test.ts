/**
 * The capture-file reader against every real capture in the shared folder, with Wireshark's capinfos (and
 * tshark, and tcpdump where Wireshark has no reader for a link type) as the oracle for the packet count,
 * and tshark as the oracle for timestamps, lengths and interface ids on a sample of files.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Packet } from '../src/decode/packet.js';
import { CaptureFileError, readCaptureFile, type ReadSummary } from '../src/capture/pcap-file.js';
import { readRecords } from './support/capture-records.js';
import { SHARED_PCAPS_DIR as PCAPS, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

function has(cmd: string, arg: string): boolean {
  return spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
}

interface Oracle {
  /** packets the oracle read; null when the file is no capture */
  count: number | null;
  /** the oracle reports the file as cut short or damaged after `count` packets */
  damaged: boolean;
  by: string;
}

/**
 * capinfos on all files at once (relative names, table output); its stderr says which files are damaged,
 * which are no capture and which use a link type Wireshark cannot read.
 */
function capinfosAll(files: string[]): { oracle: Map<string, Oracle>; unsupported: Set<string> } {
  const rel = files.map((f) => relative(PCAPS, f));
  const r = spawnSync('capinfos', ['-T', '-c', '-M', '-r', ...rel], { cwd: PCAPS, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = new Map<string, Oracle>();
  for (const line of r.stdout.split('\n')) {
    const [name, count] = line.split('\t');
    if (name && count !== undefined && /^\d+$/.test(count.trim())) out.set(name, { count: Number(count), damaged: false, by: 'capinfos' });
  }
  for (const m of r.stderr.matchAll(/An error occurred after reading (\d+) packets from "([^"]+)"/g)) {
    out.set(m[2], { count: Number(m[1]), damaged: true, by: 'capinfos' });
  }
  for (const m of r.stderr.matchAll(/The file "([^"]+)" isn't a capture file/g)) out.set(m[1], { count: null, damaged: false, by: 'capinfos' });
  const unsupported = new Set([...r.stderr.matchAll(/The file "([^"]+)" contains record data that capinfos doesn't support/g)].map((m) => m[1]));
  return { oracle: out, unsupported };
}

/** tshark, then tcpdump: for the files capinfos could not count. */
function fallbackCount(file: string, unsupportedLinkType: boolean): Oracle | undefined {
  // tshark reads through the same library as capinfos: an unknown link type fails there too
  if (!unsupportedLinkType && has('tshark', '-v')) {
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status === 0) return { count: r.stdout.split('\n').filter((l) => l.trim() !== '').length, damaged: false, by: 'tshark' };
  }
  const r = spawnSync('tcpdump', ['--count', '-r', file], { encoding: 'utf8' });
  const m = /^(\d+) packets?/m.exec(r.stdout);
  if (m !== null) return { count: Number(m[1]), damaged: /truncated dump file|cut short|error/i.test(r.stderr), by: 'tcpdump --count' };
  return undefined;
}

const skip = !existsSync(PCAPS)
  ? SHARED_PCAPS_SKIP
  : !has('capinfos', '-v')
    ? 'capinfos (Debian package tshark) is not installed'
    : false;

t.test('every shared capture: packet count equals the capinfos/tshark/tcpdump count', { skip }, async (t) => {
  const files = listFiles(PCAPS);
  const { oracle, unsupported } = capinfosAll(files);
  const pkt = new Packet();
  const problems: string[] = [];
  let compared = 0;
  let damaged = 0;
  let foreign = 0;
  for (const file of files) {
    const rel = relative(PCAPS, file);
    let o = oracle.get(rel);
    if (o === undefined) {
      o = fallbackCount(file, unsupported.has(rel));
      if (o === undefined) {
        problems.push(`${rel}: no oracle could read it`);
        continue;
      }
    }
    let sum: ReadSummary;
    try {
      sum = await readCaptureFile(file, pkt, () => {});
    } catch (err) {
      if (o.count === null && err instanceof CaptureFileError) {
        foreign++;
        continue;
      }
      problems.push(`${rel}: threw ${(err as Error).message}`);
      continue;
    }
    if (o.count === null) {
      problems.push(`${rel}: ${o.by} says it is no capture, we read ${sum.packets} packets`);
      continue;
    }
    compared++;
    if (sum.packets !== o.count) problems.push(`${rel}: ${sum.packets} packets, ${o.by} ${o.count}`);
    if (o.damaged) {
      damaged++;
      if (sum.error === null) problems.push(`${rel}: ${o.by} says it is damaged, we saw no error`);
    } else if (sum.error !== null) problems.push(`${rel}: unexpected error ${sum.error.message}`);
    if (sum.fileBytes !== (sum.error === null ? statSync(file).size : sum.error.offset)) problems.push(`${rel}: fileBytes ${sum.fileBytes}`);
    // the same file through a small odd-sized chunk: records now straddle chunk ends everywhere
    const small = await readCaptureFile(file, pkt, () => {}, { chunkSize: 997 });
    if (JSON.stringify(small) !== JSON.stringify(sum)) problems.push(`${rel}: chunk 997 gives ${JSON.stringify(small)}, default ${JSON.stringify(sum)}`);
  }
  t.same(problems, [], `${files.length} files: ${compared} compared, ${damaged} damaged ones, ${foreign} non-captures refused`);
  t.ok(compared > 50, `compared ${compared} captures`);
});

/** Files where tshark's per-packet fields are compared, each exercising a different header or unit. */
const TIMESTAMP_SAMPLES = [
  'odd/pcapng-multi-interface.pcapng', // several interfaces
  'benign/web-page-load.pcapng',
  'attack/ssh-bruteforce-hydra-1-tasks.pcapng', // times in 1970
  'odd/tcpdump-tests/tcp-handshake-nano.pcap', // nanosecond pcap
  'odd/tcpdump-tests/pptp.pcap', // big-endian pcap
  'odd/truncated-real-capture.pcap', // pcapng named .pcap, cut short
  'odd/linux_dlt_sll2.pcap',
];

t.test('timestamps, lengths and interface ids equal tshark on a sample', { skip: skip || (!has('tshark', '-v') && 'tshark is not installed') }, async (t) => {
  for (const rel of TIMESTAMP_SAMPLES) {
    const file = join(PCAPS, rel);
    if (!existsSync(file)) {
      t.comment(`${rel} is not present: not compared`);
      continue;
    }
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.interface_id'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    const want = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [epoch, cap, len, ifId] = l.split('\t');
        return `${epochToUs(epoch)} ${cap} ${len} ${ifId === '' ? 0 : ifId}`;
      });
    const { records } = await readRecords(file);
    const got = records.map((x) => `${x.tsUs} ${x.caplen} ${x.wirelen} ${x.ifIndex}`);
    const diff = got.map((g, i) => (g === want[i] ? '' : `#${i + 1} ours ${g}, tshark ${want[i]}`)).filter((d) => d !== '');
    t.equal(got.length, want.length, `${rel}: ${want.length} packets`);
    t.same(diff.slice(0, 5), [], `${rel}: time (µs), caplen, wirelen, interface`);
  }
});

/** "1767663089.500330493" (tshark's epoch, up to nanoseconds) → integer µs, floored, without a double. */
function epochToUs(s: string): number {
  const neg = s.startsWith('-');
  const [sec, frac = ''] = (neg ? s.slice(1) : s).split('.');
  const us = BigInt(sec) * 1000000n + BigInt((frac + '000000').slice(0, 6));
  return Number(neg ? -us : us);
}
