/**
 * Each link type beyond Ethernet, end to end: a TCP connection (handshake, data both ways, FINs) and a DNS
 * exchange, built with the packet builders inside that link layer, written as a pcap of its link type, read
 * back through the capture reader, the decoder and the flow table. Each must give the connection's flow as
 * an Ethernet capture of the same packets does: same 5-tuple, conn_state SF, history, packets, bytes.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dnsQuery, dnsResponse, ethernet, EtherType, httpRequest, fabricPath, ipPacket, IpProto, PppProto, pppLink, pppSerial, radiotap, tcp, udp, vnTag, wlanData,
} from '../src/capture/packet-builder.js';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { LinkType, Packet } from '../src/decode/packet.js';
import type { FlowRecord } from '../src/flow/flow-record.js';
import { FlowTable } from '../src/flow/flow-table.js';
import { flowConfig, T0 } from './support/flow-packets.js';

const dir = mkdtempSync(join(tmpdir(), 'linktypes-flows-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const C = { ip: '10.99.0.2', port: 40001, mac: '02:00:00:00:00:02' };
const S = { ip: '10.99.0.1', port: 80, mac: '02:00:00:00:00:01' };
const AP = '02:00:00:00:0a:01';

const REQ = httpRequest({ host: 'wifi.example' }).toString('latin1');
const RESP = 'HTTP/1.0 200 OK\r\n\r\nhi';

/** the packets of one connection and one DNS exchange: [from the client?, IP packet] */
function exchange(): [boolean, Buffer][] {
  const seg = (fromC: boolean, flags: string, seq: number, ack: number, payload = '') => {
    const [a, b] = fromC ? [C, S] : [S, C];
    return [fromC, ipPacket({ src: a.ip, dst: b.ip, proto: IpProto.TCP, payload: tcp({ src: a.ip, dst: b.ip, sport: a.port, dport: b.port, flags, seq, ack, payload }) })] as [boolean, Buffer];
  };
  const dns = (fromC: boolean) => {
    const [a, b, sp, dp] = fromC ? [C, S, 53001, 53] : [S, C, 53, 53001];
    return [fromC, ipPacket({ src: a.ip, dst: b.ip, proto: IpProto.UDP, payload: udp({ src: a.ip, dst: b.ip, sport: sp, dport: dp, payload: fromC ? dnsQuery({ id: 7, name: 'wifi.example' }) : dnsResponse({ id: 7, name: 'wifi.example', answers: [{ name: 'wifi.example', type: 'A', data: S.ip }] }) }) })] as [boolean, Buffer];
  };
  return [
    seg(true, 'S', 100, 0),
    seg(false, 'SA', 900, 101),
    seg(true, 'A', 101, 901),
    seg(true, 'PA', 101, 901, REQ),
    seg(false, 'PA', 901, 101 + REQ.length, RESP),
    seg(true, 'FA', 101 + REQ.length, 901 + RESP.length),
    seg(false, 'FA', 901 + RESP.length, 102 + REQ.length),
    seg(true, 'A', 102 + REQ.length, 902 + RESP.length),
    dns(true),
    dns(false),
  ];
}

const eth = (fromC: boolean, type: number, payload: Buffer) => ethernet({ src: fromC ? C.mac : S.mac, dst: fromC ? S.mac : C.mac, etherType: type, payload });

