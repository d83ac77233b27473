/**
 * Live capture with libpcap on a Linux bridge inside network namespaces, checked against tcpdump recording the
 * same interface at the same time (read back with tshark): every frame of real curl and UDP/ICMP traffic is
 * seen with the same addresses, ports, flags, lengths and (with kernel timestamps) times; a BPF filter keeps
 * exactly what it should; the error messages say what is wrong. Then the `argus-edge run` command end to end:
 * its EVE-JSON flow for a curl must carry tcpdump's 5-tuple and packet/byte counts.
 *
 * Needs root (network namespaces, capture), tcpdump and tshark; skips with the reason otherwise.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveCapture, LiveCaptureError, listInterfaces } from '../src/capture/live.js';
import { Packet } from '../src/decode/packet.js';
import { createSwitchLab, netnsSkipReason, waitForLine, type Lab } from './support/netns.js';
import { startHttpServer, startTcpdump, tsharkFields, tsharkSkipReason } from './support/lab-services.js';
import { runProbe, type ProbePacket } from './support/live-probe-runner.js';

const ROOT = join(import.meta.dirname, '..');
const skipLab = netnsSkipReason() ?? tsharkSkipReason() ?? (spawnSync('tcpdump', ['--version']).error ? 'tcpdump is not installed' : null);

const tmp = mkdtempSync(join(tmpdir(), 'ae-live-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** One comparable line per frame: what both the probe and tshark can say about it. */
function probeKey(p: ProbePacket): string {
  return [p.src, p.dst, p.proto, p.sport, p.dport, p.tcpFlags & 0xff, p.wirelen, p.caplen].join(' ');
}
const TSHARK_FIELDS = ['frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto', 'ipv6.nxt', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.flags', 'frame.len', 'frame.cap_len'];
function tsharkKey(r: string[]): string {
  const [, s4, d4, s6, d6, p4, p6, ts, td, us, ud, flags, len, caplen] = r;
  const proto = Number(p4 || p6);
  const sport = proto === 6 ? ts : proto === 17 ? us : '0';
  const dport = proto === 6 ? td : proto === 17 ? ud : '0';
  return [s4 || s6, d4 || d6, proto, Number(sport), Number(dport), proto === 6 ? Number(flags) & 0xff : 0, len, caplen].join(' ');
}
function tsharkUs(r: string[]): number {
  const [sec, frac = ''] = r[0].split('.');
  return Number(sec) * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6));
}

t.test('LiveCapture refuses bad input with LiveCaptureError', { skip: netnsSkipReason() ?? false }, async (t) => {
  t.throws(() => new LiveCapture({ iface: 'lo', bpf: '', snaplen: 10, promisc: true, bufferSize: 1 << 20 }, new Packet(), () => {}), LiveCaptureError);
  t.throws(() => new LiveCapture({ iface: 'lo', bpf: '', snaplen: 2048, promisc: true, bufferSize: 100 }, new Packet(), () => {}), LiveCaptureError);
  const lc = new LiveCapture({ iface: 'ae-nope0', bpf: '', snaplen: 2048, promisc: true, bufferSize: 1 << 20 }, new Packet(), () => {});
  t.same(lc.stats(), { received: 0, dropped: 0, ifDropped: 0 }, 'zero stats before start');
  lc.stop(); // idempotent, also before start
  const missing = t.throws(() => lc.start(), LiveCaptureError, 'missing interface') as Error;
  t.match(missing.message, /^interface "ae-nope0" does not exist.*; interfaces here: .*\blo\b/, 'lists the interfaces that exist');
  t.equal(lc.running, false);
  t.equal(lc.linkType, -1, 'no link type before a successful start');
  const bad = new LiveCapture({ iface: 'lo', bpf: 'tcp and (', snaplen: 2048, promisc: true, bufferSize: 1 << 20 }, new Packet(), () => {});
  const err = t.throws(() => bad.start(), LiveCaptureError, 'bad filter') as Error;
  t.match(err.message, /^invalid BPF filter "tcp and \(": .*syntax error/, "shows libpcap's message");
  t.ok(listInterfaces().includes('lo'), 'listInterfaces() names lo');
});

t.test('without CAP_NET_RAW the error says how to grant it', { skip: netnsSkipReason() ?? (existsSync('/usr/bin/setpriv') ? false : 'setpriv (util-linux) missing') }, async (t) => {
  const r = spawnSync(
    'setpriv',
    ['--bounding-set', '-net_raw,-net_admin', '--inh-caps', '-net_raw,-net_admin', process.execPath, '--import', 'tsx', 'test/support/live-probe.ts', 'lo', '', '1'],
    { cwd: ROOT, encoding: 'utf8', timeout: 60000 },
  );
  t.equal(r.status, 3, `probe exits 3 (${r.stderr.slice(0, 300)})`);
  const line = JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}') as { isLiveCaptureError?: boolean; message?: string };
  t.equal(line.isLiveCaptureError, true, 'LiveCaptureError');
  t.match(line.message ?? '', /^no permission to capture on "lo".*setcap cap_net_raw,cap_net_admin=eip.*AmbientCapabilities=CAP_NET_RAW/, 'says how to grant it');
});

