import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType, Packet } from '../decode/packet.js';
import { MAX_BLOCK_BYTES, readCaptureFile } from './pcap-file.js';
import { PcapngWriter, type ByteOrder } from './pcap-writer.js';
import { frameBytes, readRecords, seededRandom, type ReadRecord } from '../../test/support/capture-records.js';

/** µs for a raw count in a unit of `perSec` per second, by BigInt: the reference the reader is held to. */
function refUs(raw: bigint, perSec: bigint, offsetSec = 0): number {
  return Number((raw * 1000000n) / perSec) + offsetSec * 1e6;
}

/**
 * Two sections: the first in `order` with five interfaces of different link types and timestamp units,
 * every packet block kind and several blocks a reader must skip; the second in the other byte order, with
 * interface ids starting over. Returns the file, the expected records and the offset where each block ends.
 */
function multiFixture(dir: string, order: ByteOrder) {
  const rand = seededRandom(order === 'le' ? 21 : 22);
  const w = new PcapngWriter({ byteOrder: order, userAppl: 'fixture' });
  const ends: number[] = [w.bytes];
  const packetEnds: number[] = [];
  const want: ReadRecord[] = [];
  const mark = (pkt: boolean) => {
    ends.push(w.bytes);
    if (pkt) packetEnds.push(w.bytes);
  };
  const ifs = [
    { linkType: LinkType.ETHERNET, name: 'eth0' }, // no if_tsresol: microseconds
    { linkType: LinkType.RAW, tsresol: 9 }, // nanoseconds
    { linkType: LinkType.LINUX_SLL2, tsresol: 0x80 | 20 }, // 2^-20 s
    { linkType: LinkType.NULL, tsresol: 3, tsoffset: 1000 }, // milliseconds, offset 1000 s
    { linkType: LinkType.IPV4, tsresol: 12, tsoffset: -5 }, // picoseconds, negative offset
    { linkType: LinkType.IPV6, tsresol: 15 }, // femtoseconds: past what a double divides exactly
  ];
  for (const f of ifs) {
    w.addInterface(f);
    mark(false);
  }
  const send = (ifIndex: number, tsUs: number, len: number, kind: 'epb' | 'pb', raw?: bigint) => {
    const data = frameBytes(rand, len);
    const wirelen = len + ((rand() * 3) | 0);
    if (kind === 'epb') w.addPacket(ifIndex, tsUs, data, { wirelen, rawTs: raw });
    else w.addObsoletePacket(ifIndex, tsUs, data, { wirelen, rawTs: raw, drops: 3 });
    mark(true);
    want.push({ tsUs, caplen: len, wirelen, linkType: ifs[ifIndex].linkType, ifIndex, data });
  };
  const t0 = 1_779_000_000_000_000;
  send(0, t0, 60, 'epb');
  send(1, t0 + 1, 61, 'epb');
  // a nanosecond count near 2^61: the last digits are lost if the count ever passes through a double
  const ns = 1_779_000_123_456_789_999n;
  send(1, refUs(ns, 10n ** 9n), 62, 'epb', ns);
  send(2, t0 + 333_333, 63, 'epb'); // through the writer's rounding
  const bin = (1_779_000_000n << 20n) + 1_048_575n; // the last 2^-20 tick of a second
  send(2, refUs(bin, 1n << 20n), 0, 'epb', bin);
  send(3, Math.floor((t0 + 777_777 - 1000e6) / 1000) * 1000 + 1000e6, 64, 'epb'); // ms units floor
  // 64 bits of picoseconds reach only ~213 days past 1970, of femtoseconds ~5 hours
  const ps = 17_790_000_123_456_789_012n;
  send(4, refUs(ps, 10n ** 12n, -5), 65, 'epb', ps);
  const fs = 12_345_678_901_234_567_891n;
  send(5, refUs(fs, 10n ** 15n), 66, 'epb', fs);
  w.addBlock(0xbad, Buffer.from('custom block, copyable'));
  mark(false);
  w.addBlock(0x40000bad, Buffer.from('custom block, not copyable!'));
  mark(false);
  w.addBlock(4, Buffer.alloc(20, 1)); // name resolution
  mark(false);
  send(1, t0 + 2_000_000, 300, 'pb');
  w.addBlock(5, Buffer.alloc(28, 2)); // interface statistics
  mark(false);
  w.addBlock(0xabcd, Buffer.alloc(3, 3)); // a type nobody defined, padded body
  mark(false);
  const spb = frameBytes(rand, 70);
  // without a snaplen a simple packet's captured length is its wire length (block data is padded to 4)
  w.addSimplePacket(spb);
  mark(true);
  // a simple packet has no timestamp: it gets the last one delivered
  want.push({ tsUs: t0 + 2_000_000, caplen: 70, wirelen: 70, linkType: LinkType.ETHERNET, ifIndex: 0, data: spb });

  w.newSection({ byteOrder: order === 'le' ? 'be' : 'le' });
  mark(false);
  w.addInterface({ linkType: LinkType.LINUX_SLL, snaplen: 64, tsresol: 6 });
  mark(false);
  const spbData = frameBytes(rand, 100);
  w.addSimplePacket(spbData);
  mark(true);
  want.push({ tsUs: t0 + 2_000_000, caplen: 64, wirelen: 100, linkType: LinkType.LINUX_SLL, ifIndex: 0, data: spbData.subarray(0, 64) });
  const data = frameBytes(rand, 40);
  w.addPacket(0, t0 + 3_000_000, data);
  mark(true);
  want.push({ tsUs: t0 + 3_000_000, caplen: 40, wirelen: 40, linkType: LinkType.LINUX_SLL, ifIndex: 0, data });
  const path = join(dir, `multi-${order}.pcapng`);
  w.writeFile(path);
  return { path, want, ends, packetEnds };
}

