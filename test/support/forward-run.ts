/**
 * For the forwarding tests: a generated capture of many short flows (UDP exchanges and complete TCP
 * connections, real frames from the project's builders), and a replay of it through the pipeline with
 * `eve.forward` settings, returning the EVE file's lines (what the forwarders were offered).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tcpFrame, udpFrame } from '../../src/capture/packet-builder.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { replayFile } from '../../src/capture/replay.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Pipeline } from '../../src/pipeline.js';

export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;

/** `n` flows, every third a TCP connection, `gapUs` apart; written to `path`. */
export function manyFlowsCapture(path: string, n: number, gapUs = 2000): void {
  const w = new PcapWriter({ path });
  for (let i = 0; i < n; i++) {
    const t = T0 + i * gapUs;
    const c = { src: `10.77.${(i >> 8) & 255}.${(i & 255) || 1}`, dst: '10.77.255.10' };
    const r = { src: c.dst, dst: c.src };
    const sport = 20000 + (i % 40000);
    if (i % 3 === 0) {
      w.add(t, tcpFrame({ ...c, sport, dport: 443, flags: 'S', seq: 1 }));
      w.add(t + 100, tcpFrame({ ...r, sport: 443, dport: sport, flags: 'SA', seq: 7, ack: 2 }));
      w.add(t + 200, tcpFrame({ ...c, sport, dport: 443, flags: 'A', seq: 2, ack: 8 }));
      w.add(t + 300, tcpFrame({ ...c, sport, dport: 443, flags: 'FA', seq: 2, ack: 8 }));
      w.add(t + 400, tcpFrame({ ...r, sport: 443, dport: sport, flags: 'FA', seq: 8, ack: 3 }));
      w.add(t + 500, tcpFrame({ ...c, sport, dport: 443, flags: 'A', seq: 3, ack: 9 }));
    } else {
      w.add(t, udpFrame({ ...c, sport, dport: 5353 + (i % 7), payload: Buffer.alloc(40, i & 255) }));
      w.add(t + 150, udpFrame({ ...r, sport: 5353 + (i % 7), dport: sport, payload: Buffer.alloc(80, 7) }));
    }
  }
  w.close();
}

export interface ReplayResult {
  /** the EVE file's lines */
  lines: string[];
  pipeline: Pipeline;
  /** CPU (user + system) and wall ms of the replay itself, before shutdown */
  cpuMs: number;
  wallMs: number;
}

/**
 * Replays `pcap` with `flags` (config keys) and eve.path in `dir`. With `yieldEvery`, the replay hands the
 * event loop a turn every that many packets, as a live capture does between libpcap callbacks, so the
 * forwarders work while capture goes on. `onStart` gets the pipeline before the first packet (to watch its
 * forwarders during the replay); `beforeShutdown` runs after the replay, before the pipeline closes.
 */
export async function replayWithForward(
  pcap: string,
  dir: string,
  flags: Record<string, string>,
  opts: { yieldEvery?: number; onStart?: (p: Pipeline) => void; beforeShutdown?: (p: Pipeline) => Promise<void> } = {},
): Promise<ReplayResult> {
  const eve = join(dir, `eve-${Math.random().toString(36).slice(2)}.json`);
  const p = new Pipeline(loadConfig({ flags: { mode: 'replay', 'eve.path': eve, 'models.enabled': 'false', ...flags } }), createLogger('error'));
  opts.onStart?.(p);
  let n = 0;
  const every = opts.yieldEvery ?? 0;
  const onPacket = (pkt: typeof p.pkt): void | Promise<void> => {
    p.handlePacket(pkt);
    if (every > 0 && ++n % every === 0) return new Promise<void>((r) => setImmediate(r));
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await replayFile(pcap, p.pkt, onPacket as (pkt: typeof p.pkt) => void, { onIdle: () => p.flushOutputs() });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await opts.beforeShutdown?.(p);
  await p.shutdown();
  const text = readFileSync(eve, 'utf8');
  return { lines: text === '' ? [] : text.trimEnd().split('\n'), pipeline: p, cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

/** One assertion: `got` is `want`, line for line (on a difference, says where instead of printing thousands of lines). */
export function sameLines(t: Test, got: readonly string[], want: readonly string[], msg: string): void {
  let at = -1;
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) {
      at = i;
      break;
    }
  }
  if (at < 0) t.pass(`${msg} (${want.length} lines)`);
  else t.fail(`${msg}: first difference at line ${at} of ${want.length} (got ${got.length} lines)\n got: ${got[at]}\nwant: ${want[at]}`);
}