/** curl over IPv4 and IPv6, and one UDP datagram to a closed port (answered by ICMP port unreachable). */
async function makeTraffic(lab: Lab, url4: string, url6: string): Promise<string[]> {
  const answers: string[] = [];
  for (const url of [url4, url6]) {
    answers.push(await lab.run('a', 'curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', url], { timeoutMs: 10000 }));
  }
  const udp = `const s=require('node:dgram').createSocket('udp4');s.send('argus-live-probe',9999,'${lab.addr('b')}',()=>setTimeout(()=>s.close(),200));`;
  await lab.run('a', process.execPath, ['-e', udp], { timeoutMs: 10000 });
  return answers;
}

t.test('live capture on br0 sees what tcpdump sees', { skip: skipLab ?? false }, async (t) => {
  const lab = createSwitchLab(['a', 'b']);
  t.teardown(() => lab.cleanup());
  const server = await startHttpServer(lab, 'b');
  const pcap = join(tmp, 'br0.pcap');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap);
  const all = runProbe(lab, 'sw', 'br0', '', ROOT);
  const v6only = runProbe(lab, 'sw', 'br0', 'ip6 and tcp port 8080', ROOT);
  const [ready] = await Promise.all([all.ready, v6only.ready]);
  t.equal(ready.linkType, 1, 'Ethernet link type from the device');

  t.same(await makeTraffic(lab, server.url4, server.url6), ['200 1024', '200 1024'], 'curl over IPv4 and IPv6');
  await new Promise((r) => setTimeout(r, 300));
  const [got, got6] = await Promise.all([all.stop(), v6only.stop()]);
  t.ok((await dump.stop()) > 0, 'tcpdump recorded frames');
  const rows = tsharkFields(pcap, TSHARK_FIELDS);

  const isHttp = (p: ProbePacket): boolean => p.proto === 6 && (p.sport === 8080 || p.dport === 8080);
  const httpRows = tsharkFields(pcap, TSHARK_FIELDS, 'tcp.port == 8080');
  const httpGot = got.packets.filter(isHttp);
  t.ok(httpRows.length >= 16, `two HTTP connections recorded (${httpRows.length} frames)`);
  t.same(httpGot.map(probeKey), httpRows.map(tsharkKey), 'HTTP frames: same order, addresses, ports, flags and lengths');
  t.equal(httpGot.filter((p) => p.ipVersion === 4).length, httpRows.filter((r) => r[1] !== '').length, 'IPv4 frames');
  t.ok(httpGot.some((p) => p.ipVersion === 6 && p.src === lab.addr('a', 6) && p.dport === 8080), 'IPv6 client frames');
  t.equal(httpGot[0]?.tcpFlags, 0x02, 'the first frame is the SYN');

  const isUdpIcmp = (p: ProbePacket): boolean => (p.proto === 17 && p.dport === 9999) || p.proto === 1;
  const udpRows = tsharkFields(pcap, TSHARK_FIELDS, '(udp.dstport == 9999 and not icmp) or icmp');
  t.same(got.packets.filter(isUdpIcmp).map((p) => `${p.src} ${p.dst} ${p.proto} ${p.wirelen}`), udpRows.map((r) => `${r[1]} ${r[2]} ${Number(r[5])} ${r[12]}`), 'UDP datagram and ICMP error');
  t.ok(udpRows.length >= 2, 'datagram and port unreachable recorded');

  // times: the same frames, so the same kernel timestamps (1 ms of slack for two separate sockets)
  const tolerance = 1000;
  const worst = httpGot.reduce((m, p, i) => Math.max(m, Math.abs(p.tsUs - tsharkUs(httpRows[i]))), 0);
  t.ok(worst <= tolerance, `timestamps within ${tolerance} µs of tcpdump's (worst ${worst} µs)`);
  t.ok(got.packets.every((p, i) => i === 0 || p.tsUs >= got.packets[i - 1].tsUs), 'packet time never goes backwards');

  // every frame tcpdump saw between the probe's first and last frame is in the probe's output
  const first = got.packets[0].tsUs - tolerance;
  const last = got.packets[got.packets.length - 1].tsUs + tolerance;
  const window = rows.filter((r) => tsharkUs(r) >= first && tsharkUs(r) <= last);
  t.ok(got.packets.length >= window.length - 2 && got.packets.length <= rows.length, `frame counts agree (${got.packets.length} vs ${window.length} in the window, ${rows.length} total)`);

  // the BPF filter: IPv6 HTTP frames only, all of them
  const rows6 = tsharkFields(pcap, TSHARK_FIELDS, 'ipv6 and tcp.port == 8080');
  t.ok(rows6.length > 0);
  t.ok(got6.packets.every((p) => p.ipVersion === 6 && isHttp(p)), 'filtered capture holds only IPv6 port-8080 frames');
  t.same(got6.packets.map(probeKey), rows6.map(tsharkKey), 'and every one of them');

  for (const s of [got.stats, got6.stats]) {
    t.ok(s !== null, 'stats line printed');
    if (s === null) continue;
    for (const k of ['received', 'dropped', 'ifDropped'] as const) t.ok(Number.isInteger(s[k]) && s[k] >= 0, `${k} = ${s[k]} is a count`);
    t.ok(s.received >= s.delivered, `received (${s.received}) counts every delivered frame (${s.delivered})`);
  }
  t.equal(got.stats?.delivered, got.packets.length);
});

