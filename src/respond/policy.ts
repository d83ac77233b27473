/**
 * The response policy: turns trust changes, new devices and bad-reputation alerts into actions (quarantine,
 * block, rate limit), enforces them through a Firewall, expires them in packet time, and serves the dashboard's
 * manual requests (ActionService) through the same checks and the same audit path.
 *
 * Graduated response to a fall in trust (trust.change, acted on once per fall to a worse level):
 * - warning:  recorded (audit 'respond.record')
 * - alert:    notified (audit 'respond.notify' + bus 'respond.notice'); with response.rateLimitOnAlert, a rate limit
 * - critical: notified; with response.autoQuarantine, a quarantine (enforced in inline mode, a dry run elsewhere)
 * New devices (device.new) follow response.newDevice: allow, alert, or quarantine until an admin releases it.
 * 'intel.blocklist' alerts block their remote addresses/prefixes when response.blockBadReputation is on.
 *
 * Always: the allow-list and protected hosts (allow-list.ts) are never acted on; with response.requireApproval
 * automatic actions wait as 'pending'; quarantines escalate for repeat offenders; pending plus active actions are
 * capped (response.maxActiveActions). Every decision goes to the audit log; every action created or moved emits
 * a bus 'action' event, every other decision a 'respond.notice'.
 *
 * Audit verbs: action.create, action.approve, action.deny, action.release, action.expire, action.fail (the
 * firewall refused), respond.record, respond.notify, respond.skip, respond.reconcile, allowlist.add,
 * allowlist.remove.
 *
 * The store is the truth: start() re-applies active actions to the firewall and expires the overdue ones.
 * Passive and replay modes never touch the firewall: a real backend handed in outside inline mode is replaced
 * by a dry run.
 */
import type { Bus } from '../bus.js';
import type { Alert } from '../detectors/alert.js';
import type { Logger } from '../log.js';
import type { ActionKind, ActionRow, ActionState } from '../store/actions.js';
import type { DeviceEvent, TrustChange } from '../trust/types.js';
import { AllowList } from './allow-list.js';
import { canonicalMac, canonicalPrefix, type Prefix } from './firewall-address.js';
import { validateEntry } from './firewall-kernel.js';
import { DryRunFirewall, type Firewall } from './firewall.js';
import { blocklistTargets, escalatedSeconds, levelToAct, parseHomeNets, trustReason, type NoticeKind, type PolicyConfig } from './policy-rules.js';
import { ActionLedger, type PolicyStore, type Target } from './policy-ledger.js';
import { Enforcer } from './policy-enforcer.js';
import type { ActionResult, ActionService } from './types.js';

export type { PolicyConfig, ResponseNotice, NoticeKind } from './policy-rules.js';
export type { PolicyStore } from './policy-ledger.js';

export interface PolicyOptions {
  log?: Logger;
  /**
   * "Now" for manual requests and start-up, µs (WebDeps.nowUs: packet time in replay, wall time live). Default:
   * the newest packet time the policy has seen, or the wall clock before the first.
   */
  nowUs?: () => number;
}

interface ProposeOpts {
  actor: string;
  reason: string;
  /** automatic (subject to approval mode and the cap) or an admin's request */
  auto: boolean;
  /** new-device hold: no expiry, never pending */
  hold?: boolean;
  /** an admin's own duration for this action (a manual quarantine) */
  seconds?: number;
  alertId?: string | null;
  tsUs: number;
}

export class Policy implements ActionService {
  readonly allow: AllowList;
  readonly firewall: Firewall;
  readonly stats = { decisions: 0, actionsCreated: 0, skipped: 0, refusedAtCap: 0, firewallErrors: 0, expired: 0, reapplied: 0 };
  private readonly home: Prefix[];
  private readonly log: Logger | undefined;
  private readonly clock: (() => number) | undefined;
  private lastUs = 0;
  private nextDueCheckUs = 0;
  private offs: (() => void)[] = [];
  private readonly hands: Enforcer;
  private readonly ledger: ActionLedger;

