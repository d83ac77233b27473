import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { decodeFrame } from '../../test/support/decode-frame.js';
import { ethernet, icmpFrame, tcpFrame, udpFrame } from '../capture/packet-builder.js';
import { Packet } from './packet.js';
import { DecodeStats } from './events.js';
import { decodePacket, ETHER_DECODERS, IP_PROTO_DECODERS, UDP_PORT_APPS } from './decode.js';

t.test('dispatch tables', async (t) => {
  t.ok(IP_PROTO_DECODERS[6] && IP_PROTO_DECODERS[17] && IP_PROTO_DECODERS[1] && IP_PROTO_DECODERS[58]);
  t.same([UDP_PORT_APPS[53] > 0, UDP_PORT_APPS[5353] > 0, UDP_PORT_APPS[67] > 0, UDP_PORT_APPS[68] > 0, UDP_PORT_APPS[80]], [true, true, true, true, 0]);
  // a decoder registered in the EtherType table is used, as Zeek's analyzer registration works
  let called = 0;
  ETHER_DECODERS.set(0x88b5, (_pkt, _stats, cur) => {
    called++;
    cur.off += 2;
    return 0x0800;
  });
  t.teardown(() => ETHER_DECODERS.delete(0x88b5));
  const inner = udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 1, dport: 2 }).subarray(14);
  const d = decodeFrame(ethernet({ etherType: 0x88b5, payload: Buffer.concat([Buffer.alloc(2), inner]) }));
  t.same([called, d.pkt.dstPort, d.events], [1, 2, []]);
});

t.test('a reused Packet carries nothing over from the previous frame', async (t) => {
  const pkt = new Packet();
  const stats = new DecodeStats();
  const run = (f: Buffer) => {
    pkt.reset();
    pkt.buf = f;
    pkt.caplen = pkt.wirelen = f.length;
    decodePacket(pkt, stats);
  };
  run(tcpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 9, dport: 10, flags: 'S', options: { mss: 1200 }, vlan: [3, 4] }));
  run(icmpFrame({ src: '10.99.0.2', dst: '10.99.0.1' }));
  t.same([pkt.ipVersion, pkt.vlan, pkt.vlanInner, pkt.srcPort, pkt.tcpMss, pkt.tcpFlags, pkt.icmpType], [4, 0, 0, 0, -1, 0, 8]);
});

t.test('the Ethernet/IP/TCP/UDP/ICMP path allocates nothing', async (t) => {
  const frames = [
    tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40000, dport: 443, flags: 'PA', payload: Buffer.alloc(200, 0x17), vlan: [5, 6] }),
    tcpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1', sport: 40000, dport: 80, flags: 'S', options: { mss: 1440, wscale: 8, sackPermitted: true, timestamps: [1, 0] } }),
    udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 5000, dport: 6000, payload: Buffer.alloc(300) }),
    icmpFrame({ src: 'fd00:99::2', dst: 'fd00:99::1' }),
  ];
  const pkt = new Packet();
  const stats = new DecodeStats();
  const loop = (n: number) => {
    for (let i = 0; i < n; i++) {
      const f = frames[i & 3];
      pkt.reset();
      pkt.buf = f;
      pkt.caplen = f.length;
      pkt.wirelen = f.length;
      decodePacket(pkt, stats);
    }
  };
  loop(200_000); // warm up: optimised code, field representations settled
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  let collections = 0;
  let from = Infinity;
  let to = Infinity;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.startTime >= from && e.startTime <= to) collections++;
  });
  obs.observe({ entryTypes: ['gc'] });
  // 1,000,000 packets: allocating even one small object each would fill the young generation many times over
  from = performance.now();
  loop(1_000_000);
  to = performance.now();
  // gc entries are delivered asynchronously, some time after the collection
  await new Promise((r) => setTimeout(r, 250));
  obs.disconnect();
  t.equal(collections, 0, 'no garbage collection ran during a million decodes');
  t.equal(stats.totalEvents(), 0);
});
