import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { tcpFrame, tlsClientHello } from '../capture/packet-builder.js';

const dec = (payload: Buffer) => decodeFrame(tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 50000, dport: 8443, flags: 'PA', payload }));

t.test('ClientHello SNI on any port', async (t) => {
  const d = dec(tlsClientHello({ sni: 'api.example.net' }));
  t.same(d.events, []);
  t.equal(d.pkt.tlsSni, 'api.example.net');
  const ext = Buffer.from([0xff, 0x01, 0x00, 0x01, 0x00]); // renegotiation_info after server_name
  t.equal(dec(tlsClientHello({ sni: 'b.example', extraExtensions: ext })).pkt.tlsSni, 'b.example');
  t.equal(dec(tlsClientHello({})).pkt.tlsSni, null, 'no server_name extension');
  t.same(dec(tlsClientHello({})).events, []);
});

t.test('records that are not a ClientHello', async (t) => {
  const serverHello = Buffer.from(tlsClientHello({ sni: 'x.example' }));
  serverHello[5] = 2;
  const d = dec(serverHello);
  t.same([d.events, d.pkt.tlsSni], [[], null]);
  const appData = dec(Buffer.from([0x17, 0x03, 0x03, 0x00, 0x10, ...new Array(16).fill(0)]));
  t.same([appData.events, appData.pkt.tlsSni], [[], null], 'only handshake records are looked at');
});

t.test('first segment only: truncated hellos are counted', async (t) => {
  const hello = tlsClientHello({ sni: 'cut.example' });
  const f = tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 50000, dport: 443, flags: 'PA', payload: hello });
  for (const keep of [3, 7, 50, hello.length - 20]) {
    const d = decodeFrame(f.subarray(0, 54 + keep), 1, { wirelen: f.length });
    t.same(d.events, ['decoder.tls.hello_truncated'], `${keep} bytes of the hello`);
    t.equal(d.pkt.tlsSni, null);
  }
});

t.test('malformations', async (t) => {
  const hello = tlsClientHello({ sni: 'bad.example' });
  const zero = Buffer.from(hello);
  zero.writeUInt16BE(0, 3);
  t.same(dec(zero).events, ['decoder.tls.record_invalid']);
  const huge = Buffer.from(hello);
  huge.writeUInt16BE(0xffff, 3);
  t.same(dec(huge).events, ['decoder.tls.record_invalid']);

  const sid = Buffer.from(hello);
  sid[5 + 4 + 34] = 33; // session id longer than 32
  t.same(dec(sid).events, ['decoder.tls.hello_invalid']);
  const odd = Buffer.from(hello);
  odd[5 + 4 + 34 + 1 + 1] = 3; // odd cipher-suite length
  t.same(dec(odd).events, ['decoder.tls.hello_invalid']);
  const extLen = Buffer.from(hello);
  const extAt = 5 + 4 + 34 + 1 + 2 + 4 + 2;
  extLen.writeUInt16BE(0x4000, extAt); // extensions longer than the handshake message
  t.same(dec(extLen).events, ['decoder.tls.hello_invalid']);
  const nameLen = Buffer.from(hello);
  nameLen.writeUInt16BE(200, extAt + 2 + 7); // host name longer than its extension
  t.same(dec(nameLen).events, ['decoder.tls.hello_invalid']);
  t.equal(dec(nameLen).pkt.tlsSni, null);
  const oneExt = Buffer.from(hello);
  oneExt.writeUInt16BE(0x0300, extAt + 2 + 2); // one extension's length past the extensions block
  t.same(dec(oneExt).events, ['decoder.tls.hello_invalid']);
});
