/**
 * Services and oracles that tests start inside a Lab (netns.ts): an HTTP server, a real sshd, a tcpdump
 * writer, and a tshark reader for what tcpdump wrote. Each one is bounded in time and stopped by the lab's cleanup if the
 * test does not stop it first.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLine, type Lab } from './netns.js';

/**
 * The server: answers every request with `size` bytes of 'x' ('/bytes/<n>' asks for n) and `Connection:
 * close`, so each curl is one TCP connection that ends with FINs; '/admin…' wants HTTP Basic credentials
 * (LAB_HTTP_LOGIN) and answers 401 without them; logs "request <method> <url> <peer>" per request and
 * "listening <port>" once bound.
 */
const HTTP_SERVER_JS = `
const http = require('node:http');
const [addr, port, size, login] = process.argv.slice(1);
const server = http.createServer((req, res) => {
  console.log('request ' + req.method + ' ' + req.url + ' ' + req.socket.remoteAddress);
  if (req.url.startsWith('/admin') && req.headers.authorization !== 'Basic ' + Buffer.from(login).toString('base64')) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="lab"', 'content-length': 0, connection: 'close' });
    return res.end();
  }
  const m = /^\\/bytes\\/(\\d+)$/.exec(req.url);
  const n = m ? Math.min(Number(m[1]), 1 << 24) : Number(size);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': n, connection: 'close' });
  res.end(Buffer.alloc(n, 'x'));
});
server.listen({ host: addr, port: Number(port), ipv6Only: false }, () => console.log('listening ' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** The one user:password the lab's HTTP server accepts on '/admin…'. */
export const LAB_HTTP_LOGIN = 'admin:letmein';

export interface HttpServer {
  /** the node process serving (inside the host's namespace) */
  child: ChildProcess;
  port: number;
  /** "http://<ipv4>:<port>" and "http://[<ipv6>]:<port>" of the host */
  url4: string;
  url6: string;
  /** request log lines so far: "request GET /path <peer address>" */
  requests: string[];
  stop(): Promise<void>;
}

/**
 * Starts an HTTP server on `host` (all addresses, both families) and resolves once it listens (bounded by
 * `timeoutMs`, default 10 s). Uses this Node binary, so it needs nothing else installed.
 */
export async function startHttpServer(lab: Lab, host: string, opts: { port?: number; size?: number; timeoutMs?: number } = {}): Promise<HttpServer> {
  const port = opts.port ?? 8080;
  const child = lab.spawn(host, process.execPath, ['-e', HTTP_SERVER_JS, '::', String(port), String(opts.size ?? 1024), LAB_HTTP_LOGIN]);
  const requests: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('request ')) requests.push(l);
  });
  const line = await waitForLine(child, 'stdout', /^listening \d+$/, opts.timeoutMs ?? 10000);
  const bound = Number(line.split(' ')[1]);
  return {
    child,
    port: bound,
    url4: `http://${lab.addr(host, 4)}:${bound}`,
    url6: `http://[${lab.addr(host, 6)}]:${bound}`,
    requests,
    stop: () => lab.stop(child),
  };
}

export interface Tcpdump {
  child: ChildProcess;
  file: string;
  /** SIGINT, wait until tcpdump has flushed and exited; resolves to its "N packets captured" count (-1 unknown) */
  stop(): Promise<number>;
}

/**
 * Starts `tcpdump -i <iface> -w <file>` in `node`'s namespace (unbuffered, no name resolution, run as root so it
 * can write anywhere; immediate mode, or TPACKET_V3 would hold the last frames in an unfinished ring block
 * until its 1 s timeout and a quick stop would lose them) and resolves once it is capturing.
 */
export async function startTcpdump(lab: Lab, node: string, iface: string, file: string, filter = '', timeoutMs = 10000): Promise<Tcpdump> {
  // In immediate mode the kernel ring has fixed slots of about the snap length: '-s 0' (256 KiB) would leave a
  // handful of slots in the default 2 MiB buffer and bursts (an nmap scan) would be dropped on a busy machine.
  // 2048 bytes keeps every frame of these labs whole (offloads are off, MTU 1500); 16 MiB holds 8,192 of them.
  const args = ['-i', iface, '-n', '-U', '--immediate-mode', '-Z', 'root', '-s', '2048', '-B', '16384', '-w', file];
  if (filter !== '') args.push(filter);
  const child = lab.spawn(node, 'tcpdump', args);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  await waitForLine(child, 'stderr', /listening on/, timeoutMs);
  return {
    child,
    file,
    stop: async () => {
      await lab.stop(child, 'SIGINT', 5000);
      const m = /(\d+) packets? captured/.exec(stderr);
      return m === null ? -1 : Number(m[1]);
    },
  };
}

