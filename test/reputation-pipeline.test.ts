/**
 * End to end on a capture the project generates itself: packet-builder frames → pcap → replay through the
 * Pipeline, with the blocklist detector on its bus and feeds loaded from files (Feodo-style CSV, Spamhaus
 * DROP, a hosts file). Contact with a listed C2 address, a listed prefix, a DNS query and a TLS SNI naming a
 * listed domain are each found with the right device and entry; ordinary traffic beside them (an unlisted
 * server, an unlisted name, SSDP multicast inside a listed bogon range) raises nothing. A second replay
 * gives the same alerts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { dnsQuery, dnsResponse, httpRequest, tcpFrame, tlsClientHello, udpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { replayFile } from '../src/capture/replay.js';
import { defaultConfig, loadConfig } from '../src/config.js';
import type { Alert } from '../src/detectors/alert.js';
import { attachBlocklist } from '../src/detectors/blocklist.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { Reputation } from '../src/trust/reputation.js';

const T0 = 1_700_000_000_000_000;
const ROUTER = '10.99.0.1';
const macOf = (ip: string): string => (ip.startsWith('10.99.0.') ? `02:00:00:00:00:${Number(ip.split('.')[3]).toString(16).padStart(2, '0')}` : '02:00:00:00:00:01');

type Frames = [number, Buffer][];

/** One TCP connection: handshake, the client's payload, a short answer, FIN from both sides. */
function tcpConn(out: Frames, atS: number, c: string, s: string, cport: number, sport: number, payload: Buffer): void {
  let cseq = 1000;
  let sseq = 5000;
  let t = atS;
  const seg = (fromClient: boolean, flags: string, data: Buffer = Buffer.alloc(0)): void => {
    out.push([
      t,
      tcpFrame({
        src: fromClient ? c : s,
        dst: fromClient ? s : c,
        srcMac: macOf(fromClient ? c : s),
        dstMac: macOf(fromClient ? s : c),
        sport: fromClient ? cport : sport,
        dport: fromClient ? sport : cport,
        flags,
        seq: fromClient ? cseq : sseq,
        ack: flags.includes('A') ? (fromClient ? sseq : cseq) : 0,
        payload: data,
      }),
    ]);
    const adv = data.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0);
    if (fromClient) cseq += adv;
    else sseq += adv;
    t += 0.001;
  };
  seg(true, 'S');
  seg(false, 'SA');
  seg(true, 'A');
  seg(true, 'PA', payload);
  seg(false, 'PA', Buffer.alloc(200, 0x61));
  seg(true, 'FA');
  seg(false, 'FA');
  seg(true, 'A');
}

function dns(out: Frames, atS: number, client: string, id: number, name: string, answer: string): void {
  out.push([atS, udpFrame({ src: client, dst: ROUTER, srcMac: macOf(client), dstMac: macOf(ROUTER), sport: 40000 + id, dport: 53, payload: dnsQuery({ id, name }) })]);
  out.push([atS + 0.002, udpFrame({ src: ROUTER, dst: client, srcMac: macOf(ROUTER), dstMac: macOf(client), sport: 53, dport: 40000 + id, payload: dnsResponse({ id, name, answers: [{ name, type: 'A', data: answer }] }) })]);
}

function buildCapture(path: string): void {
  const f: Frames = [];
  // 10.99.0.2 talks to a listed C2 address (its SNI is innocent); twice, one alert
  tcpConn(f, 1, '10.99.0.2', '198.51.100.7', 50001, 443, tlsClientHello({ sni: 'cdn.innocent.example' }));
  tcpConn(f, 31, '10.99.0.2', '198.51.100.7', 50002, 443, tlsClientHello({ sni: 'cdn.innocent.example' }));
  // 10.99.0.3 resolves a listed domain
  dns(f, 5, '10.99.0.3', 1, 'x.malware-drop.example', '192.0.2.80');
  // 10.99.0.4 opens TLS to an unlisted address with a listed SNI (a client resolving over DoH)
  tcpConn(f, 10, '10.99.0.4', '192.0.2.81', 50003, 443, tlsClientHello({ sni: 'api.malware-drop.example' }));
  // 10.99.0.5 fetches a page from an address in a listed prefix
  tcpConn(f, 15, '10.99.0.5', '203.0.113.60', 50004, 80, httpRequest({ host: 'shop.example', path: '/' }));
  // ordinary: an unlisted server and name, SSDP multicast (the DROP file lists 224.0.0.0/3)
  dns(f, 20, '10.99.0.6', 2, 'www.example.org', '192.0.2.10');
  tcpConn(f, 21, '10.99.0.6', '192.0.2.10', 50005, 443, tlsClientHello({ sni: 'www.example.org' }));
  f.push([22, udpFrame({ src: '10.99.0.6', dst: '239.255.255.250', srcMac: macOf('10.99.0.6'), dstMac: '01:00:5e:7f:ff:fa', sport: 1900, dport: 1900, payload: Buffer.from('M-SEARCH * HTTP/1.1\r\n\r\n') })]);
  f.sort((a, b) => a[0] - b[0]);
  const w = new PcapWriter({ path });
  for (const [s, frame] of f) w.add(T0 + Math.round(s * 1e6), frame);
  w.close();
}

