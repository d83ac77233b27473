import t from 'tap';
import { LoginLimiter } from './rate-limit.js';

t.test('refuses after maxFailures within the window, per address and per name', async (t) => {
  let now = 1_000_000;
  const l = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, nowMs: () => now });
  for (let i = 0; i < 3; i++) {
    t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0);
    l.fail('192.0.2.1', 'admin');
    now += 1000;
  }
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 57, 'until the window of the first failure ends');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'other'), 57, 'the address is limited');
  t.equal(l.retryAfterSeconds('192.0.2.2', 'ADMIN'), 57, 'the name is limited, in any case');
  t.equal(l.retryAfterSeconds('192.0.2.2', 'other'), 0);
  now += 58_000;
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0, 'lifted when the window ends');
  l.fail('192.0.2.1', 'admin');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0, 'a new window starts from one failure');
});

t.test('success forgets its address and name only', async (t) => {
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 60_000, nowMs: () => 0 });
  l.fail('192.0.2.1', 'admin');
  l.fail('192.0.2.1', 'admin');
  l.fail('192.0.2.3', 'root');
  l.fail('192.0.2.4', 'root');
  l.succeed('192.0.2.1', 'admin');
  t.equal(l.retryAfterSeconds('192.0.2.1', 'admin'), 0);
  t.ok(l.retryAfterSeconds('192.0.2.9', 'root') > 0, "other names' failures stay");
});

t.test('memory is bounded: the least recently failed keys are evicted and counted', async (t) => {
  let now = 0;
  const l = new LoginLimiter({ maxFailures: 2, windowMs: 600_000, maxKeys: 100, nowMs: () => now });
  l.fail('198.51.100.1', 'admin');
  l.fail('198.51.100.1', 'admin');
  for (let i = 0; i < 1000; i++) {
    now++;
    l.fail(`203.0.113.${i % 250}.${i}`, `user${i}`);
  }
  const s = l.stats();
  t.equal(s.ips, 100);
  t.equal(s.users, 100);
  t.equal(s.evictions, 2 * 901);
  t.equal(l.retryAfterSeconds('192.0.2.200', 'admin'), 0, "flooding names evicted admin's count (bounded memory wins)");
});