  constructor(
    private readonly bus: Bus,
    private readonly store: PolicyStore,
    firewall: Firewall,
    private readonly config: PolicyConfig,
    opts: PolicyOptions = {},
  ) {
    this.log = opts.log;
    this.clock = opts.nowUs;
    if (config.mode !== 'inline' && !firewall.dryRun) {
      this.log?.warn(`response: ${config.mode} mode never changes the firewall; recording commands instead (dry run)`);
      firewall = new DryRunFirewall({ chain: config.response.chain, ratePerSecond: config.response.rateLimitPerSecond, log: opts.log });
    }
    this.firewall = firewall;
    this.allow = new AllowList(config.response.allowList, store.registry);
    this.home = parseHomeNets(config.homeNets);
    this.ledger = new ActionLedger(store, this.allow, config.response.escalationWindowHours);
    this.hands = new Enforcer(firewall, store, this.ledger, this.stats, this.log);
  }

  get dryRun(): boolean {
    return this.firewall.dryRun;
  }

  /**
   * Sets the firewall up, reconciles it with the store (active actions re-applied with their remaining time,
   * overdue ones expired) and subscribes to the bus. Throws a FirewallError when the real firewall cannot work.
   */
  start(nowUs: number = this.now()): void {
    this.advance(nowUs);
    this.firewall.setup();
    this.reconcile(nowUs);
    if (this.offs.length > 0) return;
    this.offs = [
      this.bus.on('trust.change', (c) => this.onTrustChange(c)),
      this.bus.on('device.new', (d) => this.onNewDevice(d)),
      this.bus.on('alert', (a) => this.onAlert(a)),
    ];
  }

  /** Unsubscribes. The firewall keeps enforcing; its entries lapse by their kernel timeouts. */
  stop(): void {
    for (const off of this.offs) off();
    this.offs = [];
  }

  /**
   * Advances packet time and expires the actions due by then. Cheap to call per packet: the store is asked at
   * most once per second of packet time (expiry is to the second anyway; the kernel timeouts are in seconds).
   */
  tick(nowUs: number): void {
    this.advance(nowUs);
    if (nowUs < this.nextDueCheckUs) return;
    this.nextDueCheckUs = nowUs + 1_000_000;
    for (const row of this.store.actions.due(nowUs)) this.expire(row, nowUs, true);
    const undecided = nowUs - this.config.response.pendingExpirySeconds * 1e6;
    for (const row of this.store.actions.pendingSince(undecided)) {
      this.finish(row.id, ['pending'], 'expired', 'action.expire', 'system', `not approved within ${this.config.response.pendingExpirySeconds} s (response.pendingExpirySeconds)`, nowUs);
    }
  }

  /**
   * Protects a MAC, address or prefix the appliance depends on (itself, the gateway, DNS servers from DHCP):
   * it is never quarantined, blocked or rate limited. Returns the canonical entry; throws AddressError.
   */
  protect(addr: string, why: string): string {
    return this.allow.protect(addr, why);
  }

  /**
   * Whether the firewall stops this traffic now (EVE alert.action): an enforced quarantine of the device or an
   * enforced block of the source or a target. A dry run stops nothing.
   */
  stops(mac: string | null, ip: string, targets: readonly string[] = []): boolean {
    return !this.firewall.dryRun && this.ledger.enforcedAgainst(mac, ip, targets);
  }

  // ── trust, new devices, alerts ────────────────────────────────────────────────────────────────────────────

  private onTrustChange(c: TrustChange): void {
    this.advance(c.tsUs);
    const level = levelToAct(c);
    if (level === null) return;
    this.stats.decisions++;
    const reason = trustReason(c);
    const r = this.config.response;
    if (level === 'warning') {
      this.notice(c.tsUs, 'warning', 'respond.record', c.mac, c.ip, reason);
      return;
    }
    this.notice(c.tsUs, level, 'respond.notify', c.mac, c.ip, reason);
    if (level === 'alert' && r.rateLimitOnAlert) {
      if (c.ip === null) this.skip(c.tsUs, c.mac, null, `no rate limit for ${c.mac}: no address known (${reason})`);
      else this.propose('rate-limit', { mac: c.mac, ip: c.ip }, { actor: 'system', reason, auto: true, tsUs: c.tsUs });
    } else if (level === 'critical' && r.autoQuarantine) {
      this.propose('quarantine', { mac: c.mac, ip: c.ip }, { actor: 'system', reason, auto: true, tsUs: c.tsUs });
    }
  }