const FLOOD = 20000;
t.test('a full kernel ring shows up as drops', { skip: netnsSkipReason() ?? false }, async (t) => {
  const lab = createSwitchLab(['a', 'b']);
  t.teardown(() => lab.cleanup());
  // a 1 MiB ring and a reader that stalls for 3 s right after it is ready, as in a long GC pause
  const probe = runProbe(lab, 'sw', 'br0', 'udp dst port 9999', ROOT, { bufferBytes: 1 << 20, stallMs: 3000 });
  await probe.ready;
  // ~20 MB of 1000-byte datagrams to a closed port on b (bounded: FLOOD datagrams, inside the lab)
  const flood =
    `const s=require('node:dgram').createSocket('udp4');const b=Buffer.alloc(1000);let n=0;` +
    `const go=()=>{for(let i=0;i<500&&n<${FLOOD};i++,n++)s.send(b,9999,'${lab.addr('b')}');` +
    `if(n<${FLOOD})setImmediate(go);else setTimeout(()=>s.close(),300)};go();`;
  await lab.run('a', process.execPath, ['-e', flood], { timeoutMs: 30000 });
  const r = await probe.stop();
  const s = r.stats;
  t.ok(s !== null, 'stats line printed');
  if (s === null) return;
  t.equal(s.delivered, r.packets.length);
  t.ok(s.delivered > 0, `some frames delivered (${s.delivered})`);
  t.ok(s.dropped > 0, `the ring overflowed: ${s.dropped} dropped`);
  t.ok(s.delivered + s.dropped <= FLOOD, `delivered + dropped (${s.delivered + s.dropped}) never exceeds what was sent (${FLOOD})`);
  t.ok(s.delivered + s.dropped >= FLOOD * 0.9, `and accounts for (nearly) all of it`);
  t.ok(s.received >= s.delivered + s.dropped, `received (${s.received}) counts delivered and dropped frames`);
  t.ok(r.packets.every((p) => p.proto === 17 && p.dport === 9999), 'only the filtered datagrams');
});

t.test('argus-edge run captures live and writes the curl flow as EVE-JSON', { skip: skipLab ?? (existsSync(join(ROOT, 'src/cli.ts')) ? false : 'src/cli.ts does not exist yet') }, async (t) => {
  const lab = createSwitchLab(['a', 'b']);
  t.teardown(() => lab.cleanup());
  const server = await startHttpServer(lab, 'b');
  const pcap = join(tmp, 'cli-br0.pcap');
  const eve = join(tmp, 'cli-eve.json');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap, 'tcp port 8080');
  const cli = lab.spawn('sw', process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--mode', 'passive', '--iface', 'br0', '--eve', eve], {
    cwd: ROOT,
    env: { ...process.env, ARGUS_EDGE_STORE_PATH: join(tmp, 'cli.db') },
  });
  let stderr = '';
  cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  await waitForLine(cli, 'stderr', /capturing on br0/, 60000);

  t.equal(await lab.run('a', 'curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', server.url4]), '200');
  await new Promise((r) => setTimeout(r, 500));
  cli.kill('SIGINT');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30000))]);
  t.equal(code, 0, `exits 0 after SIGINT (stderr: ${stderr.slice(-500)})`);
  await dump.stop();

  const rows = tsharkFields(pcap, ['ip.src', 'frame.len', 'tcp.srcport']);
  const a = lab.addr('a');
  const toServer = rows.filter((r) => r[0] === a);
  const toClient = rows.filter((r) => r[0] !== a);
  const clientPort = Number(toServer[0]?.[2]);
  t.ok(toServer.length >= 4 && toClient.length >= 3, `tcpdump saw the connection (${rows.length} frames)`);

  const events = readFileSync(eve, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const flow = events.find((e) => e.event_type === 'flow' && e.src_ip === a && e.dest_ip === lab.addr('b') && e.dest_port === 8080) as
    | { src_port: number; proto: string; flow: Record<string, unknown> }
    | undefined;
  t.ok(flow, 'the curl flow is in the EVE output');
  if (flow === undefined) return;
  t.equal(flow.src_port, clientPort, 'source port is curl\'s');
  t.equal(flow.proto, 'TCP');
  t.equal(flow.flow.pkts_toserver, toServer.length, 'packets to server match tcpdump');
  t.equal(flow.flow.pkts_toclient, toClient.length, 'packets to client match tcpdump');
  const sum = (rs: string[][]): number => rs.reduce((s, r) => s + Number(r[1]), 0);
  t.equal(flow.flow.bytes_toserver, sum(toServer), 'bytes to server match tcpdump');
  t.equal(flow.flow.bytes_toclient, sum(toClient), 'bytes to client match tcpdump');
  t.match(JSON.stringify(flow), /"conn_state":"SF"/, 'conn_state SF');
});
