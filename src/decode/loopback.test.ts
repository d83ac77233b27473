import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ipPacket, IpProto, nullLoopback, rawIp, udp } from '../capture/packet-builder.js';
import { LinkType } from './packet.js';
import { ipToString } from './addr.js';

const v4 = () => ipPacket({ src: '127.0.0.1', dst: '127.0.0.2', proto: IpProto.UDP, payload: udp({ src: '127.0.0.1', dst: '127.0.0.2', sport: 1, dport: 2 }) });
const v6 = () => ipPacket({ src: '::1', dst: '::1', proto: IpProto.UDP, payload: udp({ src: '::1', dst: '::1', sport: 3, dport: 4 }) });

t.test('BSD NULL in either byte order, LOOP in network order', async (t) => {
  for (const littleEndian of [true, false]) {
    const d = decodeFrame(nullLoopback({ family: 2, payload: v4(), littleEndian }), LinkType.NULL);
    t.ok(d.ok);
    t.equal(ipToString(d.pkt.dstAddr, 4), '127.0.0.2', `IPv4, little-endian ${littleEndian}`);
    t.equal(d.pkt.srcMac, -1);
  }
  for (const family of [24, 28, 30]) {
    const d = decodeFrame(nullLoopback({ family, payload: v6() }), LinkType.NULL);
    t.same([d.pkt.ipVersion, d.pkt.dstPort], [6, 4], `AF_INET6 = ${family}`);
  }
  const loop = decodeFrame(nullLoopback({ family: 2, payload: v4(), littleEndian: false }), LinkType.LOOP);
  t.equal(loop.pkt.dstPort, 2);
});

t.test('NULL malformations', async (t) => {
  const short = decodeFrame(Buffer.from([2, 0, 0]), LinkType.NULL);
  t.equal(short.ok, false);
  t.same(short.events, ['decoder.null.pkt_too_small']);
  const loopShort = decodeFrame(Buffer.from([0, 0]), LinkType.LOOP);
  t.same(loopShort.events, ['decoder.null.pkt_too_small']);
  const fam = decodeFrame(nullLoopback({ family: 7, payload: v4() }), LinkType.NULL);
  t.ok(fam.ok, 'the loopback header itself decoded');
  t.same(fam.events, ['decoder.null.unsupported_family']);
  t.equal(fam.pkt.ipVersion, 0);
});

t.test('raw IP link types', async (t) => {
  t.equal(decodeFrame(rawIp(v4()), LinkType.RAW).pkt.dstPort, 2);
  t.equal(decodeFrame(rawIp(v6()), LinkType.RAW).pkt.dstPort, 4);
  t.equal(decodeFrame(rawIp(v4()), LinkType.IPV4).pkt.dstPort, 2);
  t.equal(decodeFrame(rawIp(v6()), LinkType.IPV6).pkt.dstPort, 4);
  t.equal(decodeFrame(rawIp(v4()), 12).pkt.dstPort, 2, 'DLT_RAW as written by old BSDs');
  const bad = decodeFrame(Buffer.from([0x55, 1, 2, 3]), LinkType.RAW);
  t.equal(bad.ok, false);
  t.same(bad.events, ['decoder.raw.invalid_ip_version']);
  const empty = decodeFrame(Buffer.alloc(0), LinkType.RAW);
  t.same(empty.events, ['decoder.raw.invalid_ip_version']);
});

t.test('unsupported link type', async (t) => {
  const d = decodeFrame(v4(), 147);
  t.equal(d.ok, false);
  t.same(d.events, ['decoder.link.unsupported']);
  t.same([d.stats.decoded, d.stats.skipped], [0, 1]);
});
