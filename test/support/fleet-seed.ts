/**
 * A head's fleet data written the way sensors write it: through the head's real fleet API (src/fleet/head.ts)
 * with real enrolment secrets, real Ed25519 keys and signed requests, on the store the test gives. Three
 * sensors: "attic" and "garage" heartbeat now, "shed" last spoke `staleMs` ago (stale); attic and garage
 * send incidents and device summaries. Deterministic names and contents, so page tests can name what they expect.
 */
import { hashSecret, newSecret } from '../../src/fleet/enrol-token.js';
import { fleetApi } from '../../src/fleet/head.js';
import { newSensorKeys, signedHeaders } from '../../src/fleet/signing.js';
import type { ResultItem, SensorCapabilities, SensorStatus } from '../../src/fleet/types.js';
import type { FleetStore } from '../../src/store/fleet.js';

export interface SeededSensor {
  id: string;
  name: string;
  privateKeyPem: string;
}

export interface FleetClient {
  register(name: string, caps?: Partial<SensorCapabilities>): Promise<SeededSensor>;
  heartbeat(s: SeededSensor, status?: Partial<SensorStatus>): Promise<Response>;
  results(s: SeededSensor, items: ResultItem[]): Promise<Response>;
  /** the head's clock, ms (move it to age heartbeats) */
  clock: { ms: number };
}

export const SEED_CAPS: SensorCapabilities = { mode: 'passive', iface: 'eth0', inline: false, nmap: true, decoys: false, assignments: true, scanScope: ['192.168.1.0/24'] };

export function baseStatus(o: Partial<SensorStatus> = {}): SensorStatus {
  return { mode: 'passive', version: '0.9.0', packetsPerSecond: 1200, packets: 5_000_000, drops: 3, activeFlows: 420, modelId: 'model-20261201', modelState: 'scoring', diskFreeMB: 9000, rssMB: 180, queue: 0, outboxDropped: 0, ...o };
}

/** A client of the head's fleet API on `store`, speaking to it in-process (app.request) with signed requests. */
export function fleetClient(store: FleetStore, startMs = Date.now()): FleetClient {
  const clock = { ms: startMs };
  const { app } = fleetApi({ store, heartbeatSeconds: 30, now: () => clock.ms, log: () => {} });
  const post = async (path: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
    app.request(`https://head.test${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const signed = (s: SeededSensor, path: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    return post(path, body, signedHeaders(s.id, s.privateKeyPem, 'POST', path, body, clock.ms));
  };
  return {
    clock,
    async register(name, caps = {}) {
      const secret = newSecret();
      store.addEnrolToken(hashSecret(secret), name, clock.ms, clock.ms + 3_600_000);
      const keys = newSensorKeys();
      const r = await post('/fleet/v1/register', JSON.stringify({ secret, name, version: '0.9.0', capabilities: { ...SEED_CAPS, ...caps }, publicKey: keys.publicKeyPem }));
      if (r.status !== 200) throw new Error(`register ${name}: HTTP ${r.status} ${await r.text()}`);
      const { id } = (await r.json()) as { id: string };
      return { id, name, privateKeyPem: keys.privateKeyPem };
    },
    heartbeat: (s, status = {}) => signed(s, '/fleet/v1/heartbeat', { status: baseStatus(status) }),
    results: (s, items) => signed(s, '/fleet/v1/results', { items }),
  };
}

export function incidentResult(n: number, o: { kind: string; title: string; severity: string; srcIp: string; srcMac: string; tsUs: number; change?: string }): ResultItem {
  const change = o.change ?? 'open';
  return {
    key: `incident:inc-${n}:${change}:${o.severity}:`,
    kind: 'incident',
    tsUs: o.tsUs,
    body: { change, incident: { id: `inc-${n}`, kind: o.kind, title: o.title, severity: o.severity, state: 'open', count: 3 + n, srcIp: o.srcIp, srcMac: o.srcMac, target: '*', firstUs: o.tsUs - 60_000_000, lastUs: o.tsUs } },
  };
}

export function deviceNew(mac: string, ip: string, hostname: string, vendor: string, tsUs: number): ResultItem {
  return { key: `device:${mac}:new`, kind: 'device', tsUs, body: { change: 'new', mac, ips: [ip], hostname, vendor, randomMac: false, tsUs } };
}

export function deviceTrust(mac: string, ip: string, score: number, level: string, tsUs: number): ResultItem {
  return { key: `device:${mac}:trust:${tsUs}`, kind: 'device', tsUs, body: { change: 'trust', mac, ip, score, level, previousLevel: 'normal', why: 'port scan of 8 hosts' } };
}

export const FLEET_T0_US = 1_767_000_000_000_000;

/** Registers attic, garage and shed; shed's last heartbeat is `staleMs` before now. Returns the sensors by name. */
export async function seedFleet(store: FleetStore, o: { staleMs?: number } = {}): Promise<{ attic: SeededSensor; garage: SeededSensor; shed: SeededSensor; client: FleetClient }> {
  const now = Date.now();
  const client = fleetClient(store, now - (o.staleMs ?? 600_000));
  const shed = await client.register('shed', { decoys: true, assignments: false, scanScope: ['10.3.0.0/24'] });
  await client.heartbeat(shed, { packetsPerSecond: 15, drops: 0, queue: 2 });
  client.clock.ms = now - 7_000;
  const attic = await client.register('attic', { mode: 'inline', inline: true, iface: 'br0', scanScope: ['192.168.1.0/24'] });
  const garage = await client.register('garage', { nmap: false, assignments: false, scanScope: ['192.168.2.0/24'] });
  client.clock.ms = now - 5_000;
  await client.heartbeat(attic, { mode: 'inline', packetsPerSecond: 2345, drops: 17, queue: 4, modelId: 'model-attic-1', version: '0.9.1' });
  await client.heartbeat(garage, { packetsPerSecond: 88, drops: 0, modelId: null, modelState: 'learning' });
  const t = FLEET_T0_US;
  await client.results(attic, [
    incidentResult(1, { kind: 'scan.port.vertical', title: 'Port scan of 203.0.113.5', severity: 'high', srcIp: '192.168.1.30', srcMac: '02:aa:00:00:00:1e', tsUs: t + 1_000_000 }),
    incidentResult(2, { kind: 'dns.tunnel', title: 'Data hidden in DNS names', severity: 'medium', srcIp: '192.168.1.31', srcMac: '02:aa:00:00:00:1f', tsUs: t + 2_000_000 }),
    deviceNew('02:aa:00:00:00:1e', '192.168.1.30', 'garden-cam', 'Espressif Inc.', t),
    deviceNew('02:aa:00:00:00:1f', '192.168.1.31', 'printer', 'Samsung Electronics', t),
    deviceTrust('02:aa:00:00:00:1e', '192.168.1.30', 41, 'alert', t + 1_500_000),
  ]);
  await client.results(garage, [
    incidentResult(3, { kind: 'bruteforce.ssh', title: 'SSH password guessing against 192.168.2.2', severity: 'critical', srcIp: '192.168.2.40', srcMac: '02:bb:00:00:00:28', tsUs: t + 3_000_000 }),
    deviceNew('02:bb:00:00:00:28', '192.168.2.40', 'tv-box', 'Apple, Inc.', t + 10),
  ]);
  client.clock.ms = now;
  return { attic, garage, shed, client };
}
