/**
 * The only place that wires the stages together: capture → decode → flow → (bus) → outputs.
 *
 * One clock: `nowUs` is packet time. In replay it is the timestamp of the last packet read; live, capture
 * timestamps plus an idle tick (`tick()`) that advances the flow table when no packet arrives. Nothing inside
 * the pipeline reads the wall clock, so replaying the same file twice gives byte-identical output.
 */
import { Bus } from './bus.js';
import type { Config } from './config.js';
import { Decapsulator, decodePacket } from './decode/decode.js';
import { FragmentReassembler } from './decode/reassembly.js';
import { urlSafeAlertId } from './detectors/alert-id.js';
import { aboutFlow } from './detectors/detector.js';
import { attachDetectors, type DetectorSet } from './detectors/index.js';
import { attachIncidents, type IncidentTracker } from './incidents/index.js';
import { attachFloodGate, type FloodGate } from './flood/gate.js';
import { DecodeStats } from './decode/events.js';
import { ipToString } from './decode/addr.js';
import { Packet } from './decode/packet.js';
import type { ConnState, EndReason, FlowRecord } from './flow/flow-record.js';
import { FlowTable } from './flow/flow-table.js';
import { addWithTunnels } from './flow/tunnel-flows.js';
import { anomalyEvidenceText, anomalySignature, type AnomalyEvent } from './models/anomaly.js';
import type { EnsembleModel } from './models/ensemble.js';
import { ModelManager } from './models/manager.js';
import { FlowScorer } from './models/scorer.js';
import { initTf } from './models/tf-backend.js';
import type { Logger } from './log.js';
import { Store } from './store/db.js';
import { EveOutput, type EnforcementCheck } from './store/eve-output.js';
import { createForwarders, sinkName, type Forwarder } from './forward/index.js';
import { geoLookup, type LazyGeo } from './enrich/index.js';
import { InfluxSink, storeGauge } from './store/influx.js';
import { metrics } from './store/metrics.js';
import { ZeekOutput } from './zeek/index.js';

export interface PipelineSummary {
  packets: number;
  bytes: number;
  /** frames whose link layer could not be decoded */
  undecoded: number;
  flows: number;
  flowsByConnState: Partial<Record<ConnState, number>>;
  flowsByEndReason: Partial<Record<EndReason, number>>;
  flowsEvicted: number;
  /** one-packet half-open flows of a detected SYN flood counted into its incident instead of exported */
  flowsFolded: number;
  decodeEvents: Record<string, number>;
  firstUs: number;
  lastUs: number;
}

export interface PipelineOptions {
  /** write the SQLite store at config.store.path (the appliance does; a plain replay does only when asked) */
  store?: boolean;
  /** libpcap/kernel drop counters of a live capture, for metrics and InfluxDB */
  drops?: () => { kernel: number; interface: number };
  /** the training worker script of a bundled build (default: beside src/models/train-in-worker) */
  trainWorkerUrl?: URL | string;
}

/** Retention runs at most this often (packet time), a bounded chunk per run so capture never pauses long. */
const RETENTION_EVERY_US = 3_600_000_000;

