import t from 'tap';
import { Bus } from '../bus.js';
import { parseIpv4, parseMac } from '../decode/addr.js';
import type { Alert } from '../detectors/alert.js';
import { DeviceInventory } from './devices.js';
import { combine, fmtDelta, hhmm, levelOf, TrustScorer, type TrustConfig } from './score.js';
import type { TrustChange } from './types.js';
import type { Finding } from './vuln-scan.js';

/** 2023-11-14 14:02:00 UTC */
const T0 = Date.UTC(2023, 10, 14, 14, 2, 0) * 1000;
const HOUR = 3_600_000_000;
const SCANNER = 'b8:27:eb:00:00:10';
const CAMERA = 'b8:27:eb:00:00:20';

function setup(trust: Partial<TrustConfig['trust']> = {}) {
  const bus = new Bus((m) => {
    throw new Error(m);
  });
  const cfg = {
    homeNets: ['192.168.1.0/24'],
    trust: { weights: { behavioral: 0.5, vulnerability: 0.3, reputation: 0.2 }, evidenceHalfLifeHours: 24, recoveryHalfLifeHours: 6, maxDevices: 100, maxRemoteHosts: 100, ...trust },
  };
  const inv = new DeviceInventory(bus, null, cfg);
  const scorer = new TrustScorer(bus, null, inv, cfg);
  const changes: TrustChange[] = [];
  bus.on('trust.change', (c) => changes.push(c));
  const arp = (mac: string, ip: string, ts = T0 - 1000) =>
    bus.emit('arp', { tsUs: ts, vlan: 0, srcMac: parseMac(mac)!, dstMac: 0xffffffffffff, arp: { op: 1, senderMac: parseMac(mac)!, senderIp: parseIpv4(ip)!, targetMac: 0, targetIp: parseIpv4('192.168.1.1')! } });
  arp(SCANNER, '192.168.1.10');
  arp(CAMERA, '192.168.1.20');
  return { bus, inv, scorer, changes, cfg };
}

function alert(o: Partial<Alert>): Alert {
  return {
    id: `a${Math.random()}`,
    tsUs: T0,
    kind: 'scan.port.vertical',
    signature: 'Vertical port scan',
    // what the port-scan detector raises for a LAN source (severity 1), at a modest confidence
    severity: 1,
    confidence: 0.6,
    srcIp: '192.168.1.10',
    srcMac: SCANNER,
    targets: ['192.168.1.20'],
    destPort: null,
    proto: 'TCP',
    evidence: [{ text: '30 distinct ports', count: 30 }],
    suggestedResponse: 'quarantine',
    ...o,
  };
}

t.test('levels, weights and the harmonic combination', async (t) => {
  const w = { behavioral: 0.5, vulnerability: 0.3, reputation: 0.2 };
  t.equal(combine({ behavioral: 100, vulnerability: 100, reputation: 100 }, w), 100);
  t.equal(Math.round(combine({ behavioral: 50, vulnerability: 100, reputation: 100 }, w) * 100) / 100, 66.67);
  // a heavier weight moves the score more
  t.ok(combine({ behavioral: 50, vulnerability: 100, reputation: 100 }, w) < combine({ behavioral: 100, vulnerability: 100, reputation: 50 }, w));
  // one weight alone: the score is that component
  t.equal(combine({ behavioral: 37, vulnerability: 0, reputation: 0 }, { behavioral: 2, vulnerability: 0, reputation: 0 }), 37);
  t.ok(combine({ behavioral: 0, vulnerability: 100, reputation: 100 }, w) < 1, 'one failing component pulls the score down');
  t.same([75, 74.99, 50, 49.99, 20, 19.99].map(levelOf), ['normal', 'warning', 'warning', 'alert', 'alert', 'critical']);
  t.equal(hhmm(T0), '14:02');
  t.same([fmtDelta(-18.4), fmtDelta(3), fmtDelta(-0.4)], ['\u221218', '+3', '\u22120.4']);
  t.throws(() => setup({ weights: { behavioral: 0, vulnerability: 0, reputation: 0 } }), /at least one weight/);
});

t.test('an nmap scan of one host makes the scanner critical, with an explanation', async (t) => {
  const { bus, scorer, changes } = setup();
  bus.emit('alert', alert({}));
  t.equal(changes.length, 1);
  const c = changes[0]!;
  t.equal(c.mac, SCANNER);
  t.equal(c.ip, '192.168.1.10');
  t.equal(c.level, 'critical');
  t.equal(c.previousLevel, 'normal');
  // 150 × 0.6 = 90 off behavioral → 10; 1 / (0.5/10 + 0.3/100 + 0.2/100) = 18.2
  t.equal(c.behavioral, 10);
  t.equal(c.score, 18.2);
  t.same(c.explanation, [{ factor: 'scan.port.vertical', delta: -81.8, text: '\u221282: port scan of 192.168.1.20 (30 ports) at 14:02' }]);
  t.equal(scorer.state(CAMERA), undefined, 'the target is not blamed');
});

t.test('a single low-confidence anomaly keeps a device above warning; a flood is capped', async (t) => {
  const { bus, scorer, changes } = setup();
  bus.emit('alert', alert({ kind: 'anomaly', severity: 3, confidence: 0.55, srcIp: '192.168.1.20', srcMac: CAMERA, targets: ['203.0.113.9'], destPort: 443 }));
  const s = scorer.state(CAMERA)!;
  t.ok(s.score >= 75, `one anomaly: ${s.score}`);
  t.equal(changes.at(-1)?.explanation[0]?.text, '\u22123: unusual flow to 203.0.113.9:443 at 14:02');
  for (let i = 0; i < 500; i++) bus.emit('alert', alert({ kind: 'anomaly', severity: 3, confidence: 0.9, srcIp: '192.168.1.20', srcMac: CAMERA, tsUs: T0 + i * 1000 }));
  const f = scorer.state(CAMERA)!;
  t.ok(f.score >= 50, `500 anomalies stay at warning or better: ${f.score}`);
  t.equal(f.level, 'warning');
  t.ok(f.evidence.length <= 32, 'evidence is bounded');
});

