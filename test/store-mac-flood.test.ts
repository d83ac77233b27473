/**
 * The MAC flood acceptance test: 1,000,000 ARP senders, and 1,000,000 DHCP clients (ARGUS_FLOOD_MACS to
 * change the number), each from a MAC never seen before, replayed through the real appliance
 * (`argus-edge run --mode replay`, a child process) onto a store that a real run filled first, with a small
 * cap (store.maxSizeMB 50) and a small device cap (store.maxDevices 100).
 *
 * The store is seeded as the product fills it: an admin created with `setUserPassword` (audited), then the
 * demo capture replayed through the appliance — its port scan, LAN sweep, ARP scan and beacon raise alerts
 * and incidents, the trust scores of the two devices behind them fall (trust history), the response policy
 * audits its start and its notices. The flood must leave every one of those rows as it was, keep the
 * devices established before it, store no more than store.maxDevices devices, stay inside the file cap,
 * raise one flood.devices incident naming the number of MACs, and export on /metrics exactly the evictions
 * the store made (what was stored minus what is left).
 */
import t from 'tap';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultConfig } from '../src/config.js';
import { fmtCount } from '../src/detectors/detector.js';
import { Store } from '../src/store/db.js';
import { setUserPassword } from '../src/web/password.js';
import { DEMO_CAPTURE, startRun } from './support/argus-run.js';
import { writeMacFloodCapture, type EstablishedDevice, type MacFloodKind } from './support/mac-flood-capture.js';

const MACS = Number(process.env.ARGUS_FLOOD_MACS ?? 1_000_000);
if (!Number.isInteger(MACS) || MACS < 1000) throw new Error(`ARGUS_FLOOD_MACS must be a whole number of at least 1000, not ${process.env.ARGUS_FLOOD_MACS}`);
const MAX_SIZE_MB = 50;
const MAX_DEVICES = 100;
const DETECTOR = defaultConfig().detectors.deviceFlood;

