import t from 'tap';
import { addressKey, LoginLimiter } from './rate-limit.js';

t.test('a pair backs off exponentially after maxFailures; other addresses are never held back', async (t) => {
  let now = 1_000_000;
  const l = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, nowMs: () => now });
  for (let i = 0; i < 3; i++) {
    t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0, `attempt ${i + 1} allowed`);
    l.fail('192.0.2.1', 'admin');
  }
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 1, 'first wait: 1 s');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'ADMIN'), 1, 'the name in any case');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'other'), 0, 'the address may still try another name');
  t.equal(l.retryAfterSeconds('192.0.2.2', 'admin'), 0, 'another address is not held back');
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    now += l.retryAfterSeconds('192.0.2.1', 'admin') * 1000;
    l.fail('192.0.2.1', 'admin');
    waits.push(l.retryAfterSeconds('192.0.2.1', 'admin'));
  }
  t.same(waits, [2, 4, 8, 16, 32, 60, 60, 60], 'doubling up to the window');
  now += 60_000;
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0, 'the longest wait is over');
  l.fail('192.0.2.1', 'admin');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 60, 'still remembered: the next failure waits the longest again');
  now += 120_000;
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0, 'forgotten two windows after the last failure');
  l.fail('192.0.2.1', 'admin');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0, 'counting starts again from one');
});

t.test('an address that tries many names backs off as a whole', async (t) => {
  const now = 0;
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 60_000, nowMs: () => now });
  for (let i = 0; i < 8; i++) l.fail('192.0.2.7', `user${i}`);
  t.equal(l.retryAfterSeconds('192.0.2.7', 'fresh'), 1, '4 × maxFailures over all names');
  t.equal(l.retryAfterSeconds('192.0.2.8', 'fresh'), 0);
});

t.test('success forgets its pair and takes only its failures off the address', async (t) => {
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 60_000, nowMs: () => 0 });
  l.fail('192.0.2.1', 'admin');
  l.fail('192.0.2.1', 'admin');
  for (let i = 0; i < 6; i++) l.fail('192.0.2.1', 'root');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'viewer'), 1, 'the address is held back after 8 failures');
  l.succeed('192.0.2.1', 'admin');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0);
  t.equal(l.retryAfterSeconds('192.0.2.1', 'viewer'), 0, "admin's own failures are forgiven on the address");
  l.succeed('192.0.2.1', 'viewer');
  t.ok(l.retryAfterSeconds('192.0.2.1', 'root') > 0, "signing in as someone else does not reset the guesses at 'root'");
});

t.test('IPv6 addresses count per /64', async (t) => {
  t.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  t.equal(addressKey('::1'), '0:0:0:0::/64');
  t.equal(addressKey('192.0.2.1'), '192.0.2.1');
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 60_000, nowMs: () => 0 });
  l.fail('2001:db8:1:2::1', 'admin');
  l.fail('2001:db8:1:2::2', 'admin');
  t.equal(l.retryAfterSeconds('2001:db8:1:2::3', 'admin'), 1, 'a new address in the same /64 is the same client');
  t.equal(l.retryAfterSeconds('2001:db8:1:3::1', 'admin'), 0);
});

t.test('memory is bounded: the least recently failed keys are evicted and counted', async (t) => {
  let now = 0;
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 600_000, maxKeys: 100, nowMs: () => now });
  for (let i = 0; i < 1000; i++) {
    now++;
    l.fail(`203.0.${i % 250}.${i % 200}`, `user${i}`);
  }
  const s = l.stats();
  t.equal(s.pairs, 100);
  t.equal(s.addresses, 100);
  t.equal(s.evictions, 900 + 900);
});
