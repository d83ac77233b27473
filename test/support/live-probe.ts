/**
 * A small capture program for tests, run inside a lab namespace (a Node process cannot enter one itself):
 *
 *   ip netns exec <ns> node --import tsx test/support/live-probe.ts <iface> <bpf> <seconds> [bufferBytes] [stallMs]
 *
 * `stallMs` > 0 blocks the event loop for that long right after "ready" (as a long GC pause or model batch
 * would), so a test can overflow a small kernel ring (`bufferBytes`) and see the drop counters move.
 *
 * Captures with LiveCapture, decodes each frame with decodePacket and prints JSON lines on stdout:
 *   {"type":"ready","linkType":1}                                  once capturing
 *   {"type":"packet","tsUs":…,"caplen":…,"wirelen":…,"ipVersion":4,"src":"10.99.0.10","dst":…,
 *    "proto":6,"sport":…,"dport":…,"tcpFlags":…,"etherType":…}     per frame
 *   {"type":"stats","received":…,"dropped":…,"ifDropped":…,"delivered":…,"truncated":…}   at the end
 *   {"type":"error","name":"LiveCaptureError","message":"…"}       when start() throws (exit code 3)
 * It stops after <seconds> or on SIGTERM/SIGINT, and exits 0.
 */
import { LiveCapture, LiveCaptureError, DEFAULT_BUFFER_SIZE, DEFAULT_SNAPLEN } from '../../src/capture/live.js';
import { Packet } from '../../src/decode/packet.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeStats } from '../../src/decode/events.js';
import { ipToString } from '../../src/decode/addr.js';

const [iface = '', bpf = '', secondsArg = '5', bufferArg = String(DEFAULT_BUFFER_SIZE), stallArg = '0'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const out: string[] = [];
const flush = (): void => {
  if (out.length > 0) process.stdout.write(out.join(''));
  out.length = 0;
};

const pkt = new Packet();
const decodeStats = new DecodeStats();
let delivered = 0;
const capture = new LiveCapture(
  { iface, bpf, snaplen: DEFAULT_SNAPLEN, promisc: true, bufferSize: Number(bufferArg) },
  pkt,
  (p) => {
    delivered++;
    p.reset();
    decodePacket(p, decodeStats);
    const v = p.ipVersion === 4 || p.ipVersion === 6 ? p.ipVersion : 0;
    out.push(
      JSON.stringify({
        type: 'packet',
        tsUs: p.tsUs,
        caplen: p.caplen,
        wirelen: p.wirelen,
        etherType: p.etherType,
        ipVersion: v,
        src: v === 0 ? '' : ipToString(p.srcAddr, v),
        dst: v === 0 ? '' : ipToString(p.dstAddr, v),
        proto: p.ipProto,
        sport: p.srcPort,
        dport: p.dstPort,
        tcpFlags: p.tcpFlags,
      }) + '\n',
    );
    if (out.length >= 256) flush();
  },
);

let finish = (): void => {};
process.once('SIGTERM', () => finish());
process.once('SIGINT', () => finish());

try {
  capture.start();
} catch (err) {
  const e = err as Error;
  process.stdout.write(JSON.stringify({ type: 'error', name: e.name, isLiveCaptureError: err instanceof LiveCaptureError, message: e.message }) + '\n');
  process.exit(3);
}
process.stdout.write(JSON.stringify({ type: 'ready', linkType: capture.linkType }) + '\n');
// stdout is a pipe, written synchronously on Linux, so "ready" is out before the stall starts
if (Number(stallArg) > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stallArg));

const flusher = setInterval(flush, 100);
let finished = false;
finish = (): void => {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  clearInterval(flusher);
  capture.stop();
  flush();
  const s = capture.stats();
  process.stdout.write(JSON.stringify({ type: 'stats', ...s, delivered, truncated: capture.truncated }) + '\n');
};
const timer = setTimeout(finish, Math.max(0, seconds) * 1000);
