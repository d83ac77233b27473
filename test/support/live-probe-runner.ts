/**
 * Runs test/support/live-probe.ts inside a lab namespace and collects its JSON lines (see that file).
 */
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './netns.js';

export interface ProbePacket {
  tsUs: number;
  caplen: number;
  wirelen: number;
  etherType: number;
  ipVersion: 0 | 4 | 6;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  tcpFlags: number;
}

export interface ProbeStats {
  received: number;
  dropped: number;
  ifDropped: number;
  delivered: number;
  truncated: number;
}

export interface ProbeReady {
  linkType: number;
}

export interface ProbeResult {
  packets: ProbePacket[];
  stats: ProbeStats | null;
  /** the error line, when start() failed */
  error: { name: string; isLiveCaptureError: boolean; message: string } | null;
  code: number | null;
  stderr: string;
}

export interface Probe {
  child: ChildProcess;
  /** resolves when the probe is capturing; rejects when it failed to start or did not within `readyMs` */
  ready: Promise<ProbeReady>;
  /** SIGTERM, wait for exit (the probe delivers queued frames first), resolve to everything it printed */
  stop(): Promise<ProbeResult>;
}

/**
 * Starts the probe in `node`'s namespace capturing on `iface` with `bpf`, for at most `maxSeconds` (60), with a
 * kernel ring of `bufferBytes` (16 MiB) and an event-loop stall of `stallMs` (0) after it is ready.
 * `root` is the project root (the probe runs with `--import tsx` from there).
 */
export function runProbe(
  lab: Lab,
  node: string,
  iface: string,
  bpf: string,
  root: string,
  opts: { maxSeconds?: number; readyMs?: number; bufferBytes?: number; stallMs?: number } = {},
): Probe {
  const readyMs = opts.readyMs ?? 30000;
  const args = ['test/support/live-probe.ts', iface, bpf, String(opts.maxSeconds ?? 60), String(opts.bufferBytes ?? 16 << 20), String(opts.stallMs ?? 0)];
  const child = lab.spawn(node, process.execPath, ['--import', 'tsx', ...args], { cwd: root });
  const result: ProbeResult = { packets: [], stats: null, error: null, code: null, stderr: '' };
  let buf = '';
  let onReady: ((r: ProbeReady) => void) | undefined;
  let onFail: ((e: Error) => void) | undefined;
  const ready = new Promise<ProbeReady>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  const timer = setTimeout(() => onFail?.(new Error(`probe on ${node}/${iface} not ready within ${readyMs} ms: ${result.stderr}`)), readyMs);
  child.stderr!.on('data', (d: Buffer) => (result.stderr += d.toString('utf8')));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      const o = JSON.parse(line) as { type: string } & Record<string, unknown>;
      if (o.type === 'packet') result.packets.push(o as unknown as ProbePacket);
      else if (o.type === 'stats') result.stats = o as unknown as ProbeStats;
      else if (o.type === 'ready') {
        clearTimeout(timer);
        onReady?.(o as unknown as ProbeReady);
      } else if (o.type === 'error') {
        result.error = o as unknown as ProbeResult['error'];
        clearTimeout(timer);
        onFail?.(new Error(`probe failed: ${String(o.message)}`));
      }
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      result.code = code;
      onFail?.(new Error(`probe exited (code ${code}) before it was ready: ${result.stderr}`));
      resolve();
    }),
  );
  ready.catch(() => {}); // a caller that only wants stop() must not see an unhandled rejection
  return {
    child,
    ready,
    stop: async () => {
      await lab.stop(child, 'SIGTERM', 10000);
      await exited;
      return result;
    },
  };
}