  private onNewDevice(d: DeviceEvent): void {
    this.advance(d.tsUs);
    const mode = this.config.response.newDevice;
    if (mode === 'allow') return;
    this.stats.decisions++;
    const what = [d.vendor, d.hostname].filter((x) => x).join(', ');
    const reason = `new device ${d.mac}${what ? ` (${what})` : ''}`;
    const ip = d.ips[0] ?? null;
    if (mode === 'alert') {
      this.notice(d.tsUs, 'new-device', 'respond.notify', d.mac, ip, reason);
      return;
    }
    this.notice(d.tsUs, 'new-device', 'respond.notify', d.mac, ip, `${reason}: held in quarantine until an admin releases it`);
    this.propose('quarantine', { mac: d.mac, ip }, { actor: 'system', reason: `${reason}: held until an admin releases it`, auto: true, hold: true, tsUs: d.tsUs });
  }

  private onAlert(a: Alert): void {
    this.advance(a.tsUs);
    if (a.kind !== 'intel.blocklist' || !this.config.response.blockBadReputation) return;
    for (const target of blocklistTargets(a, this.home)) {
      this.stats.decisions++;
      this.propose('block', { mac: null, ip: target }, { actor: 'system', reason: `bad reputation: ${a.signature}`, auto: true, alertId: a.id, tsUs: a.tsUs });
    }
  }

  // ── ActionService ─────────────────────────────────────────────────────────────────────────────────────────

  quarantine(mac: string, actor: string, reason: string, opts: { seconds?: number } = {}): ActionResult {
    const m = canonicalMac(mac);
    if (m === null) return { ok: false, error: `not a MAC address: ${JSON.stringify(mac)}` };
    const max = this.config.response.maxQuarantineSeconds;
    if (opts.seconds !== undefined && !(Number.isInteger(opts.seconds) && opts.seconds >= 1 && opts.seconds <= max))
      return { ok: false, error: `seconds must be a whole number from 1 to ${max} (response.maxQuarantineSeconds)` };
    const ip = this.store.devices.addresses(m)[0]?.ip ?? null;
    return this.propose('quarantine', { mac: m, ip }, { actor, reason, auto: false, tsUs: this.now(), seconds: opts.seconds });
  }

  block(target: string, actor: string, reason: string): ActionResult {
    const p = canonicalPrefix(target);
    if (p === null) return { ok: false, error: `not an IP address or CIDR prefix: ${JSON.stringify(target)}` };
    return this.propose('block', { mac: null, ip: p.text }, { actor, reason, auto: false, tsUs: this.now() });
  }

  /** Rate-limits a device's new connections by hand (an addition to ActionService). */
  rateLimit(ip: string, actor: string, reason: string): ActionResult {
    const p = canonicalPrefix(ip);
    if (p === null || ip.includes('/')) return { ok: false, error: `not an IP address: ${JSON.stringify(ip)}` };
    return this.propose('rate-limit', { mac: this.store.devices.macForIp(p.text) ?? null, ip: p.text }, { actor, reason, auto: false, tsUs: this.now() });
  }

  /**
   * Enforces a pending action. Approving a new-device hold (an active quarantine without expiry, made by the
   * system) approves the device: the hold is released, as Firewalla's "approve" does.
   */
  approve(actionId: number, actor: string): ActionResult {
    const tsUs = this.now();
    const row = this.store.actions.get(actionId);
    if (row === undefined) return { ok: false, error: `no action ${actionId}` };
    if (row.state === 'active' && row.kind === 'quarantine' && row.expiresUs === null && row.actor === 'system') {
      return this.finish(actionId, ['active'], 'released', 'action.release', actor, 'device approved', tsUs);
    }
    if (row.state !== 'pending') return { ok: false, error: `action ${actionId} is ${row.state}, not pending` };
    const exempt = this.exemption(row.kind, { mac: row.mac, ip: row.ip });
    if (exempt !== null) return { ok: false, error: `${row.mac ?? row.ip} is exempt (${exempt}); deny the action instead` };
    // the planned duration starts now, not when the action was proposed
    const expiresUs = row.expiresUs === null ? null : tsUs + (row.expiresUs - row.createdUs);
    const entry = this.hands.entryFor(row, tsUs);
    const failed = this.hands.enforce(row, entry, expiresUs, tsUs, actor);
    if (failed !== null) return failed;
    if (!this.store.actions.transition(actionId, 'pending', 'active', tsUs)) {
      if (row.dryRun === this.dryRun) this.hands.lift(entry);
      return { ok: false, error: `action ${actionId} was changed by someone else` };
    }
    this.store.actions.setExpiry(actionId, expiresUs);
    this.hands.remember(actionId, entry);
    return this.record(actionId, 'action.approve', actor, null, tsUs);
  }