/** link type → how one IP packet (IPv4 here) is framed in it */
const LINKS: [name: string, linkType: number, frame: (fromC: boolean, ip: Buffer) => Buffer, macs: boolean][] = [
  ['Ethernet (the reference)', LinkType.ETHERNET, (c, ip) => eth(c, EtherType.IPV4, ip), true],
  ['LINKTYPE_PPP, HDLC-like framing', LinkType.PPP, (_c, ip) => pppLink({ protocol: PppProto.IPV4, payload: ip }), false],
  ['LINKTYPE_PPP, no framing', LinkType.PPP, (_c, ip) => pppLink({ protocol: PppProto.IPV4, payload: ip, hdlc: false }), false],
  ['LINKTYPE_PPP_HDLC', LinkType.PPP_SERIAL, (_c, ip) => pppSerial({ protocol: PppProto.IPV4, payload: ip }), false],
  ['LINKTYPE_PPP_HDLC, Cisco HDLC', LinkType.PPP_SERIAL, (_c, ip) => pppSerial({ address: 0x0f, protocol: EtherType.IPV4, payload: ip }), false],
  ['Cisco FabricPath', LinkType.ETHERNET, (c, ip) => ethernet({ src: '02:fa:00:00:00:01', dst: '02:fa:00:00:00:02', etherType: 0x8903, payload: fabricPath({ frame: eth(c, EtherType.IPV4, ip) }) }), true],
  ['VN-Tag', LinkType.ETHERNET, (c, ip) => eth(c, 0x8926, vnTag({ etherType: EtherType.IPV4, payload: ip })), true],
  ['802.11, To-DS and From-DS', LinkType.IEEE802_11, (c, ip) => wlanData({ src: c ? C.mac : S.mac, dst: c ? S.mac : C.mac, bssid: AP, toDs: c, fromDs: !c, payload: ip }), true],
  [
    'radiotap + 802.11 QoS data with FCS',
    LinkType.IEEE802_11_RADIOTAP,
    (c, ip) => radiotap({ tsft: true, fcs: true, frame: wlanData({ src: c ? C.mac : S.mac, dst: c ? S.mac : C.mac, bssid: AP, toDs: c, fromDs: !c, qos: true, payload: ip }) }),
    true,
  ],
];

async function flows(linkType: number, frames: Buffer[]): Promise<{ records: FlowRecord[]; stats: DecodeStats }> {
  const w = new PcapWriter({ linkType });
  frames.forEach((f, i) => w.add(T0 + i * 1000, f));
  const file = join(dir, `lt-${linkType}-${Math.random().toString(36).slice(2)}.pcap`);
  w.writeFile(file);
  const records: FlowRecord[] = [];
  const table = new FlowTable(flowConfig(), (r) => records.push(r));
  const stats = new DecodeStats();
  await readCaptureFile(file, new Packet(), (p) => {
    p.reset();
    if (decodePacket(p, stats) && p.ipVersion !== 0) table.add(p);
  });
  table.flush('shutdown');
  return { records, stats };
}

const summary = (r: FlowRecord) => ({
  tuple: `${r.proto} ${r.srcIp}:${r.srcPort} > ${r.dstIp}:${r.dstPort}`,
  connState: r.connState,
  history: r.history,
  pkts: [r.pktsToServer, r.pktsToClient],
  // frame bytes differ with the link header; what IP and the payload carry does not
  payloadBytes: [r.payloadBytesToServer, r.payloadBytesToClient],
  ipBytes: [r.ipBytesToServer, r.ipBytesToClient],
  service: r.service,
});

t.test('each link type gives the flows an Ethernet capture of the same packets gives', async (t) => {
  const ex = exchange();
  const ref = await flows(LinkType.ETHERNET, ex.map(([c, ip]) => eth(c, EtherType.IPV4, ip)));
  t.equal(ref.records.length, 2);
  t.same(ref.records.map((r) => r.connState).sort(), ['SF', 'SF']);
  for (const [name, linkType, frame, macs] of LINKS) {
    const got = await flows(linkType, ex.map(([c, ip]) => frame(c, ip)));
    t.same(got.stats.toJSON(), { decoded: ex.length, skipped: 0, events: {} }, `${name}: every frame decoded, no event`);
    t.same(got.records.map(summary), ref.records.map(summary), `${name}: the same flows`);
    const tcpFlow = got.records.find((r) => r.proto === 6);
    t.equal(tcpFlow?.srcMac ?? null, macs ? C.mac : null, `${name}: the client's MAC ${macs ? 'kept' : '(none on this link)'}`);
  }
});
