/**
 * EVE alert lines per incident, through the real pipeline and a real file: one line when an incident opens,
 * one when it escalates and one when it closes, never one per alert. Each is a rule's alert (gid, signature_id,
 * rev, fixed signature and classification text); the incident's own details are under `argus.incident`;
 * `alert.action` follows what the firewall enforces at the time.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../detectors/alert.js';
import { SIGNATURES } from '../detectors/signatures.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';
import { RecordingRunner } from '../respond/firewall-exec.js';
import { KernelFirewall } from '../respond/firewall.js';
import { Policy } from '../respond/policy.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;

interface AlertLine {
  event_type: string;
  flow_id?: number;
  community_id?: string;
  src_ip: string;
  dest_ip?: string;
  alert: { action: string; gid: number; signature_id: number; rev: number; signature: string; category: string; severity: number; metadata: Record<string, string[]> };
  argus: { kind: string; flow_ids?: number[]; incident: { id: string; change: string; state: string; severity: string; count: number; title: string } };
}

const alert = (i: number, over: Partial<Alert> = {}): Alert => ({
  id: `bruteforce.ssh:${i}`, tsUs: T0 + i * 1_000_000, kind: 'bruteforce.ssh', signature: 'SSH brute force against 10.0.0.5:22 from 10.0.0.66', severity: 2,
  confidence: 0.8, srcIp: '10.0.0.66', srcMac: '02:00:00:00:00:66', targets: ['10.0.0.5'], destPort: 22, proto: 'TCP',
  evidence: [{ text: `attempt ${i}`, flowIds: [100 + i], communityIds: [`1:flow${100 + i}=`] }], suggestedResponse: 'rate-limit', ...over,
});

function alertLines(out: string): AlertLine[] {
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AlertLine).filter((l) => l.event_type === 'alert');
}

t.test('an incident writes open, escalate and close lines as alerts of one rule', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-eve-incidents-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'eve.json');
  const cfg = loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.enabled': 'false', 'incidents.escalateEvery': '10' } });
  const p = new Pipeline(cfg, createLogger('error'));
  for (let i = 0; i < 25; i++) p.bus.emit('alert', alert(i));
  // another device's single alert: its own incident, open and close only
  p.bus.emit('alert', alert(100, { id: 'other', srcMac: '02:00:00:00:00:77', srcIp: '10.0.0.77' }));
  p.nowUs = T0 + 200 * 1_000_000;
  await p.shutdown();
  const alerts = alertLines(out);
  const mine = alerts.filter((l) => l.src_ip === '10.0.0.66');
  t.same(mine.map((l) => `${l.argus.incident.change}:${l.argus.incident.count}:${l.alert.severity}`), ['open:1:2', 'escalate:10:1', 'close:25:1'], 'three lines for 25 alerts');
  t.equal(new Set(mine.map((l) => l.argus.incident.id)).size, 1, 'one incident id');
  const sig = SIGNATURES['bruteforce.ssh'];
  for (const l of mine) {
    t.match(l.alert, { gid: 1, signature_id: sig.signatureId, rev: sig.rev, signature: sig.signature, category: 'Attempted Administrator Privilege Gain', action: 'allowed' }, 'the same rule on every line');
    t.same(l.alert.metadata.argus_kind, ['bruteforce.ssh'], 'the kind in metadata, as a list of strings');
  }
  t.notMatch(mine[0]!.alert.signature, /10\.0\.0/, 'no addresses in the signature');
  t.match(mine[0]!, { dest_ip: '10.0.0.5', flow_id: 100, community_id: '1:flow100=', argus: { kind: 'bruteforce.ssh', incident: { state: 'open', severity: 'medium', title: /^SSH brute force/ } } }, 'the first flow links the alert; the sentence is argus.incident.title');
  t.equal(mine[2]!.argus.incident.state, 'closed');
  t.same(alerts.filter((l) => l.src_ip === '10.0.0.77').map((l) => l.argus.incident.change), ['open', 'close']);
  t.equal(alerts.length, 5, 'no line per alert');
});

t.test('alert.action says blocked once the firewall quarantines the device', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-eve-action-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'eve.json');
  const cfg = loadConfig({ flags: { mode: 'inline', 'store.path': join(dir, 'argus-edge.db'), 'eve.path': out, 'models.enabled': 'false', 'incidents.escalateEvery': '10' } });
  const p = new Pipeline(cfg, createLogger('error'), { store: true });
  // the appliance's wiring, with a kernel firewall whose commands succeed without running (no root needed)
  const policy = new Policy(p.bus, p.store!, new KernelFirewall({ runner: new RecordingRunner(), probe: false }), cfg, { nowUs: () => p.nowUs });
  p.setEnforcementCheck((mac, ip, targets) => policy.stops(mac, ip, targets));
  policy.start(T0);
  t.teardown(() => policy.stop());
  for (let i = 0; i < 5; i++) p.bus.emit('alert', alert(i));
  p.nowUs = T0 + 5_000_000;
  t.ok(policy.quarantine('02:00:00:00:00:66', 'admin', 'brute force').ok);
  for (let i = 5; i < 12; i++) p.bus.emit('alert', alert(i));
  p.nowUs = T0 + 200 * 1_000_000;
  await p.shutdown();
  // a live appliance keeps its incidents open across a restart: no close line here
  t.same(alertLines(out).map((l) => `${l.argus.incident.change}:${l.alert.action}`), ['open:allowed', 'escalate:blocked']);
});
