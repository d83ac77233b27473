/**
 * End to end on a capture the project generates itself: packet-builder frames → pcap file → replay through
 * the Pipeline → detectors on its bus. A port scan, an SSH brute force, an ARP sweep, a DNS tunnel and a
 * beacon run beside ordinary traffic; each attack is found with the right kind and source, nothing else is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Bus } from '../src/bus.js';
import { arpFrame, dnsQuery, dnsResponse, tcpFrame, udpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import type { Alert } from '../src/detectors/alert.js';
import { attachDetectors } from '../src/detectors/index.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';

const T0 = 1_700_000_000_000_000;
const MAC: Record<string, string> = {
  '10.99.0.1': '02:00:00:00:00:01',
  '10.99.0.2': '02:00:00:00:00:02',
  '10.99.0.3': '02:00:00:00:00:03',
  '10.99.0.66': '02:00:00:00:00:66',
  '10.99.0.77': '02:00:00:00:00:77',
};
const macOf = (ip: string): string => MAC[ip] ?? '02:00:00:00:00:01'; // off-LAN hosts sit behind the router

type Frames = [number, Buffer][];

/** One TCP connection: handshake, optional request/response, close (or RST from a closed port). */
function tcpConn(out: Frames, atS: number, c: string, s: string, cport: number, sport: number, o: { closed?: boolean; req?: string; resp?: string } = {}): void {
  let cseq = 1000;
  let sseq = 5000;
  let t = atS;
  const seg = (fromClient: boolean, flags: string, payload = ''): void => {
    const f = tcpFrame({
      src: fromClient ? c : s,
      dst: fromClient ? s : c,
      srcMac: macOf(fromClient ? c : s),
      dstMac: macOf(fromClient ? s : c),
      sport: fromClient ? cport : sport,
      dport: fromClient ? sport : cport,
      flags,
      seq: fromClient ? cseq : sseq,
      ack: flags.includes('A') ? (fromClient ? sseq : cseq) : 0,
      payload,
    });
    const adv = payload.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (fromClient) cseq += adv;
    else sseq += adv;
    out.push([t, f]);
    t += 0.001;
  };
  seg(true, 'S');
  if (o.closed) {
    seg(false, 'RA');
    return;
  }
  seg(false, 'SA');
  seg(true, 'A');
  if (o.resp !== undefined) seg(false, 'PA', o.resp);
  if (o.req !== undefined) seg(true, 'PA', o.req);
  if (o.resp !== undefined) seg(false, 'PA', o.resp);
  seg(true, 'FA');
  seg(false, 'FA');
  seg(true, 'A');
}

function dns(out: Frames, atS: number, client: string, name: string, type: 'A' | 'TXT', id: number): void {
  out.push([atS, udpFrame({ src: client, dst: '10.99.0.1', srcMac: macOf(client), dstMac: macOf('10.99.0.1'), sport: 30000 + id, dport: 53, payload: dnsQuery({ id, name, type }) })]);
  const answers = type === 'A' ? [{ name, type: 'A' as const, data: '10.99.0.3' }] : [{ name, type: 'TXT' as const, data: 'ok' }];
  out.push([atS + 0.002, udpFrame({ src: '10.99.0.1', dst: client, srcMac: macOf('10.99.0.1'), dstMac: macOf(client), sport: 53, dport: 30000 + id, payload: dnsResponse({ id, name, type, answers }) })]);
}

