import t from 'tap';
import { ApiError, allowEntry, int, ipOrCidr, isCidr, normalizeMac, text, time } from './api-input.js';

t.test('MACs', async (t) => {
  t.equal(normalizeMac('AA:bb:CC:dd:EE:ff'), 'aa:bb:cc:dd:ee:ff');
  t.equal(normalizeMac('aa-bb-cc-dd-ee-ff'), 'aa:bb:cc:dd:ee:ff');
  for (const bad of ['aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'gg:bb:cc:dd:ee:ff', 'aabbccddeeff', 'aa:bb:cc:dd:ee:ff:00', '']) t.equal(normalizeMac(bad), undefined, bad);
});

t.test('addresses and prefixes', async (t) => {
  for (const ok of ['192.0.2.1', '192.0.2.0/24', '0.0.0.0/0', '2001:db8::/32', '::1', 'fe80::1/128']) t.ok(isCidr(ok), ok);
  for (const bad of ['192.0.2.0/33', '2001:db8::/129', '192.0.2/24', '192.0.2.1/', '192.0.2.1/-1', '/24', 'host', '1.2.3.4/ 8']) t.notOk(isCidr(bad), bad);
  t.throws(() => ipOrCidr('x', 'target'), new ApiError(400, 'target must be an IPv4/IPv6 address or prefix like 192.0.2.0/24'));
  t.equal(allowEntry('AA-BB-CC-DD-EE-FF', 'entry'), 'aa:bb:cc:dd:ee:ff');
  t.equal(allowEntry('10.0.0.0/8', 'entry'), '10.0.0.0/8');
  t.throws(() => allowEntry('router', 'entry'), /entry must be/);
});

t.test('numbers, times, text', async (t) => {
  t.equal(int(undefined, 'limit', { min: 1, max: 10, def: 5 }), 5);
  t.equal(int('10', 'limit', { min: 1, max: 10 }), 10);
  for (const bad of ['11', '0', '1.5', '1e3', 'abc', ' 3', '99999999999999999']) t.throws(() => int(bad, 'limit', { min: 1, max: 10 }), /limit must be an integer from 1 to 10/, bad);
  t.equal(time('1763700000000000', 'since'), 1763700000000000);
  t.equal(time('2026-11-21T06:00:00Z', 'since'), Date.UTC(2026, 10, 21, 6) * 1000);
  for (const bad of ['yesterday', '21/11/2026', '12', '2026-13-45T00:00:00Z']) {
    if (bad === '12') continue; // a bare number is microseconds
    t.throws(() => time(bad, 'since'), /since must be/, bad);
  }
  t.equal(text('  hi  ', 'label', { max: 5 }), 'hi');
  t.equal(text('', 'label', { max: 5 }), undefined);
  t.throws(() => text('', 'name', { max: 5, required: true }), /name is required/);
  t.throws(() => text('a\nb', 'label', { max: 5 }), /control characters/);
  t.throws(() => text('abcdef', 'label', { max: 5 }), /at most 5/);
  t.equal(text('ééééé', 'label', { max: 5 }), 'ééééé', 'characters, not bytes');
  t.throws(() => text(7, 'label', { max: 5 }), /must be a string/);
});
