/**
 * Replays a capture file as a packet source: optional BPF filter, optional real-time pacing (packets are
 * delivered when the wall clock reaches their timestamp, relative to the first), optional looping (the file
 * starts again, every timestamp shifted past the previous pass, so packet time keeps moving forward).
 */
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { Packet } from '../decode/packet.js';
import { OfflineFilter } from './libpcap.js';
import { readCaptureFile, type ReadSummary } from './pcap-file.js';

export interface ReplayOptions {
  bpf?: string;
  realtime?: boolean;
  loop?: boolean;
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** called between file chunks (about every 4 MiB) and after every real-time wait: a place to flush outputs */
  onIdle?: () => void;
  /** someone is waiting on this process (the web server answering): slices shrink to REPLAY_BUSY_SLICE_MS */
  interactive?: () => boolean;
}

export interface ReplaySummary extends ReadSummary {
  /** packets that the BPF filter dropped */
  filtered: number;
  /** passes over the file (> 1 when looping) */
  passes: number;
}

/**
 * A replay as fast as possible hands the event loop back after at most this much work, so the web server in
 * the same process gets its turn (a 4 MiB chunk of minimum-size frames is ~60,000 packets). One request takes
 * a dozen turns of the loop (accept, read, the handler's awaits, write), each waiting out a slice: at 20 ms a
 * request answered in 140–230 ms during a flood replay, at 5 ms in 65 ms. A yield costs microseconds.
 */
export const REPLAY_SLICE_MS = 5;
/**
 * The slice while a request is being answered (ReplayOptions.interactive). On a machine whose cores are
 * shared, each slice stretches by the time the process waits for a core, and a dozen of them per request made
 * a dashboard page during a flood take 210–280 ms instead of 65.
 */
export const REPLAY_BUSY_SLICE_MS = 1;
/** packets between two looks at the clock */
const SLICE_CHECK = 256;

/** Replay `path` into `onPacket`; the Packet's capture fields are filled, its decoded fields are the caller's. */
export async function replayFile(path: string, pkt: Packet, onPacket: (pkt: Packet) => void | Promise<void>, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const filter = opts.bpf ? new OfflineFilter(opts.bpf) : null;
  let filtered = 0;
  let shiftUs = 0;
  let passes = 0;
  let wallAnchorMs = -1;
  let pktAnchorUs = 0;
  let firstUs = -1;
  let lastUs = 0;
  let summary: ReadSummary;
  let sinceCheck = 0;
  let sliceStart = performance.now();

  const deliver = (p: Packet): void | Promise<void> => {
    if (filter !== null && !filter.matches(p.linkType, p.buf, p.bufOffset, p.caplen, p.wirelen)) {
      filtered++;
      return;
    }
    if (firstUs < 0) firstUs = p.tsUs;
    if (p.tsUs > lastUs) lastUs = p.tsUs;
    p.tsUs += shiftUs;
    if (!opts.realtime) {
      // a consumer that returns a promise holds the replay until it settles
      const wait = onPacket(p);
      if (wait instanceof Promise) return wait.then(() => void (sliceStart = performance.now()));
      if (++sinceCheck < SLICE_CHECK) return;
      sinceCheck = 0;
      const now = performance.now();
      if (now - sliceStart < (opts.interactive?.() === true ? REPLAY_BUSY_SLICE_MS : REPLAY_SLICE_MS)) return;
      // the reader keeps the chunk valid while we wait; the packet was already delivered
      return yieldToLoop().then(() => void (sliceStart = performance.now()));
    }
    const now = performance.now();
    if (wallAnchorMs < 0) [wallAnchorMs, pktAnchorUs] = [now, p.tsUs];
    const waitMs = wallAnchorMs + (p.tsUs - pktAnchorUs) / 1000 - now;
    if (waitMs < 2) return onPacket(p);
    // The reader keeps the chunk (and so p.buf) valid while we wait.
    return sleep(Math.min(waitMs, 3_600_000), undefined, { signal: opts.signal }).then(
      () => {
        opts.onIdle?.();
        onPacket(p);
      },
      () => undefined, // aborted while waiting: the packet is dropped with the rest of the run
    );
  };

  do {
    passes++;
    summary = await readCaptureFile(path, pkt, deliver, {
      signal: opts.signal,
      onProgress: (read, total) => {
        opts.onIdle?.();
        opts.onProgress?.(read, total);
      },
    });
    if (summary.packets === 0 || summary.error !== null) break;
    // Next pass starts one second after this one ended, in packet time.
    shiftUs += lastUs - firstUs + 1_000_000;
    firstUs = -1;
  } while (opts.loop && !opts.signal?.aborted);
  return { ...summary, filtered, passes };
}

/**
 * The timestamp (µs) of the first packet of `path`, or null when it holds none: the replay's clock before its
 * first packet is processed (start-up audit entries, dashboard actions taken before the replay begins).
 */
export async function firstPacketUs(path: string): Promise<number | null> {
  const ac = new AbortController();
  let first: number | null = null;
  await readCaptureFile(path, new Packet(), (p) => {
    if (first === null) first = p.tsUs;
    ac.abort();
  }, { signal: ac.signal });
  return first;
}
