import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { LinkType, Packet } from '../decode/packet.js';
import { CaptureFileError, MAX_RECORD_BYTES, readCaptureFile } from './pcap-file.js';
import { PcapWriter, type ByteOrder } from './pcap-writer.js';
import { frameBytes, readRecords, seededRandom } from '../../test/support/capture-records.js';

interface Sent {
  tsUs: number;
  extraNs: number;
  data: Buffer;
  wirelen: number;
}

/** A pcap fixture of `n` frames with varied sizes and timestamps; returns the file, what was sent and record offsets. */
function pcapFixture(dir: string, name: string, opts: { byteOrder: ByteOrder; nanos: boolean; n: number; snaplen?: number; seed?: number; maxLen?: number }) {
  const rand = seededRandom(opts.seed ?? 7);
  const w = new PcapWriter({ byteOrder: opts.byteOrder, nanos: opts.nanos, linkType: LinkType.RAW, snaplen: opts.snaplen });
  const sent: Sent[] = [];
  const offsets: number[] = [];
  let off = 24;
  // a 2026 timestamp: µs since 1970 is ~1.8e15, well past 2^32, so 32-bit arithmetic anywhere would show
  let ts = 1_779_000_000_000_000;
  for (let i = 0; i < opts.n; i++) {
    const len = i === 3 ? 0 : i === 5 ? 9000 : 1 + ((rand() * (opts.maxLen ?? 1500)) | 0);
    const data = frameBytes(rand, len);
    ts += (rand() * 5_000_000) | 0;
    const extraNs = (rand() * 1000) | 0;
    const wirelen = len + (i % 4 === 0 ? 0 : (rand() * 100) | 0);
    w.add(ts, data, { wirelen, extraNs });
    sent.push({ tsUs: ts, extraNs, data, wirelen });
    offsets.push(off);
    off += 16 + Math.min(len, w.snaplen);
  }
  offsets.push(off);
  const path = join(dir, name);
  w.writeFile(path);
  return { path, sent, offsets, snaplen: w.snaplen };
}

t.test('pcap µs and ns, both byte orders, read back exactly at many chunk sizes', async (t) => {
  const dir = t.testdir({});
  for (const byteOrder of ['le', 'be'] as const) {
    for (const nanos of [false, true]) {
      const f = pcapFixture(dir, `${byteOrder}-${nanos}.pcap`, { byteOrder, nanos, n: 40 });
      const size = readFileSync(f.path).length;
      for (const chunkSize of [undefined, 13, 64, 1000, 4096]) {
        const { summary, records } = await readRecords(f.path, { chunkSize });
        const what = `${byteOrder} ${nanos ? 'ns' : 'µs'} chunk ${chunkSize ?? 'default'}`;
        t.same(summary, { format: 'pcap', packets: 40, bytes: f.sent.reduce((a, s) => a + s.wirelen, 0), fileBytes: size, linkTypes: [LinkType.RAW], error: null }, what);
        let bad = 0;
        records.forEach((r, i) => {
          const s = f.sent[i];
          if (r.tsUs !== s.tsUs || r.caplen !== s.data.length || r.wirelen !== s.wirelen || r.linkType !== LinkType.RAW || r.ifIndex !== 0 || !r.data.equals(s.data)) bad++;
        });
        t.equal(bad, 0, `${what}: every record's time, lengths and bytes match`);
      }
    }
  }
});

t.test('nanosecond fractions floor to the microsecond', async (t) => {
  const dir = t.testdir({});
  const w = new PcapWriter({ nanos: true });
  w.add(1_000_000_000_123_456, Buffer.alloc(4), { extraNs: 999 });
  w.add(5, Buffer.alloc(4), { extraNs: 1 });
  w.writeFile(join(dir, 'ns.pcap'));
  const { records } = await readRecords(join(dir, 'ns.pcap'));
  t.same(records.map((r) => r.tsUs), [1_000_000_000_123_456, 5]);
  // an out-of-range fraction (tcpdump's timestamp_invalid_nano.pcap has 10^9 and 2^31 ns) carries into the
  // seconds rather than wrapping, so time still moves forward
  const b = readFileSync(join(dir, 'ns.pcap'));
  b.writeUInt32LE(0x80000000, 24 + 4);
  writeFileSync(join(dir, 'ns.pcap'), b);
  const odd = await readRecords(join(dir, 'ns.pcap'));
  t.equal(odd.records[0].tsUs, 1_000_000_000_000_000 + 2_147_483);
});

