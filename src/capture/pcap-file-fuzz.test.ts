/**
 * Mutation fuzzing of the capture-file reader: seeded random byte changes to generated pcap and pcapng
 * files. Whatever the damage, the reader must return (or throw CaptureFileError for a ruined file header),
 * and the result must not depend on the chunk size — the in-chunk fast path and the block-at-a-time slow
 * path have to agree on every malformed input.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType } from '../decode/packet.js';
import { CaptureFileError } from './pcap-file.js';
import { PcapngWriter, PcapWriter } from './pcap-writer.js';
import { frameBytes, readRecords, seededRandom } from '../../test/support/capture-records.js';

const MUTATIONS = 200;
const CHUNKS = [undefined, 13, 100];

function seeds(): [string, Buffer][] {
  const rand = seededRandom(99);
  const pcap = new PcapWriter({ nanos: true, byteOrder: 'be' });
  for (let i = 0; i < 12; i++) pcap.add(1_700_000_000_000_000 + i * 1000, frameBytes(rand, 1 + ((rand() * 120) | 0)));
  const ng = new PcapngWriter();
  ng.addInterface({ linkType: LinkType.ETHERNET, snaplen: 96 });
  ng.addInterface({ linkType: LinkType.RAW, tsresol: 0x80 | 24, tsoffset: 7 });
  for (let i = 0; i < 10; i++) {
    const d = frameBytes(rand, 1 + ((rand() * 120) | 0));
    if (i % 4 === 3) ng.addSimplePacket(d);
    else if (i % 4 === 2) ng.addObsoletePacket(1, 1_700_000_000_000_000 + i, d);
    else ng.addPacket(i % 2, 1_700_000_000_000_000 + i, d);
    if (i === 5) ng.addBlock(0xbad, Buffer.from('custom'));
  }
  ng.newSection({ byteOrder: 'be' });
  ng.addInterface({ linkType: LinkType.LINUX_SLL2 });
  ng.addPacket(0, 1_800_000_000_000_000, frameBytes(rand, 60));
  return [
    ['pcap', pcap.toBuffer()],
    ['pcapng', ng.toBuffer()],
  ];
}

t.test('mutated files: no crash, no hang, the same result at every chunk size', async (t) => {
  const dir = t.testdir({});
  const rand = seededRandom(1234);
  const path = join(dir, 'm.bin');
  const problems: string[] = [];
  let damaged = 0;
  let refused = 0;
  for (const [name, seed] of seeds()) {
    for (let m = 0; m < MUTATIONS; m++) {
      const b = Buffer.from(seed);
      // a few changes: single bytes anywhere, or a whole 32-bit field set to an extreme
      const edits = 1 + ((rand() * 3) | 0);
      for (let e = 0; e < edits; e++) {
        const at = (rand() * b.length) | 0;
        if (rand() < 0.5) b[at] = (rand() * 256) | 0;
        else if (at + 4 <= b.length) b.writeUInt32LE([0, 0xffffffff, 0x7fffffff, 12, 28, 0x10000][(rand() * 6) | 0], at & ~3);
      }
      const len = rand() < 0.2 ? (rand() * b.length) | 0 : b.length;
      writeFileSync(path, b.subarray(0, len));
      const results: string[] = [];
      for (const chunkSize of CHUNKS) {
        try {
          const { summary, records } = await readRecords(path, { chunkSize });
          const digest = records.map((r) => `${r.tsUs}/${r.caplen}/${r.wirelen}/${r.linkType}/${r.ifIndex}/${r.data.toString('base64')}`).join(',');
          results.push(JSON.stringify(summary) + digest);
          if (summary.error !== null && chunkSize === undefined) damaged++;
        } catch (err) {
          if (!(err instanceof CaptureFileError) || err.offset !== 0) problems.push(`${name} #${m}: ${(err as Error).stack}`);
          results.push(`refused: ${(err as Error).message}`);
          if (chunkSize === undefined) refused++;
        }
      }
      if (results.some((r) => r !== results[0])) problems.push(`${name} #${m}: chunk sizes disagree:\n${results.join('\n')}`);
    }
  }
  t.same(problems.slice(0, 5), [], `${2 * MUTATIONS} mutated files`);
  t.ok(damaged > 50, `${damaged} reported damage, ${refused} were refused outright`);
});
