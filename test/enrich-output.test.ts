/**
 * Country and network of remote addresses where a user reads them, through the appliance as `run` builds it:
 * a generated capture (a LAN device talking to public DNS and web servers, to a LAN server, and a port scan
 * from an internet address) replayed into the real pipeline with the bundled databases. Checked: EVE flow and
 * alert lines carry argus.src_geoip / dest_geoip for internet ends and never for LAN ends; the device page
 * shows where its destinations are and sums them by country and network with the databases' credit; the
 * Overview's top destinations say the same; the scan's incident page names the scanner's country and
 * network; InfluxDB gets remote_flows by country and direction; with enrich.enabled false none of it appears and the databases are never opened.
 *
 * The expected answers are facts of the bundled DB-IP and RouteViews data (8.8.8.8 is Google in the US,
 * 1.1.1.1 Cloudflare, 45.33.32.156 the Linode/Akamai address of scanme.nmap.org), the same ones
 * src/enrich/enrich.test.ts reads from the files themselves.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../src/appliance.js';
import { tcpFrame, udpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { webApp } from '../src/web/server.js';
import { setUserPassword } from '../src/web/password.js';
import { WebClient } from './support/web-deps.js';

const T0 = Date.UTC(2026, 2, 3, 9, 0, 0) * 1000;
const DEVICE = { ip: '192.168.7.10', mac: '02:00:00:07:00:0a' };
const LAN_SERVER = { ip: '192.168.7.20', mac: '02:00:00:07:00:14' };
const GATEWAY_MAC = '02:00:00:07:00:01';
const SCANNER = '45.33.32.156';
const PASSWORD = 'enrich-test-password';

/** A TCP connection with data both ways and a clean close, `at` µs. */
function connection(w: PcapWriter, at: number, c: { src: string; dst: string; srcMac: string; dstMac: string; sport: number; dport: number; bytes: number }): void {
  const o = { src: c.src, dst: c.dst, srcMac: c.srcMac, dstMac: c.dstMac, sport: c.sport, dport: c.dport };
  const r = { src: c.dst, dst: c.src, srcMac: c.dstMac, dstMac: c.srcMac, sport: c.dport, dport: c.sport };
  w.add(at, tcpFrame({ ...o, flags: 'S', seq: 100 }));
  w.add(at + 10_000, tcpFrame({ ...r, flags: 'SA', seq: 500, ack: 101 }));
  w.add(at + 10_100, tcpFrame({ ...o, flags: 'A', seq: 101, ack: 501 }));
  w.add(at + 10_200, tcpFrame({ ...o, flags: 'PA', seq: 101, ack: 501, payload: Buffer.alloc(200, 1) }));
  w.add(at + 20_000, tcpFrame({ ...r, flags: 'PA', seq: 501, ack: 301, payload: Buffer.alloc(c.bytes, 2) }));
  w.add(at + 20_100, tcpFrame({ ...o, flags: 'FA', seq: 301, ack: 501 + c.bytes }));
  w.add(at + 30_000, tcpFrame({ ...r, flags: 'FA', seq: 501 + c.bytes, ack: 302 }));
  w.add(at + 30_100, tcpFrame({ ...o, flags: 'A', seq: 302, ack: 502 + c.bytes }));
}

function capture(path: string): void {
  const w = new PcapWriter({ path });
  let at = T0;
  const out = { src: DEVICE.ip, srcMac: DEVICE.mac, dstMac: GATEWAY_MAC };
  for (let i = 0; i < 6; i++) {
    connection(w, (at += 1_000_000), { ...out, dst: '8.8.8.8', sport: 40000 + i, dport: 443, bytes: 1400 });
    connection(w, (at += 1_000_000), { ...out, dst: '151.101.1.140', sport: 41000 + i, dport: 443, bytes: 900 });
    w.add((at += 1_000_000), udpFrame({ ...out, dst: '1.1.1.1', sport: 50000 + i, dport: 53, payload: Buffer.alloc(40, 3) }));
    w.add(at + 15_000, udpFrame({ src: '1.1.1.1', dst: DEVICE.ip, srcMac: GATEWAY_MAC, dstMac: DEVICE.mac, sport: 53, dport: 50000 + i, payload: Buffer.alloc(90, 4) }));
    connection(w, (at += 1_000_000), { ...out, dst: LAN_SERVER.ip, dstMac: LAN_SERVER.mac, sport: 42000 + i, dport: 80, bytes: 300 });
  }
  // a vertical scan of the device from the internet: 200 ports in 4 s, each refused
  for (let p = 1; p <= 200; p++) {
    const ts = (at += 20_000);
    w.add(ts, tcpFrame({ src: SCANNER, dst: DEVICE.ip, srcMac: GATEWAY_MAC, dstMac: DEVICE.mac, sport: 61000, dport: p, flags: 'S', seq: 7 }));
    w.add(ts + 300, tcpFrame({ src: DEVICE.ip, dst: SCANNER, srcMac: DEVICE.mac, dstMac: GATEWAY_MAC, sport: p, dport: 61000, flags: 'RA', seq: 0, ack: 8 }));
  }
  w.close();
}