t.test('snaplen cuts frames: caplen < wirelen', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'snap.pcap', { byteOrder: 'le', nanos: false, n: 10, snaplen: 96 });
  const { summary, records } = await readRecords(f.path, { chunkSize: 100 });
  t.equal(summary.error, null);
  t.same(records.map((r) => r.caplen), f.sent.map((s) => Math.min(96, s.data.length)));
  t.same(records.map((r) => r.wirelen), f.sent.map((s) => s.wirelen));
  t.ok(records.every((r, i) => r.data.equals(f.sent[i].data.subarray(0, 96))));
});

t.test('records larger than the chunk grow the buffer; the record limit is exact', async (t) => {
  const dir = t.testdir({});
  const rand = seededRandom(3);
  const big = frameBytes(rand, MAX_RECORD_BYTES);
  const w = new PcapWriter({ snaplen: 1 << 20 });
  w.add(1, Buffer.from([1, 2, 3])).add(2, big).add(3, Buffer.from([4]));
  const ok = join(dir, 'ok.pcap');
  w.writeFile(ok);
  for (const chunkSize of [16, 4096, undefined]) {
    const { summary, records } = await readRecords(ok, { chunkSize });
    t.equal(summary.error, null, `chunk ${chunkSize}`);
    t.same(records.map((r) => r.caplen), [3, MAX_RECORD_BYTES, 1]);
    t.ok(records[1].data.equals(big));
  }
  const w2 = new PcapWriter({ snaplen: 1 << 20 });
  w2.add(1, Buffer.from([1])).add(2, frameBytes(rand, MAX_RECORD_BYTES + 1));
  const over = join(dir, 'over.pcap');
  w2.writeFile(over);
  const { summary } = await readRecords(over);
  t.equal(summary.packets, 1);
  t.same(summary.error, { offset: 41, message: `record at byte 41: caplen ${MAX_RECORD_BYTES + 1} exceeds the ${MAX_RECORD_BYTES}-byte limit` });
});

t.test('truncation at every byte of a small pcap keeps every whole record', async (t) => {
  const dir = t.testdir({});
  // five records of at most 200 bytes, one of them empty: every cut point is tried, a few hundred reads
  const f = pcapFixture(dir, 'whole.pcap', { byteOrder: 'be', nanos: true, n: 5, seed: 11, maxLen: 200 });
  const whole = readFileSync(f.path);
  const cut = join(dir, 'cut.pcap');
  let checked = 0;
  for (let len = 0; len <= whole.length; len++) {
    writeFileSync(cut, whole.subarray(0, len));
    // every few lengths with a small chunk as well, so the cut also falls across chunk ends
    const { summary, records } = await readRecords(cut, { chunkSize: len % 5 === 0 ? 37 : undefined });
    const kept = f.offsets.filter((o, i) => i > 0 && o <= len).length; // records whose end is inside
    const at = len < 24 ? 0 : f.offsets[kept];
    const clean = len === 0 || len === 24 || f.offsets.includes(len);
    const bad: string[] = [];
    if (summary.packets !== kept || records.length !== kept) bad.push(`kept ${summary.packets}, want ${kept}`);
    if (clean !== (summary.error === null)) bad.push(`error ${JSON.stringify(summary.error)}`);
    if (!clean && summary.error !== null) {
      if (summary.error.offset !== at) bad.push(`offset ${summary.error.offset}, want ${at}`);
      const re =
        len < 24
          ? /^file ends inside the pcap (global|file) header/
          : len - at < 16
            ? new RegExp(`^file ends inside a record header at byte ${at} \\(${len - at} of 16 bytes\\)$`)
            : new RegExp(`^file ends inside a record at byte ${at}: caplen \\d+ but only ${len - at - 16} bytes follow the header$`);
      if (!re.test(summary.error.message)) bad.push(`message ${summary.error.message}`);
      if (summary.fileBytes !== at) bad.push(`fileBytes ${summary.fileBytes}`);
    }
    if (records.some((r, i) => !r.data.equals(f.sent[i].data))) bad.push('bytes differ');
    if (bad.length > 0) t.fail(`cut at ${len}: ${bad.join('; ')}`);
    checked++;
  }
  t.equal(checked, whole.length + 1, 'every length was checked');
});