export class Pipeline {
  readonly bus: Bus;
  readonly decodeStats = new DecodeStats();
  readonly flows: FlowTable;
  /** the Packet every capture source fills; reused for every frame */
  readonly pkt = new Packet();
  /** decodes the packets inside tunnels (decode.tunnels); null when off */
  private readonly decap: Decapsulator | null;
  /** reassembles IP fragments (decode.fragments.reassemble), outside and inside tunnels; null when off */
  readonly frags: FragmentReassembler | null;
  /** packet time, µs */
  nowUs = 0;
  firstUs = 0;
  packets = 0;
  bytes = 0;
  undecoded = 0;
  private readonly byState: Partial<Record<ConnState, number>> = {};
  /** country and AS of remote addresses (enrich.*; the databases open on the first internet address); null when off */
  readonly geo: LazyGeo | null;
  /** the EVE output, when eve.path is set or a forwarder is on */
  eve: EveOutput | null = null;
  /** the Zeek logs, when zeek.dir is set */
  zeek: ZeekOutput | null = null;
  /** where EVE lines are sent besides the file (eve.forward) */
  readonly forwarders: Forwarder[];
  /** the packet being decoded, for decoder anomaly lines */
  private decoding: Packet | null = null;
  private readonly alertsByKind: Record<string, number> = {};
  readonly store: Store | null = null;
  readonly influx: InfluxSink | null = null;
  readonly detectors: DetectorSet;
  /** folds every alert into incidents and emits `incident` events */
  readonly incidents: IncidentTracker;
  /** counts a flooded target's half-open flows into its incident instead of exporting each */
  /** folds a SYN flood's half-open flows into its incident; null with the detectors off (no dos.synflood then) */
  readonly flood: FloodGate | null;
  /** scores exported flows once loadModel() has loaded one */
  scorer: FlowScorer | null = null;
  /** the model's life: which one scores, the learning period, retraining */
  readonly models: ModelManager;
  private nextRetentionUs = 0;
  private retentionPending = false;
  /** later stages that advance with packet time (trust recovery, action expiry, scan schedule) */
  private readonly tickers: ((nowUs: number) => void)[] = [];
  /** later stages' last words at shutdown, after the final flush and before the store closes */
  private readonly closers: ((nowUs: number) => void)[] = [];
  /** later stages' capped in-memory tables: evictions by table, for argus_memory_evictions_total */
  private readonly evictionSources: (() => Record<string, number>)[] = [];

  constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly opts: PipelineOptions = {},
  ) {
    this.bus = new Bus((m) => log.error(m));
    this.flows = new FlowTable(config.flow, (rec) => this.onRecord(rec));
    const fr = config.decode.fragments;
    this.frags = fr.reassemble
      ? new FragmentReassembler({ timeoutSeconds: fr.timeout, maxBytes: fr.maxBytes, maxDatagrams: fr.maxDatagrams, maxPerSource: fr.maxPerSource, maxFragments: fr.maxFragments })
      : null;
    this.decap = config.decode.tunnels ? new Decapsulator(config.decode.maxTunnelDepth, this.frags) : null;
    this.bus.on('alert', (a) => void (this.alertsByKind[a.kind] = (this.alertsByKind[a.kind] ?? 0) + 1));
    this.forwarders = createForwarders(config.eve.forward, (m) => log.warn(m));
    const fwd = this.forwarders;
    const onLine = fwd.length === 0 ? undefined : fwd.length === 1 ? (line: string) => fwd[0]!.offer(line) : (line: string) => fwd.forEach((f) => f.offer(line));
    this.geo = geoLookup(config.enrich, (level, m) => log[level](m));
    if (config.eve.path !== '' || fwd.length > 0) this.eve = new EveOutput(config, this.bus, this.decodeStats, () => this.decoding, onLine, this.geo);
    if (config.zeek.dir !== '') this.zeek = new ZeekOutput({ dir: config.zeek.dir, format: config.zeek.format, localNets: config.homeNets, log: (m) => log.error(m) }).attach(this.bus);
    // After EVE, so a flow's line is written before the alert it triggers.
    this.detectors = attachDetectors(this.bus, { ...config.detectors, homeNets: [...config.homeNets] } as Parameters<typeof attachDetectors>[1]);
    if (opts.store) {
      this.store = Store.open({
        ...config.store,
        log: (m) => (m.startsWith('store: ERROR') ? log.error(m.replace('store: ERROR ', 'store: ')) : m.includes('migrated') ? log.info(m) : log.warn(m)),
      });
      this.store.attach(this.bus);
    }
    // after the store: an alert is queued before the incident change that names it
    this.incidents = attachIncidents(this.bus, config.incidents);
    // after the tracker: the flood's alert has opened its incident before the gate folds flows into it
    const syn = config.detectors.synFlood;
    this.flood = config.detectors.enabled
      ? attachFloodGate(this.bus, this.incidents, { samplePerSecond: syn.samplePerSecond, maxTargets: syn.maxTargets, knownSources: syn.knownSources, holdSeconds: syn.holdSeconds })
      : null;
    if (this.flood !== null) this.flows.setHalfOpenFold(this.flood);
    // a live appliance that restarts continues its open incidents instead of opening them again
    if (this.store !== null) this.incidents.restore(this.store.incidents.openIncidents(config.incidents.maxOpen));
    // the option names are the configuration keys; an empty sensor means the host name
    this.influx = InfluxSink.fromConfig({
      ...config.influx,
      sensor: config.influx.sensor || undefined,
      log: (m) => log.warn(m),
    });
    this.influx?.attach(this.bus, this.geo);
    if (this.influx !== null && this.store !== null) this.influx.addGauge(storeGauge(this.store));
    metrics().attach(this.bus);
    this.models = new ModelManager({
      config: config.models,
      storePath: config.store.path,
      store: this.store,
      log,
      onModel: (m) => this.useModel(m),
      workerUrl: opts.trainWorkerUrl,
    });
  }

  /**
   * Tells EVE whether the firewall stops a source right now (an enforced quarantine or block), so alert lines
   * say `blocked` or `allowed` by what actually happened. The appliance sets it once its policy exists.
   */
  setEnforcementCheck(blocked: EnforcementCheck): void {
    this.eve?.setEnforcementCheck(blocked);
  }

  private onRecord(rec: FlowRecord): void {
    this.byState[rec.connState] = (this.byState[rec.connState] ?? 0) + 1;
    this.bus.emit('flow.end', rec);
    if (this.scorer !== null) this.timedScoring(() => this.scorer!.add(rec));
    this.models.onFlow(rec);
  }

  /**
   * Load the anomaly model (this network's own from the registry, else config.models.dir) and score every
   * exported flow with it from now on; starts the learning period when there is no model of this network yet.
   * Returns the model's id, or null when the models are turned off.
   */
  async loadModel(): Promise<string | null> {
    if (!this.config.models.enabled) return null;
    await initTf((m) => this.log.info(m));
    return this.models.start();
  }

  private useModel(model: EnsembleModel): void {
    if (this.scorer !== null) this.timedScoring(() => this.scorer!.setModel(model));
    else this.scorer = new FlowScorer(model, (ev, rec) => this.onScored(ev, rec));
  }

  /** ms spent in the scorer's callbacks during the current timed call (bus listeners, store), not scoring */
  private callbackMs = 0;

  /**
   * Runs `fn` (which may score a batch) and records the batch's scoring time in argus_scoring_latency_seconds:
   * the wall-clock duration of scoring itself, without the time the anomaly listeners took. Called per flow
   * and per flush, never per packet; observes only when a batch was scored.
   */
  private timedScoring(fn: () => void): void {
    const scorer = this.scorer!;
    const before = scorer.scored;
    this.callbackMs = 0;
    const t0 = performance.now();
    fn();
    if (scorer.scored !== before) metrics().observeScoringLatency(Math.max(0, performance.now() - t0 - this.callbackMs) / 1000);
  }

  private onScored(ev: AnomalyEvent, rec: FlowRecord): void {
    const t0 = performance.now();
    this.onAnomaly(ev, rec);
    this.callbackMs += performance.now() - t0;
  }

  private onAnomaly(ev: AnomalyEvent, rec: FlowRecord): void {
    this.bus.emit('anomaly', ev);
    this.models.observe(ev.score, rec, ev.modelId);
    if (!ev.alert) return;
    this.bus.emit('alert', {
      ...aboutFlow(rec),
      id: urlSafeAlertId(`anomaly:${rec.communityId}:${rec.startUs}:${rec.segment}`),
      kind: 'anomaly',
      signature: anomalySignature(rec.protoName, `${rec.srcIp}:${rec.srcPort}`, `${rec.dstIp}:${rec.dstPort}`, ev.score),
      severity: 3,
      confidence: Math.min(1, Math.max(0, ev.score)),
      evidence: [
        {
          text: anomalyEvidenceText(ev),
          flowIds: [rec.flowId],
          communityIds: [rec.communityId],
        },
      ],
      suggestedResponse: 'monitor',
    });
  }

  /**
   * The per-packet path. The capture source has filled pkt's capture fields; this decodes and accounts it.
   * Bound once so it can be handed to capture sources without a closure per call.
   */
  readonly handlePacket = (pkt: Packet): void => {
    this.packets++;
    this.bytes += pkt.wirelen;
    if (this.firstUs === 0) this.firstUs = pkt.tsUs;
    // Packet time never runs backwards for the flow engine: a reordered capture keeps the later time.
    if (pkt.tsUs > this.nowUs) this.nowUs = pkt.tsUs;
    else pkt.tsUs = this.nowUs;
    pkt.reset();
    this.decoding = pkt;
    if (!decodePacket(pkt, this.decodeStats, this.frags)) {
      this.undecoded++;
      this.flows.advance(this.nowUs);
      return;
    }
    // the packets inside a tunnel are flows of their own; their DNS/DHCP/ARP is not the LAN's, so no app events
    if (pkt.ipVersion !== 0) addWithTunnels(this.flows, pkt, this.decap, this.decodeStats);
    else this.flows.advance(this.nowUs);
    if (pkt.arp !== null) {
      if (this.bus.has('arp')) this.bus.emit('arp', { tsUs: pkt.tsUs, vlan: pkt.vlan, srcMac: pkt.srcMac, dstMac: pkt.dstMac, arp: pkt.arp });
    } else if (pkt.dns !== null || pkt.dhcp !== null) {
      this.emitAppEvent(pkt);
    }
  };

  private emitAppEvent(pkt: Packet): void {
    const meta = () => ({
      tsUs: pkt.tsUs,
      vlan: pkt.vlan,
      srcMac: pkt.srcMac,
      dstMac: pkt.dstMac,
      srcIp: ipToString(pkt.srcAddr, pkt.ipVersion as 4 | 6),
      dstIp: ipToString(pkt.dstAddr, pkt.ipVersion as 4 | 6),
    });
    if (pkt.dns !== null && this.bus.has('dns')) this.bus.emit('dns', { ...meta(), dns: pkt.dns });
    if (pkt.dhcp !== null && this.bus.has('dhcp')) this.bus.emit('dhcp', { ...meta(), dhcp: pkt.dhcp });
  }

  /** Call `fn(nowUs)` whenever the outputs are flushed (chunks of a replay, live idle ticks): never per packet. */
  onTick(fn: (nowUs: number) => void): void {
    this.tickers.push(fn);
  }

  /** Adds `fn`'s eviction totals (by table) to argus_memory_evictions_total at every metrics update. */
  onEvictions(fn: () => Record<string, number>): void {
    this.evictionSources.push(fn);
  }

  /** Call `fn(nowUs)` once at shutdown, after the open flows were exported and before the store closes. */
  onClose(fn: (nowUs: number) => void): void {
    this.closers.push(fn);
  }

  /** Live idle tick: advance packet time to `tsUs` (expires idle flows) and flush outputs. */
  tick(tsUs: number): void {
    if (tsUs > this.nowUs) this.nowUs = tsUs;
    this.flows.advance(this.nowUs);
    this.flushOutputs();
  }

  /**
   * Let the outputs that batch do their work: called between capture-file chunks, after real-time waits and on
   * live idle ticks — never per packet.
   */
  flushOutputs(): void {
    if (this.frags !== null && this.nowUs > 0) {
      // no packet is being decoded: the timeout events' anomaly lines carry the time only
      this.decoding = null;
      this.frags.expire(this.nowUs, this.decodeStats);
    }
    if (this.scorer !== null) this.timedScoring(() => this.scorer!.flush());
    if (this.nowUs > 0) this.flood?.tick(this.nowUs);
    if (this.nowUs > 0) this.incidents.tick(this.nowUs);
    if (this.nowUs > 0) for (const t of this.tickers) t(this.nowUs);
    this.eve?.writer.flush();
    this.zeek?.flush();
    const now = this.nowUs;
    const drops = this.opts.drops?.() ?? { kernel: 0, interface: 0 };
    if (this.store !== null) {
      this.store.tick(now);
      if (now >= this.nextRetentionUs || this.retentionPending) {
        const r = this.store.retention(now);
        this.retentionPending = !r.done;
        if (!this.retentionPending) this.nextRetentionUs = now + RETENTION_EVERY_US;
      }
    }
    if (this.influx !== null) {
      this.influx.captureTotals(now, { packets: this.packets, bytes: this.bytes, drops: drops.kernel + drops.interface });
      this.influx.tick(now);
    }
    this.updateMetrics(drops);
  }

  /** Copy the running counters into the Prometheus registry (a scrape of /metrics calls only this). */
  updateMetrics(drops = this.opts.drops?.() ?? { kernel: 0, interface: 0 }): void {
    const st = this.flows.stats;
    const storeStats = this.store?.stats();
    const influxStats = this.influx?.stats();
    const fwd = this.forwarders.map((f) => f.stats());
    const sinkQueueDepth = { ...(influxStats ? { influx: influxStats.buffered } : {}), ...Object.fromEntries(fwd.map((s) => [sinkName(s), s.queued])) };
    const sinkDropped = { ...(influxStats ? { influx: influxStats.pointsDropped } : {}), ...Object.fromEntries(fwd.map((s) => [sinkName(s), s.dropped])) };
    const memoryEvictions: Record<string, number> = {};
    for (const d of this.detectors.stats()) memoryEvictions[`detector.${d.name}`] = d.evicted;
    for (const src of this.evictionSources) Object.assign(memoryEvictions, src());
    metrics().update({
      packets: this.packets,
      bytes: this.bytes,
      drops: { kernel: drops.kernel, interface: drops.interface },
      decodeEvents: this.decodeStats.toJSON().events as Record<string, number>,
      flowsActive: st.active,
      flowsEnded: { ...st.byEndReason },
      flowsEvicted: st.evicted,
      flowsFolded: st.folded,
      ...(storeStats
        ? { storeQueueDepth: storeStats.depth, storeDropped: storeStats.dropped, storeEvictions: { size: storeStats.capEvictions, count: storeStats.countEvictions }, storeOverCap: storeStats.overCap }
        : {}),
      memoryEvictions,
      floodDevicesUnstored: this.detectors.deviceFlood.unstored,
      ...(Object.keys(sinkQueueDepth).length > 0 ? { sinkQueueDepth, sinkDropped } : {}),
      ...(fwd.length > 0 ? { sinkSent: Object.fromEntries(fwd.map((s) => [sinkName(s), s.sent])), sinkErrors: Object.fromEntries(fwd.map((s) => [sinkName(s), s.errors])) } : {}),
    });
  }

  /** End of capture: export every open flow with reason 'shutdown', commit and close the outputs. */
  async shutdown(): Promise<void> {
    await this.models.stop();
    this.flows.flush('shutdown');
    this.frags?.clear();
    this.flushOutputs();
    // a replay's incidents end with its file; a live appliance's stay open across a restart
    this.incidents.finish(this.nowUs, this.config.mode === 'replay');
    for (const c of this.closers) c(this.nowUs);
    this.models.persist();
    this.store?.flush();
    this.scorer?.currentModel.dispose();
    this.eve?.writer.close();
    this.eve = null;
    this.zeek?.close();
    await this.closeForwarders();
    this.store?.close();
    if (this.influx !== null) {
      await this.influx.close();
      const st = this.influx.stats();
      this.log.info(`influx: ${st.pointsQueued} points produced, ${st.pointsWritten} written, ${st.pointsDropped} dropped, ${st.pointsRejected} rejected by the server`);
    }
  }

  /** Sends what the forwarders hold for at most eve.forward.shutdownSeconds, then closes them and says what they did. */
  private async closeForwarders(): Promise<void> {
    const ms = Math.round(this.config.eve.forward.shutdownSeconds * 1000);
    await Promise.all(this.forwarders.map((f) => f.close(ms)));
    for (const s of this.forwarders.map((f) => f.stats())) {
      this.log.info(`forward ${s.kind} ${s.target}: ${s.sent} lines sent, ${s.dropped} dropped, ${s.errors} failed attempts`);
    }
    this.updateMetrics();
  }

  /** alerts raised so far, by kind */
  alertCounts(): Record<string, number> {
    return { ...this.alertsByKind };
  }

  summary(): PipelineSummary {
    const st = this.flows.stats;
    return {
      packets: this.packets,
      bytes: this.bytes,
      undecoded: this.undecoded,
      flows: Object.values(st.byEndReason).reduce((a, b) => a + b, 0),
      flowsByConnState: { ...this.byState },
      flowsByEndReason: Object.fromEntries(Object.entries(st.byEndReason).filter(([, n]) => n > 0)),
      flowsEvicted: this.flows.stats.evicted,
      flowsFolded: this.flows.stats.folded,
      decodeEvents: this.decodeStats.toJSON().events as Record<string, number>,
      firstUs: this.firstUs,
      lastUs: this.nowUs,
    };
  }
}
