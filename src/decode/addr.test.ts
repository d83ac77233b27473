import t from 'tap';
import { ipToString, ipv4ToString, macToString, parseIp, parseIpv4, parseMac } from './addr.js';

t.test('MAC text round trip', async (t) => {
  t.equal(macToString(0), '00:00:00:00:00:00');
  t.equal(macToString(0xffffffffffff), 'ff:ff:ff:ff:ff:ff');
  t.equal(macToString(0x0a1b2c3d4e5f), '0a:1b:2c:3d:4e:5f');
  t.equal(macToString(-1), '', 'absent MAC');
  t.equal(parseMac('0A:1b:2C:3d:4E:5f'), 0x0a1b2c3d4e5f);
  t.equal(parseMac('0a-1b-2c-3d-4e-5f'), 0x0a1b2c3d4e5f);
  t.equal(parseMac('0a1b2c3d4e5f'), 0x0a1b2c3d4e5f);
  t.equal(parseMac('0a:1b:2c:3d:4e'), null);
  t.equal(parseMac('0a:1b:2c:3d:4e:5g'), null);
  for (const n of [1, 0x800000000000, 0x123456789abc]) t.equal(parseMac(macToString(n)), n);
});

t.test('IPv4 text', async (t) => {
  t.equal(ipv4ToString(0xc0a80001), '192.168.0.1');
  t.equal(ipv4ToString(0xffffffff), '255.255.255.255');
  t.equal(parseIpv4('10.99.0.1'), 0x0a630001);
  for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '', '1..2.3']) t.equal(parseIpv4(bad), null, bad);
});

t.test('IPv6 text follows RFC 5952', async (t) => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first run on a tie
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80::', 'fe80::'],
    ['FD00:99::1', 'fd00:99::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [input, want] of cases) {
    const p = parseIp(input);
    t.ok(p, input);
    t.equal(p!.version, 6);
    t.equal(ipToString(p!.words, 6), want, input);
  }
  for (const bad of ['1::2::3', '12345::', 'fe80::1%eth0', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1']) {
    t.equal(parseIp(bad), null, bad);
  }
});

t.test('parseIp stores IPv4 IPv4-mapped, as the decoders do', async (t) => {
  const p = parseIp('10.99.0.2')!;
  t.equal(p.version, 4);
  t.same(Array.from(p.words), [0, 0, 0xffff, 0x0a630002]);
  t.equal(ipToString(p.words, 4), '10.99.0.2');
  t.equal(ipToString(p.words, 6), '::ffff:10.99.0.2');
});
