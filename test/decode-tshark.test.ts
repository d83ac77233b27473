/**
 * The decoders against tshark as an oracle: real captures (../shared/pcaps) are decoded both ways and the
 * fields compared frame by frame — addresses, ports, TCP flags, VLAN ids, DNS query name, TLS SNI, HTTP
 * Host. tshark runs with reassembly and defragmentation off, so both sides see single packets.
 * Frames tshark shows as tunnelled (more than one IP header) are left out: ours keeps the outer header.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { Packet } from '../src/decode/packet.js';
import { DecodeStats } from '../src/decode/events.js';
import { decodePacket } from '../src/decode/decode.js';
import { ipToString, macToString } from '../src/decode/addr.js';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { sharedPcap, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';
import { tsharkSkipReason } from './support/lab-services.js';

const FILES = [
  'benign/web-page-load.pcapng',
  'benign/laptop-browsing.pcap',
  'benign/madea-smarthome-11h.pcap',
  'benign/kitsune-iot-camera-lan.pcap',
  'attack/https-c2-beacon.pcap',
  'attack/dns-tunnel-dnscat2.pcap',
  'attack/cryptowall-http-c2.pcapng',
  'odd/http-qinq-0.pcap',
  'odd/http-vlan-0.pcap',
  'odd/linux_dlt_sll2.pcap',
  'odd/mpls-in-vlan.pcap',
  'odd/pppoe-over-qinq.pcap',
  'odd/ipv6-mobility-dst-opts.pcap',
  'odd/ipv6-http-atomic-frag.pcap',
  'odd/ipv4_fragmented-1.pcap',
  'odd/dhcp_dhcp_flood.pcap',
  'odd/tunnels_Teredo.pcap',
  'attack/mirai-style-telnet-scan.pcap',
];
/** frames compared per file at most (keeps tshark's time small on a shared machine) */
const MAX_FRAMES = 3000;

const FIELDS = [
  'frame.number', 'vlan.id', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport',
  'udp.dstport', 'tcp.flags', 'dns.qry.name', 'dns.a', 'dns.count.auth_rr', 'dns.count.add_rr', 'tls.handshake.extensions_server_name', 'http.host',
  'dhcp.hw.mac_addr', 'dhcp.option.dhcp', 'dhcp.option.hostname',
] as const;
type Row = Record<(typeof FIELDS)[number], string[]>;


function tshark(path: string): Map<number, Row> {
  const args = [
    '-r', path, '-n', '-c', String(MAX_FRAMES), '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,',
    '-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'tls.desegment_ssl_records:FALSE', '-o', 'ip.defragment:FALSE',
    '-o', 'ipv6.defragment:FALSE', '-o', 'http.desegment_headers:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ];
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = new Map<number, Row>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    const row = {} as Row;
    FIELDS.forEach((f, i) => (row[f] = cols[i] ? cols[i].split(',') : []));
    rows.set(Number(row['frame.number'][0]), row);
  }
  return rows;
}

const printable = (s: string) => /^[\x21-\x7e]*$/.test(s);

