import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { dhcpMessage, udpFrame } from '../capture/packet-builder.js';
import { macToString } from './addr.js';

const frame = (payload: Buffer, sport = 68, dport = 67) => udpFrame({ src: '0.0.0.0', dst: '255.255.255.255', sport, dport, payload });

t.test('DHCP request with the fingerprinting options', async (t) => {
  const d = decodeFrame(frame(dhcpMessage({
    messageType: 3,
    xid: 0xabcdef01,
    clientMac: '02:11:22:33:44:55',
    requestedIp: '10.99.0.50',
    hostname: 'living-room-cam\u0000',
    vendorClass: 'android-dhcp-13',
    paramRequestList: [1, 3, 6, 15, 26, 28, 51, 58, 59, 43],
    clientId: true,
  })));
  t.same(d.events, []);
  const h = d.pkt.dhcp!;
  t.same([h.op, h.messageType, h.xid], [1, 3, 0xabcdef01]);
  t.equal(macToString(h.clientMac), '02:11:22:33:44:55');
  t.same([h.clientIp, h.yourIp, h.requestedIp], ['', '', '10.99.0.50']);
  t.equal(h.hostname, 'living-room-cam', 'trailing NUL removed');
  t.equal(h.vendorClass, 'android-dhcp-13');
  t.same(h.paramRequestList, [1, 3, 6, 15, 26, 28, 51, 58, 59, 43]);
  t.equal(h.clientId, '01021122334455');
});

t.test('DHCP ACK from the server', async (t) => {
  const d = decodeFrame(frame(dhcpMessage({ op: 2, messageType: 5, clientMac: '02:11:22:33:44:55', yiaddr: '10.99.0.50', ciaddr: '10.99.0.50' }), 67, 68));
  const h = d.pkt.dhcp!;
  t.same([h.op, h.messageType, h.yourIp, h.clientIp, h.hostname, h.paramRequestList], [2, 5, '10.99.0.50', '10.99.0.50', null, null]);
});

t.test('malformations', async (t) => {
  const msg = dhcpMessage({ clientMac: '02:11:22:33:44:55', hostname: 'abc' });
  const short = decodeFrame(frame(msg.subarray(0, 239)));
  t.same(short.events, ['decoder.dhcp.pkt_too_small']);
  t.equal(short.pkt.dhcp, null);
  const bootp = decodeFrame(frame(dhcpMessage({ clientMac: '02:11:22:33:44:55', noMagic: true })));
  t.same(bootp.events, ['decoder.dhcp.bad_magic']);
  t.same([bootp.pkt.dhcp!.messageType, macToString(bootp.pkt.dhcp!.clientMac)], [0, '02:11:22:33:44:55'], 'BOOTP header kept');
  const badOpt = decodeFrame(frame(dhcpMessage({ clientMac: '02:11:22:33:44:55', messageType: 1, extraOptions: Buffer.from([12, 200, 0x61]) }).subarray(0, 240 + 3 + 3)));
  t.same(badOpt.events, ['decoder.dhcp.opt_invalid_len']);
  t.equal(badOpt.pkt.dhcp!.messageType, 1, 'options before the bad one are kept');
  const noLen = decodeFrame(frame(Buffer.concat([dhcpMessage({ clientMac: 1, messageType: null }).subarray(0, 240), Buffer.from([12])])));
  t.same(noLen.events, ['decoder.dhcp.opt_invalid_len'], 'option code in the last byte');
});
