import t, { type Test } from 'tap';
import { join } from 'node:path';
import { Bus } from '../bus.js';
import { loadConfig } from '../config.js';
import type { Alert } from '../detectors/alert.js';
import { Store } from '../store/db.js';
import type { TrustChange, TrustLevel } from '../trust/types.js';
import { ALLOW_LIST_SETTING } from './allow-list.js';
import { DryRunFirewall, KernelFirewall, type CommandRunner } from './firewall.js';
import { RecordingRunner } from './firewall-exec.js';
import { Policy, type ResponseNotice } from './policy.js';
import type { ActionEvent } from './types.js';

const T0 = 1_800_000_000_000_000; // µs, packet time
const S = 1_000_000;
const A = '02:99:00:00:00:0a';
const B = '02:99:00:00:00:0b';
const C = '02:99:00:00:00:0c';

function change(mac: string, previousLevel: TrustLevel, level: TrustLevel, tsUs: number, ip: string | null = '10.99.0.10'): TrustChange {
  const score = { normal: 90, warning: 60, alert: 30, critical: 10 }[level];
  return { tsUs, mac, ip, score, behavioral: score, vulnerability: 100, reputation: 100, level, previousLevel, explanation: [{ factor: 'behavioral', delta: -40, text: 'port scan of 43 hosts' }] };
}

function blocklistAlert(targets: string[], tsUs: number, suggestedResponse: Alert['suggestedResponse'] = 'block'): Alert {
  return {
    id: `intel.blocklist:${targets.join(',')}:${tsUs}`,
    tsUs,
    kind: 'intel.blocklist',
    signature: `Contact with listed host ${targets.join(', ')}`,
    severity: 1,
    confidence: 0.9,
    srcIp: '10.99.0.10',
    srcMac: A,
    targets,
    destPort: 443,
    proto: 'TCP',
    evidence: [{ text: 'feodo: listed' }],
    suggestedResponse,
  };
}

interface Rig {
  store: Store;
  bus: Bus;
  fw: DryRunFirewall;
  policy: Policy;
  events: ActionEvent[];
  notices: ResponseNotice[];
  /** the clock manual requests use */
  clock: { now: number };
  path: string;
  /** ipset scripts recorded since the last call */
  ipset(): string[];
}

function rig(t: Test, flags: Record<string, string> = {}, path?: string): Rig {
  const dbPath = path ?? join(t.testdir(), 'argus-edge.db');
  const store = Store.open({ path: dbPath, log: () => {} });
  t.teardown(() => store.close());
  const bus = new Bus(() => {});
  const config = loadConfig({ flags: { mode: 'inline', 'response.firewall': 'dry-run', ...flags } });
  const fw = new DryRunFirewall({ chain: config.response.chain });
  const clock = { now: T0 };
  const policy = new Policy(bus, store, fw, config, { nowUs: () => clock.now });
  t.teardown(() => policy.stop());
  const events: ActionEvent[] = [];
  const notices: ResponseNotice[] = [];
  bus.on('action', (e) => events.push(e));
  bus.on('respond.notice', (n) => notices.push(n));
  policy.start(T0);
  let seen = fw.recorder.total;
  const ipset = () => {
    const fresh = fw.commands.slice(fw.commands.length - (fw.recorder.total - seen));
    seen = fw.recorder.total;
    return fresh.filter((c) => c.cmd === 'ipset' && c.args[1] === 'restore').map((c) => c.input!.trim());
  };
  ipset();
  return { store, bus, fw, policy, events, notices, clock, path: dbPath, ipset };
}

