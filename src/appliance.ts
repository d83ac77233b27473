/**
 * The running appliance: the pipeline plus the stages that live beside it — device inventory, trust scores,
 * vulnerability scans, threat-intelligence feeds, decoys, the response policy with its firewall — and what the
 * web server needs from all of them. `argus-edge run` builds one; the browser test builds one on a replay.
 *
 * Time: the pipeline's packet time drives every stage (trust decay, action expiry, scan schedule) through its
 * flush ticks; manual requests from the dashboard use `nowUs()`: packet time in replay, the wall clock live.
 */
import { existsSync } from 'node:fs';
import { PrefixSet } from './detectors/addresses.js';
import { VERSION } from './version.js';
import { trainWorkerUrl } from './assets.js';
import { attachBlocklist, type BlocklistHandle } from './detectors/blocklist.js';
import { Decoys, type DecoyPortStatus } from './detectors/decoy.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { ModelManager } from './models/manager.js';
import { startFleet, type FleetHandle } from './fleet/index.js';
import { dashboardUrlOf, Notifier } from './notify/notifier.js';
import { notifyGauge, registerNotifyMetrics } from './notify/metrics.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';
import { applianceHosts } from './respond/appliance-hosts.js';
import { createFirewall } from './respond/firewall.js';
import { Policy } from './respond/policy.js';
import type { ActionResult } from './respond/types.js';
import type { Store } from './store/db.js';
import { lastTrustPoints } from './store/influx.js';
import { periodFacts } from './store/summary.js';
import { DeviceInventory } from './trust/devices.js';
import { recommend } from './trust/recommend.js';
import { Reputation } from './trust/reputation.js';
import { TrustScorer } from './trust/score.js';
import { VulnScanner } from './trust/vuln-scan.js';
import type { CaptureHealth, IntegrationHealth, ModelService, ModelStatus, WebDeps } from './web/deps.js';

export interface ApplianceOptions extends Omit<PipelineOptions, 'store'> {
  /** run the firewall's commands inside this network namespace (tests); production leaves it unset */
  netns?: string;
  /**
   * replay: the clock before the first packet is processed, µs (the capture's first timestamp), so start-up
   * entries and early dashboard actions carry packet time like everything after them
   */
  clockStartUs?: number;
}

