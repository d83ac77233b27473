/**
 * A spoofed SYN flood as a capture file, for the flood acceptance test and bench/flood.ts: `sources` SYNs to
 * one web server, each from a different spoofed address and port (one packet per source, all through the
 * upstream router's MAC, as a flood from the Internet arrives), at `floodPps` of packet time. Between them,
 * a normal mix goes on: home clients open complete HTTP connections to the same server and ask the LAN's DNS
 * server, so the test can tell what survives of normal traffic during the flood.
 *
 * Streamed with the project's pcap writer: memory stays flat whatever `sources` is.
 */
import { tcpFrame, udpFrame } from '../../src/capture/packet-builder.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';

export interface SynFloodCaptureOptions {
  /** spoofed sources, one SYN each (default 1,000,000) */
  sources?: number;
  /** flood SYNs per second of packet time (default 50,000) */
  floodPps?: number;
  /** one normal HTTP connection (7 packets) and one DNS exchange every this many flood packets (default 1,000); 0 for none */
  normalEvery?: number;
  /** seconds of normal traffic before the flood starts and after it ends (default 20) */
  quietSeconds?: number;
  t0Us?: number;
}

export interface SynFloodCapture {
  path: string;
  packets: number;
  floodPackets: number;
  normalConnections: number;
  target: string;
  port: number;
  routerMac: string;
  firstUs: number;
  lastUs: number;
}

export const FLOOD_TARGET = '10.0.0.10';
export const FLOOD_PORT = 80;
export const ROUTER_MAC = '02:00:00:00:00:fe';
const SERVER_MAC = '02:00:00:00:00:10';
const DNS_SERVER = '10.0.0.1';

/** the i-th spoofed source: distinct for i < 2^26, inside 20.0.0.0/6 (never a home network) */
export function spoofedSource(i: number): string {
  const a = 0x14000000 | ((Math.imul(i, 0x9e3779b1) >>> 0) & 0x03ffffff);
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Writes the capture to `path` and says what is in it. */
export function writeSynFloodCapture(path: string, o: SynFloodCaptureOptions = {}): SynFloodCapture {
  const sources = o.sources ?? 1_000_000;
  const floodPps = o.floodPps ?? 50_000;
  const normalEvery = o.normalEvery ?? 1000;
  const quietUs = (o.quietSeconds ?? 20) * 1e6;
  const t0 = o.t0Us ?? 1_760_000_000_000_000;
  const w = new PcapWriter({ path });
  let normal = 0;
  let lastUs = t0;
  // normal packets wait here until the flood's clock reaches them, so the file stays in time order
  const pending: [number, Buffer][] = [];
  const write = (ts: number, frame: Buffer): void => {
    w.add(ts, frame);
    if (ts > lastUs) lastUs = ts;
  };
  const until = (ts: number): void => {
    while (pending.length > 0 && pending[0]![0] <= ts) {
      const [t, f] = pending.shift()!;
      write(t, f);
    }
  };
  const at = (ts: number, frame: Buffer): void => void pending.push([ts, frame]);
  // one complete HTTP connection and one DNS exchange of a home client, starting at `ts`
  const normalMix = (ts: number): void => {
    const k = normal++;
    const client = `10.0.0.${20 + (k % 10)}`;
    const cmac = `02:00:00:00:01:${(20 + (k % 10)).toString(16).padStart(2, '0')}`;
    const sport = 30000 + (k % 30000);
    const c = { srcMac: cmac, dstMac: SERVER_MAC, src: client, dst: FLOOD_TARGET, sport, dport: FLOOD_PORT };
    const s = { srcMac: SERVER_MAC, dstMac: cmac, src: FLOOD_TARGET, dst: client, sport: FLOOD_PORT, dport: sport };
    const req = `GET /status/${k % 50} HTTP/1.1\r\nHost: nas.lan\r\n\r\n`;
    at(ts, tcpFrame({ ...c, flags: 'S', seq: 1000 }));
    at(ts + 200, tcpFrame({ ...s, flags: 'SA', seq: 5000, ack: 1001 }));
    at(ts + 300, tcpFrame({ ...c, flags: 'A', seq: 1001, ack: 5001 }));
    at(ts + 400, tcpFrame({ ...c, flags: 'PA', seq: 1001, ack: 5001, payload: req }));
    at(ts + 900, tcpFrame({ ...s, flags: 'PA', seq: 5001, ack: 1001 + req.length, payload: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
    at(ts + 1000, tcpFrame({ ...c, flags: 'FA', seq: 1001 + req.length, ack: 5041 }));
    at(ts + 1100, tcpFrame({ ...s, flags: 'FA', seq: 5041, ack: 1002 + req.length }));
    at(ts + 1200, tcpFrame({ ...c, flags: 'A', seq: 1002 + req.length, ack: 5042 }));
    const dnsPort = 40000 + (k % 20000);
    at(ts + 1300, udpFrame({ srcMac: cmac, dstMac: SERVER_MAC, src: client, dst: DNS_SERVER, sport: dnsPort, dport: 53, payload: Buffer.alloc(32, 7) }));
    at(ts + 1800, udpFrame({ srcMac: SERVER_MAC, dstMac: cmac, src: DNS_SERVER, dst: client, sport: 53, dport: dnsPort, payload: Buffer.alloc(64, 9) }));
  };
  // the normal mix alone for a while before and after: a connection every 100 ms
  for (let ts = t0; ts < t0 + quietUs; ts += 100_000) {
    if (normalEvery > 0) normalMix(ts);
    until(ts + 100_000);
  }
  const floodStart = t0 + quietUs;
  const gapUs = 1e6 / floodPps;
  for (let i = 0; i < sources; i++) {
    const ts = Math.round(floodStart + i * gapUs);
    until(ts);
    write(ts, tcpFrame({ srcMac: ROUTER_MAC, dstMac: SERVER_MAC, src: spoofedSource(i), dst: FLOOD_TARGET, sport: 1024 + ((i * 7919) % 64000), dport: FLOOD_PORT, flags: 'S', seq: Math.imul(i, 2654435761) >>> 0, window: 512, ttl: 57 }));
    if (normalEvery > 0 && i % normalEvery === normalEvery - 1) normalMix(ts + 1);
  }
  const floodEnd = Math.round(floodStart + sources * gapUs);
  for (let ts = floodEnd + 100_000; ts < floodEnd + quietUs; ts += 100_000) {
    until(ts);
    if (normalEvery > 0) normalMix(ts);
  }
  until(Infinity);
  const packets = w.packets;
  w.close();
  return { path, packets, floodPackets: sources, normalConnections: normal, target: FLOOD_TARGET, port: FLOOD_PORT, routerMac: ROUTER_MAC, firstUs: t0, lastUs };
}
