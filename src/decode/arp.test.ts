import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { arpFrame, ethernet, EtherType } from '../capture/packet-builder.js';
import { ipv4ToString, macToString } from './addr.js';

t.test('ARP request and reply', async (t) => {
  const req = decodeFrame(arpFrame({ senderMac: '02:00:00:00:00:02', senderIp: '10.99.0.2', targetIp: '10.99.0.1', vlan: 9 }));
  t.ok(req.ok);
  t.equal(req.pkt.etherType, 0x0806);
  t.equal(req.pkt.vlan, 9);
  t.equal(macToString(req.pkt.dstMac), 'ff:ff:ff:ff:ff:ff');
  const a = req.pkt.arp!;
  t.equal(a.op, 1);
  t.equal(macToString(a.senderMac), '02:00:00:00:00:02');
  t.equal(ipv4ToString(a.senderIp), '10.99.0.2');
  t.equal(a.targetMac, 0);
  t.equal(ipv4ToString(a.targetIp), '10.99.0.1');
  t.equal(req.pkt.ipVersion, 0, 'ARP is not IP');

  const rep = decodeFrame(arpFrame({ op: 2, senderMac: '02:00:00:00:00:01', senderIp: '10.99.0.1', targetMac: '02:00:00:00:00:02', targetIp: '10.99.0.2' }));
  t.equal(rep.pkt.arp!.op, 2);
  t.equal(macToString(rep.pkt.arp!.targetMac), '02:00:00:00:00:02');
  t.equal(macToString(rep.pkt.dstMac), '02:00:00:00:00:02');
});

t.test('ARP malformations', async (t) => {
  const frame = arpFrame({ senderIp: '10.99.0.2', targetIp: '10.99.0.1' });
  const cut = decodeFrame(frame.subarray(0, 14 + 20));
  t.same(cut.events, ['decoder.arp.pkt_too_small']);
  t.equal(cut.pkt.arp, null);
  const tiny = decodeFrame(frame.subarray(0, 14 + 5));
  t.same(tiny.events, ['decoder.arp.pkt_too_small']);
  const body = Buffer.from(frame.subarray(14));
  body[4] = 8; // 8-byte hardware addresses (not Ethernet)
  const odd = decodeFrame(ethernet({ etherType: EtherType.ARP, payload: body }));
  t.same(odd.events, ['decoder.arp.unsupported']);
  t.equal(odd.pkt.arp, null);
});
