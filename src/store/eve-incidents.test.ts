/**
 * EVE alert lines per incident, through the real pipeline and a real file: one line when an incident opens,
 * one when it escalates and one when it closes, never one per alert; alert.count says how many alerts so far.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../detectors/alert.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { Pipeline } from '../pipeline.js';

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;

t.test('an incident writes open, escalate and close lines with alert.count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-eve-incidents-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'eve.json');
  const cfg = loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.enabled': 'false', 'incidents.escalateEvery': '10' } });
  const p = new Pipeline(cfg, createLogger('error'));
  const alert = (i: number, over: Partial<Alert> = {}): Alert => ({
    id: `bruteforce.ssh:${i}`, tsUs: T0 + i * 1_000_000, kind: 'bruteforce.ssh', signature: 'SSH brute force against 10.0.0.5:22 from 10.0.0.66', severity: 2,
    confidence: 0.8, srcIp: '10.0.0.66', srcMac: '02:00:00:00:00:66', targets: ['10.0.0.5'], destPort: 22, proto: 'TCP', evidence: [{ text: `attempt ${i}` }], suggestedResponse: 'rate-limit', ...over,
  });
  for (let i = 0; i < 25; i++) p.bus.emit('alert', alert(i));
  // another device's single alert: its own incident, open and close only
  p.bus.emit('alert', alert(100, { id: 'other', srcMac: '02:00:00:00:00:77', srcIp: '10.0.0.77' }));
  p.nowUs = T0 + 200 * 1_000_000;
  await p.shutdown();
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; src_ip: string; dest_ip?: string; alert: { count: number; severity: number; category: string; id: string; signature: string; incident: { change: string; state: string; severity: string } } });
  const alerts = lines.filter((l) => l.event_type === 'alert');
  const mine = alerts.filter((l) => l.src_ip === '10.0.0.66');
  t.same(mine.map((l) => `${l.alert.incident.change}:${l.alert.count}:${l.alert.severity}`), ['open:1:2', 'escalate:10:1', 'close:25:1'], 'three lines for 25 alerts');
  t.equal(new Set(mine.map((l) => l.alert.id)).size, 1, 'one incident id');
  t.match(mine[0]!, { dest_ip: '10.0.0.5', alert: { category: 'bruteforce.ssh', signature: /^SSH brute force/, incident: { state: 'open', severity: 'medium' } } }, "Suricata's fields keep their meaning");
  t.equal(mine[2]!.alert.incident.state, 'closed');
  t.same(alerts.filter((l) => l.src_ip === '10.0.0.77').map((l) => l.alert.incident.change), ['open', 'close']);
  t.equal(alerts.length, 5, 'no line per alert');
});