t.test('a lying caplen stops the read at that record', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'lie.pcap', { byteOrder: 'le', nanos: false, n: 8 });
  const b = readFileSync(f.path);
  b.writeUInt32LE(0xffffffff, f.offsets[5] + 8);
  writeFileSync(f.path, b);
  const { summary, records } = await readRecords(f.path);
  t.equal(records.length, 5);
  t.same(summary.error, { offset: f.offsets[5], message: `record at byte ${f.offsets[5]}: caplen 4294967295 exceeds the 262144-byte limit` });
  t.equal(summary.fileBytes, f.offsets[5]);
  // a caplen under the limit that runs past the end of the file
  b.writeUInt32LE(200000, f.offsets[5] + 8);
  writeFileSync(f.path, b);
  const again = await readRecords(f.path);
  t.equal(again.records.length, 5);
  t.match(again.summary.error?.message, new RegExp(`^file ends inside a record at byte ${f.offsets[5]}: caplen 200000 but only \\d+ bytes`));
});

t.test('pre-2.3 files with swapped length fields and the patched Kuznetzov format', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'v22.pcap', { byteOrder: 'be', nanos: false, n: 5, snaplen: 64 });
  const b = readFileSync(f.path);
  b.writeUInt16BE(2, 6); // version 2.2: wirelen comes first
  for (let i = 0; i < 5; i++) {
    const o = f.offsets[i];
    const cap = b.readUInt32BE(o + 8);
    b.writeUInt32BE(b.readUInt32BE(o + 12), o + 8);
    b.writeUInt32BE(cap, o + 12);
  }
  writeFileSync(f.path, b);
  const { summary, records } = await readRecords(f.path);
  t.equal(summary.error, null);
  t.same(records.map((r) => [r.caplen, r.wirelen]), f.sent.map((s) => [Math.min(64, s.data.length), s.wirelen]));

  // Kuznetzov: same records with 8 extra header bytes each
  const parts = [Buffer.from(readFileSync(f.path).subarray(0, 24))];
  parts[0].writeUInt32BE(0xa1b2cd34, 0);
  parts[0].writeUInt16BE(4, 6);
  for (let i = 0; i < 5; i++) {
    const o = f.offsets[i];
    const h = Buffer.alloc(24);
    b.copy(h, 0, o, o + 4 + 4);
    h.writeUInt32BE(b.readUInt32BE(o + 12), 8);
    h.writeUInt32BE(b.readUInt32BE(o + 8), 12);
    h.writeUInt32BE(0xdeadbeef, 16);
    parts.push(h, b.subarray(o + 16, f.offsets[i + 1]));
  }
  const k = join(dir, 'kuz.pcap');
  writeFileSync(k, Buffer.concat(parts));
  const kr = await readRecords(k, { chunkSize: 50 });
  t.equal(kr.summary.error, null);
  t.same(kr.records.map((r) => r.tsUs), f.sent.map((s) => s.tsUs));
  t.ok(kr.records.every((r, i) => r.data.equals(f.sent[i].data.subarray(0, 64))));
});

