/**
 * EVE forwarding to syslog against real listeners on 127.0.0.1: a UDP one (one RFC 5424 message per datagram,
 * the size limit), a TCP one and a TLS one with a certificate made here by openssl (RFC 6587 / 5425 octet
 * counting), a collector that is down at first and comes up later (retry and reconnect). Every message is
 * checked field by field against RFC 5424 and its MSG against the EVE file line it came from.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:tls';
import t, { type Test } from 'tap';
import { SyslogForwarder, eveSyslogMessage } from '../src/forward/syslog.js';
import { SYSLOG_FACILITIES } from '../src/forward/syslog-wire.js';
import { manyFlowsCapture, replayWithForward } from './support/forward-run.js';

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (\{.*\})$/s;

const dir = mkdtempSync(join(tmpdir(), 'argus-forward-syslog-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pcap = join(dir, 'flows.pcap');
manyFlowsCapture(pcap, 300);

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

/** Splits an octet-counted stream into its messages; throws on a frame that is not `LEN SP MSG`. */
function octetFrames(data: Buffer): string[] {
  const out: string[] = [];
  let rest = data;
  while (rest.length > 0) {
    const sp = rest.indexOf(0x20);
    const lenText = rest.subarray(0, sp).toString('ascii');
    if (!/^[1-9]\d*$/.test(lenText)) throw new Error(`bad frame length '${lenText}'`);
    const len = Number(lenText);
    if (rest.length < sp + 1 + len) throw new Error('frame cut short');
    out.push(rest.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    rest = rest.subarray(sp + 1 + len);
  }
  return out;
}

/** Checks every message against RFC 5424 and the EVE line it must carry. */
function checkMessages(t: Test, msgs: string[], lines: string[], facility: number, appName = 'argus-edge'): void {
  t.equal(msgs.length, lines.length, `one message per EVE line (${lines.length})`);
  let bad = 0;
  for (const [i, m] of msgs.entries()) {
    const r = RFC5424.exec(m);
    const line = lines[i]!;
    const ev = JSON.parse(line) as { timestamp: string; event_type: string };
    const ok =
      r !== null &&
      Number(r[1]) === facility * 8 + (ev.event_type === 'alert' ? Number(r[1]) % 8 : 6) &&
      r[2] === ev.timestamp.replace(/(\d\d)(\d\d)$/, '$1:$2') &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/.test(r[2]!) &&
      r[3] === hostname() &&
      r[4] === appName &&
      Number(r[5]) === process.pid &&
      r[6] === ev.event_type &&
      r[7] === line;
    if (!ok && bad++ === 0) t.fail(`message ${i} is not the RFC 5424 form of its EVE line:\n${m}\n${line}`);
  }
  t.equal(bad, 0, 'PRI, version 1, RFC 3339 timestamp of the line, hostname, app-name, procid, msgid = event type, SD -, MSG = the EVE line');
}

t.test('UDP: one RFC 5424 message per datagram, in order; lines over maxMessageBytes are dropped and counted', async (t) => {
  // the listener shares this process's event loop with the sender: a receive buffer that holds a whole replay
  const udp = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const got: string[] = [];
  udp.on('message', (m) => got.push(m.toString('utf8')));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  t.teardown(() => udp.close());
  const url = `udp://127.0.0.1:${udp.address().port}`;
  const r = await replayWithForward(pcap, dir, { 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': url, 'eve.forward.syslog.facility': 'local3' });
  await until(() => got.length >= r.lines.length);
  t.ok(r.lines.length >= 300, `${r.lines.length} EVE lines`);
  checkMessages(t, got, r.lines, SYSLOG_FACILITIES.local3);
  const st = r.pipeline.forwarders[0]!.stats();
  t.match(st, { kind: 'syslog', target: url, sent: r.lines.length, dropped: 0, queued: 0 });

  // the smallest limit RFC 5426 allows: a longer message is never cut, it is dropped and counted
  const before = got.length;
  const small = await replayWithForward(pcap, dir, { 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': url, 'eve.forward.syslog.maxMessageBytes': '480' });
  const fits = small.lines.filter((l) => Buffer.byteLength(eveSyslogMessage(l, { facility: 'local5', appName: 'argus-edge', hostname: '' })) <= 480);
  t.ok(fits.length > 0 && fits.length < small.lines.length, `${fits.length} of ${small.lines.length} messages fit in 480 bytes`);
  await until(() => got.length - before >= fits.length);
  await sleep(100);
  t.same(got.slice(before).map((m) => RFC5424.exec(m)?.[7]), fits, 'exactly the lines that fit arrive, whole');
  t.match(small.pipeline.forwarders[0]!.stats(), { sent: fits.length, dropped: small.lines.length - fits.length });
});

t.test('TCP: octet-counted frames, each one message; appName and facility from the settings', async (t) => {
  let data = Buffer.alloc(0);
  const srv = createTcpServer((s) => s.on('data', (d) => (data = Buffer.concat([data, d]))));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const port = (srv.address() as { port: number }).port;
  const r = await replayWithForward(pcap, dir, { 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': `tcp://127.0.0.1:${port}`, 'eve.forward.syslog.appName': 'suricata' });
  await until(() => {
    try {
      return octetFrames(data).length >= r.lines.length;
    } catch {
      return false;
    }
  });
  checkMessages(t, octetFrames(data), r.lines, SYSLOG_FACILITIES.local5, 'suricata');
  t.match(r.pipeline.forwarders[0]!.stats(), { sent: r.lines.length, dropped: 0, errors: 0 });
});

t.test('TLS: the collector certificate is checked against caFile; insecure accepts it without', async (t) => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=syslog-test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  let data = Buffer.alloc(0);
  const srv = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (s) => s.on('data', (d) => (data = Buffer.concat([data, d]))));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const url = `tls://127.0.0.1:${(srv.address() as { port: number }).port}`;

  const r = await replayWithForward(pcap, dir, { 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': url, 'eve.forward.syslog.caFile': cert });
  await until(() => {
    try {
      return octetFrames(data).length >= r.lines.length;
    } catch {
      return false;
    }
  });
  checkMessages(t, octetFrames(data), r.lines, SYSLOG_FACILITIES.local5);
  t.match(r.pipeline.forwarders[0]!.stats(), { sent: r.lines.length, errors: 0 });

  // without the CA the self-signed certificate is refused: nothing is sent, the failure is counted
  data = Buffer.alloc(0);
  const refused = await replayWithForward(pcap, dir, { 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': url, 'eve.forward.shutdownSeconds': '1' });
  const st = refused.pipeline.forwarders[0]!.stats();
  t.equal(st.sent, 0, 'an unverified collector gets nothing');
  t.ok(st.errors >= 1, `${st.errors} failed attempts`);
  t.match(st.lastError, /SELF_SIGNED|self.signed|unable to verify/i);
  t.equal(st.dropped, refused.lines.length, 'the lines left at shutdown are counted as dropped');
  t.equal(data.length, 0);

  const insecure = await replayWithForward(pcap, dir, { 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': url, 'eve.forward.syslog.insecure': 'true' });
  await until(() => {
    try {
      return octetFrames(data).length >= insecure.lines.length;
    } catch {
      return false;
    }
  });
  t.equal(octetFrames(data).length, insecure.lines.length, 'insecure: delivered to the self-signed collector');
});

t.test('a collector that is down at first: lines wait, the forwarder retries with back-off and reconnects', async (t) => {
  // a free port, left closed for now
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const warnings: string[] = [];
  const f = new SyslogForwarder({ transport: 'tcp', host: '127.0.0.1', port, facility: 'local0', appName: 'argus-edge', hostname: 'sensor-1', ca: '', insecure: false, maxMessageBytes: 8192, queueLines: 1000, timeoutMs: 2000, warn: (m) => warnings.push(m) });
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ timestamp: '2026-01-15T10:00:00.000001+0000', flow_id: i, event_type: 'flow' }));
  for (const l of lines) f.offer(l);
  await until(() => f.stats().errors >= 2);
  t.match(f.stats(), { sent: 0, queued: 50, lastError: /ECONNREFUSED/ });
  t.equal(warnings.length, 1, 'said once while failing');

  let data = Buffer.alloc(0);
  const srv: Server = createTcpServer((s) => s.on('data', (d) => (data = Buffer.concat([data, d]))));
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const framesSoFar = (): number => {
    try {
      return octetFrames(data).length;
    } catch {
      return -1;
    }
  };
  await until(() => f.stats().sent === 50 && framesSoFar() === 50, 15_000);
  t.same(octetFrames(data).map((m) => RFC5424.exec(m)?.[7]), lines, 'every waiting line arrives once, in order');
  t.match(octetFrames(data)[0], /^<134>1 2026-01-15T10:00:00\.000001\+00:00 sensor-1 argus-edge \d+ flow - \{/);
  t.match(warnings[1], /delivering again/);

  await f.close(1000);
});

t.test('alert lines carry Suricata severity in PRI; other lines are info', async (t) => {
  const s = { facility: 'local5' as const, appName: 'argus-edge', hostname: 'h' };
  const alert = (sev: number): string => JSON.stringify({ timestamp: '2026-01-15T10:00:00.000000+0000', event_type: 'alert', alert: { action: 'allowed', gid: 1, signature_id: 9000001, rev: 1, signature: 'x', category: 'y', severity: sev } });
  t.match(eveSyslogMessage(alert(1), s), /^<171>1 /, 'severity 1 → err');
  t.match(eveSyslogMessage(alert(2), s), /^<172>1 /, 'severity 2 → warning');
  t.match(eveSyslogMessage(alert(3), s), /^<173>1 /, 'severity 3 → notice');
  t.match(eveSyslogMessage(JSON.stringify({ timestamp: '2026-01-15T10:00:00.000000+0000', event_type: 'flow' }), s), /^<174>1 2026-01-15T10:00:00\.000000\+00:00 h argus-edge \d+ flow - \{/);
});