function mismatches(got: ReadRecord[], want: ReadRecord[]): string[] {
  const bad: string[] = [];
  if (got.length !== want.length) bad.push(`${got.length} records, want ${want.length}`);
  got.forEach((g, i) => {
    const w = want[i];
    if (w === undefined) return;
    for (const k of ['tsUs', 'caplen', 'wirelen', 'linkType', 'ifIndex'] as const) if (g[k] !== w[k]) bad.push(`#${i} ${k} ${g[k]}, want ${w[k]}`);
    if (!g.data.equals(w.data)) bad.push(`#${i} bytes differ`);
  });
  return bad;
}

t.test('pcapng: sections in both byte orders, interfaces with their own link types and units, all packet blocks', async (t) => {
  const dir = t.testdir({});
  for (const order of ['le', 'be'] as const) {
    const f = multiFixture(dir, order);
    const size = readFileSync(f.path).length;
    for (const chunkSize of [undefined, 8, 29, 256]) {
      const { summary, records } = await readRecords(f.path, { chunkSize });
      const what = `${order} chunk ${chunkSize ?? 'default'}`;
      t.same(mismatches(records, f.want), [], `${what}: every record as written`);
      t.same(summary, {
        format: 'pcapng',
        packets: f.want.length,
        bytes: f.want.reduce((a, w) => a + w.wirelen, 0),
        fileBytes: size,
        linkTypes: [LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.IPV4, LinkType.IPV6, LinkType.LINUX_SLL],
        error: null,
      }, `${what}: summary`);
    }
  }
});

t.test('pcapng: truncation at every byte keeps every whole packet block', async (t) => {
  const dir = t.testdir({});
  const f = multiFixture(dir, 'be');
  const whole = readFileSync(f.path);
  const cut = join(dir, 'cut.pcapng');
  let failures = 0;
  for (let len = 0; len <= whole.length; len++) {
    writeFileSync(cut, whole.subarray(0, len));
    const { summary } = await readRecords(cut, { chunkSize: len % 7 === 0 ? 16 : undefined });
    const kept = f.packetEnds.filter((e) => e <= len).length;
    const clean = len === 0 || f.ends.includes(len);
    const at = [0, ...f.ends].filter((e) => e <= len).pop() ?? 0;
    const bad: string[] = [];
    if (summary.packets !== kept) bad.push(`kept ${summary.packets}, want ${kept}`);
    if (clean !== (summary.error === null)) bad.push(`error ${JSON.stringify(summary.error)}`);
    if (!clean && summary.error !== null) {
      if (summary.error.offset !== at) bad.push(`offset ${summary.error.offset}, want ${at}`);
      if (!/^file ends inside /.test(summary.error.message)) bad.push(`message ${summary.error.message}`);
      if (summary.fileBytes !== at) bad.push(`fileBytes ${summary.fileBytes}`);
    }
    if (bad.length > 0 && failures++ < 10) t.fail(`cut at ${len}: ${bad.join('; ')}`);
  }
  t.equal(failures, 0, `${whole.length + 1} cut points`);
});