export class Appliance {
  readonly pipeline: Pipeline;
  readonly store: Store;
  readonly inventory: DeviceInventory;
  readonly trust: TrustScorer;
  readonly scanner: VulnScanner;
  readonly policy: Policy;
  readonly reputation: Reputation;
  readonly blocklist: BlocklistHandle;
  readonly decoys: Decoys;
  readonly notifier: Notifier;
  /** fleet mode: the head's API server or the sensor's client (nothing when standalone) */
  fleet: FleetHandle | null = null;
  decoyPorts: DecoyPortStatus[] = [];
  private stopped = false;
  private readonly clockStartUs: number | undefined;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    opts: ApplianceOptions,
    reputation: Reputation,
  ) {
    this.clockStartUs = opts.clockStartUs;
    this.pipeline = new Pipeline(config, log, { trainWorkerUrl: trainWorkerUrl(), ...opts, store: true });
    const store = this.pipeline.store!;
    const bus = this.pipeline.bus;
    this.store = store;
    this.reputation = reputation;
    // order matters on the bus: the inventory learns a device before the trust score and the policy hear of it
    // the flood.devices detector is the inventory's gate for MACs never seen before
    this.inventory = new DeviceInventory(bus, store, config, this.pipeline.detectors.deviceFlood);
    this.trust = new TrustScorer(bus, store, this.inventory, config);
    this.pipeline.onEvictions(() => ({ ...this.inventory.evictions(), 'trust.devices': this.trust.stats.evicted }));
    // the InfluxDB trust gauge goes on where the previous run left each device
    this.pipeline.influx?.restoreTrust(lastTrustPoints(store, config.trust.maxDevices));
    this.blocklist = attachBlocklist(bus, reputation, { ...config.detectors, homeNets: [...config.homeNets] } as Parameters<typeof attachBlocklist>[2]);
    this.scanner = new VulnScanner(bus, store, this.inventory, this.trust, config, { now: () => this.nowUs(), log: (m) => log.info(m) });
    this.policy = new Policy(bus, store, createFirewall(config, log, { netns: opts.netns }), config, { log, nowUs: () => this.nowUs() });
    this.pipeline.setEnforcementCheck((mac, ip, targets) => this.policy.stops(mac, ip, targets));
    // the appliance itself, its default gateways and DNS servers (from the kernel and resolver files, never from
    // packets: a rogue DHCP server cannot get itself protected), and the configured gateways
    for (const h of applianceHosts()) this.policy.protect(h.entry, h.why);
    for (const gw of config.detectors.arp.gatewayIps) this.policy.protect(gw, 'gateway (detectors.arp.gatewayIps)');
    this.decoys = new Decoys(config.decoys, bus, log, { homeNets: config.homeNets });
    this.notifier = new Notifier(config.notify, {
      dashboardUrl: dashboardUrlOf(config),
      deviceName: (mac) => {
        const d = store.devices.get(mac);
        return d?.label ?? d?.hostname ?? null;
      },
      newDevice: () => config.response.newDevice,
      warn: (m) => log.warn(m),
      facts: (fromUs, toUs) => periodFacts(store.db, fromUs, toUs),
      capture: () => {
        const d = opts.drops?.() ?? { kernel: 0, interface: 0 };
        return { packets: this.pipeline.packets, drops: d.kernel + d.interface };
      },
      // the channels' own health is not watched here: a channel cannot report itself
      integrations: () => this.integrations().filter((i) => !i.name.startsWith('notify ')),
    });
    this.notifier.attach(bus);
    registerNotifyMetrics(this.notifier);
    if (this.notifier.channelCount > 0) this.pipeline.influx?.addGauge(notifyGauge(this.notifier));
    this.pipeline.onTick((now) => {
      this.inventory.tick(now);
      this.trust.tick(now);
      this.policy.tick(now);
      this.notifier.tick(now);
      if (config.mode !== 'replay') this.scanner.tick(now);
    });
    this.pipeline.onClose((now) => {
      this.inventory.close(now);
      this.trust.close();
      this.fleet?.detach();
    });
  }

  /**
   * Builds and starts everything but the capture: loads the feeds and the model, reconciles the firewall with
   * the store, opens the decoys. Throws with a message that says what to do when a part cannot start.
   */
  static async start(config: Config, log: Logger, opts: ApplianceOptions = {}): Promise<Appliance> {
    const reputation = await Reputation.load(config.intel, log, { storePath: config.store.path });
    const a = new Appliance(config, log, opts, reputation);
    try {
      // live, the databases open now rather than at the first internet address, which would hold capture for a second
      if (config.mode !== 'replay') a.pipeline.geo?.load();
      await a.pipeline.loadModel();
      a.policy.start(a.nowUs());
      // nmap sends real traffic: never while replaying a capture
      if (config.mode !== 'replay') a.scanner.start();
      reputation.startRefresh();
      a.decoyPorts = await a.decoys.start(); // a port it cannot bind is logged by Decoys, the others still listen
      a.fleet = await a.startFleet(opts);
    } catch (err) {
      await a.stop();
      throw err;
    }
    return a;
  }

  private startFleet(opts: ApplianceOptions): Promise<FleetHandle> {
    const p = this.pipeline;
    let last = { packets: 0, ms: Date.now() };
    const scanner = this.scanner;
    return startFleet({
      config: this.config,
      store: this.store.fleet,
      bus: p.bus,
      log: this.log,
      version: VERSION,
      status: () => {
        const now = Date.now();
        const pps = now > last.ms ? ((p.packets - last.packets) * 1000) / (now - last.ms) : 0;
        last = { packets: p.packets, ms: now };
        const d = opts.drops?.() ?? { kernel: 0, interface: 0 };
        return { packetsPerSecond: Math.round(pps), packets: p.packets, drops: d.kernel + d.interface, activeFlows: p.flows.stats.active, modelId: p.models.model?.id ?? null, modelState: p.models.state };
      },
      notify: { offer: (n) => this.notifier.offer(n), dashboardUrl: dashboardUrlOf(this.config) },
      scanner: {
        // nmap sends real traffic: never for a sensor that replays a capture
        unavailable: this.config.mode === 'replay' ? 'this sensor replays a capture file: it scans nothing' : !this.config.scan.enabled ? 'scan.enabled is off on this sensor' : null,
        inScope: (ip) => scanner.scope.check(ip),
        devicesIn: (cidr) => {
          const set = new PrefixSet([cidr]);
          return this.inventory.list().flatMap((d) => this.inventory.addressesOf(d.mac)).filter((ip) => set.has(ip) && scanner.scope.check(ip) !== null);
        },
        scan: (ip, ports) => scanner.scanNow(ip, null, ports),
      },
    });
  }

  /** "Now" for requests from outside the capture: packet time in replay, the wall clock live. */
  nowUs(): number {
    if (this.config.mode === 'replay') return this.pipeline.nowUs > 0 ? this.pipeline.nowUs : (this.clockStartUs ?? Date.now() * 1000);
    return Math.max(Date.now() * 1000, this.pipeline.nowUs);
  }

  /** What the web server needs; `drops` reads the live capture's counters. */
  webDeps(drops: () => { kernel: number; interface: number } = () => ({ kernel: 0, interface: 0 })): WebDeps {
    const p = this.pipeline;
    const cfg = this.config;
    return {
      config: cfg,
      store: this.store,
      bus: p.bus,
      actions: this.policy,
      models: modelServiceOf(this.pipeline.models, () => this.pipeline.scorer?.scored ?? 0, this.store, () => this.nowUs()),
      capture: (): CaptureHealth => {
        const s = p.summary();
        const queueDrops = Object.values(this.store.stats().dropped).reduce((a, b) => a + b, 0);
        return { mode: cfg.mode, iface: cfg.iface, packets: s.packets, bytes: s.bytes, flows: s.flows, activeFlows: p.flows.stats.active, drops: drops(), queueDrops, floodFolded: p.flows.stats.folded, lastPacketUs: s.lastUs };
      },
      integrations: () => this.integrations(),
      nowUs: () => this.nowUs(),
      refreshMetrics: () => p.updateMetrics(),
      geo: p.geo,
      ...(this.fleet?.view ? { fleet: this.fleet.view } : {}),
      ...(this.notifier.channelCount > 0 ? { notifyTest: (actor: string, channel?: string) => this.notifier.sendTest(actor, channel) } : {}),
      scan: (mac, actor) => this.scanNow(mac, actor),
      recommend: (mac) => {
        const st = this.trust.state(mac);
        return st === undefined ? null : recommend(st);
      },
    };
  }

  /** "Scan now" from the dashboard: nmap against the device's newest address inside scan.scope. */
  scanNow(mac: string, actor: string): ActionResult {
    if (this.config.mode === 'replay') return { ok: false, error: 'replay mode: the devices of a capture file are not on this network, nothing is scanned' };
    const ip = this.inventory.addressesOf(mac).find((a) => this.scanner.scope.check(a) !== null);
    if (ip === undefined) return { ok: false, error: `no address of ${mac} lies inside scan.scope (homeNets when empty)` };
    this.store.actions.audit({ tsUs: this.nowUs(), actor, action: 'device.scan', target: mac, reason: `scan of ${ip} requested from the dashboard`, detail: { ip } });
    this.scanner.scanNow(ip, mac).catch((err: Error) => this.log.warn(`scan of ${ip}: ${err.message}`));
    return { ok: true };
  }

  /** Each integration with its health, for the Settings page and /api/v1/health. */
  integrations(): IntegrationHealth[] {
    const cfg = this.config;
    const out: IntegrationHealth[] = [];
    const fw = this.policy.firewall;
    out.push({
      name: 'firewall',
      enabled: true,
      ok: this.policy.stats.firewallErrors === 0,
      detail: fw.dryRun ? `dry run (${cfg.mode} mode): commands are recorded, never run` : `iptables/ipset chain ${cfg.response.chain}; ${this.policy.stats.firewallErrors} errors`,
    });
    const influx = this.pipeline.influx?.stats();
    out.push({
      name: 'influxdb',
      enabled: influx !== undefined,
      ok: influx === undefined || influx.lastError === null,
      detail: influx === undefined ? 'off (influx.url is empty)' : `${influx.pointsWritten} points written, ${influx.buffered} buffered, ${influx.pointsDropped} dropped, ${influx.failures} failed requests${influx.lastError ? `; last error: ${influx.lastError}` : ''}`,
    });
    for (const f of this.pipeline.forwarders.map((x) => x.stats())) {
      out.push({
        name: `forward ${f.kind}`,
        enabled: true,
        ok: f.lastError === null,
        detail: `EVE to ${f.target}: ${f.sent} lines sent, ${f.queued} queued, ${f.dropped} dropped, ${f.errors} failed attempts${f.lastError ? `; last error: ${f.lastError}` : ''}`,
      });
    }
    for (const f of this.reputation.feeds()) {
      out.push({
        name: `feed ${f.name}`,
        enabled: true,
        ok: f.lastError === null,
        detail: `${f.ips} addresses, ${f.domains} domains${f.updatedAt ? `, updated ${new Date(f.updatedAt).toISOString()}` : ', never loaded'}${f.lastError ? `; ${f.lastError}` : ''}`,
      });
    }
    for (const h of this.notifier.health()) {
      out.push({
        name: `notify ${h.name}`,
        enabled: true,
        ok: h.lastError === null || (h.lastSentMs !== null && h.queued === 0 && h.deadLetters === 0),
        detail: `${h.type}: ${h.sent} sent, ${h.queued} queued, ${h.failures} failed attempts, ${h.deadLetters} given up, ${h.dropped} refused (queue full)${h.lastError ? `; last error: ${h.lastError}` : ''}`,
      });
    }
    out.push({
      name: 'vulnerability scans',
      enabled: cfg.scan.enabled,
      ok: !cfg.scan.enabled || existsSync('/usr/bin/nmap') || existsSync('/usr/local/bin/nmap'),
      detail: cfg.scan.enabled ? `${this.scanner.stats.done} done, ${this.scanner.stats.failed} failed, ${this.scanner.stats.queued} queued` : 'off (scan.enabled: false)',
    });
    out.push({
      name: 'decoys',
      enabled: cfg.decoys.enabled,
      ok: this.decoyPorts.every((p) => p.ok),
      detail: cfg.decoys.enabled ? this.decoyPorts.map((p) => `${p.port} ${p.ok ? 'listening' : `failed: ${p.error}`}`).join(', ') : 'off (decoys.enabled: false)',
    });
    return out;
  }

  /** Stops the side parts, then the pipeline (which exports the open flows and closes the store). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.fleet?.stop();
    this.reputation.stop();
    await this.decoys.stop();
    await this.scanner.stop();
    this.policy.stop();
    await this.pipeline.shutdown();
    this.blocklist.detach();
    await this.notifier.close();
  }
}

/**
 * What the dashboard and the API see of the model's life (status, retrain, roll back), over the real
 * ModelManager. A roll back activates the previous model in the store's registry (audited as model.rollback)
 * and has the manager switch to it at once, the same way it follows `argus-edge retrain`.
 */
