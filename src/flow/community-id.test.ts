import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIp } from '../decode/addr.js';
import { icmpFrame, ipPacket, tcpFrame, udpFrame } from '../capture/packet-builder.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { communityId } from './community-id.js';
import { tsharkSkipReason } from '../../test/support/lab-services.js';

const w = (s: string): Uint32Array => {
  const p = parseIp(s);
  if (p === null) throw new Error(`bad address ${s}`);
  return p.words;
};

// Vectors from the Community ID spec's baseline (corelight/community-id-spec, seed 0).
t.test('spec baseline vectors, seed 0', async (t) => {
  t.equal(communityId(4, 6, w('128.232.110.120'), 34855, w('66.35.250.204'), 80), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
  t.equal(communityId(4, 6, w('66.35.250.204'), 80, w('128.232.110.120'), 34855), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', 'direction independent');
  t.equal(communityId(4, 17, w('192.168.1.52'), 54585, w('8.8.8.8'), 53), '1:d/FP5EW3wiY1vCndhwleRRKHowQ=');
  t.equal(communityId(4, 1, w('192.168.0.89'), 8, w('192.168.0.1'), 0), '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
  t.equal(communityId(4, 1, w('192.168.0.1'), 0, w('192.168.0.89'), 0), '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', 'echo reply maps to the request');
  t.equal(
    communityId(6, 58, w('fe80::200:86ff:fe05:80da'), 135, w('fe80::260:97ff:fe07:69ea'), 0),
    '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=',
  );
});

t.test('seed changes the id; one-way ICMP is not reordered', async (t) => {
  const a = communityId(4, 6, w('10.99.0.1'), 1, w('10.99.0.2'), 2, 0);
  t.not(communityId(4, 6, w('10.99.0.1'), 1, w('10.99.0.2'), 2, 1), a);
  const fwd = communityId(4, 1, w('10.99.0.1'), 3, w('10.99.0.2'), 1);
  const rev = communityId(4, 1, w('10.99.0.2'), 3, w('10.99.0.1'), 1);
  t.not(fwd, rev, 'destination unreachable is one-way');
});

/** Cross-check with tshark's Community ID implementation on generated frames. */

t.test('agrees with tshark on generated frames', { skip: tsharkSkipReason() ?? false }, async (t) => {
  const cases: { frame: Buffer; ours: string }[] = [];
  const add = (frame: Buffer, ours: string): void => {
    cases.push({ frame, ours });
  };
  add(tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40000, dport: 80, flags: 'S' }), communityId(4, 6, w('10.99.0.2'), 40000, w('10.99.0.1'), 80));
  add(tcpFrame({ src: '10.99.0.1', dst: '10.99.0.1', sport: 9, dport: 8, flags: 'S' }), communityId(4, 6, w('10.99.0.1'), 9, w('10.99.0.1'), 8));
  add(udpFrame({ src: 'fd00:99::5', dst: 'fd00:99::1', sport: 5353, dport: 53, payload: 'x' }), communityId(6, 17, w('fd00:99::5'), 5353, w('fd00:99::1'), 53));
  add(icmpFrame({ src: '10.99.0.9', dst: '10.99.0.1', type: 0 }), communityId(4, 1, w('10.99.0.9'), 0, w('10.99.0.1'), 0));
  add(icmpFrame({ src: '10.99.0.9', dst: '10.99.0.1', type: 13, payload: Buffer.alloc(12) }), communityId(4, 1, w('10.99.0.9'), 13, w('10.99.0.1'), 0));
  add(icmpFrame({ src: '10.99.0.9', dst: '10.99.0.1', type: 11, code: 1, quoted: ipPacket({ src: '10.99.0.1', dst: '10.99.0.7', proto: 17, payload: Buffer.alloc(8) }) }), communityId(4, 1, w('10.99.0.9'), 11, w('10.99.0.1'), 1));
  add(icmpFrame({ src: 'fd00:99::9', dst: 'fd00:99::1', type: 129 }), communityId(6, 58, w('fd00:99::9'), 129, w('fd00:99::1'), 0));
  add(icmpFrame({ src: 'fd00:99::9', dst: 'fd00:99::1', type: 136, payload: Buffer.alloc(16) }), communityId(6, 58, w('fd00:99::9'), 136, w('fd00:99::1'), 0));
  add(icmpFrame({ src: 'fd00:99::9', dst: 'fd00:99::1', type: 1, code: 4, quoted: ipPacket({ src: 'fd00:99::1', dst: 'fd00:99::7', proto: 17, payload: Buffer.alloc(8) }) }), communityId(6, 58, w('fd00:99::9'), 1, w('fd00:99::1'), 4));

  const dir = mkdtempSync(join(tmpdir(), 'argus-cid-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cid.pcap');
  const pw = new PcapWriter();
  cases.forEach((c, i) => pw.add(1_700_000_000_000_000 + i, c.frame));
  pw.writeFile(file);
  const out = execFileSync('tshark', ['--enable-protocol', 'communityid', '-r', file, '-T', 'fields', '-e', 'communityid'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const theirs = out.replace(/\n$/, '').split('\n');
  t.equal(theirs.length, cases.length);
  cases.forEach((c, i) => t.equal(c.ours, theirs[i], `frame ${i + 1}`));
});
