import t from 'tap';
import { Bus } from '../bus.js';
import type { Alert } from '../detectors/alert.js';
import { newHalfOpenFlow } from '../flow/half-open.js';
import { attachIncidents } from '../incidents/index.js';
import type { IncidentEvent } from '../incidents/types.js';
import { attachFloodGate, SAMPLE_PER_SECOND } from './gate.js';

const T0 = 1_700_000_000_000_000;

function floodAlert(tsUs: number): Alert {
  return {
    id: `dos.synflood-${tsUs}`,
    tsUs,
    kind: 'dos.synflood',
    signature: 'SYN flood against 10.0.0.10:80 from 256+ sources, likely spoofed',
    severity: 1,
    confidence: 0.9,
    srcIp: '0.0.0.0',
    srcMac: '02:00:00:00:00:fe',
    targets: ['10.0.0.10'],
    destPort: 80,
    proto: 'TCP',
    evidence: [{ text: '200 connection attempts to 10.0.0.10:80 left half-open within 10 s (threshold 200)', count: 200 }],
    suggestedResponse: 'rate-limit',
  };
}

/** a half-open flow from 20.0.0.i to `dst`:`port` ending at `endUs` */
function syn(i: number, dst: number, port: number, endUs: number) {
  const f = newHalfOpenFlow();
  f.orig[3] = 0x14000000 + i;
  f.resp[3] = dst;
  f.origPort = 1024 + (i % 60000);
  f.respPort = port;
  f.startUs = endUs;
  f.endUs = endUs;
  return f;
}

const TARGET = 0x0a00000a; // 10.0.0.10

t.test('after the flood alert, half-open flows to the target are folded into its incident, a sample passes', async (t) => {
  const bus = new Bus((m) => t.fail(m));
  const events: IncidentEvent[] = [];
  bus.on('incident', (e) => void events.push(e));
  const incidents = attachIncidents(bus);
  const gate = attachFloodGate(bus, incidents);
  t.notOk(gate.fold(syn(1, TARGET, 80, T0)), 'nothing is folded before a flood was detected');
  bus.emit('alert', floodAlert(T0));
  t.equal(events.length, 1, 'the incident opened');
  let folded = 0;
  // 3 seconds of packet time, 1,000 SYNs each
  for (let s = 0; s < 3; s++) for (let i = 0; i < 1000; i++) if (gate.fold(syn(s * 1000 + i, TARGET, 80, T0 + s * 1e6 + i * 1000))) folded++;
  t.equal(folded, 3000 - 3 * SAMPLE_PER_SECOND, `${SAMPLE_PER_SECOND} per second pass as a sample`);
  t.notOk(gate.fold(syn(5, TARGET, 443, T0 + 3e6)), 'another port of the host is not the flooded target');
  t.notOk(gate.fold(syn(5, TARGET + 1, 80, T0 + 3e6)), 'another host is not either');
  gate.tick(T0 + 3e6);
  const last = events.at(-1)!;
  t.equal(last.incident.count, 1 + folded, 'the incident counts the alert and every folded flow');
  t.match(last.incident.evidence.at(-1)!.text, `${folded.toLocaleString('en-US')} half-open flows`);
  t.equal(last.memberIds.length, 0, 'no alert rows are made for folded flows');
  // a source that completed a connection is a real client: its half-open flows are never folded
  bus.emit('flow.end', { proto: 6, pktsToClient: 3, connState: 'SF', srcIp: '20.0.0.77' } as never);
  for (let i = 0; i < 2 * SAMPLE_PER_SECOND; i++) gate.fold(syn(i, TARGET, 80, T0 + 4e6));
  t.notOk(gate.fold(syn(77, TARGET, 80, T0 + 4e6 + 10)), 'a known source is not folded');
  gate.tick(T0 + 4e6);
  t.equal(events.at(-1)!.incident.count, 1 + folded + SAMPLE_PER_SECOND, 'a later flush adds the newly folded ones');
  // quiet for longer than the hold: the target is released
  gate.tick(T0 + 200e6);
  t.equal(gate.stats().targets, 0);
  t.notOk(gate.fold(syn(9, TARGET, 80, T0 + 200e6)), 'released: flows are records again');
});