t.test('graduated response to falling trust', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true', 'response.rateLimitOnAlert': 'true' });
  r.bus.emit('trust.change', change(A, 'normal', 'warning', T0 + 1 * S));
  t.same(r.events, [], 'warning: no action');
  t.same(r.notices.map((n) => n.kind), ['warning']);
  t.equal(r.store.actions.auditLog({ actionPrefix: 'respond.record' })[0]?.target, A, 'warning recorded in the audit log');

  r.bus.emit('trust.change', change(A, 'warning', 'alert', T0 + 2 * S));
  t.same(r.notices.map((n) => n.kind), ['warning', 'alert'], 'alert: notified');
  t.equal(r.events.length, 1);
  const rl = r.events[0]!.action;
  t.match(rl, { kind: 'rate-limit', state: 'active', mac: A, ip: '10.99.0.10', actor: 'system', dryRun: true, expiresUs: T0 + 2 * S + 3600 * S });
  t.same(r.ipset(), ['add argus-edge-rl4 10.99.0.10 timeout 3600']);

  r.bus.emit('trust.change', change(A, 'alert', 'critical', T0 + 3 * S));
  t.equal(r.events.length, 2);
  t.match(r.events[1], { verb: 'action.create', action: { kind: 'quarantine', state: 'active', mac: A, expiresUs: T0 + 3 * S + 3600 * S } });
  t.same(r.ipset(), [`add argus-edge-mac ${A} timeout 3600\nadd argus-edge-q4 10.99.0.10 timeout 3600`]);
  t.match(r.store.actions.auditLog({ actionPrefix: 'action.create' })[0], { actor: 'system', target: A, reason: /trust alert → critical \(score 10\): port scan of 43 hosts/ });

  r.bus.emit('trust.change', change(A, 'critical', 'critical', T0 + 4 * S));
  r.bus.emit('trust.change', change(A, 'critical', 'alert', T0 + 5 * S));
  t.equal(r.events.length, 2, 'no new action without a new fall');
  r.bus.emit('trust.change', change(A, 'alert', 'critical', T0 + 6 * S));
  t.equal(r.events.length, 2, 'a device already in quarantine is not quarantined twice');
  t.match(r.notices[r.notices.length - 1], { kind: 'skipped', reason: /already active: action 2/ });

  r.bus.emit('trust.change', change(B, 'warning', 'alert', T0 + 7 * S, null));
  t.match(r.notices[r.notices.length - 1], { kind: 'skipped', reason: /no address known/ });
});

t.test('switches off: critical only notifies', async (t) => {
  const r = rig(t);
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
  r.bus.emit('trust.change', change(B, 'normal', 'alert', T0 + S));
  t.same(r.events, []);
  t.same(r.notices.map((n) => n.kind), ['critical', 'alert']);
  t.same(r.ipset(), []);
});

t.test('the allow-list and protected hosts always win', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true', 'response.allowList': `${A},10.99.1.0/24,fd00:99::77` });
  r.policy.protect('10.99.0.1', 'gateway');
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S, '10.99.0.50'));
  r.bus.emit('trust.change', change(B, 'normal', 'critical', T0 + S, '10.99.1.20'));
  r.bus.emit('trust.change', change(C, 'normal', 'critical', T0 + S, '10.99.0.1'));
  r.bus.emit('trust.change', change('02:99:00:00:00:0d', 'normal', 'critical', T0 + S, 'fd00:99::77'));
  t.same(r.events, [], 'nothing on the allow-list or protected is acted on');
  t.equal(r.notices.filter((n) => n.kind === 'skipped').length, 4);
  t.match(r.notices.find((n) => n.mac === C && n.kind === 'skipped'), { reason: /protected \(gateway\)/ });
  t.equal(r.store.actions.auditLog({ actionPrefix: 'respond.skip' }).length, 4, 'every skip is audited');
  t.same(r.ipset(), []);

  t.match(r.policy.quarantine(A, 'admin', 'by hand'), { ok: false, error: /exempt.*allow-list entry 02:99:00:00:00:0a \(config\)/ });
  t.match(r.policy.block('10.99.0.0/16', 'admin', 'by hand'), { ok: false, error: /exempt/ }, 'a block covering a protected address is refused');
  t.match(r.policy.block('fd00:99::77', 'admin', 'by hand'), { ok: false });
  t.match(r.policy.quarantine('nonsense', 'admin', 'x'), { ok: false, error: /not a MAC address/ });

  // a run-time addition releases what is in force, and survives a restart
  const e = r.policy.quarantine('02:99:00:00:00:0e', 'admin', 'by hand');
  t.ok(e.ok);
  t.same(r.ipset(), ['add argus-edge-mac 02:99:00:00:00:0e timeout 3600']);
  t.match(r.policy.allowList('02:99:00:00:00:0E', 'admin', 'the printer'), { ok: true });
  t.match(r.store.actions.get(e.ok ? e.action!.id : 0), { state: 'released' });
  t.same(r.ipset(), ['del argus-edge-mac 02:99:00:00:00:0e']);
  t.match(r.policy.allowList('02:99:00:00:00:0e', 'admin'), { ok: false, error: /already on the allow-list/ });
  t.match(r.policy.allowList('10.0.0.1; reboot', 'admin'), { ok: false, error: /not a MAC address, IP address or CIDR prefix/ });
  t.match(r.store.registry.setting(ALLOW_LIST_SETTING), [{ entry: '02:99:00:00:00:0e', actor: 'admin', reason: 'the printer' }]);
  t.same(
    r.policy.allowListEntries().map((x) => `${x.entry}/${x.source}`),
    [`${A}/config`, '10.99.1.0/24/config', 'fd00:99::77/config', '02:99:00:00:00:0e/runtime'],
  );
  const again = rig(t, { 'response.autoQuarantine': 'true' }, r.path);
  t.match(again.policy.quarantine('02:99:00:00:00:0e', 'admin', 'x'), { ok: false, error: /added by admin/ }, 'run-time entries persist');
  t.match(again.policy.removeAllowListEntry('02:99:00:00:00:0e', 'admin'), { ok: true });
  t.match(again.policy.removeAllowListEntry('10.99.1.0/24', 'admin'), { ok: false });
  t.ok(again.policy.quarantine('02:99:00:00:00:0e', 'admin', 'x').ok);
  t.equal(r.store.actions.auditLog({ actionPrefix: 'allowlist.' }).length, 2);
});