/** A one-section file with one Ethernet interface and three EPBs; returns it with the EPB offsets. */
function small(order: ByteOrder = 'le') {
  const w = new PcapngWriter({ byteOrder: order });
  w.addInterface({ linkType: LinkType.ETHERNET });
  const offsets: number[] = [];
  for (let i = 0; i < 3; i++) {
    offsets.push(w.bytes);
    w.addPacket(0, 1_000_000 * (i + 1), Buffer.alloc(50 + i, i));
  }
  offsets.push(w.bytes);
  return { buf: w.toBuffer(), offsets, w };
}

t.test('pcapng damage: each stops the read at the damaged block', async (t) => {
  const dir = t.testdir({});
  const cases: [string, (b: Buffer, o: number[]) => void, RegExp][] = [
    ['trailer mismatch', (b, o) => b.writeUInt32LE(999, o[2] - 4), /trailing length 999 does not match the leading \d+/],
    ['length not a multiple of 4', (b, o) => b.writeUInt32LE(b.readUInt32LE(o[1] + 4) + 2, o[1] + 4), /total length \d+ is not a multiple of 4/],
    ['length below the minimum', (b, o) => b.writeUInt32LE(8, o[1] + 4), /total length 8 is too small/],
    ['interface id out of range', (b, o) => b.writeUInt32LE(4, o[1] + 8), /interface id 4 but the section has 1 interfaces/],
    ['caplen beyond the block', (b, o) => b.writeUInt32LE(200, o[1] + 20), /caplen 200 exceeds the 52 data bytes of the block/],
    ['caplen beyond the record limit', (b, o) => b.writeUInt32LE(0xffffffff, o[1] + 20), /caplen 4294967295 exceeds the 262144-byte limit/],
    ['packet block too large', (b, o) => b.writeUInt32LE(MAX_BLOCK_BYTES + 4, o[1] + 4), new RegExp(`total length ${MAX_BLOCK_BYTES + 4} exceeds the ${MAX_BLOCK_BYTES}-byte limit`)],
  ];
  for (const [name, damage, re] of cases) {
    const { buf, offsets } = small();
    damage(buf, offsets);
    const p = join(dir, `${name}.pcapng`);
    writeFileSync(p, buf);
    for (const chunkSize of [undefined, 12]) {
      const { summary } = await readRecords(p, { chunkSize });
      t.equal(summary.packets, 1, `${name}: the packet before the damage is kept`);
      t.equal(summary.error?.offset, offsets[1], `${name}: offset`);
      t.match(summary.error?.message, new RegExp(`^block at byte ${offsets[1]}: ` + re.source), `${name}: message`);
    }
  }
});

t.test('pcapng section headers: a bad first one throws, a bad later one is damage', async (t) => {
  const dir = t.testdir({});
  const pkt = new Packet();
  const a = small().buf;
  a.writeUInt32LE(0x11223344, 8);
  writeFileSync(join(dir, 'bom.pcapng'), a);
  await t.rejects(readCaptureFile(join(dir, 'bom.pcapng'), pkt, () => {}), { name: 'CaptureFileError', message: /byte-order magic 0x44332211/ });
  const v = small().buf;
  v.writeUInt16LE(2, 12);
  writeFileSync(join(dir, 'v2.pcapng'), v);
  await t.rejects(readCaptureFile(join(dir, 'v2.pcapng'), pkt, () => {}), { name: 'CaptureFileError', message: /pcapng version 2\.0 is not 1\.x/ });
  const first = small().buf;
  const second = small('be').buf;
  second.writeUInt32BE(0x11223344, 8);
  writeFileSync(join(dir, 'two.pcapng'), Buffer.concat([first, second]));
  const { summary } = await readRecords(join(dir, 'two.pcapng'));
  t.equal(summary.packets, 3);
  t.match(summary.error, { offset: first.length, message: new RegExp(`^block at byte ${first.length}: byte-order magic`) });
  // a simple packet block in a section that has no interface yet
  const w = new PcapngWriter();
  w.addBlock(3, Buffer.from([0, 0, 0, 4, 1, 2, 3, 4]));
  w.writeFile(join(dir, 'spb.pcapng'));
  const spb = await readRecords(join(dir, 'spb.pcapng'));
  t.match(spb.summary.error?.message, /simple packet block but the section has no interface/);
});

