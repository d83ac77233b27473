/**
 * `argus-edge passwd`: set a dashboard user's password, creating the user when the name is new. The password is
 * read twice from a terminal without echo, or once (its first line) from standard input when that is not a
 * terminal, so scripts can pipe it in. Changing a password ends that user's sessions.
 */
import type { Readable, Writable } from 'node:stream';
import type { Config } from '../config.js';
import { Store } from '../store/db.js';
import type { WebRole } from '../store/web-auth.js';
import { MAX_PASSWORD_LENGTH, passwordProblem, setUserPassword, usernameProblem } from '../web/password.js';

export interface PasswdIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
}

class Aborted extends Error {}

/** Reads one line from a terminal in raw mode, echoing nothing. Ctrl-C or Ctrl-D on an empty line abort. */
function readHidden(io: PasswdIo, prompt: string): Promise<string> {
  const input = io.stdin;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let s = '';
    const finish = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      io.stderr.write('\n');
      if (err === null) resolve(s);
      else reject(err);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || (ch === '\u0004' && s === '')) return finish(new Aborted('cancelled'));
        if (ch === '\u007f' || ch === '\b') s = [...s].slice(0, -1).join('');
        else if (ch >= ' ') s += ch;
        if (s.length > MAX_PASSWORD_LENGTH) return finish(null);
      }
    };
    input.setRawMode?.(true);
    input.resume();
    input.on('data', onData);
  });
}

/** The first line of a non-terminal standard input (at most 64 KiB are read). */
async function readFirstLine(input: Readable): Promise<string> {
  let buf = '';
  for await (const chunk of input) {
    buf += (chunk as Buffer | string).toString();
    if (buf.includes('\n') || buf.length > 65536) break;
  }
  return buf.split(/\r?\n/)[0] ?? '';
}

/** Runs the command; returns the exit code (0 done, 1 refused or failed). */
export async function commandPasswd(
  cfg: Config,
  opts: { user: string; role?: WebRole },
  io: PasswdIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const badName = usernameProblem(opts.user);
  if (badName !== null) {
    io.stderr.write(`argus-edge passwd: ${badName}\n`);
    return 1;
  }
  if (cfg.store.path === ':memory:' || cfg.store.path === '') {
    io.stderr.write('argus-edge passwd: store.path must name the appliance\'s database file\n');
    return 1;
  }
  let password: string;
  try {
    if (io.stdin.isTTY === true) {
      password = await readHidden(io, `New password for ${opts.user}: `);
      const problem = passwordProblem(password);
      if (problem !== null) {
        io.stderr.write(`argus-edge passwd: ${problem}\n`);
        return 1;
      }
      if ((await readHidden(io, 'Same password again: ')) !== password) {
        io.stderr.write('argus-edge passwd: the two passwords differ; nothing was changed\n');
        return 1;
      }
    } else {
      password = await readFirstLine(io.stdin);
    }
  } catch (err) {
    if (err instanceof Aborted) {
      io.stderr.write('argus-edge passwd: cancelled; nothing was changed\n');
      return 1;
    }
    throw err;
  }
  const problem = passwordProblem(password);
  if (problem !== null) {
    io.stderr.write(`argus-edge passwd: ${problem}; nothing was changed\n`);
    return 1;
  }
  const store = Store.open({ path: cfg.store.path, log: (m) => io.stderr.write(m + '\n') });
  try {
    const existing = store.auth.userByName(opts.user);
    const role = opts.role ?? existing?.role ?? 'admin';
    const what = await setUserPassword(store, { username: opts.user, password, role, actor: 'cli', tsUs: Date.now() * 1000 });
    if (what === 'created') io.stdout.write(`created the ${role} '${opts.user}' in ${cfg.store.path}\n`);
    else {
      io.stdout.write(`changed the password of '${opts.user}'; their sessions were ended\n`);
      if (opts.role !== undefined && opts.role !== existing!.role) io.stderr.write(`argus-edge passwd: note: the role of '${opts.user}' stays ${existing!.role}\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}