t.test('approval mode: actions wait as pending until approved or denied', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true', 'response.requireApproval': 'true' });
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
  r.bus.emit('trust.change', change(B, 'normal', 'critical', T0 + S, '10.99.0.11'));
  t.same(r.events.map((e) => [e.action.mac, e.action.state, e.verb]), [[A, 'pending', 'action.create'], [B, 'pending', 'action.create']]);
  t.same(r.ipset(), [], 'nothing enforced while pending');
  const [pa, pb] = r.events.map((e) => e.action.id);

  r.clock.now = T0 + 600 * S;
  const ok = r.policy.approve(pa!, 'admin');
  t.match(ok, { ok: true, action: { state: 'active', expiresUs: T0 + 600 * S + 3600 * S } }, 'the duration starts at approval');
  t.same(r.ipset(), [`add argus-edge-mac ${A} timeout 3600\nadd argus-edge-q4 10.99.0.10 timeout 3600`]);
  t.match(r.policy.deny(pb!, 'admin', 'false positive'), { ok: true, action: { state: 'denied' } });
  t.same(r.ipset(), [], 'a denied action is never enforced');
  t.match(r.policy.approve(pb!, 'admin'), { ok: false, error: /is denied, not pending/ });
  t.match(r.policy.approve(pa!, 'admin'), { ok: false, error: /is active, not pending/ });
  t.match(r.policy.approve(999, 'admin'), { ok: false, error: /no action 999/ });
  t.same(r.events.slice(2).map((e) => e.verb), ['action.approve', 'action.deny']);
  t.match(r.store.actions.auditLog({ actor: 'admin' }).map((a) => a.action), ['action.deny', 'action.approve']);

  // a manual request is the admin's own decision: no approval step
  t.match(r.policy.quarantine(C, 'admin', 'by hand'), { ok: true, action: { state: 'active', actor: 'admin' } });
  // a pending one can be released too
  r.bus.emit('trust.change', change('02:99:00:00:00:0d', 'normal', 'critical', T0 + 700 * S, '10.99.0.13'));
  const pd = r.events[r.events.length - 1]!.action;
  t.equal(pd.state, 'pending');
  t.match(r.policy.release(pd.id, 'admin'), { ok: true, action: { state: 'released' } });
});

