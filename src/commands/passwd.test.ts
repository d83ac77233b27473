import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { loadConfig } from '../config.js';
import { Store } from '../store/db.js';
import { verifyPassword } from '../web/password.js';
import { commandPasswd, type PasswdIo } from './passwd.js';

function tmpStore(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'argus-passwd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'argus-edge.db');
}

function sink(): PassThrough & { text(): string } {
  const s = new PassThrough() as PassThrough & { text(): string };
  let buf = '';
  s.on('data', (d) => (buf += d.toString()));
  s.text = () => buf;
  return s;
}

function user(path: string, name: string) {
  const s = Store.open({ path, log: () => {} });
  try {
    return { u: s.auth.userByName(name), audit: s.actions.auditLog() };
  } finally {
    s.close();
  }
}

t.test('password from a pipe: first line, creates then changes the user', async (t) => {
  const path = tmpStore(t);
  const cfg = loadConfig({ flags: { 'store.path': path } });
  const io = (input: string): PasswdIo & { out: ReturnType<typeof sink>; err: ReturnType<typeof sink> } => {
    const out = sink();
    const err = sink();
    return { stdin: Readable.from([input]), stdout: out, stderr: err, out, err };
  };
  let o = io('short\n');
  t.equal(await commandPasswd(cfg, { user: 'admin' }, o), 1);
  t.match(o.err.text(), /at least 10 characters/);
  t.equal(user(path, 'admin').u, undefined, 'nothing created');

  o = io('first password 1\nignored second line\n');
  t.equal(await commandPasswd(cfg, { user: 'admin' }, o), 0);
  t.match(o.out.text(), /created the admin 'admin'/);
  let r = user(path, 'admin');
  t.equal(r.u!.role, 'admin');
  t.ok(await verifyPassword('first password 1', r.u!.passwordHash));
  t.match(r.audit[0], { actor: 'cli', action: 'user.create', target: 'admin' });

  o = io('second password 2\r\n');
  t.equal(await commandPasswd(cfg, { user: 'admin', role: 'viewer' }, o), 0);
  t.match(o.out.text(), /changed the password/);
  t.match(o.err.text(), /role of 'admin' stays admin/);
  r = user(path, 'admin');
  t.ok(await verifyPassword('second password 2', r.u!.passwordHash), 'CRLF stripped');
  t.notOk(await verifyPassword('first password 1', r.u!.passwordHash));
  t.equal(r.audit[0]!.action, 'user.password');

  o = io('a viewer password\n');
  t.equal(await commandPasswd(cfg, { user: 'kim', role: 'viewer' }, o), 0);
  t.equal(user(path, 'kim').u!.role, 'viewer');
  t.equal(await commandPasswd(cfg, { user: 'bad name' }, io('whatever password\n')), 1);
});

t.test('password from a terminal: asked twice, never echoed', async (t) => {
  const path = tmpStore(t);
  const cfg = loadConfig({ flags: { 'store.path': path } });
  const run = async (typed: string[]): Promise<{ code: number; err: string; raw: boolean[] }> => {
    const stdin = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(on: boolean): void };
    const raw: boolean[] = [];
    stdin.isTTY = true;
    stdin.setRawMode = (on) => void raw.push(on);
    const err = sink();
    const p = commandPasswd(cfg, { user: 'admin' }, { stdin, stdout: sink(), stderr: err });
    for (const chunk of typed) {
      await new Promise((r) => setImmediate(r));
      stdin.write(chunk);
    }
    return { code: await p, err: err.text(), raw };
  };
  let r = await run(['terminal pass 1\r', 'terminal pass 2\r']);
  t.equal(r.code, 1);
  t.match(r.err, /differ/);
  t.equal(user(path, 'admin').u, undefined);
  r = await run(['terminal pass 1x\u007f\r', 'terminal ', 'pass 1\r']);
  t.equal(r.code, 0, 'backspace edits the line');
  t.notMatch(r.err, /terminal pass/, 'the password is never written out');
  t.match(r.err, /New password for admin: /);
  t.same(r.raw, [true, false, true, false], 'raw mode on while typing, off afterwards');
  t.ok(await verifyPassword('terminal pass 1', user(path, 'admin').u!.passwordHash));
  r = await run(['abc\u0003']);
  t.equal(r.code, 1);
  t.match(r.err, /cancelled/);
});

t.test('the passwd subcommand of the CLI', async (t) => {
  const path = tmpStore(t);
  const cli = join(import.meta.dirname, '..', 'cli.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'passwd', '--store', path, '--user', 'ops'], { input: 'piped password 9\n', encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /created the admin 'ops'/);
  t.ok(await verifyPassword('piped password 9', user(path, 'ops').u!.passwordHash));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, 'passwd', '--store', path, '--role', 'root'], { input: 'piped password 9\n', encoding: 'utf8', timeout: 60_000 });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /--role must be admin or viewer/);
});
