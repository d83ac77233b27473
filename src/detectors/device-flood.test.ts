import t from 'tap';
import type { Alert } from './alert.js';
import { resolveDetectorConfig } from './config.js';
import { DeviceFloodDetector } from './device-flood.js';

const T0 = 1_750_000_000_000_000;
const mac = (i: number): string => `02:ee:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

function setup(raise = true) {
  const alerts: Alert[] = [];
  const cfg = resolveDetectorConfig({ deviceFlood: { windowSeconds: 60, minNewDevices: 100, sampleSize: 20 } });
  return { alerts, d: new DeviceFloodDetector(cfg, (a) => alerts.push(a), raise) };
}

t.test('new devices at a normal pace are all admitted and raise nothing', async (t) => {
  const { alerts, d } = setup();
  // 99 new devices per minute, for an hour: a busy first start, never a flood
  let admitted = 0;
  for (let i = 0; i < 99 * 60; i++) if (d.admitNew(T0 + Math.floor((i * 60e6) / 99), mac(i), 'eth0')) admitted++;
  t.equal(admitted, 99 * 60);
  t.equal(alerts.length, 0);
  t.equal(d.active, false);
});

t.test('a flood admits the window that started it plus its sample, counts the rest, and is one story in a few alerts', async (t) => {
  const { alerts, d } = setup();
  const N = 100_000;
  let admitted = 0;
  // 100,000 new MACs in 50 s on VLAN 10
  for (let i = 0; i < N; i++) if (d.admitNew(T0 + i * 500, mac(i), 'eth0 VLAN 10')) admitted++;
  t.equal(d.active, true);
  t.equal(admitted, 99 + 20, 'the 99 before the threshold, then the sample of 20');
  t.equal(d.unstored, N - admitted);
  t.ok(alerts.length >= 1 && alerts.length <= 5, `${alerts.length} alerts while it lasts`);
  t.match(alerts[0]!.signature, /^Device flood: 100 new MAC addresses in \d+ s on eth0 VLAN 10$/);
  t.same(alerts[0]!.targets, ['eth0 VLAN 10']);
  t.equal(alerts[0]!.kind, 'flood.devices');
  t.equal(alerts[0]!.severity, 1);
  // quiet: the flood ends after the window with its total
  d.tick(T0 + N * 500 + 30e6);
  t.equal(d.active, true, 'still on half a window later... (the window still holds the end of the flood)');
  d.tick(T0 + N * 500 + 61e6);
  t.equal(d.active, false, 'over after a quiet window');
  const last = alerts[alerts.length - 1]!;
  t.match(last.signature, /^Device flood ended: 100,000 new MAC addresses in 50 s on eth0 VLAN 10$/);
  t.ok(new Set(alerts.map((a) => a.targets[0])).size === 1, 'one target: the incident tracker folds them into one incident');
  // a second flood later is a new one
  for (let i = 0; i < 200; i++) d.admitNew(T0 + 3600e6 + i * 1000, mac(N + i), 'eth0 VLAN 10');
  t.equal(d.floods, 2);
});

t.test('with the detectors off the gate still counts and bounds, silently', async (t) => {
  const { alerts, d } = setup(false);
  let admitted = 0;
  for (let i = 0; i < 10_000; i++) if (d.admitNew(T0 + i * 100, mac(i), 'eth0')) admitted++;
  t.equal(admitted, 119);
  t.equal(alerts.length, 0);
});
