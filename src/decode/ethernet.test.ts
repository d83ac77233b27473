import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, fabricPath, tcpFrame, udpFrame, vnTag } from '../capture/packet-builder.js';
import { macToString } from './addr.js';

const tcp = () => tcpFrame({ srcMac: '02:aa:bb:cc:dd:01', dstMac: 'fe:ff:ff:ff:ff:02', src: '10.99.0.2', dst: '10.99.0.1', sport: 1234, dport: 80, flags: 'S' });

t.test('Ethernet II', async (t) => {
  const d = decodeFrame(tcp());
  t.ok(d.ok);
  t.equal(macToString(d.pkt.srcMac), '02:aa:bb:cc:dd:01');
  t.equal(macToString(d.pkt.dstMac), 'fe:ff:ff:ff:ff:02', 'top bit of a 48-bit MAC survives');
  t.equal(d.pkt.etherType, 0x0800);
  t.equal(d.pkt.vlan, 0);
  t.same(d.events, []);
  t.equal(d.stats.decoded, 1);
});

t.test('frame inside a larger buffer (bufOffset)', async (t) => {
  const d = decodeFrame(tcp(), 1, { offset: 37 });
  t.equal(d.pkt.dstPort, 80);
  t.equal(d.pkt.payloadCaptured, 0, 'bytes after the frame are not payload');
});

t.test('802.1Q and QinQ', async (t) => {
  const one = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, vlan: 100 }));
  t.equal(one.pkt.vlan, 100);
  t.equal(one.pkt.vlanInner, 0);
  t.equal(one.pkt.dstPort, 2);
  const two = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, vlan: [{ id: 300, pcp: 5 }, 4094] }));
  t.equal(two.pkt.vlan, 300);
  t.equal(two.pkt.vlanInner, 4094);
  t.equal(two.pkt.etherType, 0x0800);
  t.equal(two.pkt.l4, true);
  const old = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, vlan: [{ id: 7, tpid: 0x9100 }, 8] }));
  t.same([old.pkt.vlan, old.pkt.vlanInner], [7, 8], 'pre-standard 0x9100 S-tag');
});

t.test('malformations', async (t) => {
  const short = decodeFrame(tcp().subarray(0, 13));
  t.equal(short.ok, false);
  t.same(short.events, ['decoder.ethernet.pkt_too_small']);
  t.equal(short.stats.skipped, 1);

  const three = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, vlan: [1, 2, 3] }));
  t.ok(three.ok);
  t.same(three.events, ['decoder.vlan.too_many_layers']);
  t.same([three.pkt.vlan, three.pkt.vlanInner, three.pkt.ipVersion], [1, 2, 0]);

  const cutTag = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, vlan: 5 }).subarray(0, 16));
  t.ok(cutTag.ok, 'the Ethernet header itself decoded');
  t.same(cutTag.events, ['decoder.vlan.hlen_too_small']);

  const lldp = decodeFrame(ethernet({ etherType: 0x88cc, payload: Buffer.alloc(30) }));
  t.ok(lldp.ok);
  t.same(lldp.events, ['decoder.ethernet.unknown_ethertype']);
  t.equal(lldp.pkt.etherType, 0x88cc);

  const llc = decodeFrame(ethernet({ etherType: 38, payload: Buffer.alloc(38) }));
  t.ok(llc.ok);
  t.same(llc.events, [], 'an 802.3 length field is not an unknown EtherType');
});