t.test('generated capture: contact with listed addresses and domains is found, nothing else', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-pipeline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'intel.pcap');
  buildCapture(pcap);
  writeFileSync(join(dir, 'feodo.csv'), '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n"2024-01-01 00:00:00","198.51.100.7","443","online","2024-05-01","Pikabot"\n');
  writeFileSync(join(dir, 'drop.txt'), '; DROP\n203.0.113.0/24 ; SBL42\n224.0.0.0/3 ; bogons\n');
  writeFileSync(join(dir, 'hosts.txt'), '0.0.0.0 malware-drop.example\n');
  const rep = await Reputation.load(
    {
      ...defaultConfig().intel,
      cacheDir: join(dir, 'cache'),
      feeds: [
        { name: 'feodo', url: null, path: join(dir, 'feodo.csv'), format: 'auto', kind: 'c2' },
        { name: 'drop', url: null, path: join(dir, 'drop.txt'), format: 'auto', kind: 'drop' },
        { name: 'urlhaus', url: null, path: join(dir, 'hosts.txt'), format: 'auto', kind: 'malware' },
      ],
    },
    createLogger('error'),
  );

  const replay = async (): Promise<Alert[]> => {
    const config = loadConfig({ flags: { mode: 'replay', homeNets: '10.99.0.0/24' } });
    const pipeline = new Pipeline(config, createLogger('error'));
    const h = attachBlocklist(pipeline.bus, rep, { ...config.detectors, homeNets: [...config.homeNets] } as Parameters<typeof attachBlocklist>[2]);
    const alerts: Alert[] = [];
    pipeline.bus.on('alert', (a) => {
      if (a.kind === 'intel.blocklist') alerts.push(a);
    });
    await replayFile(pcap, pipeline.pkt, pipeline.handlePacket);
    await pipeline.shutdown();
    t.ok(h.stats().events > 10, 'flows and DNS messages reached the detector');
    return alerts;
  };
  const alerts = await replay();
  const got = alerts.map((a) => `${a.srcIp} ${a.targets[0]}`).sort();
  t.same(got, ['10.99.0.2 198.51.100.7', '10.99.0.3 x.malware-drop.example', '10.99.0.4 api.malware-drop.example', '10.99.0.5 203.0.113.60'], alerts.map((a) => a.signature).join('\n'));
  const by = (ip: string): Alert => alerts.find((a) => a.srcIp === ip)!;
  t.match(by('10.99.0.2'), { severity: 1, destPort: 443, srcMac: '02:00:00:00:00:02', suggestedResponse: 'block' });
  t.match(by('10.99.0.2').evidence[0]!.text, /feodo: 198\.51\.100\.7 \(Pikabot, port 443\)/);
  t.match(by('10.99.0.3').evidence[0]!.text, /urlhaus: malware-drop\.example/);
  t.match(by('10.99.0.4').evidence[1]!.text, /TLS SNI api\.malware-drop\.example/);
  t.match(by('10.99.0.5'), { severity: 2, destPort: 80 });
  t.match(by('10.99.0.5').evidence[0]!.text, /drop: 203\.0\.113\.0\/24 \(SBL42\)/);
  for (const a of alerts) t.ok(a.tsUs >= T0 && a.tsUs < T0 + 60e6, 'packet time');

  const again = await replay();
  t.same(again.map((a) => a.id), alerts.map((a) => a.id), 'a second replay raises the same alerts with the same ids');
});