t.test('empty and header-only files are empty captures; foreign files throw', async (t) => {
  const dir = t.testdir({ 'empty.pcap': '', 'text.pcap': 'GET / HTTP/1.1\r\n', 'x.pcap': 'x' });
  const empty = await readRecords(join(dir, 'empty.pcap'));
  t.same(empty.summary, { format: 'pcap', packets: 0, bytes: 0, fileBytes: 0, linkTypes: [], error: null });
  const w = new PcapWriter({ linkType: LinkType.LINUX_SLL2 });
  w.writeFile(join(dir, 'header.pcap'));
  const header = await readRecords(join(dir, 'header.pcap'));
  t.same(header.summary, { format: 'pcap', packets: 0, bytes: 0, fileBytes: 24, linkTypes: [LinkType.LINUX_SLL2], error: null });
  const pkt = new Packet();
  await t.rejects(readCaptureFile(join(dir, 'text.pcap'), pkt, () => {}), { name: 'CaptureFileError', message: /is not a pcap or pcapng capture file \(it starts with 0x47455420\)/ });
  await t.rejects(readCaptureFile(join(dir, 'x.pcap'), pkt, () => {}), CaptureFileError);
  await t.rejects(readCaptureFile(join(dir, 'missing.pcap'), pkt, () => {}), { name: 'CaptureFileError', message: /cannot open capture file .*missing\.pcap: ENOENT/ });
  await t.rejects(readCaptureFile(dir, pkt, () => {}), { name: 'CaptureFileError', message: /is a directory/ });
  const v1 = w.toBuffer();
  v1.writeUInt16LE(1, 4);
  writeFileSync(join(dir, 'v1.pcap'), v1);
  await t.rejects(readCaptureFile(join(dir, 'v1.pcap'), pkt, () => {}), { message: /pcap version 1\.4 is too old/ });
});

t.test('abort signal stops early and the summary counts what was delivered', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'a.pcap', { byteOrder: 'le', nanos: false, n: 30 });
  const ac = new AbortController();
  let seen = 0;
  const s = await readCaptureFile(f.path, new Packet(), () => {
    if (++seen === 7) ac.abort();
  }, { signal: ac.signal });
  t.equal(seen, 7);
  t.equal(s.packets, 7);
  t.equal(s.error, null);
  t.equal(s.fileBytes, f.offsets[7]);
  const pre = new AbortController();
  pre.abort();
  const none = await readCaptureFile(f.path, new Packet(), () => {
    t.fail('no packet after an abort');
  }, { signal: pre.signal });
  t.equal(none.packets, 0);
});

t.test('a Promise from onPacket is awaited before the next record', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'p.pcap', { byteOrder: 'le', nanos: false, n: 12 });
  const order: string[] = [];
  let busy = false;
  const s = await readCaptureFile(f.path, new Packet(), async (p) => {
    if (busy) t.fail('called while the previous promise was pending');
    busy = true;
    const ts = p.tsUs;
    await tick();
    // pkt.buf stays valid until the promise settles: the reader does not refill meanwhile
    order.push(`${ts}:${p.caplen}`);
    busy = false;
  }, { chunkSize: 200 });
  t.equal(s.packets, 12);
  t.same(order, f.sent.map((x) => `${x.tsUs}:${x.data.length}`));
});

t.test('progress is reported once per chunk up to the file size', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'g.pcap', { byteOrder: 'le', nanos: false, n: 40 });
  const size = readFileSync(f.path).length;
  const calls: [number, number][] = [];
  await readCaptureFile(f.path, new Packet(), () => {}, { chunkSize: 1000, onProgress: (r, total) => calls.push([r, total]) });
  t.ok(calls.length >= Math.ceil(size / 1000) && calls.length <= Math.ceil(size / 1000) + 10, `${calls.length} calls for ${size} bytes`);
  t.ok(calls.every(([r, total], i) => total === size && r <= size && (i === 0 || r > calls[i - 1][0])), 'increasing, bounded by the size');
  t.equal(calls[calls.length - 1][0], size);
});

t.test('an exception from onPacket propagates and the file is closed', async (t) => {
  const dir = t.testdir({});
  const f = pcapFixture(dir, 'e.pcap', { byteOrder: 'le', nanos: false, n: 5 });
  await t.rejects(readCaptureFile(f.path, new Packet(), () => {
    throw new Error('consumer bug');
  }), { message: 'consumer bug' });
});
