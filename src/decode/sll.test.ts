import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ipPacket, IpProto, sllV1, sllV2, tcp } from '../capture/packet-builder.js';
import { LinkType } from './packet.js';
import { macToString } from './addr.js';

const ip = () =>
  ipPacket({ src: '10.99.0.2', dst: '10.99.0.1', proto: IpProto.TCP, payload: tcp({ src: '10.99.0.2', dst: '10.99.0.1', sport: 5, dport: 22, flags: 'S' }) });

t.test('Linux cooked v1', async (t) => {
  const d = decodeFrame(sllV1({ addr: '02:00:00:00:aa:bb', protocol: 0x0800, payload: ip() }), LinkType.LINUX_SLL);
  t.ok(d.ok);
  t.equal(macToString(d.pkt.srcMac), '02:00:00:00:aa:bb');
  t.equal(d.pkt.dstMac, -1, 'cooked captures carry no destination MAC');
  t.same([d.pkt.etherType, d.pkt.dstPort, d.pkt.tcpFlags], [0x0800, 22, 2]);
  const lo = decodeFrame(sllV1({ arphrd: 772, protocol: 0x0800, payload: ip() }), LinkType.LINUX_SLL);
  t.equal(lo.pkt.srcMac, -1, 'loopback device: the address is not a MAC');
  t.equal(lo.pkt.dstPort, 22);
  const llc = decodeFrame(sllV1({ protocol: 0x0004, payload: Buffer.alloc(20) }), LinkType.LINUX_SLL);
  t.ok(llc.ok);
  t.same(llc.events, [], 'a Linux pseudo-protocol below 0x0600 is not followed');
});

t.test('Linux cooked v2', async (t) => {
  const d = decodeFrame(sllV2({ addr: '02:00:00:00:aa:cc', ifIndex: 3, protocol: 0x0800, payload: ip() }), LinkType.LINUX_SLL2);
  t.ok(d.ok);
  t.equal(macToString(d.pkt.srcMac), '02:00:00:00:aa:cc');
  t.same([d.pkt.etherType, d.pkt.dstPort], [0x0800, 22]);
});

t.test('cut-off cooked headers are skipped', async (t) => {
  const v1 = decodeFrame(sllV1({ protocol: 0x0800, payload: ip() }).subarray(0, 15), LinkType.LINUX_SLL);
  t.equal(v1.ok, false);
  t.same(v1.events, ['decoder.sll.pkt_too_small']);
  const v2 = decodeFrame(sllV2({ protocol: 0x0800, payload: ip() }).subarray(0, 19), LinkType.LINUX_SLL2);
  t.equal(v2.ok, false);
  t.same(v2.events, ['decoder.sll2.pkt_too_small']);
  t.equal(v2.stats.skipped, 1);
});
