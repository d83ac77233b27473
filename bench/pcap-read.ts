/**
 * Capture-file reader throughput: records/s and MB/s with a no-op callback, from the page cache.
 *
 *   npx tsx bench/pcap-read.ts [file] [--seconds N] [--chunk BYTES]
 *
 * Default file: $ARGUS_BENCH_PCAP, else the largest shared benign capture. The file is read repeatedly until N seconds (default 3)
 * have passed, after one untimed warm-up pass that also pulls it into the page cache and lets the JIT
 * optimise the record loop. Prints figures only; this is not a pass/fail test.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { Packet } from '../src/decode/packet.js';
import { readCaptureFile } from '../src/capture/pcap-file.js';

const DEFAULT_FILE = process.env.ARGUS_BENCH_PCAP ?? resolve(projectRoot(), '..', 'shared', 'pcaps', 'benign', 'madea-smarthome-11h.pcap');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2] !== undefined && !process.argv[2].startsWith('--') ? process.argv[2] : DEFAULT_FILE;
const seconds = Number(arg('--seconds') ?? 3);
const chunkSize = arg('--chunk') !== undefined ? Number(arg('--chunk')) : undefined;

if (!existsSync(file)) {
  console.log(`skipped: ${file} is not present`);
  process.exit(0);
}

const pkt = new Packet();
let sink = 0;
// touch the record so the callback cannot be optimised away, as a real consumer would
const onPacket = (p: Packet): void => {
  sink += p.caplen;
};

const warm = await readCaptureFile(file, pkt, onPacket, { chunkSize });
if (warm.error !== null) console.log(`note: ${warm.error.message}`);

let records = 0;
let bytes = 0;
let passes = 0;
const t0 = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < seconds) {
  const s = await readCaptureFile(file, pkt, onPacket, { chunkSize });
  records += s.packets;
  bytes += s.fileBytes;
  passes++;
  elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
}

console.log(`file        ${file} (${warm.format}, ${warm.packets} records, ${(warm.fileBytes / 1e6).toFixed(1)} MB)`);
console.log(`passes      ${passes} in ${elapsed.toFixed(2)} s${chunkSize !== undefined ? `, chunk ${chunkSize} bytes` : ''}`);
console.log(`records/s   ${(records / elapsed / 1e6).toFixed(2)} M`);
console.log(`MB/s        ${(bytes / elapsed / 1e6).toFixed(0)}`);
console.log(`(checksum ${sink})`);