t.test('pcapng: a huge block nobody reads is stepped over, not buffered', async (t) => {
  const dir = t.testdir({});
  const w = new PcapngWriter({ byteOrder: 'be' });
  w.addInterface({ linkType: LinkType.RAW, snaplen: 0 });
  w.addPacket(0, 10, Buffer.from([0x45, 1]));
  w.addBlock(0x40000bad, Buffer.alloc(MAX_BLOCK_BYTES + 1000, 7));
  w.addPacket(0, 20, Buffer.from([0x45, 2]));
  const p = join(dir, 'huge.pcapng');
  w.writeFile(p);
  for (const chunkSize of [undefined, 1024]) {
    const { summary, records } = await readRecords(p, { chunkSize });
    t.equal(summary.error, null);
    t.same(records.map((r) => r.tsUs), [10, 20]);
  }
  // the same block cut short: the file ends inside it
  const b = readFileSync(p);
  writeFileSync(p, b.subarray(0, b.length - 5000));
  const { summary } = await readRecords(p);
  t.equal(summary.packets, 1);
  t.match(summary.error?.message, /^file ends inside a \d+-byte block at byte \d+/);
});

t.test('pcapng: header-only and empty sections', async (t) => {
  const dir = t.testdir({});
  const w = new PcapngWriter();
  w.addInterface({ linkType: LinkType.ETHERNET });
  w.newSection();
  w.writeFile(join(dir, 'h.pcapng'));
  const { summary } = await readRecords(join(dir, 'h.pcapng'));
  t.same(summary, { format: 'pcapng', packets: 0, bytes: 0, fileBytes: w.bytes, linkTypes: [LinkType.ETHERNET], error: null });
});

t.test('streaming writer output equals the in-memory output', async (t) => {
  const dir = t.testdir({});
  const rand = seededRandom(5);
  const mem = new PcapngWriter();
  const file = new PcapngWriter({ path: join(dir, 's.pcapng') });
  for (const w of [mem, file]) w.addInterface({ linkType: LinkType.ETHERNET, tsresol: 9 });
  for (let i = 0; i < 1500; i++) {
    const d = frameBytes(rand, 1000);
    mem.addPacket(0, i * 1000, d, { extraNs: i % 1000 });
    file.addPacket(0, i * 1000, d, { extraNs: i % 1000 });
  }
  file.close();
  t.ok(readFileSync(join(dir, 's.pcapng')).equals(mem.toBuffer()));
  const { summary, records } = await readRecords(join(dir, 's.pcapng'));
  t.equal(summary.packets, 1500);
  t.equal(records[1499].tsUs, 1499 * 1000);
});

t.test('pcapng limits hold the same whether a block is buffered whole or straddles chunks', async (t) => {
  const dir = t.testdir({});
  // an EPB with a 10-byte packet but 400 KiB of options: too long a block to buffer
  const epb = Buffer.alloc(20 + 12 + 400 * 1024);
  epb.writeUInt32LE(10, 12);
  epb.writeUInt32LE(10, 16);
  // a simple packet whose data exceeds the record limit while its block stays under the block limit
  const spb = Buffer.alloc(4 + MAX_BLOCK_BYTES - 1024);
  spb.writeUInt32LE(MAX_BLOCK_BYTES, 0);
  const cases: [string, Buffer, number, RegExp][] = [
    ['long EPB', epb, 6, /total length \d+ exceeds the \d+-byte limit/],
    ['long SPB', spb, 3, /caplen \d+ exceeds the 262144-byte limit/],
  ];
  for (const [name, body, type, re] of cases) {
    const w = new PcapngWriter();
    w.addInterface({ linkType: LinkType.ETHERNET });
    w.addPacket(0, 1, Buffer.alloc(20));
    const at = w.bytes;
    w.addBlock(type, body);
    const p = join(dir, `${name}.pcapng`);
    w.writeFile(p);
    for (const chunkSize of [undefined, 4096, 1 << 20]) {
      const { summary } = await readRecords(p, { chunkSize });
      t.equal(summary.packets, 1, `${name}, chunk ${chunkSize}`);
      t.equal(summary.error?.offset, at);
      t.match(summary.error?.message, re);
    }
  }
});
