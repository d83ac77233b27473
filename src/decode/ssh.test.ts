import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { tcpFrame } from '../capture/packet-builder.js';

const frame = (payload: string | Buffer, sport = 902) =>
  tcpFrame({ src: '10.99.0.3', dst: '10.99.0.2', sport, dport: 50000, flags: 'PA', seq: 1, ack: 1, payload });

t.test('the identification line names the service on any port', async (t) => {
  const { pkt } = decodeFrame(frame('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
  t.equal(pkt.sshVersion, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
  t.equal(decodeFrame(frame('SSH-2.0-x')).pkt.sshVersion, 'SSH-2.0-x', 'a line cut by the segment end');
});

t.test('other payloads, binary bytes and over-long lines are not identification lines', async (t) => {
  t.equal(decodeFrame(frame('SSX-2.0-x\r\n')).pkt.sshVersion, null);
  t.equal(decodeFrame(frame(Buffer.from([0x53, 0x53, 0x48, 0x2d, 0x01, 0x0d, 0x0a]))).pkt.sshVersion, null);
  const long = decodeFrame(frame('SSH-2.0-' + 'a'.repeat(400))).pkt.sshVersion;
  t.equal(long?.length, 255, 'bounded to the 255 bytes RFC 4253 allows');
});
