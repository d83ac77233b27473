/**
 * A MAC flood as a capture file, for the MAC-flood acceptance test: `macs` frames, each from a MAC address
 * never seen before, at `floodPps` of packet time — what macof, yersinia and DHCP starvation tools send.
 *
 * - 'arp': ARP requests for the gateway, each from a new sender MAC with a new sender address inside
 *   10.128.0.0/9 (so each one is a device inside homeNets, and no address is claimed twice);
 * - 'dhcp': DHCP DISCOVERs from 0.0.0.0:68 to broadcast, each from a new client MAC (frame source and chaddr),
 *   with a new transaction id, the parameter list a Linux client asks for, and a hostname on every fourth
 *   (a flood can carry names).
 *
 * Between them the established devices go on: one ARP request from one of `established` (for the first of
 * them, the LAN's gateway) every
 * `normalEvery` flood frames, and for `quietSeconds` before and after the flood one every 100 ms, so the
 * flood's window passes and its detector sees it end.
 *
 * Streamed with the project's pcap writer: memory stays flat whatever `macs` is.
 */
import { arpFrame, dhcpMessage, udpFrame } from '../../src/capture/packet-builder.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';

export type MacFloodKind = 'arp' | 'dhcp';

export interface EstablishedDevice {
  mac: string;
  ip: string;
}

export interface MacFloodCaptureOptions {
  kind: MacFloodKind;
  /** distinct flood MACs, one frame each (default 1,000,000) */
  macs?: number;
  /** flood frames per second of packet time (default 50,000) */
  floodPps?: number;
  /** devices that talk before, during and after the flood (ARP requests for the gateway) */
  established?: readonly EstablishedDevice[];
  /** one frame of an established device every this many flood frames (default 1,000); 0 for none */
  normalEvery?: number;
  /** seconds of normal traffic before the flood and after it (default 90: more than the detector's window) */
  quietSeconds?: number;
  /** the address the ARP flood's requests ask for (default 10.128.0.1) */
  gatewayIp?: string;
  t0Us: number;
}

export interface MacFloodCapture {
  path: string;
  kind: MacFloodKind;
  packets: number;
  floodPackets: number;
  normalPackets: number;
  firstUs: number;
  lastUs: number;
  floodStartUs: number;
  floodEndUs: number;
}

/** The i-th flood MAC: locally administered unicast (02:…), distinct for i < 2^32, never one of the seed's. */
export function floodMac(i: number): number {
  // a bijection on 32 bits, so consecutive MACs do not share a prefix (as random ones would not)
  const x = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  return 0x02f1 * 0x100000000 + x;
}

/** The MAC as text, as the store keeps it. */
export function floodMacText(i: number): string {
  const n = floodMac(i);
  const hex = n.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

/** The i-th ARP flood sender's address: 10.128.0.0/9, distinct for i < 2^23. */
export function floodSenderIp(i: number): string {
  const a = (0x0a800000 | (i & 0x7fffff)) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

const LINUX_PARAMS = [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42];

function floodFrame(kind: MacFloodKind, i: number, gatewayIp: string): Buffer {
  const mac = floodMac(i);
  if (kind === 'arp') return arpFrame({ srcMac: mac, senderMac: mac, senderIp: floodSenderIp(i), targetIp: gatewayIp });
  const payload = dhcpMessage({
    clientMac: mac,
    xid: Math.imul(i, 2654435761) >>> 0,
    paramRequestList: LINUX_PARAMS,
    clientId: true,
    ...(i % 4 === 3 ? { hostname: `client-${i.toString(36)}` } : {}),
  });
  return udpFrame({ srcMac: mac, dstMac: 'ff:ff:ff:ff:ff:ff', src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, ttl: 64, payload });
}

/** Writes the capture to `path` and says what is in it. */
export function writeMacFloodCapture(path: string, o: MacFloodCaptureOptions): MacFloodCapture {
  const macs = o.macs ?? 1_000_000;
  const floodPps = o.floodPps ?? 50_000;
  const normalEvery = o.normalEvery ?? 1000;
  const quietUs = (o.quietSeconds ?? 90) * 1e6;
  const gatewayIp = o.gatewayIp ?? '10.128.0.1';
  const established = o.established ?? [];
  const w = new PcapWriter({ path });
  let normal = 0;
  const normalFrame = (ts: number): void => {
    if (established.length === 0) return;
    const d = established[normal % established.length]!;
    // each asks for the first of them (the LAN's gateway), which asks for the second
    const target = d === established[0] ? (established[1] ?? d).ip : established[0]!.ip;
    w.add(ts, arpFrame({ srcMac: d.mac, senderMac: d.mac, senderIp: d.ip, targetIp: target }));
    normal++;
  };
  const t0 = o.t0Us;
  for (let ts = t0; ts < t0 + quietUs; ts += 100_000) normalFrame(ts);
  const floodStartUs = t0 + quietUs;
  const gapUs = 1e6 / floodPps;
  let ts = floodStartUs;
  for (let i = 0; i < macs; i++) {
    ts = Math.round(floodStartUs + i * gapUs);
    w.add(ts, floodFrame(o.kind, i, gatewayIp));
    if (normalEvery > 0 && i % normalEvery === normalEvery - 1) normalFrame(ts);
  }
  const floodEndUs = ts;
  let lastUs = floodEndUs;
  for (let t = floodEndUs + 100_000; t < floodEndUs + quietUs; t += 100_000) {
    normalFrame(t);
    lastUs = t;
  }
  const packets = w.packets;
  w.close();
  return { path, kind: o.kind, packets, floodPackets: macs, normalPackets: normal, firstUs: t0, lastUs, floodStartUs, floodEndUs };
}
