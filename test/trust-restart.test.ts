/**
 * Trust state and history survive a restart: an inventory and a scorer write to a store file on disk, the
 * store is closed, reopened, and new instances carry on from where the old ones stopped — same scores, no
 * device announced as new, no score announced again — and recovery continues from there.
 */
import t from 'tap';
import { join } from 'node:path';
import { Bus } from '../src/bus.js';
import { parseIpv4, parseMac } from '../src/decode/addr.js';
import type { Alert } from '../src/detectors/alert.js';
import { Store } from '../src/store/db.js';
import { DeviceInventory } from '../src/trust/devices.js';
import { TrustScorer } from '../src/trust/score.js';
import type { DeviceEvent, TrustChange } from '../src/trust/types.js';
import { findingsFor } from '../src/trust/vuln-scan.js';

const T0 = Date.UTC(2023, 10, 14, 14, 2, 0) * 1000;
const HOUR = 3_600_000_000;
const SCANNER = 'b8:27:eb:00:00:10';
const CAMERA = '00:62:6e:00:00:20';
const cfg = {
  homeNets: ['192.168.1.0/24'],
  trust: { weights: { behavioral: 0.5, vulnerability: 0.3, reputation: 0.2 }, evidenceHalfLifeHours: 24, recoveryHalfLifeHours: 6, maxDevices: 100, maxRemoteHosts: 100 },
};

function start(store: Store) {
  const bus = new Bus((m) => {
    throw new Error(m);
  });
  const inv = new DeviceInventory(bus, store, cfg);
  const scorer = new TrustScorer(bus, store, inv, cfg);
  const news: DeviceEvent[] = [];
  const changes: TrustChange[] = [];
  bus.on('device.new', (e) => news.push(e));
  bus.on('trust.change', (c) => changes.push(c));
  const arp = (mac: string, ip: string, ts: number) =>
    bus.emit('arp', { tsUs: ts, vlan: 0, srcMac: parseMac(mac)!, dstMac: 0xffffffffffff, arp: { op: 1, senderMac: parseMac(mac)!, senderIp: parseIpv4(ip)!, targetMac: 0, targetIp: parseIpv4('192.168.1.1')! } });
  return { bus, inv, scorer, news, changes, arp };
}

const scanAlert: Alert = {
  id: 'scan.port.vertical:192.168.1.10:192.168.1.20:1',
  tsUs: T0,
  kind: 'scan.port.vertical',
  signature: 'Vertical port scan of 192.168.1.20 from 192.168.1.10 (30 ports)',
  severity: 1,
  confidence: 91 / 150, // 91 points off behavioral (SEVERITY_PENALTY[1] = 150)
  srcIp: '192.168.1.10',
  srcMac: null,
  targets: ['192.168.1.20'],
  destPort: null,
  proto: 'TCP',
  evidence: [{ text: '30 distinct ports of 192.168.1.20 probed within 60 s', count: 30 }],
  suggestedResponse: 'quarantine',
};

t.test('trust state and history survive a restart', async (t) => {
  const path = join(t.testdir(), 'argus-edge.db');
  let store = Store.open({ path, log: () => {} });
  const a = start(store);
  a.arp(SCANNER, '192.168.1.10', T0 - 5_000_000);
  a.arp(CAMERA, '192.168.1.20', T0 - 4_000_000);
  a.bus.emit('alert', scanAlert);
  // what VulnScanner does with a finished scan
  const findings = findingsFor([{ protocol: 'tcp', port: 23, state: 'open', reason: '', service: 'telnet', product: '', version: '', tunnel: '' }]);
  const scanId = store.registry.startScan('192.168.1.20', CAMERA, T0);
  store.registry.finishScan(scanId, T0 + 1_000_000, 'done', [{ port: 23, proto: 'tcp', service: 'telnet' }], findings, 65);
  a.scorer.setScanResult(CAMERA, findings, T0 + 1_000_000);
  a.scorer.tick(T0 + 2 * HOUR);
  const before = { scanner: a.scorer.state(SCANNER)!, camera: a.scorer.state(CAMERA)! };
  t.equal(before.scanner.level, 'critical');
  t.equal(before.camera.vulnerability, 65);
  const changesBefore = a.changes.length;
  a.inv.close(T0 + 2 * HOUR);
  store.tick(T0 + 3 * HOUR);
  store.close();

  store = Store.open({ path, log: () => {} });
  const hist = store.devices.trustHistory(SCANNER);
  t.equal(hist.length, a.changes.filter((c) => c.mac === SCANNER).length, 'one history row per announced change');
  t.equal(hist[0]!.explanation[0]!.text, '\u221283: port scan of 192.168.1.20 (30 ports) at 14:02');
  t.match(store.devices.get(SCANNER), { trustLevel: before.scanner.level, trustScore: before.scanner.score });
  t.match(store.devices.get(CAMERA), { trustLevel: before.camera.level, trustScore: before.camera.score });

  const b = start(store);
  t.equal(b.changes.length, 0, 'reloading announces nothing');
  const after = { scanner: b.scorer.state(SCANNER)!, camera: b.scorer.state(CAMERA)! };
  for (const k of ['score', 'level', 'behavioral', 'vulnerability', 'reputation'] as const) {
    t.equal(after.scanner[k], before.scanner[k], `scanner ${k}`);
    t.equal(after.camera[k], before.camera[k], `camera ${k}`);
  }
  t.same(after.camera.findings.map((f) => f.id), ['telnet-open'], 'findings come back from the last scan');
  b.arp(SCANNER, '192.168.1.10', T0 + 3 * HOUR);
  t.equal(b.news.length, 0, 'no device is new again');
  b.scorer.tick(T0 + 3 * HOUR);
  t.equal(b.changes.length, 0, 'an hour later nothing moved a full point yet');

  // recovery carries on from the restored state and ends at the baseline
  for (let h = 4; h <= 24 * 14; h++) b.scorer.tick(T0 + h * HOUR);
  const last = b.changes.filter((c) => c.mac === SCANNER).at(-1)!;
  t.equal(last.level, 'normal');
  t.equal(last.score, 100);
  t.ok(b.changes[0]!.score > before.scanner.score, 'first announcement after the restart is an improvement');
  store.flush();
  t.equal(store.devices.trustHistory(SCANNER).length, hist.length + b.changes.filter((c) => c.mac === SCANNER).length);
  t.equal(store.devices.get(SCANNER)!.trustLevel, 'normal');
  t.ok(changesBefore > 0);
  store.close();
});
