/**
 * The system side of the lab support (netns.ts): can this process build labs, removing namespaces of crashed
 * runs, and waiting on or stopping child processes.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';

/** Every lab namespace is `ae-<pid>-<lab#>-<node>`; the pid tells whether its run is still alive. */
export const NS_PREFIX = 'ae';
export const NS_NAME = /^ae-(\d+)-(\d+|probe)-([a-z0-9]+)$/;

let netnsReason: string | null | undefined;
let brNetfilterReason: string | null | undefined;

/** null when this process can build labs (root, `ip netns` works); otherwise why not, for t.skip. Cached. */
export function netnsSkipReason(): string | null {
  if (netnsReason === undefined) netnsReason = probeNetns();
  return netnsReason;
}

function probeNetns(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network-namespace tests need root (run as root)';
  for (const tool of ['ip', 'ethtool']) {
    const r = spawnSync(tool, ['-V'], { stdio: 'ignore' });
    if (r.error !== undefined) return `${tool} is not installed (Debian: ${tool === 'ip' ? 'iproute2' : 'ethtool'})`;
  }
  const probe = `${NS_PREFIX}-${process.pid}-probe-x`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim() || add.error?.message}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/** null when br_netfilter's per-namespace sysctls exist here; otherwise why not. Cached. */
export function brNetfilterSkipReason(): string | null {
  if (brNetfilterReason === undefined) brNetfilterReason = probeBrNetfilter();
  return brNetfilterReason;
}

function probeBrNetfilter(): string | null {
  const reason = netnsSkipReason();
  if (reason !== null) return reason;
  const probe = `${NS_PREFIX}-${process.pid}-probe-y`;
  spawnSync('ip', ['netns', 'add', probe]);
  const r = spawnSync('ip', ['netns', 'exec', probe, 'cat', '/proc/sys/net/bridge/bridge-nf-call-iptables'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  return r.status === 0 ? null : 'br_netfilter is not available (modprobe br_netfilter)';
}

/** Runs a setup command synchronously (argument array, no shell); throws with its stderr unless it exits 0. */
export function sh(args: string[], what: string): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 15000 });
  if (r.status !== 0) throw new Error(`${what}: \`${args.join(' ')}\` failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process inside a namespace and deletes it; errors are ignored (it may be gone already). */
export function destroyNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  for (const p of (pids.stdout ?? '').split('\n')) {
    const pid = Number(p.trim());
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** Deletes lab namespaces left by crashed runs (their pid is gone); returns their names. */
export function reapStaleLabs(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const stale: string[] = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = NS_NAME.exec(name);
    if (m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) stale.push(name);
  }
  for (const ns of stale) destroyNamespace(ns);
  return stale;
}

/** Lines from a child's stream until one matches `re`; rejects on timeout or exit first. Returns the line. */
export function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = child[stream];
    if (s === null) return reject(new Error(`${stream} of pid ${child.pid} is not piped`));
    let buf = '';
    const done = (err: Error | null, line?: string): void => {
      clearTimeout(timer);
      s.off('data', onData);
      child.off('exit', onExit);
      if (err !== null) reject(err);
      else resolve(line ?? '');
    };
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) if (re.test(line)) return done(null, line);
    };
    const onExit = (code: number | null, sig: string | null): void =>
      done(new Error(`pid ${child.pid} exited (code ${code}, signal ${sig}) before printing ${re}`));
    const timer = setTimeout(() => done(new Error(`no line matching ${re} on ${stream} within ${timeoutMs} ms`)), timeoutMs);
    s.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