export function modelServiceOf(m: ModelManager, flowsScored: () => number, store?: Store, nowUs: () => number = () => Date.now() * 1000): ModelService {
  return {
    status: (): ModelStatus => ({
      activeId: m.model?.id ?? null,
      state: m.state,
      learningProgress: m.progress(),
      flowsScored: flowsScored(),
      meta: m.model ? (m.model.meta as unknown as Record<string, unknown>) : null,
      lastError: m.lastError,
      baselineFlows: m.baseline?.flows ?? null,
      threshold: m.thresholdStatus(),
    }),
    retrain: (actor, opts) => m.retrain(actor, opts),
    rollback:
      store === undefined
        ? undefined
        : async (actor) => {
            if (m.pending !== null) return { ok: false, error: 'a training is running; roll back when it has finished' };
            const rows = store.registry.models();
            const active = rows.find((r) => r.active);
            if (active === undefined) return { ok: false, error: 'no model of this network is active: nothing to roll back from' };
            const previous = rows.find((r) => !r.active && r.createdUs < active.createdUs && existsSync(r.path));
            if (previous === undefined) return { ok: false, error: `no earlier model of this network is on disk to go back to (the active one is ${active.id})` };
            store.db.transaction(() => {
              store.registry.activateModel(previous.id);
              store.actions.audit({ tsUs: nowUs(), actor, action: 'model.rollback', target: previous.id, reason: null, detail: { from: active.id } });
            })();
            await m.poll();
            if (m.model?.id !== previous.id) return { ok: false, error: `${previous.id} is active in the registry, but it could not be loaded: ${m.lastError ?? 'unknown error'}` };
            return { ok: true, id: previous.id };
          },
  };
}
