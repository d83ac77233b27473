/**
 * Helpers for capture-file reader tests: read a file into plain records (copying each frame, since the
 * reader's buffer is reused) and make deterministic frame bytes.
 */
import { Packet } from '../../src/decode/packet.js';
import { readCaptureFile, type ReadOptions, type ReadSummary } from '../../src/capture/pcap-file.js';

export interface ReadRecord {
  tsUs: number;
  caplen: number;
  wirelen: number;
  linkType: number;
  ifIndex: number;
  data: Buffer;
}

/** Reads the whole file; every record is copied out of the reader's buffer during its callback. */
export async function readRecords(path: string, opts?: ReadOptions): Promise<{ summary: ReadSummary; records: ReadRecord[] }> {
  const records: ReadRecord[] = [];
  const pkt = new Packet();
  const summary = await readCaptureFile(
    path,
    pkt,
    (p) => {
      records.push({
        tsUs: p.tsUs,
        caplen: p.caplen,
        wirelen: p.wirelen,
        linkType: p.linkType,
        ifIndex: p.ifIndex,
        data: Buffer.from(p.buf.subarray(p.bufOffset, p.bufOffset + p.caplen)),
      });
    },
    opts,
  );
  return { summary, records };
}

/** Deterministic pseudo-random generator (mulberry32): the same seed gives the same fixtures on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` bytes from the generator; every frame differs, so a frame delivered at the wrong offset shows. */
export function frameBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}
