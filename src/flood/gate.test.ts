import t from 'tap';
import { Bus } from '../bus.js';
import type { Alert } from '../detectors/alert.js';
import { newHalfOpenFlow } from '../flow/half-open.js';
import { attachIncidents } from '../incidents/index.js';
import type { IncidentEvent } from '../incidents/types.js';
import { attachFloodGate, DEFAULT_FLOOD_GATE } from './gate.js';

const SAMPLE_PER_SECOND = DEFAULT_FLOOD_GATE.samplePerSecond;

const T0 = 1_700_000_000_000_000;

function floodAlert(tsUs: number, target = '10.0.0.10'): Alert {
  return {
    id: `dos.synflood-${target}-${tsUs}`,
    tsUs,
    kind: 'dos.synflood',
    signature: 'SYN flood against 10.0.0.10:80 from 256+ sources, likely spoofed',
    severity: 1,
    confidence: 0.9,
    srcIp: '0.0.0.0',
    srcMac: '02:00:00:00:00:fe',
    targets: [target],
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

t.test('the defaults are the configuration keys detectors.synFlood.*', async (t) => {
  t.same(DEFAULT_FLOOD_GATE, { samplePerSecond: 10, maxTargets: 64, knownSources: 65_536, holdSeconds: 60 });
});

/** A bus with the incident tracker and a gate of `opts`, and the incident events it emitted. */
function setup(t: { fail(m: string): void }, opts: Parameters<typeof attachFloodGate>[2]) {
  const bus = new Bus((m) => t.fail(m));
  const events: IncidentEvent[] = [];
  bus.on('incident', (e) => void events.push(e));
  const gate = attachFloodGate(bus, attachIncidents(bus), opts);
  return { bus, events, gate };
}

t.test('samplePerSecond: that many flows per target and second pass; 0 folds them all', async (t) => {
  for (const n of [3, 0, 250]) {
    const { bus, gate } = setup(t, { samplePerSecond: n });
    bus.emit('alert', floodAlert(T0));
    let folded = 0;
    for (let s = 0; s < 4; s++) for (let i = 0; i < 500; i++) if (gate.fold(syn(s * 500 + i, TARGET, 80, T0 + s * 1e6 + i * 1000))) folded++;
    t.equal(folded, 2000 - 4 * n, `samplePerSecond ${n}: ${2000 - folded} of 2,000 pass in 4 s`);
    t.equal(gate.stats().sampled, 4 * n);
  }
});

t.test('maxTargets: past it the target flooded first is released, its count reported first', async (t) => {
  const { bus, events, gate } = setup(t, { maxTargets: 2 });
  const targets = ['10.0.0.10', '10.0.0.11', '10.0.0.12'];
  bus.emit('alert', floodAlert(T0, targets[0]));
  bus.emit('alert', floodAlert(T0, targets[1]));
  for (let i = 0; i < 100; i++) gate.fold(syn(i, TARGET, 80, T0 + 1000 + i));
  t.equal(gate.stats().targets, 2);
  bus.emit('alert', floodAlert(T0 + 2e6, targets[2]));
  t.equal(gate.stats().targets, 2, 'still two');
  const first = events.filter((e) => e.incident.target === '10.0.0.10').at(-1)!;
  t.equal(first.incident.count, 1 + 100 - SAMPLE_PER_SECOND, 'the released target took its folded flows into its incident');
  t.notOk(gate.fold(syn(500, TARGET, 80, T0 + 2e6 + 1e6)), 'the first target is released: its flows are records again');
  for (let i = 0; i < SAMPLE_PER_SECOND; i++) gate.fold(syn(600 + i, TARGET + 2, 80, T0 + 3e6));
  t.ok(gate.fold(syn(700, TARGET + 2, 80, T0 + 3e6)), 'the new one is folded');
  for (let i = 0; i < SAMPLE_PER_SECOND; i++) t.notOk(gate.fold(syn(800 + i, TARGET + 1, 80, T0 + 4e6)), 'sampled');
  t.ok(gate.fold(syn(900, TARGET + 1, 80, T0 + 4e6)), 'the second is still held: folded past its sample');

  const wide = setup(t, { maxTargets: 3 });
  for (const ip of targets) wide.bus.emit('alert', floodAlert(T0, ip));
  t.equal(wide.gate.stats().targets, 3, 'with maxTargets 3 all three are held');
});

t.test('knownSources: the ring remembers that many answered sources; an older one is folded again', async (t) => {
  const { bus, gate } = setup(t, { knownSources: 2, samplePerSecond: 0 });
  bus.emit('alert', floodAlert(T0));
  const answered = (ip: string) => bus.emit('flow.end', { proto: 6, pktsToClient: 3, connState: 'SF', srcIp: ip } as never);
  answered('20.0.0.1');
  answered('20.0.0.2');
  t.notOk(gate.fold(syn(1, TARGET, 80, T0 + 1e6)), '20.0.0.1 is known');
  t.notOk(gate.fold(syn(2, TARGET, 80, T0 + 1e6)), '20.0.0.2 is known');
  answered('20.0.0.3'); // pushes 20.0.0.1 out of a ring of two
  t.ok(gate.fold(syn(1, TARGET, 80, T0 + 1e6)), '20.0.0.1 was forgotten: folded');
  t.notOk(gate.fold(syn(2, TARGET, 80, T0 + 1e6)), '20.0.0.2 still known');
  t.notOk(gate.fold(syn(3, TARGET, 80, T0 + 1e6)), '20.0.0.3 known');

  const big = setup(t, { knownSources: 3, samplePerSecond: 0 });
  big.bus.emit('alert', floodAlert(T0));
  for (const ip of ['20.0.0.1', '20.0.0.2', '20.0.0.3']) big.bus.emit('flow.end', { proto: 6, pktsToClient: 3, connState: 'SF', srcIp: ip } as never);
  t.notOk(big.gate.fold(syn(1, TARGET, 80, T0 + 1e6)), 'with a ring of three, 20.0.0.1 is still known');
});

t.test('holdSeconds: a target quiet for longer is released, not before', async (t) => {
  const { bus, gate } = setup(t, { holdSeconds: 5, samplePerSecond: 0 });
  bus.emit('alert', floodAlert(T0));
  t.ok(gate.fold(syn(1, TARGET, 80, T0 + 1e6)));
  gate.tick(T0 + 1e6 + 5e6);
  t.equal(gate.stats().targets, 1, 'quiet for exactly 5 s: held');
  gate.tick(T0 + 1e6 + 5e6 + 1);
  t.equal(gate.stats().targets, 0, 'quiet for longer than 5 s: released');
  t.notOk(gate.fold(syn(2, TARGET, 80, T0 + 7e6)));

  const long = setup(t, { holdSeconds: 600, samplePerSecond: 0 });
  long.bus.emit('alert', floodAlert(T0));
  long.gate.fold(syn(1, TARGET, 80, T0 + 1e6));
  long.gate.tick(T0 + 300e6);
  t.equal(long.gate.stats().targets, 1, 'with holdSeconds 600 it is held after 300 s');
  t.ok(long.gate.fold(syn(2, TARGET, 80, T0 + 300e6)));
});
