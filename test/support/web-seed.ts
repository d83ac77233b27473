/**
 * Dashboard fixtures written through the store's own accessors: devices with addresses and trust history,
 * alerts folded into incidents, flows, a scan, a model and actions. Deterministic for a given size, so route tests can name what they
 * expect and the web benchmark can fill a store with 5,000 devices and 100,000 alerts.
 */
import type { Alert, AlertKind } from '../../src/detectors/alert.js';
import { IncidentTracker } from '../../src/incidents/index.js';
import type { Store } from '../../src/store/db.js';
import { TRUST_LEVELS } from '../../src/trust/types.js';
import { hashPassword } from '../../src/web/password.js';
import { makeFlow } from './store-flows.js';

/** The kinds the seed cycles through: its own fixed list, so route tests keep their numbers when detectors add kinds. */
const SEED_KINDS: readonly AlertKind[] = [
  'scan.port.vertical', 'scan.port.horizontal', 'scan.arp', 'bruteforce.ssh', 'bruteforce.telnet', 'bruteforce.ftp',
  'bruteforce.rdp', 'bruteforce.http', 'dos.synflood', 'dns.tunnel', 'c2.beacon', 'exfil.upload', 'arp.spoof',
  'intel.blocklist', 'decoy.touch', 'anomaly',
];

export const T0_US = 1_767_000_000_000_000;

/** MAC of seeded device `i` (0-based, up to 2^24 devices). */
export function seedMac(i: number): string {
  const h = i.toString(16).padStart(6, '0');
  return `02:aa:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

export interface SeedOptions {
  devices: number;
  alerts: number;
  /** trust history points per device (default 6) */
  trustPoints?: number;
  /** flows stored for device 0 (default 40) */
  flows?: number;
  /** last packet time of the data (default T0_US + 1 day) */
  endUs?: number;
}

const VENDORS = ['Raspberry Pi Trading', 'Apple, Inc.', 'Espressif Inc.', 'Samsung Electronics', null];

/** Fills `store`; returns the packet time the data ends at. */
export function seedDashboard(store: Store, o: SeedOptions): number {
  const endUs = o.endUs ?? T0_US + 86_400_000_000;
  const points = o.trustPoints ?? 6;
  const db = store.db;
  db.transaction(() => {
    for (let i = 0; i < o.devices; i++) {
      const mac = seedMac(i);
      const seen = endUs - (i % 3600) * 1_000_000;
      store.devices.upsert({ mac, tsUs: endUs - 86_400_000_000, hostname: i % 4 === 3 ? undefined : `host-${i}`, vendor: VENDORS[i % VENDORS.length] ?? undefined });
      store.devices.upsert({ mac, tsUs: seen });
      store.devices.addAddress(mac, `10.99.${(i >> 8) & 255}.${i & 255}`, seen, 'dhcp');
      for (let p = 0; p < points; p++) {
        const score = Math.max(0, Math.min(100, 95 - ((i * 7 + p * 13) % 90)));
        const level = score >= 75 ? 'normal' : score >= 50 ? 'warning' : score >= 20 ? 'alert' : 'critical';
        store.devices.recordTrust({
          mac,
          tsUs: endUs - (points - p) * 600_000_000,
          score,
          behavioral: Math.min(100, score + 5),
          vulnerability: Math.max(0, score - 10),
          reputation: 100,
          level,
          explanation: p === points - 1 ? [{ factor: 'behavioral', delta: -4, text: `port scan of ${p + 3} hosts` }] : [],
        });
      }
    }
    const tracker = new IncidentTracker((e) => store.incidents.write(e));
    for (let j = 0; j < o.alerts; j++) {
      const d = j % Math.max(1, o.devices);
      const kind = SEED_KINDS[j % SEED_KINDS.length]!;
      const a: Alert = {
        id: `${kind}:${seedMac(d)}:${j}`,
        tsUs: endUs - (o.alerts - j) * 1_000_000,
        kind,
        signature: `Seeded ${kind} number ${j}`,
        severity: ((j % 3) + 1) as 1 | 2 | 3,
        confidence: 0.9,
        srcIp: `10.99.${(d >> 8) & 255}.${d & 255}`,
        srcMac: seedMac(d),
        targets: ['10.99.200.1'],
        destPort: 22,
        proto: 'tcp',
        evidence: [{ text: `evidence line for alert ${j}` }],
        suggestedResponse: j % 5 === 0 ? 'quarantine' : 'monitor',
      };
      store.alerts.insert(a);
      // folded into incidents as the pipeline does (the write is the store's own, synchronous here)
      tracker.onAlert(a);
    }
    tracker.finish(endUs, false);
    const mac0 = seedMac(0);
    for (let k = 1; k <= (o.flows ?? 40); k++) {
      const f = makeFlow(k, endUs - k * 1_000_000, 1);
      store.flows.insert({ ...f, srcMac: mac0, tlsSni: k % 4 === 0 ? 'updates.example.org' : null });
    }
    store.flows.commitRollups();
    store.registry.startScan('10.99.0.0', mac0, endUs - 3_600_000_000);
    const scan = store.registry.scans({ mac: mac0, limit: 1 })[0]!;
    store.registry.finishScan(scan.id, endUs - 3_500_000_000, 'done', [{ port: 23, proto: 'tcp', service: 'telnet' }], [{ id: 'telnet-open', severity: 2, text: 'Telnet is open' }], 60);
    store.registry.putModel({ id: 'default-2026-01-01', name: 'default', createdUs: T0_US, featureSchema: 1, threshold: 0.5, path: 'models/default', metrics: { flows: 1000, loss: 0.0123 }, active: true });
    if (o.devices > 2) {
      store.actions.create({ tsUs: endUs - 1000, kind: 'quarantine', state: 'pending', mac: seedMac(2), ip: null, reason: 'seeded: awaiting approval', alertId: null, actor: 'system', expiresUs: null, dryRun: true });
    }
  })();
  return endUs;
}

/** Creates a user directly in the store (the setup page is tested by the server's own tests). */
export async function createUser(store: Store, username: string, password: string, role: 'admin' | 'viewer' = 'admin'): Promise<number> {
  return store.auth.createUser(username, await hashPassword(password), role, Date.now() * 1000);
}

export { TRUST_LEVELS };