function buildCapture(path: string): void {
  const f: Frames = [];
  // ordinary traffic: lookups and web sessions from 10.99.0.2, irregularly spaced
  const names = ['example.org', 'www.example.org', 'api.vendor.example', 'time.example.net'];
  for (let i = 0; i < 40; i++) {
    // irregular: gaps of 10 s and 27 s mixed (beaconing to LAN hosts is judged too, so this must not look like a timer)
    const at = 1 + i * 13 + ((i * 7919) % 17);
    dns(f, at, '10.99.0.2', names[i % names.length]!, 'A', i);
    tcpConn(f, at + 0.01, '10.99.0.2', '10.99.0.3', 41000 + i, 443, { req: 'x'.repeat(200 + ((i * 31) % 500)), resp: 'y'.repeat(1000 + i) });
  }
  // vertical SYN scan: 10.99.0.66 → 10.99.0.3, ports 1..100, all closed
  for (let p = 1; p <= 100; p++) tcpConn(f, 50 + p * 0.01, '10.99.0.66', '10.99.0.3', 60000, p, { closed: true });
  // SSH password guessing: 10.99.0.77 → 10.99.0.3:22, one connection every 6 s
  for (let i = 0; i < 15; i++) tcpConn(f, 100 + i * 6, '10.99.0.77', '10.99.0.3', 50000 + i, 22, { resp: 'SSH-2.0-OpenSSH_9.6\r\n', req: 'SSH-2.0-hydra\r\n' + 'k'.repeat(600) });
  // ARP sweep from 10.99.0.66
  for (let i = 1; i <= 80; i++) f.push([200 + i * 0.05, arpFrame({ senderMac: MAC['10.99.0.66'], senderIp: '10.99.0.66', targetIp: `10.99.0.${i}` })]);
  // DNS tunnel: TXT queries with encoded labels from 10.99.0.2
  for (let i = 0; i < 20; i++) {
    const label = Buffer.from(`chunk-${i}-of-the-secret-file`).toString('hex').slice(0, 44);
    dns(f, 300 + i * 0.5, '10.99.0.2', `${label}.t.tunnel.example`, 'TXT', 100 + i);
  }
  // beacon: 10.99.0.2 → 10.99.200.50:443 (outside the test's homeNets) every 20 s ± 1 s
  for (let i = 0; i < 14; i++) tcpConn(f, 10 + i * 20 + (((i * 37) % 3) - 1) * 0.5, '10.99.0.2', '10.99.200.50', 52000 + i, 443, { req: 'b'.repeat(300), resp: 'c'.repeat(500) });

  f.sort((a, b) => a[0] - b[0]);
  const w = new PcapWriter({ path });
  for (const [s, frame] of f) w.add(T0 + Math.round(s * 1e6), frame);
  w.close();
}

t.test('generated capture: each attack found with its kind and source, nothing else', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-detectors-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'attacks.pcap');
  buildCapture(path);

  const config = loadConfig({ flags: { mode: 'replay', homeNets: '10.99.0.0/24' } });
  const pipeline = new Pipeline(config, createLogger('error'));
  const set = pipeline.detectors;
  const alerts: Alert[] = [];
  pipeline.bus.on('alert', (a) => alerts.push(a));
  await replayFile(path, pipeline.pkt, pipeline.handlePacket);
  await pipeline.shutdown();

  const got = alerts.map((a) => `${a.kind} ${a.srcIp}`).sort();
  t.same(
    got,
    ['bruteforce.ssh 10.99.0.77', 'c2.beacon 10.99.0.2', 'dns.tunnel 10.99.0.2', 'scan.arp 10.99.0.66', 'scan.port.vertical 10.99.0.66'],
    alerts.map((a) => a.signature).join('\n'),
  );
  for (const a of alerts) {
    t.ok(a.tsUs >= T0 && a.tsUs <= T0 + 400e6, `${a.kind}: packet time`);
    t.ok(a.evidence.length >= 1, `${a.kind}: evidence`);
  }
  const scan = alerts.find((a) => a.kind === 'scan.port.vertical')!;
  t.same(scan.targets, ['10.99.0.3']);
  t.equal(scan.srcMac, MAC['10.99.0.66']);
  const stats = set.stats();
  t.equal(stats.length, 11);
  t.ok(stats.find((s) => s.name === 'port-scan')!.events > 100, 'flows reached the detectors');
  t.same(set.alertsByKind()['scan.port.vertical'], 1);

  // detached: nothing of the detectors listens on the bus any more (on a bus of their own: the pipeline's
  // other parts, the flood gate among them, listen on its bus too)
  set.detach();
  const bus = new Bus(() => {});
  const own = attachDetectors(bus, { homeNets: ['10.99.0.0/24'] });
  t.ok(bus.has('flow.end') && bus.has('arp') && bus.has('dns'));
  own.detach();
  t.notOk(bus.has('flow.end'));
  t.notOk(bus.has('arp'));
  t.notOk(bus.has('dns'));
});

t.test('disabled detectors subscribe nothing', async (t) => {
  const config = loadConfig({ flags: { mode: 'replay', 'detectors.enabled': 'false' } });
  const pipeline = new Pipeline(config, createLogger('error'));
  t.notOk(pipeline.bus.has('flow.end'));
  t.notOk(pipeline.bus.has('dns'));
  t.throws(() => attachDetectors(pipeline.bus, { portScan: { verticalMinPorts: -1 } }), /invalid detector thresholds/);
});
