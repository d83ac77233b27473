/**
 * The small capture the CLI tests replay: one complete HTTP connection (10.99.0.2:40000 → 10.99.0.3:80, Host
 * a.test) and one rejected attempt (port 81), and with `dns` a DNS-sized UDP exchange. Written to `path`;
 * returns the file's bytes.
 */
import { writeFileSync } from 'node:fs';
import { tcpFrame, udpFrame } from '../../src/capture/packet-builder.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';

export function smallCapture(path: string, opts: { dns?: boolean } = {}): Buffer {
  const w = new PcapWriter();
  const c = { src: '10.99.0.2', dst: '10.99.0.3' };
  const r = { src: '10.99.0.3', dst: '10.99.0.2' };
  const t0 = 1_700_000_000_000_000;
  w.add(t0, tcpFrame({ ...c, sport: 40000, dport: 80, flags: 'S', seq: 1 }));
  w.add(t0 + 100, tcpFrame({ ...r, sport: 80, dport: 40000, flags: 'SA', seq: 9, ack: 2 }));
  w.add(t0 + 200, tcpFrame({ ...c, sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 10 }));
  w.add(t0 + 300, tcpFrame({ ...c, sport: 40000, dport: 80, flags: 'PA', seq: 2, ack: 10, payload: 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n' }));
  w.add(t0 + 400, tcpFrame({ ...c, sport: 40000, dport: 80, flags: 'FA', seq: 34, ack: 10 }));
  w.add(t0 + 500, tcpFrame({ ...r, sport: 80, dport: 40000, flags: 'FA', seq: 10, ack: 35 }));
  w.add(t0 + 600, tcpFrame({ ...c, sport: 40000, dport: 80, flags: 'A', seq: 35, ack: 11 }));
  w.add(t0 + 700, tcpFrame({ ...c, sport: 40001, dport: 81, flags: 'S', seq: 1 }));
  w.add(t0 + 800, tcpFrame({ ...r, sport: 81, dport: 40001, flags: 'RA', seq: 0, ack: 2 }));
  if (opts.dns) {
    w.add(t0 + 900, udpFrame({ ...c, sport: 53000, dport: 53, payload: Buffer.alloc(30, 1) }));
    w.add(t0 + 1000, udpFrame({ ...r, sport: 53, dport: 53000, payload: Buffer.alloc(60, 2) }));
  }
  const buf = w.toBuffer();
  writeFileSync(path, buf);
  return buf;
}
