/**
 * An ARP-poisoning man in the middle built with the project's packet builders, written to a pcap and replayed
 * through the Pipeline: the attacker tells the victim it is the gateway and the gateway it is the victim, every
 * 2 s, and forwards the victim's web sessions both ways (each frame seen twice: victim → attacker → gateway and
 * back), while the real gateway and victim keep answering ARP for themselves. It must be `arp.spoof` from the
 * attacker (its MAC and its own address), severity 1, and nothing else; the same LAN without the attacker
 * raises nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { arpFrame, tcpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import type { Alert } from '../src/detectors/alert.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';

const T0 = 1_700_000_000_000_000;
const GW = { ip: '10.99.0.1', mac: '02:00:00:00:00:01' };
const VICTIM = { ip: '10.99.0.2', mac: '02:00:00:00:00:02' };
const ATTACKER = { ip: '10.99.0.66', mac: '02:00:00:00:00:66' };
const SERVER = '203.0.113.5';

type Frames = [number, Buffer][];

/**
 * One HTTPS-like session from the victim to the outside. `via` is the MAC the victim's frames go to (the
 * gateway, or the attacker that poisoned it); with an attacker every frame is also seen forwarded.
 */
function session(out: Frames, atS: number, port: number, mitm: boolean): void {
  let cseq = 1000;
  let sseq = 9000;
  let ts = atS;
  const seg = (fromClient: boolean, flags: string, payload = ''): void => {
    const ip = fromClient ? { src: VICTIM.ip, dst: SERVER } : { src: SERVER, dst: VICTIM.ip };
    const base = { ...ip, sport: fromClient ? port : 443, dport: fromClient ? 443 : port, flags, seq: fromClient ? cseq : sseq, ack: flags.includes('A') ? (fromClient ? sseq : cseq) : 0, payload };
    if (!mitm) {
      out.push([ts, tcpFrame({ ...base, srcMac: fromClient ? VICTIM.mac : GW.mac, dstMac: fromClient ? GW.mac : VICTIM.mac })]);
    } else if (fromClient) {
      out.push([ts, tcpFrame({ ...base, srcMac: VICTIM.mac, dstMac: ATTACKER.mac })]);
      out.push([ts + 0.0002, tcpFrame({ ...base, srcMac: ATTACKER.mac, dstMac: GW.mac })]);
    } else {
      out.push([ts, tcpFrame({ ...base, srcMac: GW.mac, dstMac: ATTACKER.mac })]);
      out.push([ts + 0.0002, tcpFrame({ ...base, srcMac: ATTACKER.mac, dstMac: VICTIM.mac })]);
    }
    const adv = payload.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (fromClient) cseq += adv;
    else sseq += adv;
    ts += 0.01;
  };
  seg(true, 'S');
  seg(false, 'SA');
  seg(true, 'A');
  seg(true, 'PA', 'q'.repeat(300 + (port % 7) * 50));
  seg(false, 'PA', 'r'.repeat(4000 + (port % 5) * 300));
  seg(true, 'FA');
  seg(false, 'FA');
  seg(true, 'A');
}

const arpReq = (from: { ip: string; mac: string }, targetIp: string) => arpFrame({ srcMac: from.mac, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: from.mac, senderIp: from.ip, targetIp });
const arpReply = (claim: { ip: string; mac: string }, to: { ip: string; mac: string }) =>
  arpFrame({ srcMac: claim.mac, dstMac: to.mac, op: 2, senderMac: claim.mac, senderIp: claim.ip, targetMac: to.mac, targetIp: to.ip });

function buildCapture(path: string, attack: boolean): void {
  const f: Frames = [];
  // an ordinary LAN first: the victim resolves the gateway and browses through it; everyone is known
  f.push([0, arpReq(VICTIM, GW.ip)], [0.001, arpReply(GW, VICTIM)], [0.5, arpReq(ATTACKER, GW.ip)], [0.501, arpReply(GW, ATTACKER)]);
  for (let i = 0; i < 8; i++) session(f, 1 + i * 3.7, 50000 + i, false);
  if (attack) {
    // the poisoning: both directions, every 2 s for a minute
    for (let k = 0; k < 30; k++) {
      const at = 40 + k * 2;
      f.push([at, arpReply({ ip: GW.ip, mac: ATTACKER.mac }, VICTIM)], [at + 0.001, arpReply({ ip: VICTIM.ip, mac: ATTACKER.mac }, GW)]);
    }
  }
  // the victim keeps browsing (through the attacker once poisoned); the real stations keep answering ARP
  for (let i = 0; i < 15; i++) session(f, 41 + i * 3.9, 51000 + i, attack);
  for (let k = 0; k < 4; k++) {
    f.push([50 + k * 15, arpReq(GW, VICTIM.ip)], [50.001 + k * 15, arpReply(VICTIM, GW)]);
    f.push([57 + k * 15, arpReq(VICTIM, GW.ip)], [57.001 + k * 15, arpReply(GW, VICTIM)]);
  }
  f.sort((a, b) => a[0] - b[0]);
  const w = new PcapWriter({ path });
  for (const [s, frame] of f) w.add(T0 + Math.round(s * 1e6), frame);
  w.close();
}

async function alertsOf(path: string): Promise<Alert[]> {
  const config = loadConfig({ flags: { mode: 'replay', homeNets: '10.99.0.0/24' } });
  const pipeline = new Pipeline(config, createLogger('error'));
  const alerts: Alert[] = [];
  pipeline.bus.on('alert', (a) => alerts.push(a));
  await replayFile(path, pipeline.pkt, pipeline.handlePacket);
  await pipeline.shutdown();
  return alerts;
}

t.test('an ARP-poisoning man in the middle that forwards both ways is arp.spoof from the attacker', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-mitm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clean = join(dir, 'clean.pcap');
  const mitm = join(dir, 'mitm.pcap');
  buildCapture(clean, false);
  buildCapture(mitm, true);

  t.same((await alertsOf(clean)).map((a) => a.signature), [], 'the LAN without the attacker raises nothing');

  const alerts = await alertsOf(mitm);
  t.same([...new Set(alerts.map((a) => `${a.kind} ${a.srcIp} ${a.srcMac}`))], [`arp.spoof ${ATTACKER.ip} ${ATTACKER.mac}`], alerts.map((a) => a.signature).join('\n'));
  t.ok(alerts.every((a) => a.severity === 1), 'severity 1');
  const targets = new Set(alerts.flatMap((a) => a.targets));
  t.ok(targets.has(GW.ip) && targets.has(VICTIM.ip), `both poisoned addresses are named: ${[...targets].join(', ')}`);
  t.ok(alerts.some((a) => /man in the middle/.test(a.signature)), alerts.map((a) => a.signature).join('\n'));
  t.ok(alerts.length <= 2, 'one alert per poisoned address, not one per forged reply');
});
