import t from 'tap';
import { udpFrame } from '../capture/packet-builder.js';
import { FlowHarness } from '../../test/support/flow-packets.js';
import { dnsSessionOver } from './timeout-classes.js';

const S = 1e6;

t.test("Zeek's DNS session timer: checks every 10 s from the start, ends the session idle for 9 s or more", async (t) => {
  // the first check (10 s) finds 9.5 s of quiet: over
  t.equal(dnsSessionOver(0, 0.5 * S, 10 * S, 10 * S), true);
  t.equal(dnsSessionOver(0, 0.5 * S, 9.99 * S, 10 * S), false, 'not before the check');
  // the first check finds 5 s of quiet: re-armed; the second (20 s) finds 15 s: over
  t.equal(dnsSessionOver(0, 5 * S, 17 * S, 10 * S), false);
  t.equal(dnsSessionOver(0, 5 * S, 20 * S, 10 * S), true);
  // last packet at 11.5 s: the 20 s check finds 8.5 s, the 30 s one 18.5 s
  t.equal(dnsSessionOver(0, 11.5 * S, 29 * S, 10 * S), false);
  t.equal(dnsSessionOver(0, 11.5 * S, 30 * S, 10 * S), true);
});

t.test('a UDP flow to a DNS port follows the DNS timer, another UDP flow the udp timeout', async (t) => {
  const h = new FlowHarness({ timeouts: { udp: 60, dns: 10 } });
  const dgram = (s: number, dport: number): void =>
    h.feed(udpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 5000, dport, payload: Buffer.alloc(20) }), s);
  // at 17 s: the 10 s check saw 5 s of quiet, still the same session; at 40 s: the 20 s check saw 3 s, the
  // 30 s one 13 s, a new session
  for (const at of [0, 5, 17, 40]) for (const port of [53, 5353, 123]) dgram(at, port);
  h.flush();
  const count = (port: number): number[] => h.records.filter((r) => r.dstPort === port).map((r) => r.pktsToServer).sort();
  t.same(count(53), [1, 3], 'DNS: 0–17 s, then 40 s');
  t.same(count(5353), [1, 3], 'mDNS likewise');
  t.same(count(123), [4], 'NTP: one flow, inside the 60 s udp timeout');
});