const dir = mkdtempSync(join(tmpdir(), 'argus-macflood-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const seedDb = join(dir, 'seed.db');

interface Snapshot {
  alerts: Map<string, string>;
  incidents: Map<string, string>;
  audit: Map<number, string>;
  trust: Map<number, string>;
  devices: Map<string, { first: number; last: number; level: string | null }>;
  addresses: number;
  flows: number;
  lastUs: number;
}

/** Every evidence row as its full content, keyed by id; the devices with their sightings. */
function snapshot(path: string): Snapshot {
  const s = Store.open({ path, log: () => {} });
  try {
    const rows = (sql: string) => s.db.prepare(sql).all() as Record<string, unknown>[];
    const byId = <K>(sql: string, id: string) => new Map(rows(sql).map((r) => [r[id] as K, JSON.stringify(r)]));
    const n = (sql: string) => (s.db.prepare(sql).get() as { n: number }).n;
    return {
      // an incident's rows may change (state, count) only by what happens to it; the flood touches none
      alerts: byId<string>('SELECT * FROM alerts', 'id'),
      incidents: byId<string>('SELECT * FROM incidents', 'id'),
      audit: byId<number>('SELECT * FROM audit_log', 'id'),
      trust: byId<number>('SELECT * FROM trust_history', 'id'),
      devices: new Map(
        (rows('SELECT mac, first_seen_us AS first, last_seen_us AS last, trust_level AS level FROM devices') as { mac: string; first: number; last: number; level: string | null }[]).map((d) => [
          d.mac,
          { first: d.first, last: d.last, level: d.level },
        ]),
      ),
      addresses: n('SELECT count(*) AS n FROM device_addresses'),
      flows: n('SELECT count(*) AS n FROM flows'),
      lastUs: n('SELECT max(end_us) AS n FROM flows'),
    };
  } finally {
    s.close();
  }
}

/** The value of a Prometheus sample (0 when the series is absent: a counter never incremented). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = /^[^{ ]+(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const have = (m[1] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(m[2]);
  }
  return 0;
}

let seed: Snapshot;

t.before(async () => {
  const s = Store.open({ path: seedDb, log: () => {} });
  await setUserPassword(s, { username: 'admin', password: 'mac-flood-test-password', role: 'admin', actor: 'cli', tsUs: 1_768_471_000_000_000 });
  s.close();
  const run = startRun(dir, ['--pcap', DEMO_CAPTURE, '--store', seedDb], { ARGUS_EDGE_STORE_MAXSIZEMB: String(MAX_SIZE_MB), ARGUS_EDGE_STORE_MAXDEVICES: String(MAX_DEVICES) }, 120_000);
  const code = await run.exited;
  if (code !== 0) throw new Error(`the seed run failed (${code}):\n${run.stderr()}`);
  seed = snapshot(seedDb);
});

t.test('the seed run stored what the flood must keep', async (t) => {
  t.ok(seed.alerts.size >= 5, `${seed.alerts.size} alerts`);
  t.ok(seed.incidents.size >= 4, `${seed.incidents.size} incidents`);
  t.ok(seed.audit.size >= 2, `${seed.audit.size} audit entries`);
  t.ok(seed.trust.size >= 2, `${seed.trust.size} trust history rows`);
  t.ok(seed.devices.size >= 5, `${seed.devices.size} devices`);
  t.ok([...seed.devices.values()].some((d) => d.level === 'normal' && d.last > d.first), 'some devices are established with nothing but their sightings to protect them');
  t.ok(seed.flows > 0, `${seed.flows} flows`);
});

/** The seed's devices with an IPv4 address, to go on talking during the flood. */
function established(): EstablishedDevice[] {
  const s = Store.open({ path: seedDb, log: () => {} });
  try {
    return (s.db.prepare("SELECT mac, ip FROM device_addresses WHERE ip LIKE '%.%' GROUP BY mac ORDER BY ip").all() as EstablishedDevice[]).slice(0, 16);
  } finally {
    s.close();
  }
}

for (const kind of ['arp', 'dhcp'] as const satisfies readonly MacFloodKind[]) {
  t.test(`${fmtCount(MACS)} ${kind === 'arp' ? 'ARP senders' : 'DHCP clients'}: the evidence, the established devices and the cap hold`, { timeout: 900_000 }, async (t) => {
    const db = join(dir, `${kind}.db`);
    copyFileSync(seedDb, db);
    if (existsSync(seedDb + '-wal')) copyFileSync(seedDb + '-wal', db + '-wal');
    const g0 = performance.now();
    const cap = writeMacFloodCapture(join(dir, `${kind}.pcap`), { kind, macs: MACS, established: established(), t0Us: seed.lastUs + 20 * 60e6 });
    t.teardown(() => rmSync(cap.path, { force: true }));
    t.comment(`capture: ${fmtCount(cap.packets)} packets (${(statSync(cap.path).size / 1048576).toFixed(0)} MiB) written in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

    // --mode given: the dashboard stays up after the file, for /metrics; bounded below
    const run = startRun(dir, ['--mode', 'replay', '--pcap', cap.path, '--store', db], { ARGUS_EDGE_STORE_MAXSIZEMB: String(MAX_SIZE_MB), ARGUS_EDGE_STORE_MAXDEVICES: String(MAX_DEVICES) });
    t.teardown(() => void run.child.kill('SIGKILL'));
    const r0 = performance.now();
    const deadline = Date.now() + 600_000;
    while (!/replay finished/.test(run.stderr()) && run.child.exitCode === null && Date.now() < deadline) await sleep(100);
    const replaySeconds = (performance.now() - r0) / 1000;
    t.match(run.stderr(), /replay finished/, `the replay finished within 600 s:\n${run.stderr().slice(-3000)}`);
    const url = /dashboard on (http:\/\/\S+) /.exec(run.stderr())?.[1];
    t.ok(url, 'the dashboard is up');
    const rate = /packets\s+([\d,]+) .* in ([\d.]+) s: ([\d,]+) packets\/s/.exec(run.stderr());
    t.comment(`${kind}: ${fmtCount(MACS)} MACs replayed in ${rate?.[2] ?? '?'} s by the appliance's clock (${rate?.[3] ?? '?'} packets/s), ${replaySeconds.toFixed(1)} s from start to the end of the file`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    run.child.kill('SIGTERM');
    t.equal(await run.exited, 0, 'SIGTERM stops it cleanly');

    const after = snapshot(db);
    // every evidence row that existed before is still there, unchanged
    const lost = (before: Map<unknown, string>, now: Map<unknown, string>) => [...before].filter(([id, row]) => now.get(id) !== row).map(([id]) => id);
    t.same(lost(seed.alerts, after.alerts), [], `all ${seed.alerts.size} alerts kept as they were`);
    t.same(lost(seed.incidents, after.incidents), [], `all ${seed.incidents.size} incidents kept as they were`);
    t.same(lost(seed.audit, after.audit), [], `all ${seed.audit.size} audit entries kept`);
    t.same(lost(seed.trust, after.trust), [], `all ${seed.trust.size} trust history rows kept`);
    t.ok(after.flows >= seed.flows, `the seed's ${seed.flows} flows are kept too (${after.flows} now)`);

    // the established devices stay, with their sightings; the flood's devices stay under the cap
    const gone = [...seed.devices.keys()].filter((mac) => !after.devices.has(mac));
    t.same(gone, [], `all ${seed.devices.size} established devices kept`);
    for (const [mac, d] of seed.devices) t.equal(after.devices.get(mac)?.first, d.first, `${mac} keeps its first sighting`);
    t.ok(after.devices.size <= MAX_DEVICES, `${after.devices.size} device rows ≤ store.maxDevices ${MAX_DEVICES}`);
    const floodRows = [...after.devices.keys()].filter((mac) => mac.startsWith('02:f1:')).length;
    t.equal(after.devices.size, seed.devices.size + floodRows, 'every other row is one of the flood MACs');

    // the file and its WAL inside store.maxSizeMB
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    const bytes = size(db) + size(db + '-wal');
    t.ok(bytes <= MAX_SIZE_MB * 1048576, `store ${(bytes / 1048576).toFixed(1)} MiB ≤ ${MAX_SIZE_MB} MiB`);

    // one incident for the whole flood, naming it
    const store = Store.open({ path: db, log: () => {} });
    t.teardown(() => store.close());
    const incidents = store.db.prepare("SELECT id, title, count, evidence FROM incidents WHERE kind = 'flood.devices'").all() as { id: string; title: string; count: number; evidence: string }[];
    t.equal(incidents.length, 1, 'exactly one flood.devices incident');
    const inc = incidents[0]!;
    t.match(inc.title, new RegExp(`^Device flood ended: ${fmtCount(MACS)} new MAC addresses in \\d+ s on the capture$`), `its title names the count: ${inc.title}`);
    const floodAlerts = (store.db.prepare("SELECT count(*) AS n FROM alerts WHERE kind = 'flood.devices'").get() as { n: number }).n;
    t.equal(inc.count, floodAlerts, `its ${floodAlerts} alerts are all in it`);
    t.ok(floodAlerts <= 8, `${floodAlerts} alerts for ${fmtCount(MACS)} new MACs`);
    const newAlerts = after.alerts.size - seed.alerts.size;
    t.ok(newAlerts <= floodAlerts + 2, `${newAlerts} alerts added in all`);
    // the detector tracked the window that started the flood and its sample, and counted the rest
    const tracked = DETECTOR.minNewDevices - 1 + DETECTOR.sampleSize;
    t.match(inc.evidence, new RegExp(`"${fmtCount(tracked)} of them tracked as devices`), `${tracked} of them tracked as devices`);
    t.equal(sample(metrics, 'argus_flood_devices_unstored_total', {}), MACS - tracked, 'the rest counted on /metrics, not stored');

    // /metrics says what the caps deleted: every device the run stored and the store no longer holds
    const stored = seed.devices.size + tracked;
    const evicted = stored - after.devices.size;
    t.ok(evicted > 0, `the device cap had work to do (${stored} devices stored)`);
    const exported = (table: string) => sample(metrics, 'argus_store_evictions_total', { table, reason: 'count' }) + sample(metrics, 'argus_store_evictions_total', { table, reason: 'size' });
    t.equal(exported('devices'), evicted, `argus_store_evictions_total{table="devices"} = ${evicted} evicted`);
    // an ARP sender brings its address; a DHCP DISCOVER none
    const addressesStored = seed.addresses + (kind === 'arp' ? tracked : 0);
    const addressesAfter = (store.db.prepare('SELECT count(*) AS n FROM device_addresses').get() as { n: number }).n;
    t.equal(exported('device_addresses'), addressesStored - addressesAfter, `argus_store_evictions_total{table="device_addresses"} = ${addressesStored - addressesAfter} evicted with their devices`);
    for (const table of ['alerts', 'incidents', 'actions', 'audit_log', 'trust_history']) t.equal(exported(table), 0, `nothing evicted from ${table}`);
    t.same(store.integrityCheck(), ['ok'], 'the store is sound');
  });
}