  deny(actionId: number, actor: string, reason?: string): ActionResult {
    return this.finish(actionId, ['pending'], 'denied', 'action.deny', actor, reason ?? null, this.now());
  }

  release(actionId: number, actor: string, reason?: string): ActionResult {
    return this.finish(actionId, ['active', 'pending'], 'released', 'action.release', actor, reason ?? null, this.now());
  }

  allowList(entry: string, actor: string, reason?: string): ActionResult {
    const tsUs = this.now();
    const r = this.allow.add(entry, actor, tsUs, reason ?? null);
    if (!r.ok) return r;
    this.store.actions.audit({ tsUs, actor, action: 'allowlist.add', target: r.entry, reason: reason ?? null, detail: null });
    // "never acted on" includes what is in force now
    for (const state of ['active', 'pending'] as const) {
      for (const row of this.ledger.allRows(state)) {
        if (this.exemption(row.kind, { mac: row.mac, ip: row.ip }) !== null) this.finish(row.id, [state], 'released', 'action.release', actor, `allow-listed: ${r.entry}`, tsUs);
      }
    }
    return { ok: true };
  }

  /** Removes a run-time allow-list entry (an addition to ActionService). */
  removeAllowListEntry(entry: string, actor: string, reason?: string): ActionResult {
    const tsUs = this.now();
    const r = this.allow.remove(entry, tsUs);
    if (!r.ok) return r;
    this.store.actions.audit({ tsUs, actor, action: 'allowlist.remove', target: r.entry, reason: reason ?? null, detail: null });
    return { ok: true };
  }

  allowListEntries(): { entry: string; source: 'config' | 'runtime' }[] {
    return this.allow.entries();
  }

  // ── the action life cycle ─────────────────────────────────────────────────────────────────────────────────

  /** Creates an action after every check; returns it or why not. */
  private propose(kind: ActionKind, t: Target, o: ProposeOpts): ActionResult {
    const r = this.config.response;
    const refuse = (error: string): ActionResult => {
      if (o.auto) this.skip(o.tsUs, t.mac, t.ip, `no ${kind} of ${t.mac ?? t.ip}: ${error}`);
      return { ok: false, error };
    };
    const exempt = this.exemption(kind, t);
    if (exempt !== null) return refuse(`${t.mac ?? t.ip} is exempt (${exempt})`);
    const existing = this.ledger.inForce(kind, t);
    if (existing !== undefined) return refuse(`already ${existing.state}: action ${existing.id}`);
    if (o.auto && this.store.actions.openCount() >= r.maxActiveActions) {
      this.stats.refusedAtCap++;
      // a flood of new MACs must not flood the audit log either: the first refusal and every 100th are written
      if (this.stats.refusedAtCap % 100 !== 1) return { ok: false, error: 'at the cap' };
      return refuse(`${r.maxActiveActions} actions are pending or active (response.maxActiveActions); ${this.stats.refusedAtCap} refused so far`);
    }
    let seconds: number | null;
    let previous = 0;
    if (o.hold) seconds = null;
    else if (o.seconds !== undefined) seconds = o.seconds;
    else if (kind === 'quarantine') {
      previous = this.ledger.recentQuarantines(t.mac, t.ip, o.tsUs);
      seconds = escalatedSeconds(r.quarantineSeconds, r.escalationFactor, previous, r.maxQuarantineSeconds);
    } else seconds = kind === 'block' ? r.blockSeconds : r.rateLimitSeconds;
    const state: ActionState = o.auto && r.requireApproval && !o.hold ? 'pending' : 'active';
    const expiresUs = seconds === null ? null : o.tsUs + seconds * 1_000_000;
    const draft = { kind, mac: t.mac, ip: t.ip, dryRun: this.dryRun };
    const entry = this.hands.entryFor(draft, o.tsUs);
    try {
      validateEntry(entry);
    } catch (err) {
      return refuse((err as Error).message);
    }
    if (state === 'active') {
      const failed = this.hands.enforce(draft, entry, expiresUs, o.tsUs, o.actor);
      if (failed !== null) return failed;
    }
    const id = this.store.actions.create({
      tsUs: o.tsUs,
      kind,
      state,
      mac: t.mac,
      ip: t.ip,
      reason: o.reason,
      alertId: o.alertId ?? null,
      actor: o.actor,
      expiresUs,
      dryRun: this.dryRun,
    });
    if (state === 'active') this.hands.remember(id, entry);
    this.stats.actionsCreated++;
    return this.record(id, 'action.create', o.actor, o.reason, o.tsUs, { entry, seconds, escalation: previous });
  }