/** Whether tshark is installed (the oracle for reading what tcpdump wrote). */
export function tsharkSkipReason(): string | null {
  const r = spawnSync('tshark', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0 ? null : 'tshark is not installed (Debian: tshark)';
}

/**
 * Reads a capture file with tshark and returns one row per frame: the requested fields
 * (`-T fields -e …`), after an optional display filter. Empty fields are ''.
 */
export function tsharkFields(file: string, fields: string[], displayFilter = ''): string[][] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  if (displayFilter !== '') args.push('-Y', displayFilter);
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60000, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** Why tests that run nmap must skip, or false when nmap is installed. */
export function nmapSkipReason(): string | false {
  return spawnSync('nmap', ['--version'], { stdio: 'ignore' }).error ? 'nmap is not installed (Debian package nmap)' : false;
}

export const SSHD = '/usr/sbin/sshd';

/** Why tests that run a real sshd and ssh clients must skip, or null. */
export function sshdSkipReason(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is missing (Debian: openssh-server)`;
  for (const [cmd, arg] of [['ssh-keygen', '-?'], ['ssh', '-V']] as const) if (spawnSync(cmd, [arg], { stdio: 'ignore' }).error) return `${cmd} is not installed`;
  return null;
}

/**
 * Starts a real OpenSSH sshd on `host`:22 with a throwaway host key and config written into `dir`, in a private
 * /run (tmpfs in the mount namespace `ip netns exec` gives it) so nothing of the machine's own sshd setup is
 * used or touched. Every password guess fails, whatever the wordlist holds; with `keyLogin`, root may log in
 * with the key `clientKey` (made here too), as an admin's own logins would. Resolves once sshd listens; stop
 * it with `lab.stop(child)` (the lab's cleanup does it otherwise).
 */
export async function startSshd(lab: Lab, host: string, dir: string): Promise<ChildProcess> {
  return (await startSshdWith(lab, host, dir, false)).sshd;
}

/** startSshd, with root's key login allowed: `ssh -i clientKey root@host` succeeds. */
export function startKeySshd(lab: Lab, host: string, dir: string): Promise<{ sshd: ChildProcess; clientKey: string }> {
  return startSshdWith(lab, host, dir, true);
}

async function startSshdWith(lab: Lab, host: string, dir: string, keyLogin: boolean): Promise<{ sshd: ChildProcess; clientKey: string }> {
  const key = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  for (const k of keyLogin ? [key, clientKey] : [key]) {
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'argus-edge-test', '-f', k], { encoding: 'utf8', timeout: 20000 });
    if (kg.status !== 0) throw new Error(`ssh-keygen failed: ${kg.stderr ?? kg.error?.message}`);
  }
  const authorized = join(dir, 'authorized_keys');
  if (keyLogin) writeFileSync(authorized, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      `ListenAddress ${lab.addr(host)}:22`,
      `HostKey ${key}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      ...(keyLogin ? [`AuthorizedKeysFile ${authorized}`] : []),
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      `PubkeyAuthentication ${keyLogin ? 'yes' : 'no'}`,
      `AllowUsers ${keyLogin ? 'root' : 'argus-edge-nobody'}`,
      `PermitRootLogin ${keyLogin ? 'prohibit-password' : 'no'}`,
      'StrictModes no',
      'UseDNS no',
      // sshd's default: hydra makes about five guesses per connection before sshd drops it (with fewer,
      // hydra stalls after every drop); room for hydra's parallel connections
      'MaxAuthTries 6',
      'MaxStartups 64:30:128',
      'LoginGraceTime 15',
      '',
    ].join('\n'),
  );
  const sshd = lab.spawn(host, 'sh', ['-c', `mount -t tmpfs -o size=1m,mode=755 tmpfs /run && mkdir -m 755 /run/sshd && exec ${SSHD} -D -e -f ${conf}`]);
  await waitForLine(sshd, 'stderr', /Server listening on/, 15000);
  return { sshd, clientKey };
}

/** `ssh -i key root@server uptime` from `host`, batch mode, no host-key prompt; true when the login worked. */
export async function sshKeyLogin(lab: Lab, host: string, server: string, key: string): Promise<boolean> {
  const r = await lab.exec(host, 'ssh', ['-i', key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', `root@${server}`, 'uptime'], { timeoutMs: 15000 });
  return r.code === 0;
}
