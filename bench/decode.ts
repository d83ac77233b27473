/**
 * Decoder micro-benchmark: ns per packet for decodePacket on typical frames (no I/O, no flow table).
 * Run: npx tsx bench/decode.ts [iterations]   (default 5,000,000 per case)
 */
import { Packet } from '../src/decode/packet.js';
import { DecodeStats } from '../src/decode/events.js';
import { decodePacket } from '../src/decode/decode.js';
import { dnsResponse, tcpFrame, tlsClientHello, udpFrame } from '../src/capture/packet-builder.js';

const iterations = Number(process.argv[2] ?? 5_000_000);

const cases: { name: string; frame: Buffer }[] = [
  {
    name: 'IPv4 TCP ACK, 1400 B payload',
    frame: tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 44321, dport: 443, flags: 'PA', seq: 1, ack: 1, payload: Buffer.alloc(1400, 0x17) }),
  },
  {
    name: 'IPv4 TCP SYN with options',
    frame: tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 44321, dport: 443, flags: 'S', options: { mss: 1460, sackPermitted: true, timestamps: [1, 0], wscale: 7 } }),
  },
  {
    name: 'IPv6 TCP ACK, VLAN',
    frame: tcpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 44321, dport: 443, flags: 'A', vlan: 10 }),
  },
  { name: 'IPv4 UDP 512 B', frame: udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 5000, dport: 6000, payload: Buffer.alloc(512) }) },
  {
    name: 'IPv4 DNS response (allocates)',
    frame: udpFrame({ src: '10.99.0.1', dst: '10.99.0.2', sport: 53, dport: 40000, payload: dnsResponse({ name: 'www.example.com', answers: [{ name: 'www.example.com', type: 'A', data: '93.184.216.34' }] }) }),
  },
  {
    name: 'IPv4 TLS ClientHello (allocates)',
    frame: tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 44321, dport: 443, flags: 'PA', payload: tlsClientHello({ sni: 'example.com' }) }),
  },
];

const pkt = new Packet();
const stats = new DecodeStats();

function run(frame: Buffer, n: number): number {
  pkt.buf = frame;
  pkt.bufOffset = 0;
  pkt.caplen = frame.length;
  pkt.wirelen = frame.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    pkt.reset();
    decodePacket(pkt, stats);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

const ROUNDS = 5;
for (const c of cases) {
  run(c.frame, Math.min(iterations, 200_000)); // warm up so the optimised code is measured
  // other processes share the cores: the fastest round is the best estimate of the code's own cost
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(run(c.frame, Math.ceil(iterations / ROUNDS)));
  rounds.sort((a, b) => a - b);
  const best = rounds[0];
  const median = rounds[ROUNDS >> 1];
  console.log(
    `${c.name.padEnd(36)} best ${best.toFixed(1).padStart(7)} ns  median ${median.toFixed(1).padStart(7)} ns  ` +
      `(${(1000 / best).toFixed(2)} M packets/s)`,
  );
}
console.log(`pkt.reset() included; ${iterations} iterations per case in ${ROUNDS} rounds; node ${process.version}`);
