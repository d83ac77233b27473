/**
 * The packet builder checked by tshark: every frame is written to a pcap and tshark must find every
 * checksum good, no malformed packet, and the fields we asked for.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from './pcap-writer.js';
import { LinkType } from '../decode/packet.js';
import {
  arpFrame, dhcpMessage, dnsResponse, ethernet, EtherType, httpRequest, icmpFrame, internetChecksum, ipPacket, ipv4,
  ipv6, IpProto, nullLoopback, sllV1, sllV2, tcp, tcpFlagBits, tcpFrame, tlsClientHello, udp, udpFrame,
} from './packet-builder.js';
import { tsharkSkipReason } from '../../test/support/lab-services.js';

const SKIP = tsharkSkipReason() ?? false;

const dir = mkdtempSync(join(tmpdir(), 'argus-builder-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** tshark -V over the frames, with every checksum check turned on */
function tsharkVerbose(frames: Buffer[], linkType: number = LinkType.ETHERNET, fields?: string[]): string {
  const w = new PcapWriter({ linkType });
  frames.forEach((f, i) => w.add(1_700_000_000_000_000 + i * 1000, f));
  const path = join(dir, `f-${linkType}-${frames.length}-${Math.random().toString(36).slice(2)}.pcap`);
  w.writeFile(path);
  const prefs = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE'].flatMap((p) => ['-o', p]);
  const out = fields
    ? ['-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])]
    : ['-V'];
  return execFileSync('tshark', ['-r', path, '-n', ...prefs, ...out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

const S = '10.99.0.2';
const D = '10.99.0.1';
const S6 = 'fd00:99::2';
const D6 = 'fd00:99::1';

t.test('checksums and structure are what tshark expects', { skip: SKIP }, async (t) => {
  const quoted = ipPacket({ src: S, dst: D, proto: IpProto.UDP, payload: udp({ src: S, dst: D, sport: 40000, dport: 33434, payload: 'probe' }) });
  const frames = [
    tcpFrame({ src: S, dst: D, sport: 40000, dport: 443, flags: 'S', seq: 1, options: { mss: 1460, sackPermitted: true, timestamps: [7, 0], wscale: 7 }, vlan: [100, 200] }),
    tcpFrame({ src: S, dst: D, sport: 40002, dport: 443, flags: 'PA', payload: tlsClientHello({ sni: 'sni.example' }), ipId: 77, df: true }),
    tcpFrame({ src: S6, dst: D6, sport: 40001, dport: 80, flags: 'PA', payload: httpRequest({ host: 'host.example' }), ext: [{ type: 'hop' }, { type: 'dst', options: Buffer.from([1, 1, 0]) }] }),
    udpFrame({ src: D, dst: S, sport: 53, dport: 40000, payload: dnsResponse({ name: 'www.example.com', answers: [{ name: 'www.example.com', type: 'CNAME', data: 'cdn.example.com' }, { name: 'cdn.example.com', type: 'A', data: '93.184.216.34' }, { name: 'cdn.example.com', type: 'AAAA', data: '2001:db8::7' }, { name: 'cdn.example.com', type: 'TXT', data: 'hello' }] }) }),
    udpFrame({ src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, payload: dhcpMessage({ messageType: 3, clientMac: '02:11:22:33:44:55', hostname: 'cam1', vendorClass: 'udhcp 1.30', paramRequestList: [1, 3, 6, 15], requestedIp: '10.99.0.50', clientId: true }) }),
    icmpFrame({ src: S, dst: D, id: 7, seq: 1, payload: Buffer.from('ping') }),
    icmpFrame({ src: D, dst: S, type: 3, code: 3, quoted }),
    icmpFrame({ src: S6, dst: D6, id: 7, seq: 1 }),
    arpFrame({ senderIp: S, targetIp: D }),
    ethernet({ etherType: EtherType.IPV4, payload: ipv4({ src: S, dst: D, proto: IpProto.UDP, options: Buffer.from([148, 4, 0, 0]), payload: udp({ src: S, dst: D, sport: 1, dport: 2, payload: 'opt' }) }) }),
    ethernet({ etherType: EtherType.IPV6, payload: ipv6({ src: S6, dst: D6, proto: IpProto.TCP, ext: [{ type: 'routing', routingType: 4, segmentsLeft: 0, addresses: [D6] }, { type: 'fragment', offset: 0, more: true, id: 9 }], payload: tcp({ src: S6, dst: D6, sport: 1, dport: 2, flags: 'S' }) }) }),
  ];
  const v = tsharkVerbose(frames);
  const bad = v.split('\n').filter((l) => /Bad|incorrect|Malformed/i.test(l) && !/Urgent|Reserved/.test(l));
  t.same(bad, [], 'no bad checksum, no malformed packet');
  const good = v.split('\n').filter((l) => /checksum status: Good|Checksum Status: Good/i.test(l)).length;
  t.ok(good >= 12, `${good} checksums verified good`);
  for (const want of [
    'Maximum segment size: 1460 bytes', 'Window scale: 7', 'Kind: SACK Permitted (4)', 'Timestamp value: 7',
    'ID: 100', 'ID: 200', 'Server Name: sni.example', 'Host: host.example', 'IPv6 Hop-by-Hop Option', 'Destination Options',
    'cname cdn.example.com', 'addr 93.184.216.34', 'addr 2001:db8::7', 'TXT: hello',
    'Host Name: cam1', 'Vendor class identifier: udhcp 1.30', 'Requested IP Address: 10.99.0.50', 'DHCP: Request (3)',
    'Type: 3 (Destination unreachable)', 'Destination Port: 33434', 'Type: Echo (ping) request (128)',
    'Sender IP address: 10.99.0.2', 'Target IP address: 10.99.0.1', 'Router Alert', 'Routing Header for IPv6', 'Fragment Header for IPv6',
    'Identification: 0x004d (77)', "Don't fragment: Set",
  ]) {
    t.ok(v.includes(want), want);
  }
});

t.test('cooked, loopback and raw framing', { skip: SKIP }, async (t) => {
  const pkt = ipPacket({ src: S, dst: D, proto: IpProto.UDP, payload: udp({ src: S, dst: D, sport: 1111, dport: 2222 }) });
  const fields = ['ip.src', 'udp.dstport'];
  t.equal(tsharkVerbose([sllV1({ protocol: 0x0800, payload: pkt })], LinkType.LINUX_SLL, fields).trim(), '10.99.0.2|2222');
  t.equal(tsharkVerbose([sllV2({ protocol: 0x0800, payload: pkt })], LinkType.LINUX_SLL2, fields).trim(), '10.99.0.2|2222');
  t.equal(tsharkVerbose([nullLoopback({ family: 2, payload: pkt })], LinkType.NULL, fields).trim(), '10.99.0.2|2222');
  t.equal(tsharkVerbose([nullLoopback({ family: 2, payload: pkt, littleEndian: false })], LinkType.LOOP, fields).trim(), '10.99.0.2|2222');
  t.equal(tsharkVerbose([pkt], LinkType.RAW, fields).trim(), '10.99.0.2|2222');
});

t.test('flag letters, checksum, input checks and overrides', async (t) => {
  t.equal(tcpFlagBits('SA'), 0x12);
  t.equal(tcpFlagBits('fa'), 0x11);
  t.equal(tcpFlagBits(0x04), 0x04);
  t.throws(() => tcpFlagBits('SX'), /bad TCP flag/);
  // RFC 1071 example bytes: 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 → checksum 0x220d
  t.equal(internetChecksum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
  t.throws(() => tcpFrame({ src: S, dst: D6, sport: 1, dport: 2 }), /mixed address families/);
  t.throws(() => udpFrame({ src: '10.99.0.300', dst: D, sport: 1, dport: 2 }), /bad IP address/);
  const f = udpFrame({ src: S, dst: D, sport: 1, dport: 2, payload: 'abc', length: 99 });
  t.equal(f.readUInt16BE(14 + 20 + 4), 99, 'length override is written as given');
  t.equal(ipv4({ src: S, dst: D, proto: 6, payload: Buffer.alloc(0), totalLength: 5 }).readUInt16BE(2), 5);
});