t.test('quarantines expire in packet time', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true', 'response.quarantineSeconds': '600' });
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
  const id = r.events[0]!.action.id;
  r.ipset();
  r.policy.tick(T0 + S + 599 * S);
  t.equal(r.store.actions.get(id)!.state, 'active');
  t.same(r.ipset(), []);
  r.policy.tick(T0 + S + 600 * S);
  t.equal(r.store.actions.get(id)!.state, 'expired');
  t.same(r.ipset(), [`del argus-edge-mac ${A}\ndel argus-edge-q4 10.99.0.10`]);
  t.match(r.events[r.events.length - 1], { verb: 'action.expire', tsUs: T0 + 601 * S, action: { state: 'expired' } });
  t.equal(r.store.actions.auditLog({ actionPrefix: 'action.expire' }).length, 1);
  t.match(r.policy.release(id, 'admin'), { ok: false, error: /is expired/ });
});

t.test('a manual quarantine may name its own duration, within maxQuarantineSeconds', async (t) => {
  const r = rig(t, { 'response.quarantineSeconds': '600', 'response.maxQuarantineSeconds': '3600' });
  const res = r.policy.quarantine(A, 'admin', 'an hour', { seconds: 3600 });
  if (!res.ok) throw new Error(res.error);
  t.equal((res.action!.expiresUs! - res.action!.createdUs) / S, 3600);
  t.match(r.policy.quarantine(B, 'admin', 'too long', { seconds: 3601 }), { ok: false, error: /from 1 to 3600/ });
  t.match(r.policy.quarantine(B, 'admin', 'nonsense', { seconds: 1.5 }), { ok: false, error: /whole number/ });
  const plain = r.policy.quarantine(B, 'admin', 'default');
  if (!plain.ok) throw new Error(plain.error);
  t.equal((plain.action!.expiresUs! - plain.action!.createdUs) / S, 600, 'without seconds: response.quarantineSeconds');
});

t.test('repeat offenders: duration × factor^(earlier quarantines in the window), capped', async (t) => {
  const r = rig(t, { 'response.quarantineSeconds': '100', 'response.escalationFactor': '3', 'response.escalationWindowHours': '1', 'response.maxQuarantineSeconds': '500' });
  const durations: number[] = [];
  const once = (atS: number) => {
    r.clock.now = T0 + atS * S;
    const res = r.policy.quarantine(A, 'admin', 'again');
    if (!res.ok) throw new Error(res.error);
    durations.push((res.action!.expiresUs! - res.action!.createdUs) / S);
    r.policy.release(res.action!.id, 'admin');
  };
  once(0);
  once(10);
  once(20);
  once(30);
  t.same(durations, [100, 300, 500, 500], '100, ×3, ×9 capped at 500');
  once(3600 + 25); // only the one at 30 s is still inside the one-hour window
  t.same(durations.slice(4), [300]);
  once(2 * 3600 + 100);
  t.same(durations.slice(5), [100]);
  // denied proposals do not count
  const d = rig(t, { 'response.autoQuarantine': 'true', 'response.requireApproval': 'true', 'response.quarantineSeconds': '100' });
  d.bus.emit('trust.change', change(B, 'normal', 'critical', T0 + S));
  d.policy.deny(d.events[0]!.action.id, 'admin');
  d.clock.now = T0 + 2 * S;
  const q = d.policy.quarantine(B, 'admin', 'x');
  t.equal(q.ok && (q.action!.expiresUs! - q.action!.createdUs) / S, 100, 'a denied proposal is no offence');
  // nor is a new-device hold
  const h = rig(t, { 'response.newDevice': 'quarantine', 'response.quarantineSeconds': '100' });
  h.bus.emit('device.new', { tsUs: T0 + S, mac: C, ips: [], hostname: null, vendor: null, randomMac: false });
  h.policy.release(h.events[0]!.action.id, 'admin', 'approved');
  h.clock.now = T0 + 2 * S;
  const hq = h.policy.quarantine(C, 'admin', 'x');
  t.equal(hq.ok && (hq.action!.expiresUs! - hq.action!.createdUs) / S, 100, 'a new-device hold is no offence');
});