for (const rel of FILES) {
  const path = sharedPcap(rel);
  t.test(`decode matches tshark: ${rel}`, { skip: tsharkSkipReason() ?? (path === null ? SHARED_PCAPS_SKIP : false) }, async (t) => {
    const want = tshark(path!);
    const pkt = new Packet();
    const stats = new DecodeStats();
    const mismatches: string[] = [];
    const seen = { ip: 0, ports: 0, vlan: 0, dns: 0, dnsA: 0, sni: 0, host: 0, dhcp: 0 };
    let frame = 0;
    const stop = new AbortController();
    await readCaptureFile(path!, pkt, (p) => {
      frame++;
      if (frame >= MAX_FRAMES) stop.abort();
      p.reset();
      decodePacket(p, stats);
      const w = want.get(frame);
      if (w === undefined) return;
      const miss = (what: string, ours: unknown, theirs: unknown) => {
        if (mismatches.length < 20) mismatches.push(`frame ${frame} ${what}: ours ${JSON.stringify(ours)} tshark ${JSON.stringify(theirs)}`);
        else mismatches.length++;
      };
      const srcs = [...w['ip.src'], ...w['ipv6.src']];
      if (srcs.length !== 1) return; // no IP, or tunnelled
      const v6 = w['ipv6.src'].length === 1;
      seen.ip++;
      if (p.ipVersion !== (v6 ? 6 : 4)) return miss('ip version', p.ipVersion, v6 ? 6 : 4);
      const ver = p.ipVersion as 4 | 6;
      const dst = v6 ? w['ipv6.dst'][0] : w['ip.dst'][0];
      if (ipToString(p.srcAddr, ver) !== srcs[0] || ipToString(p.dstAddr, ver) !== dst) {
        miss('addresses', [ipToString(p.srcAddr, ver), ipToString(p.dstAddr, ver)], [srcs[0], dst]);
      }
      const vlans = [p.vlan, p.vlanInner].filter((v) => v !== 0);
      if (w['vlan.id'].length > 0) {
        seen.vlan++;
        // id 0 is a priority tag: the Packet keeps 0 for "no VLAN" (tshark lists the tag)
        const theirs = w['vlan.id'].map(Number).filter((v) => v !== 0);
        if (JSON.stringify(vlans) !== JSON.stringify(theirs)) miss('vlan', vlans, w['vlan.id']);
      }
      // ICMP errors quote a transport header that tshark lists too; only plain TCP/UDP packets compare ports
      const tp = p.ipProto === 6 ? 'tcp' : p.ipProto === 17 ? 'udp' : null;
      if (tp !== null && p.l4 && w[`${tp}.srcport`].length === 1) {
        seen.ports++;
        const theirs = [Number(w[`${tp}.srcport`][0]), Number(w[`${tp}.dstport`][0])];
        if (p.srcPort !== theirs[0] || p.dstPort !== theirs[1]) miss('ports', [p.srcPort, p.dstPort], theirs);
        if (tp === 'tcp' && w['tcp.flags'].length === 1 && p.tcpFlags !== (parseInt(w['tcp.flags'][0], 16) & 0x1ff)) {
          miss('tcp flags', p.tcpFlags, w['tcp.flags'][0]);
        }
      }
      if (p.dns !== null && w['dns.qry.name'].length > 0 && printable(p.dns.qname)) {
        seen.dns++;
        if (p.dns.qname !== w['dns.qry.name'][0]) miss('dns qname', p.dns.qname, w['dns.qry.name'][0]);
      }
      // tshark's dns.a spans every section; ours keeps the answer section only
      const answerOnly = w['dns.count.auth_rr'][0] === '0' && w['dns.count.add_rr'][0] === '0';
      if (p.dns !== null && answerOnly && w['dns.a'].length > 0 && w['dns.a'].length <= 32) {
        seen.dnsA++;
        const ours = p.dns.answers.filter((a) => a.type === 1).map((a) => a.data);
        if (ours.join(',') !== w['dns.a'].join(',')) miss('dns A answers', ours, w['dns.a']);
      }
      if (w['dhcp.hw.mac_addr'].length === 1) {
        seen.dhcp++;
        const h = p.dhcp;
        const theirs = [w['dhcp.hw.mac_addr'][0], Number(w['dhcp.option.dhcp'][0] ?? 0), w['dhcp.option.hostname'][0] ?? null];
        const ours = h === null ? null : [macToString(h.clientMac), h.messageType, h.hostname];
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) miss('dhcp', ours, theirs);
      }
      const sni = w['tls.handshake.extensions_server_name'];
      if (sni.length > 0) {
        seen.sni++;
        if (p.tlsSni !== sni[0]) miss('tls sni', p.tlsSni, sni[0]);
      }
      const host = w['http.host'];
      if (host.length > 0 && p.ipProto === 6) {
        seen.host++;
        if (p.httpHost !== host[0]) miss('http host', p.httpHost, host[0]);
      }
    }, { signal: stop.signal });
    t.ok(seen.ip > 0, `compared ${JSON.stringify(seen)}`);
    t.same(mismatches, [], 'no field differs from tshark');
  });
}