t.test('evidence decays with its half-life; recovery lags with its own', async (t) => {
  // recovery almost instant: the score follows the decaying evidence
  const a = setup({ recoveryHalfLifeHours: 0.0001 });
  a.bus.emit('alert', alert({}));
  a.scorer.tick(T0 + 24 * HOUR);
  // 90 halved → 45 off → behavioral 55
  t.equal(a.scorer.state(SCANNER)!.behavioral, 55);
  t.equal(Math.round(a.scorer.state(SCANNER)!.score * 10) / 10, 71);
  const rec = a.changes.at(-1)!;
  t.match(rec.explanation[0]!.text, /^\+\d+: recovery without new evidence at 14:02$/);
  t.equal(rec.explanation[0]!.factor, 'recovery');

  // evidence forgotten almost at once: recovery alone brings it back, halfway per recovery half-life
  const b = setup({ evidenceHalfLifeHours: 0.0001, recoveryHalfLifeHours: 6 });
  b.bus.emit('alert', alert({}));
  t.equal(b.scorer.state(SCANNER)!.level, 'critical', 'the drop is immediate');
  b.scorer.tick(T0 + 6 * HOUR);
  t.equal(b.scorer.state(SCANNER)!.behavioral, 55);
  b.scorer.tick(T0 + 200 * HOUR);
  t.equal(b.scorer.state(SCANNER)!.score, 100, 'back to the baseline');
  t.equal(b.changes.at(-1)!.level, 'normal');

  // with both slow, nothing moves in a minute, and nothing is announced
  const c = setup();
  c.bus.emit('alert', alert({}));
  const n = c.changes.length;
  c.scorer.tick(T0 + 60_000_000);
  t.equal(c.changes.length, n, 'moves below one point are not announced');
});

t.test('ticks announce every point of recovery once', async (t) => {
  const { bus, scorer, changes } = setup({ evidenceHalfLifeHours: 1, recoveryHalfLifeHours: 1 });
  bus.emit('alert', alert({}));
  for (let i = 1; i <= 24 * 60; i++) scorer.tick(T0 + i * 60_000_000);
  const scores = changes.map((c) => c.score);
  for (let i = 1; i < scores.length; i++) {
    t.ok(scores[i]! >= scores[i - 1]!, 'only upward after the evidence');
    if (changes[i]!.level === changes[i - 1]!.level && i < scores.length - 1) t.ok(scores[i]! - scores[i - 1]! >= 0.95, `step ${i} moved ≥ 1 point`);
  }
  t.equal(scores.at(-1), 100);
  t.same([...new Set(changes.map((c) => c.level))], ['critical', 'alert', 'warning', 'normal']);
});

t.test('attribution: by MAC or IP inside homeNets, never to the router for a remote source', async (t) => {
  const { bus, scorer } = setup();
  bus.emit('alert', alert({ srcMac: null, srcIp: '192.168.1.20', kind: 'bruteforce.ssh', confidence: 0.65, targets: ['192.168.1.10'] }));
  t.ok(scorer.state(CAMERA)!.score < 75, 'found through the inventory');
  bus.emit('alert', alert({ srcIp: '198.51.100.7', srcMac: SCANNER }));
  t.equal(scorer.state(SCANNER), undefined, 'a remote source routed through a LAN MAC is not that device');
  t.equal(scorer.stats.unattributed, 1);
  // blocklisted remote host contacting a LAN device: the LAN side is the device
  bus.emit('alert', alert({ kind: 'intel.blocklist', severity: 1, confidence: 0.9, srcIp: '203.0.113.66', srcMac: null, targets: ['192.168.1.10'] }));
  const s = scorer.state(SCANNER)!;
  t.ok(s.reputation < 10, `reputation ${s.reputation}`);
  t.equal(s.evidence[0]!.text, 'contact with blocklisted 203.0.113.66', 'the remote party is named');
  t.equal(s.behavioral, 100);
});

t.test('reputationHit and scan findings', async (t) => {
  const { scorer, changes } = setup();
  scorer.reputationHit(CAMERA, 'resolved a botnet controller name', 60, T0);
  t.equal(scorer.state(CAMERA)!.reputation, 40);
  t.match(changes.at(-1)!.explanation[0]!.text, /^\u2212\d+: resolved a botnet controller name at 14:02$/);
  const telnet: Finding = { id: 'telnet-open', port: 23, proto: 'tcp', service: 'telnet', severity: 1, penalty: 35, text: 'telnet is open', advice: 'disable telnet on port 23' };
  scorer.setScanResult(CAMERA, [telnet], T0 + 1000);
  t.equal(scorer.state(CAMERA)!.vulnerability, 65);
  t.match(changes.at(-1)!.explanation[0]!.text, /scan found telnet \(23\)/);
  t.same(scorer.state(CAMERA)!.findings.map((f) => f.id), ['telnet-open']);
});

t.test('the device table is bounded', async (t) => {
  const { bus, scorer } = setup({ maxDevices: 3 });
  for (let i = 0; i < 5; i++) bus.emit('alert', alert({ srcMac: `02:00:00:00:00:0${i}`, srcIp: `192.168.1.${30 + i}` }));
  t.equal(scorer.stats.devices, 3);
  t.equal(scorer.stats.evicted, 2);
  t.equal(scorer.state('02:00:00:00:00:00'), undefined);
  t.ok(scorer.state('02:00:00:00:00:04'));
});