t.test('new devices: held in quarantine until an admin releases them', async (t) => {
  const r = rig(t, { 'response.newDevice': 'quarantine', 'response.requireApproval': 'true', 'response.allowList': C });
  r.bus.emit('device.new', { tsUs: T0 + S, mac: A, ips: ['10.99.0.10'], hostname: 'cam', vendor: 'Acme', randomMac: false });
  r.bus.emit('device.new', { tsUs: T0 + S, mac: C, ips: ['10.99.0.12'], hostname: null, vendor: null, randomMac: false });
  t.equal(r.events.length, 1, 'the allow-listed device is not held');
  const hold = r.events[0]!.action;
  t.match(hold, { kind: 'quarantine', state: 'active', mac: A, expiresUs: null, reason: /new device 02:99:00:00:00:0a \(Acme, cam\): held/ });
  t.same(r.ipset(), [`add argus-edge-mac ${A} timeout 0\nadd argus-edge-q4 10.99.0.10 timeout 0`], 'no kernel timeout either');
  r.policy.tick(T0 + 365 * 86400 * S);
  t.equal(r.store.actions.get(hold.id)!.state, 'active', 'a hold never expires');
  t.match(r.policy.release(hold.id, 'admin', 'approved'), { ok: true, action: { state: 'released' } });
  t.same(r.ipset(), [`del argus-edge-mac ${A}\ndel argus-edge-q4 10.99.0.10`]);
  t.match(r.store.actions.auditLog({ actor: 'admin' })[0], { action: 'action.release', reason: 'approved', target: A });

  r.bus.emit('device.new', { tsUs: T0 + 2 * S, mac: B, ips: [], hostname: null, vendor: null, randomMac: false });
  const holdB = r.events[r.events.length - 1]!.action;
  t.match(r.policy.approve(holdB.id, 'admin'), { ok: true, action: { state: 'released' } }, 'approving a hold approves the device');
  t.match(r.store.actions.auditLog({ actor: 'admin' })[0], { action: 'action.release', reason: 'device approved', target: B });

  const alertOnly = rig(t, { 'response.newDevice': 'alert' });
  alertOnly.bus.emit('device.new', { tsUs: T0 + S, mac: B, ips: [], hostname: null, vendor: null, randomMac: true });
  t.same(alertOnly.events, []);
  t.match(alertOnly.notices, [{ kind: 'new-device', mac: B, reason: 'new device 02:99:00:00:00:0b' }]);
  const allow = rig(t);
  allow.bus.emit('device.new', { tsUs: T0 + S, mac: B, ips: [], hostname: null, vendor: null, randomMac: true });
  t.same([allow.events, allow.notices], [[], []]);
});

t.test('bad-reputation hosts are blocked: addresses and prefixes, IPv4 and IPv6', async (t) => {
  const r = rig(t, { 'response.blockBadReputation': 'true', homeNets: '10.99.0.0/16,fd00:99::/48' });
  r.bus.emit('alert', blocklistAlert(['203.0.113.7'], T0 + S));
  r.bus.emit('alert', blocklistAlert(['2001:db8:bad::/48'], T0 + S));
  r.bus.emit('alert', blocklistAlert(['evil.example', '203.0.113.8'], T0 + S));
  r.bus.emit('alert', blocklistAlert(['10.99.0.5'], T0 + S));
  r.bus.emit('alert', blocklistAlert(['198.51.100.9'], T0 + S, 'monitor'));
  r.bus.emit('alert', { ...blocklistAlert(['198.51.100.10'], T0 + S), kind: 'c2.beacon' });
  t.same(r.events.map((e) => [e.action.kind, e.action.ip, e.action.alertId !== null, e.action.expiresUs]), [
    ['block', '203.0.113.7', true, T0 + S + 86400 * S],
    ['block', '2001:db8:bad::/48', true, T0 + S + 86400 * S],
  ]);
  t.same(r.ipset(), ['add argus-edge-b4 203.0.113.7 timeout 86400', 'add argus-edge-b6 2001:db8:bad::/48 timeout 86400']);
  r.bus.emit('alert', blocklistAlert(['203.0.113.7'], T0 + 2 * S));
  t.equal(r.events.length, 2, 'a block in force is not added twice');
  t.match(r.policy.block('198.51.100.0/24', 'admin', 'by hand'), { ok: true, action: { ip: '198.51.100.0/24', actor: 'admin' } });
  t.match(r.policy.block('0.0.0.0/0', 'admin', 'everything'), { ok: false, error: /refusing to block every address/ });
  t.match(r.policy.block('198.51.100.1/24', 'admin', 'typo'), { ok: false, error: /not an IP address or CIDR prefix/ });
  t.same(r.ipset(), ['add argus-edge-b4 198.51.100.0/24 timeout 86400']);
  const off = rig(t);
  off.bus.emit('alert', blocklistAlert(['203.0.113.7'], T0 + S));
  t.same(off.events, [], 'off by default');
});

