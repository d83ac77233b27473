import t from 'tap';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { dnsMessage, dnsQuery, dnsResponse, tcpFrame, udpFrame } from '../capture/packet-builder.js';
import { DNS_MAX_ANSWERS } from './dns.js';

const dnsFrame = (payload: Buffer, sport = 40000, dport = 53) => udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport, dport, payload });

/** A response with a hand-written body after a one-question header (qname "a", type A). */
function handMade(answerBytes: number[], ancount = 1): Buffer {
  const hdr = [0x12, 0x34, 0x81, 0x80, 0, 1, ancount >> 8, ancount & 0xff, 0, 0, 0, 0];
  const q = [1, 0x61, 0, 0, 1, 0, 1];
  return Buffer.from([...hdr, ...q, ...answerBytes]);
}

t.test('query', async (t) => {
  const d = decodeFrame(dnsFrame(dnsQuery({ id: 0x4242, name: 'Example.COM', type: 'AAAA' })));
  t.same(d.events, []);
  const m = d.pkt.dns!;
  t.same([m.id, m.response, m.opcode, m.rcode, m.qname, m.qtype, m.qclass, m.mdns], [0x4242, false, 0, 0, 'Example.COM', 28, 1, false]);
  t.same(m.answers, []);
});

t.test('response with CNAME, A, AAAA and TXT, compressed', async (t) => {
  const payload = dnsResponse({
    name: 'www.example.com',
    rcode: 0,
    answers: [
      { name: 'www.example.com', type: 'CNAME', ttl: 60, data: 'cdn.example.com' },
      { name: 'cdn.example.com', type: 'A', ttl: 30, data: '93.184.216.34' },
      { name: 'cdn.example.com', type: 'AAAA', data: '2606:2800:220:1:248:1893:25c8:1946' },
      { name: 'cdn.example.com', type: 'TXT', data: 'v=spf1 -all' },
    ],
  });
  t.ok(payload.includes(Buffer.from([0xc0])), 'the builder did compress');
  const d = decodeFrame(dnsFrame(payload, 53, 40000));
  t.same(d.events, []);
  const m = d.pkt.dns!;
  t.equal(m.response, true);
  t.equal(m.qname, 'www.example.com');
  t.same(m.answers, [
    { name: 'www.example.com', type: 5, ttl: 60, data: 'cdn.example.com' },
    { name: 'cdn.example.com', type: 1, ttl: 30, data: '93.184.216.34' },
    { name: 'cdn.example.com', type: 28, ttl: 300, data: '2606:2800:220:1:248:1893:25c8:1946' },
    { name: 'cdn.example.com', type: 16, ttl: 300, data: 'v=spf1 -all' },
  ]);
  const nx = decodeFrame(dnsFrame(dnsResponse({ name: 'nope.example', rcode: 3, answers: [] }), 53, 40000));
  t.equal(nx.pkt.dns!.rcode, 3);
});

t.test('mDNS and DNS over TCP', async (t) => {
  const md = decodeFrame(udpFrame({ src: '10.99.0.7', dst: '224.0.0.251', sport: 5353, dport: 5353, payload: dnsMessage({ id: 0, response: true, answers: [{ name: 'printer.local', type: 'A', data: '10.99.0.7' }] }) }));
  t.equal(md.pkt.dns!.mdns, true);
  t.equal(md.pkt.dns!.qname, '', 'no question');
  t.same(md.pkt.dns!.answers.map((a) => a.data), ['10.99.0.7']);
  const q = dnsQuery({ name: 'tcp.example' });
  const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
  const tcp = decodeFrame(tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40001, dport: 53, flags: 'PA', payload: framed }));
  t.equal(tcp.pkt.dns?.qname, 'tcp.example');
  const other = decodeFrame(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40000, dport: 54, payload: q }));
  t.equal(other.pkt.dns, null, 'only DNS ports are decoded');
});

t.test('malformations', async (t) => {
  const short = decodeFrame(dnsFrame(Buffer.alloc(11)));
  t.same(short.events, ['decoder.dns.pkt_too_small']);
  t.equal(short.pkt.dns, null);

  // answer name = pointer to itself (offset 19)
  const self = decodeFrame(dnsFrame(handMade([0xc0, 19])));
  t.same(self.events, ['decoder.dns.name_loop']);
  t.equal(self.pkt.dns!.qname, 'a', 'what decoded before the loop is kept');
  // answer name: label "b" then a pointer forward to itself region: 19: 01 62 c0 13 → points at 19 (its own segment)
  t.same(decodeFrame(dnsFrame(handMade([1, 0x62, 0xc0, 19]))).events, ['decoder.dns.name_loop'], 'pointer into its own segment');
  // two names pointing at each other: question name at 12 points to 14, 14 points to 12
  const mutual = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
  t.same(decodeFrame(dnsFrame(mutual)).events, ['decoder.dns.name_loop'], 'forward pointer');

  const long: number[] = [];
  for (let i = 0; i < 5; i++) long.push(63, ...new Array(63).fill(0x61));
  t.same(decodeFrame(dnsFrame(handMade([...long, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]))).events, ['decoder.dns.name_too_long']);

  t.same(decodeFrame(dnsFrame(handMade([0x41, 0x61]))).events, ['decoder.dns.label_invalid'], 'EDNS0 extended label type');

  t.same(decodeFrame(dnsFrame(handMade([0xc0, 12, 0, 1, 0, 1, 0, 0]))).events, ['decoder.dns.trunc_rr'], 'fixed RR fields cut');
  t.same(decodeFrame(dnsFrame(handMade([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2]))).events, ['decoder.dns.trunc_rr'], 'RDATA cut');
  t.same(decodeFrame(dnsFrame(handMade([3, 0x61]))).events, ['decoder.dns.trunc_rr'], 'label cut');
  t.same(decodeFrame(dnsFrame(handMade([0xc0]))).events, ['decoder.dns.trunc_rr'], 'pointer cut');
  t.same(decodeFrame(dnsFrame(handMade([], 1).subarray(0, 12 + 5))).events, ['decoder.dns.trunc_rr'], 'question cut');

  const answers = Array.from({ length: DNS_MAX_ANSWERS + 3 }, (_, i) => ({ name: 'x.example', type: 'A' as const, data: `10.99.1.${i}` }));
  const many = decodeFrame(dnsFrame(dnsResponse({ name: 'x.example', answers }), 53, 40000));
  t.same(many.events, ['decoder.dns.too_many_answers']);
  t.equal(many.pkt.dns!.answers.length, DNS_MAX_ANSWERS);
});