  /** Moves an action to a final state (lifting it from the firewall when it was active). */
  private finish(id: number, from: ActionState[], to: ActionState, verb: string, actor: string, reason: string | null, tsUs: number): ActionResult {
    const row = this.store.actions.get(id);
    if (row === undefined) return { ok: false, error: `no action ${id}` };
    if (!from.includes(row.state)) return { ok: false, error: `action ${id} is ${row.state}, not ${from.join(' or ')}` };
    if (row.state === 'active' && row.dryRun === this.dryRun) {
      const error = this.hands.lift(this.hands.entryFor(row, tsUs));
      if (error !== null && row.expiresUs === null) return { ok: false, error: `the firewall refused to lift it: ${error}` };
    }
    if (!this.store.actions.transition(id, row.state, to, tsUs)) return { ok: false, error: `action ${id} was changed by someone else` };
    this.hands.forget(id);
    return this.record(id, verb, actor, reason, tsUs);
  }

  private expire(row: ActionRow, tsUs: number, lift: boolean): void {
    if (lift && row.dryRun === this.dryRun) this.hands.lift(this.hands.entryFor(row, tsUs));
    if (!this.store.actions.transition(row.id, 'active', 'expired', tsUs)) return;
    this.hands.forget(row.id);
    this.stats.expired++;
    this.record(row.id, 'action.expire', 'system', null, tsUs);
  }

  /** Start-up: the store is the truth. */
  private reconcile(nowUs: number): void {
    const keep: ActionRow[] = [];
    let expired = 0;
    let released = 0;
    for (const row of this.ledger.allRows('active')) {
      if (row.expiresUs !== null && row.expiresUs <= nowUs) {
        this.expire(row, nowUs, false); // reapply() below empties the sets of everything not re-applied
        expired++;
      } else if (this.exemption(row.kind, { mac: row.mac, ip: row.ip }) !== null) {
        this.finish(row.id, ['active'], 'released', 'action.release', 'system', 'allow-listed', nowUs);
        released++;
      } else if (row.dryRun === this.dryRun) {
        keep.push(row); // a row recorded by the other backend lapses by its expiry
      }
    }
    const reapplied = this.hands.reapply(keep, nowUs);
    this.stats.reapplied += reapplied;
    this.store.actions.audit({
      tsUs: nowUs,
      actor: 'system',
      action: 'respond.reconcile',
      target: null,
      reason: null,
      detail: { reapplied, expired, released, backend: this.firewall.backend },
    });
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  private exemption(kind: ActionKind, t: Target): string | null {
    if (kind === 'block') {
      const p = t.ip === null ? null : canonicalPrefix(t.ip);
      return p === null ? null : this.allow.blockExemption(p);
    }
    return this.allow.exemption(t.mac, t.ip === null ? [] : [t.ip]);
  }

  /** Audits an action's change and emits it on the bus. */
  private record(id: number, verb: string, actor: string, reason: string | null, tsUs: number, extra: Record<string, unknown> = {}): ActionResult {
    const row = this.store.actions.get(id)!;
    this.store.actions.audit({
      tsUs,
      actor,
      action: verb,
      target: row.mac ?? row.ip,
      reason: reason ?? row.reason,
      detail: { id, kind: row.kind, state: row.state, ip: row.ip, expiresUs: row.expiresUs, dryRun: row.dryRun, ...extra },
    });
    this.bus.emit('action', { tsUs, action: row, verb });
    return { ok: true, action: row };
  }

  private notice(tsUs: number, kind: NoticeKind, verb: string, mac: string | null, ip: string | null, reason: string): void {
    const auditId = this.store.actions.audit({ tsUs, actor: 'system', action: verb, target: mac ?? ip, reason, detail: { kind, ip } });
    this.bus.emit('respond.notice', { tsUs, kind, mac, ip, reason, auditId });
  }

  private skip(tsUs: number, mac: string | null, ip: string | null, reason: string): void {
    this.stats.skipped++;
    this.notice(tsUs, 'skipped', 'respond.skip', mac, ip, reason);
  }

  private advance(tsUs: number): void {
    if (tsUs > this.lastUs) this.lastUs = tsUs;
  }

  private now(): number {
    return this.clock?.() ?? (this.lastUs > 0 ? this.lastUs : Date.now() * 1000);
  }
}

