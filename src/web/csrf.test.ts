import t from 'tap';
import { randomBytes } from 'node:crypto';
import { csrfToken, csrfValid, isUnsafeMethod, sameOriginOrTool } from './csrf.js';

t.test('per-session tokens', async (t) => {
  const a = randomBytes(32).toString('base64url');
  const b = randomBytes(32).toString('base64url');
  t.equal(csrfToken(a), csrfToken(a), 'stable for a session');
  t.not(csrfToken(a), csrfToken(b), 'different per session');
  t.ok(csrfValid(a, csrfToken(a)));
  t.notOk(csrfValid(b, csrfToken(a)), "another session's token is refused");
  t.notOk(csrfValid(a, undefined));
  t.notOk(csrfValid(a, ''));
  t.notOk(csrfValid(a, csrfToken(a) + 'x'));
  t.notOk(csrfValid(a, a), 'the session id itself is not the token');
});

t.test('methods and origins', async (t) => {
  t.same(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'].map(isUnsafeMethod), [false, false, false, true, true, true, true]);
  const h = (o: Record<string, string>) => new Headers(o);
  t.ok(sameOriginOrTool(h({}), 'http://argus.local/login'), 'curl: no Origin, no Sec-Fetch-Site');
  t.ok(sameOriginOrTool(h({ origin: 'http://argus.local:8080', 'sec-fetch-site': 'same-origin' }), 'http://argus.local:8080/login'));
  t.notOk(sameOriginOrTool(h({ origin: 'http://evil.example' }), 'http://argus.local/login'));
  t.notOk(sameOriginOrTool(h({ 'sec-fetch-site': 'cross-site' }), 'http://argus.local/login'));
  t.notOk(sameOriginOrTool(h({ 'sec-fetch-site': 'same-site' }), 'http://argus.local/login'), 'a sibling host is not us');
  t.notOk(sameOriginOrTool(h({ origin: 'null' }), 'http://argus.local/login'));
});
