/**
 * `argus-edge run` as a user starts it: a child process of the CLI (src/cli.ts through tsx), its settings
 * from ARGUS_EDGE_* variables, its stderr collected; and the InfluxDB sink's accounting line it logs at exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../src/assets.js';

export const DEMO_CAPTURE = join(projectRoot(), 'demo/demo.pcap');
/** capinfos demo/demo.pcap */
export const DEMO_PACKETS = 4847;

export interface RunProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * `argus-edge run --port 0` plus `args` (`--mode replay --exit-at-end` unless they name a mode or loop), in
 * `dir`, with these ARGUS_EDGE_* settings. A replay that should end by itself and is still running after
 * `limitMs` is killed (exit code null, the reason at the end of its stderr), so a stuck run fails its test
 * instead of holding the suite until tap's timeout.
 */
export function startRun(dir: string, args: string[], env: Record<string, string>, limitMs = 300_000): RunProcess {
  const base = { ...process.env };
  delete base.ARGUS_EDGE_CONFIG;
  const endsByItself = !(args.includes('--mode') || args.includes('--loop'));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectRoot(), 'src/cli.ts'), 'run', ...(args.includes('--mode') ? [] : ['--mode', 'replay']), '--port', '0', ...(endsByItself ? ['--exit-at-end'] : []), ...args], {
    cwd: dir,
    env: { ...base, ARGUS_EDGE_WEB_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const limit = endsByItself
    ? setTimeout(() => {
        err += `\n[test] the replay was still running after ${limitMs / 1000} s: killed\n`;
        child.kill('SIGKILL');
      }, limitMs)
    : undefined;
  limit?.unref();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve(code);
    }),
  );
  return { child, stderr: () => err, exited };
}

/** The sink's last words: "influx: N points produced, W written, D dropped, R rejected by the server". */
export function influxAccounting(stderr: string): { produced: number; written: number; dropped: number; rejected: number } {
  const m = /influx: (\d+) points produced, (\d+) written, (\d+) dropped, (\d+) rejected/.exec(stderr);
  if (m === null) throw new Error(`no influx accounting line in:\n${stderr}`);
  return { produced: Number(m[1]), written: Number(m[2]), dropped: Number(m[3]), rejected: Number(m[4]) };
}

/** Polls `ok` every 100 ms; throws naming `what` after `ms`. */
export async function waitFor(what: string, ms: number, ok: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