t.test('a quarantine covers the device\'s own addresses, never one it spoofed or a protected one', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true' });
  const d = r.store.devices;
  for (const [mac, ip, at] of [
    [A, '10.99.0.10', T0],
    [A, 'fd00:99::a', T0],
    [A, '10.99.0.20', T0 - 30 * 86400 * S], // a month old: no longer its address
    [A, '10.99.0.11', T0 - S], // claimed by A, then B used it
    [B, '10.99.0.11', T0],
    [A, '10.99.0.1', T0], // the gateway's address, claimed by A's ARP replies
  ] as const) {
    d.upsert({ mac, tsUs: at });
    d.addAddress(mac, ip, at, 'arp');
  }
  r.policy.protect('10.99.0.1', 'gateway');
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
  t.same(r.ipset(), [`add argus-edge-mac ${A} timeout 3600\nadd argus-edge-q4 10.99.0.10 timeout 3600\nadd argus-edge-q6 fd00:99::a timeout 3600`]);
});

t.test('start-up reconciles the firewall with the store', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true', 'response.quarantineSeconds': '600', 'response.newDevice': 'quarantine' });
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
  r.clock.now = T0 + 300 * S;
  t.ok(r.policy.block('203.0.113.0/24', 'admin', 'x').ok);
  r.bus.emit('device.new', { tsUs: T0 + 2 * S, mac: C, ips: ['10.99.0.12'], hostname: null, vendor: null, randomMac: false });
  r.policy.stop();

  // "restart" at T0 + 700 s: the quarantine (till T0 + 601 s) expired meanwhile; the block and the hold stay
  const again = rig(t, { 'response.autoQuarantine': 'true' }, r.path);
  const sync = again.fw.commands.find((c) => c.cmd === 'ipset' && c.input?.startsWith('flush'));
  t.ok(sync, 'the sets were refilled');
  t.same(again.store.actions.query({ state: 'active' }).map((a) => a.kind).sort(), ['block', 'quarantine', 'quarantine'], 'nothing is due yet at T0');
  // the rig starts at T0, so nothing has expired yet: start a third one later
  const later = new Policy(again.bus, again.store, new DryRunFirewall(), loadConfig({ flags: { mode: 'inline', 'response.firewall': 'dry-run' } }));
  later.start(T0 + 700 * S);
  const fw = (later.firewall as DryRunFirewall).commands.find((c) => c.input?.startsWith('flush'))!;
  t.match(fw.input, /add argus-edge-b4 203\.0\.113\.0\/24 timeout 86000\n/, 'the block re-applied with its remaining time');
  t.match(fw.input, new RegExp(`add argus-edge-mac ${C} timeout 0\n`), 'the hold re-applied');
  t.notMatch(fw.input, new RegExp(A), 'the expired quarantine is not');
  t.equal(again.store.actions.query({ mac: A })[0]!.state, 'expired');
  t.match(again.store.actions.auditLog({ actionPrefix: 'respond.reconcile' })[0], { detail: { reapplied: 2, expired: 1 } });
  later.stop();
});