t.test('802.1ah provider backbone bridging', async (t) => {
  const customer = udpFrame({ srcMac: '02:00:00:00:c0:01', dstMac: '02:00:00:00:c0:02', src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 });
  const itag = Buffer.from([0x00, 0x01, 0x02, 0x03]);
  const d = decodeFrame(ethernet({ src: '02:00:00:00:bb:01', etherType: 0x88e7, payload: Buffer.concat([itag, customer]) }));
  t.same(d.events, []);
  t.same([macToString(d.pkt.srcMac), macToString(d.pkt.dstMac), d.pkt.dstPort], ['02:00:00:00:c0:01', '02:00:00:00:c0:02', 2], 'customer MACs');
  const short = decodeFrame(ethernet({ etherType: 0x88e7, payload: Buffer.concat([itag, customer.subarray(0, 13)]) }));
  t.same(short.events, ['decoder.pbb.pkt_too_small']);
  let nested = customer;
  for (let i = 0; i < 7; i++) nested = ethernet({ etherType: 0x88e7, payload: Buffer.concat([itag, nested]) });
  const seven = decodeFrame(nested);
  t.same([seven.events, seven.pkt.dstPort], [[], 2], 'seven nested PBB frames decode');
  for (let i = 0; i < 50; i++) nested = ethernet({ etherType: 0x88e7, payload: Buffer.concat([itag, nested]) });
  const deep = decodeFrame(nested);
  t.same([deep.events, deep.pkt.ipVersion], [['decoder.link.too_many_layers'], 0], 'recursion is bounded');
});

t.test('Cisco FabricPath: the inner frame, its MACs and tags', async (t) => {
  const inner = udpFrame({ srcMac: '02:00:00:00:01:01', dstMac: '02:00:00:00:01:02', src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2, vlan: 30 });
  const d = decodeFrame(ethernet({ src: '02:fa:00:00:00:01', dst: '02:fa:00:00:00:02', etherType: 0x8903, payload: fabricPath({ frame: inner, ftag: 7, ttl: 20 }) }));
  t.same(d.events, []);
  t.equal(macToString(d.pkt.srcMac), '02:00:00:00:01:01', 'the inner source, not the switch');
  t.equal(macToString(d.pkt.dstMac), '02:00:00:00:01:02');
  t.same([d.pkt.vlan, d.pkt.etherType, d.pkt.dstPort], [30, 0x0800, 2]);
  const cutOff = decodeFrame(ethernet({ etherType: 0x8903, payload: fabricPath({ frame: inner.subarray(0, 13) }) }));
  t.ok(cutOff.ok, 'the outer Ethernet header decoded');
  t.same([cutOff.events, cutOff.pkt.ipVersion], [['decoder.fabricpath.pkt_too_small'], 0]);
});

t.test('VN-Tag: the EtherType behind the tag, alone or between VLAN tags', async (t) => {
  const ipUdp = udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 }).subarray(14);
  const d = decodeFrame(ethernet({ etherType: 0x8926, payload: vnTag({ etherType: 0x0800, payload: ipUdp, dstVif: 9, srcVif: 4 }) }));
  t.same([d.events, d.pkt.vlan, d.pkt.etherType, d.pkt.dstPort], [[], 0, 0x0800, 2]);
  // Zeek's vntag_vlan_sandwich: VLAN 250, VN-Tag, VLAN 250, IPv4
  const innerTag = Buffer.concat([Buffer.from([0x00, 0xfa, 0x08, 0x00]), ipUdp]);
  const s = decodeFrame(ethernet({ etherType: 0x8100, payload: Buffer.concat([Buffer.from([0x00, 0xfa, 0x89, 0x26]), vnTag({ etherType: 0x8100, payload: innerTag })]) }));
  t.same([s.events, s.pkt.vlan, s.pkt.vlanInner, s.pkt.dstPort], [[], 250, 250, 2], 'the VN-Tag counts as no VLAN tag');
  const llc = decodeFrame(ethernet({ etherType: 0x8926, payload: vnTag({ etherType: 100, payload: Buffer.alloc(20) }) }));
  t.same(llc.events, [], 'an 802.3 length behind the tag is not followed, nor malformed');
  t.same(decodeFrame(ethernet({ etherType: 0x8926, payload: Buffer.alloc(5) })).events, ['decoder.vntag.pkt_too_small']);
});
