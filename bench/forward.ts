/**
 * What a dead collector costs capture: packets/s of a replay of many short flows (test/support/forward-run.ts,
 * one EVE line or more per flow) with EVE forwarding off, and on towards collectors on 127.0.0.1 that are
 * hung (they accept the connection and never read or answer) or down (the port refuses): syslog over TCP
 * and HTTP (ndjson). The replay hands the event loop a turn every 256 packets, as live capture does between
 * libpcap callbacks, so the forwarders work while it goes on. Each run is a fresh pipeline; the queue is the
 * default (eve.forward.queueLines), timeoutSeconds 1 so hung connections are given up and opened again during
 * the run. Prints packets/s per wall second and per CPU-second (the steadier figure on a shared machine), each
 * against no forwarding, and the lines sent and dropped. Target: with any dead collector, at least 90 % of
 * the packets/s without forwarding.
 *
 * Run: npx tsx bench/forward.ts [flows = 30000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, hungListener, type HungListener } from '../test/support/forward-receivers.js';
import { manyFlowsCapture, replayWithForward } from '../test/support/forward-run.js';

const flows = Number(process.argv[2] ?? 30_000);
const dir = mkdtempSync(join(tmpdir(), 'argus-bench-forward-'));
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Run {
  name: string;
  flags: Record<string, string>;
}

const listeners: HungListener[] = [];
try {
  const pcap = join(dir, 'flows.pcap');
  manyFlowsCapture(pcap, flows);
  const hungSyslog = await hungListener();
  const hungHttp = await hungListener();
  listeners.push(hungSyslog, hungHttp);
  const common = { 'eve.forward.timeoutSeconds': '1', 'eve.forward.shutdownSeconds': '0.5' };
  const syslog = (port: number): Record<string, string> => ({ ...common, 'eve.forward.syslog.enabled': 'true', 'eve.forward.syslog.url': `tcp://127.0.0.1:${port}` });
  const http = (port: number): Record<string, string> => ({ ...common, 'eve.forward.http.enabled': 'true', 'eve.forward.http.url': `http://127.0.0.1:${port}/` });
  const runs: Run[] = [
    { name: 'no forwarding', flags: {} },
    { name: 'syslog tcp, hung', flags: syslog(hungSyslog.port) },
    { name: 'http, hung', flags: http(hungHttp.port) },
    { name: 'syslog tcp, refused', flags: syslog(await closedPort()) },
    { name: 'http, refused', flags: http(await closedPort()) },
  ];
  // a warm-up pass, so the first figure is not the one paying for the JIT
  await replayWithForward(pcap, dir, {}, { yieldEvery: 256 });
  let base = 0;
  let baseCpu = 0;
  console.log(`${int(flows)} flows; load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`);
  for (const run of runs) {
    const r = await replayWithForward(pcap, dir, run.flags, { yieldEvery: 256 });
    const pps = r.pipeline.packets / (r.wallMs / 1000);
    const cpuPps = r.pipeline.packets / (r.cpuMs / 1000);
    if (base === 0) [base, baseCpu] = [pps, cpuPps];
    const st = r.pipeline.forwarders[0]?.stats();
    const fwd = st === undefined ? '' : `; ${int(st.sent)} lines sent, ${int(st.dropped)} dropped of ${int(r.lines.length)}, ${st.errors} failed attempts`;
    console.log(
      `${run.name.padEnd(20)} ${int(pps).padStart(9)} packets/s (${((pps / base) * 100).toFixed(0)} %), ${int(cpuPps).padStart(9)} per CPU-second (${((cpuPps / baseCpu) * 100).toFixed(0)} %)${fwd}`,
    );
  }
} finally {
  await Promise.all(listeners.map((l) => l.close()));
  rmSync(dir, { recursive: true, force: true });
}
