import t from 'tap';
import { hashPassword, passwordProblem, usernameProblem, verifyPassword } from './password.js';

t.test('scrypt hashes: salted, parameters inside, verified in constant time', async (t) => {
  const a = await hashPassword('a long passphrase');
  const b = await hashPassword('a long passphrase');
  t.match(a, /^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.not(a, b, 'a random salt per hash');
  t.ok(await verifyPassword('a long passphrase', a));
  t.ok(await verifyPassword('a long passphrase', b));
  t.notOk(await verifyPassword('a long passphrasE', a));
  t.notOk(await verifyPassword('', a));
  // the same password in another Unicode normal form
  const nfd = await hashPassword('café crème brûlée');
  t.ok(await verifyPassword('café crème brûlée'.normalize('NFD'), nfd), 'NFC and NFD forms match');
});

t.test('malformed or hostile hashes never verify and never throw', async (t) => {
  const good = await hashPassword('a long passphrase');
  const parts = good.split('$');
  for (const h of ['', 'plain', 'scrypt$15$8$1$$', `bcrypt$${parts.slice(1).join('$')}`, `scrypt$30$8$1$${parts[4]}$${parts[5]}`, `scrypt$15$8$99$${parts[4]}$${parts[5]}`, `scrypt$15$8$1$${parts[4]}$AAAA`]) {
    t.equal(await verifyPassword('a long passphrase', h), false, h.slice(0, 30));
  }
});

t.test('password and user name rules', async (t) => {
  t.match(passwordProblem('123456789'), /at least 10/);
  t.equal(passwordProblem('1234567890'), null);
  t.equal(passwordProblem('éééééééééé'), null, 'characters, not bytes');
  t.match(passwordProblem('x'.repeat(1025)), /at most/);
  t.equal(usernameProblem('admin'), null);
  t.equal(usernameProblem('ops.team@site-1'), null);
  for (const bad of ['', 'a b', '<script>', 'x'.repeat(65), 'tab\t']) t.type(usernameProblem(bad), 'string', JSON.stringify(bad));
});