t.test('pending plus active actions are capped', async (t) => {
  const r = rig(t, { 'response.newDevice': 'quarantine', 'response.maxActiveActions': '2' });
  for (let i = 0; i < 250; i++) {
    const mac = `02:aa:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    r.bus.emit('device.new', { tsUs: T0 + i, mac, ips: [], hostname: null, vendor: null, randomMac: true });
  }
  t.equal(r.events.length, 2);
  t.equal(r.policy.stats.refusedAtCap, 248);
  t.equal(r.store.actions.auditLog({ actionPrefix: 'respond.skip' }).length, 3, 'the first refusal and every 100th are audited');
  t.ok(r.policy.quarantine(A, 'admin', 'manual requests are not capped').ok);
});

/** A runner that fails the test if anything is run. */
function tripwire(t: Test): CommandRunner {
  return {
    run(cmd, args) {
      t.fail(`ran ${cmd} ${args.join(' ')}`);
      return { code: 1, stdout: '', stderr: 'tripwire' };
    },
  };
}

t.test('passive and replay never touch a real firewall', async (t) => {
  for (const mode of ['passive', 'replay']) {
    const store = Store.open({ path: join(t.testdir(), `${mode}.db`), log: () => {} });
    t.teardown(() => store.close());
    const bus = new Bus(() => {});
    const config = loadConfig({ flags: { mode, 'response.autoQuarantine': 'true', 'response.newDevice': 'quarantine', 'response.blockBadReputation': 'true' } });
    const policy = new Policy(bus, store, new KernelFirewall({ runner: tripwire(t) }), config);
    t.ok(policy.dryRun, `${mode}: dry run`);
    policy.start(T0);
    bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
    bus.emit('device.new', { tsUs: T0 + S, mac: B, ips: [], hostname: null, vendor: null, randomMac: false });
    bus.emit('alert', blocklistAlert(['203.0.113.7'], T0 + S));
    policy.tick(T0 + 86400 * S * 2);
    t.same(store.actions.query().map((a) => [a.kind, a.dryRun]).sort(), [['block', true], ['quarantine', true], ['quarantine', true]], `${mode}: recorded as dry runs`);
    t.ok((policy.firewall as DryRunFirewall).commands.length > 0, 'the commands were recorded');
    policy.stop();
  }
});

t.test('a pending action nobody decides on expires after response.pendingExpirySeconds, never enforced', async (t) => {
  const r = rig(t, { 'response.autoQuarantine': 'true', 'response.requireApproval': 'true', 'response.pendingExpirySeconds': '600' });
  r.bus.emit('trust.change', change(A, 'normal', 'critical', T0 + S));
  const id = r.events[0]!.action.id;
  r.store.flush();
  r.policy.tick(T0 + 590 * S);
  t.equal(r.store.actions.get(id)?.state, 'pending', 'still pending before the expiry');
  r.policy.tick(T0 + 602 * S);
  t.equal(r.store.actions.get(id)?.state, 'expired');
  t.same(r.ipset(), [], 'never enforced');
  t.same(r.events.map((e) => e.verb), ['action.create', 'action.expire']);
  t.match(r.store.actions.auditLog({ actor: 'system', actionPrefix: 'action.expire' })[0]?.reason, /not approved within 600 s/);
  t.match(r.policy.approve(id, 'admin'), { ok: false, error: /is expired, not pending/ });
});

t.test('stops(): what the firewall enforces now, for EVE alert.action', async (t) => {
  const store = Store.open({ path: join(t.testdir(), 'stops.db'), log: () => {} });
  t.teardown(() => store.close());
  const bus = new Bus(() => {});
  // a kernel firewall whose commands succeed without running (no root needed): enforced, not a dry run
  const policy = new Policy(bus, store, new KernelFirewall({ runner: new RecordingRunner(), probe: false }), loadConfig({ flags: { mode: 'inline' } }), { nowUs: () => T0 + S });
  t.teardown(() => policy.stop());
  policy.start(T0);
  t.notOk(policy.dryRun);
  t.notOk(policy.stops(A, '10.99.0.10'), 'nothing enforced yet');
  const q = policy.quarantine(A, 'admin', 'test');
  t.ok(q.ok);
  t.ok(policy.stops(A, '10.99.0.10'), 'the quarantined device is stopped');
  t.notOk(policy.stops(B, '10.99.0.11'), 'another device is not');
  t.ok(policy.release(store.actions.query({ state: 'active', mac: A })[0]!.id, 'admin').ok);
  t.notOk(policy.stops(A, '10.99.0.10'), 'released: allowed again');
  t.ok(policy.block('203.0.113.7', 'admin', 'test').ok);
  t.ok(policy.stops(B, '10.99.0.11', ['203.0.113.7']), 'traffic to a blocked target is stopped');
  t.ok(policy.stops(null, '203.0.113.7'), 'and traffic from it');

  // the same quarantine under a dry run stops nothing
  const r = rig(t);
  t.ok(r.policy.quarantine(A, 'admin', 'test').ok);
  t.notOk(r.policy.stops(A, '10.99.0.10'), 'a dry run blocks nothing');
});