interface Run {
  lines: Record<string, any>[];
  client: WebClient;
  app: Appliance;
}

let runs = 0;

async function replay(t: Test, dir: string, pcap: string, flags: Record<string, string>): Promise<Run> {
  const n = ++runs;
  const eve = join(dir, `eve-${n}.json`);
  const config = loadConfig({
    flags: { mode: 'replay', 'store.path': join(dir, `argus-${n}.db`), 'web.port': '0', 'web.allowedHosts': 'argus.test', 'eve.path': eve, 'models.enabled': 'false', homeNets: '192.168.7.0/24', ...flags },
  });
  const app = await Appliance.start(config, createLogger('error'));
  t.teardown(() => app.stop());
  await replayFile(pcap, app.pipeline.pkt, app.pipeline.handlePacket, { onIdle: () => app.pipeline.flushOutputs() });
  // as `run` does when a replayed file ends and the dashboard stays up
  app.pipeline.flows.flush('shutdown');
  app.pipeline.flushOutputs();
  app.store.flush();
  app.pipeline.eve?.writer.flush();
  await setUserPassword(app.store, { username: 'admin', password: PASSWORD, role: 'admin', actor: 'test', tsUs: 1 });
  const client = new WebClient(webApp(app.webDeps()));
  t.equal((await client.login('admin', PASSWORD)).status, 303, 'signs in');
  const lines = readFileSync(eve, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  return { lines, client, app };
}

/** what an InfluxDB v2 write endpoint on 127.0.0.1 received, line by line */
const influxLines: string[] = [];
const influx = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    influxLines.push(...body.toString().split('\n').filter((l) => l !== ''));
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => influx.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => influx.close(() => r())));
const influxUrl = `http://127.0.0.1:${(influx.address() as AddressInfo).port}`;

const dir = mkdtempSync(join(tmpdir(), 'argus-enrich-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pcap = join(dir, 'remote.pcap');
capture(pcap);

t.test('EVE, device page, Overview and incident say where remote addresses are', { timeout: 120_000 }, async (t) => {
  const { lines, client, app } = await replay(t, dir, pcap, { 'influx.url': influxUrl, 'influx.token': 't', 'influx.org': 'o', 'influx.bucket': 'b' });
  const flows = lines.filter((l) => l.event_type === 'flow');
  const to = (ip: string) => flows.filter((l) => l.dest_ip === ip);
  t.equal(to('8.8.8.8').length, 6, 'six flows to 8.8.8.8');
  for (const l of to('8.8.8.8')) {
    t.same(l.argus.dest_geoip, { ip: '8.8.8.8', country_code2: 'US', asn: 15169, as_org: 'Google LLC' }, 'dest_geoip of 8.8.8.8');
    t.notOk('src_geoip' in l.argus, 'the LAN source has no geoip');
  }
  for (const l of to('1.1.1.1')) t.match(l.argus.dest_geoip, { country_code2: String, asn: 13335, as_org: /Cloudflare/ }, '1.1.1.1 is Cloudflare');
  t.equal(to(LAN_SERVER.ip).length, 6, 'six flows to the LAN server');
  for (const l of to(LAN_SERVER.ip)) t.notOk('dest_geoip' in l.argus || 'src_geoip' in l.argus, 'a LAN flow has no geoip at all');
  t.ok(flows.every((l) => !('geoip' in l) && !('src_geoip' in l) && !('dest_geoip' in l)), 'nothing among Suricata top-level keys');
  const scanFlows = flows.filter((l) => l.src_ip === SCANNER);
  t.ok(scanFlows.length >= 100, `${scanFlows.length} scan flows`);
  t.ok(scanFlows.every((l) => l.argus.src_geoip?.asn === 63949 && l.argus.src_geoip?.country_code2 === 'US'), 'every scan flow names the scanner network');

  const alerts = lines.filter((l) => l.event_type === 'alert' && l.src_ip === SCANNER);
  t.ok(alerts.length >= 1, `${alerts.length} alert lines of the scan`);
  for (const a of alerts) {
    t.equal(a.argus.src_geoip?.asn, 63949, 'the alert line names the scanner network');
    t.notOk('dest_geoip' in a.argus, 'the scanned LAN device has no geoip');
  }

  const device = await (await client.request(`/devices/${DEVICE.mac}?range=24h`)).text();
  const card = device.slice(device.indexOf('id="top-destinations"'));
  t.match(card, /<code>8\.8\.8\.8<\/code>[\s\S]*?<abbr title="United States">US<\/abbr> · <span[^>]*>AS15169 Google LLC/, 'device page: where 8.8.8.8 is');
  t.match(card, /By country[\s\S]*United States[\s\S]*By network[\s\S]*AS15169 Google LLC/, 'device page: sums by country and network');
  t.match(card, /local, private or reserved addresses/, 'device page: the LAN server counted apart');
  t.match(card, /IP Geolocation by DB-IP/, 'device page: the databases are credited');

  const overview = await (await client.request('/?range=24h')).text();
  const top = overview.slice(overview.indexOf('id="top-destinations"'), overview.indexOf('id="top-names"'));
  t.match(top, /8\.8\.8\.8<\/code><div><span class="where[^"]*">/, 'Overview: where each top destination is');
  t.match(top, /id="top-countries"[\s\S]*United States/, 'Overview: by country');

  const inc = app.store.incidents.query({ limit: 50 }).find((i) => i.srcIp === SCANNER);
  t.ok(inc, 'the scan is an incident');
  const page = await (await client.request(`/incidents/${encodeURIComponent(inc!.id)}`)).text();
  t.match(page, new RegExp(`id="incident-where"[\\s\\S]*${SCANNER.replace(/\./g, '\\.')}</code> <span class="muted">\\(source\\)</span> <span class="where[^"]*">[\\s\\S]*AS63949`), 'incident page: the scanner network');
  t.ok(app.pipeline.geo?.loaded, 'the databases were opened');

  // InfluxDB: flows between the LAN and the internet by country and direction, never by address
  await app.stop();
  const points = influxLines.filter((l) => l.startsWith('remote_flows,'));
  const sum = (re: RegExp): number => points.filter((l) => re.test(l)).reduce((a, l) => a + Number(/ count=(\d+)i/.exec(l)![1]), 0);
  const byCountry = (cc: string | undefined, dir: string): number => sum(new RegExp(`country=${cc},direction=${dir}`));
  t.equal(sum(/country=US,direction=out/), 6, 'out to the US: the six connections to 8.8.8.8');
  t.equal(byCountry(to('151.101.1.140')[0]?.argus.dest_geoip?.country_code2, 'out'), 6, "out: the six to Fastly's address, under its country");
  t.equal(byCountry(to('1.1.1.1')[0]?.argus.dest_geoip?.country_code2, 'out'), 6, "out: the six DNS exchanges with 1.1.1.1, under its country");
  t.equal(sum(/direction=out/), 18, 'no other out flow');
  t.equal(sum(/country=US,direction=in/), scanFlows.length, 'in: every scan flow, from the US scanner');
  t.notOk(points.some((l) => /\d+\.\d+\.\d+\.\d+/.test(l.split(' ')[0]!)), 'no address in any tag');
  t.notOk(influxLines.some((l) => l.startsWith('remote_flows,') && /192\.168/.test(l)), 'LAN flows are not remote flows');
});

t.test('with enrich.enabled false: no geoip anywhere, no credit, no databases opened', { timeout: 120_000 }, async (t) => {
  const { lines, client, app } = await replay(t, dir, pcap, { 'enrich.enabled': 'false' });
  t.ok(lines.length > 200, `${lines.length} EVE lines`);
  t.notOk(lines.some((l) => l.argus !== undefined && ('src_geoip' in l.argus || 'dest_geoip' in l.argus)), 'no line has geoip');
  t.equal(app.pipeline.geo, null, 'no lookup');
  const device = await (await client.request(`/devices/${DEVICE.mac}?range=24h`)).text();
  t.match(device, /<code>8\.8\.8\.8<\/code>/, 'the destination is listed');
  t.notMatch(device, /By country|DB-IP|class="where/, 'without country, network or credit');
});

t.test('a LAN-only replay never opens the databases', { timeout: 60_000 }, async (t) => {
  const lan = join(dir, 'lan.pcap');
  const w = new PcapWriter({ path: lan });
  for (let i = 0; i < 5; i++) connection(w, T0 + i * 1_000_000, { src: DEVICE.ip, dst: LAN_SERVER.ip, srcMac: DEVICE.mac, dstMac: LAN_SERVER.mac, sport: 43000 + i, dport: 80, bytes: 100 });
  w.close();
  const { lines, app } = await replay(t, dir, lan, {});
  t.equal(lines.filter((l) => l.event_type === 'flow').length, 5, 'five flows');
  t.equal(app.pipeline.geo?.loaded, false, 'lookups of LAN addresses do not open the databases');
});
