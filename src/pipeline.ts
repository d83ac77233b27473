/**
 * The only place that wires the stages together: capture → decode → flow → (bus) → outputs.
 *
 * One clock: `nowUs` is packet time. In replay it is the timestamp of the last packet read; live, capture
 * timestamps plus an idle tick (`tick()`) that advances the flow table when no packet arrives. Nothing inside
 * the pipeline reads the wall clock, so replaying the same file twice gives byte-identical output.
 */
import { Bus } from './bus.js';
import type { Config } from './config.js';
import { decodePacket } from './decode/decode.js';
import { DecodeStats } from './decode/events.js';
import { ipToString } from './decode/addr.js';
import { Packet } from './decode/packet.js';
import type { ConnState, EndReason, FlowRecord } from './flow/flow-record.js';
import { FlowTable, type FlowConfig } from './flow/flow-table.js';
import type { Logger } from './log.js';
import { alertEvent, anomalyEvent, EveWriter, flowEvent } from './store/eve.js';

export function flowConfigFrom(cfg: Config): FlowConfig {
  const f = cfg.flow;
  return {
    maxFlows: f.maxFlows,
    emergencyThreshold: f.emergencyThreshold,
    emergencyRecovery: f.emergencyRecovery,
    sweepInterval: f.sweepInterval,
    communityIdSeed: f.communityIdSeed,
    timeouts: { ...f.timeouts },
  };
}

export interface PipelineSummary {
  packets: number;
  bytes: number;
  /** frames whose link layer could not be decoded */
  undecoded: number;
  flows: number;
  flowsByConnState: Partial<Record<ConnState, number>>;
  flowsByEndReason: Partial<Record<EndReason, number>>;
  flowsEvicted: number;
  decodeEvents: Record<string, number>;
  firstUs: number;
  lastUs: number;
}

export class Pipeline {
  readonly bus: Bus;
  readonly decodeStats = new DecodeStats();
  readonly flows: FlowTable;
  /** the Packet every capture source fills; reused for every frame */
  readonly pkt = new Packet();
  /** packet time, µs */
  nowUs = 0;
  firstUs = 0;
  packets = 0;
  bytes = 0;
  undecoded = 0;
  private readonly byState: Partial<Record<ConnState, number>> = {};
  private readonly byReason: Partial<Record<EndReason, number>> = {};
  private eve: EveWriter | null = null;
  private flowCount = 0;

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.bus = new Bus((m) => log.error(m));
    this.flows = new FlowTable(flowConfigFrom(config), (rec) => this.onRecord(rec));
    if (config.eve.path !== '') this.attachEve(config);
  }

  private attachEve(config: Config): void {
    const eve = new EveWriter({
      path: config.eve.path,
      types: config.eve.types,
      maxBytes: config.eve.maxSizeMB * 1024 * 1024,
      keep: config.eve.keep,
    });
    this.eve = eve;
    const iface = config.mode === 'replay' ? undefined : config.iface || undefined;
    if (eve.wants('flow')) this.bus.on('flow.end', (r) => eve.write('flow', flowEvent(r, iface)));
    if (eve.wants('alert')) this.bus.on('alert', (a) => eve.write('alert', alertEvent(a)));
    if (eve.wants('anomaly')) this.bus.on('anomaly', (e) => eve.write('anomaly', anomalyEvent(e)));
  }

  private onRecord(rec: FlowRecord): void {
    this.flowCount++;
    this.byState[rec.connState] = (this.byState[rec.connState] ?? 0) + 1;
    this.byReason[rec.endReason] = (this.byReason[rec.endReason] ?? 0) + 1;
    this.bus.emit('flow.end', rec);
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
    if (!decodePacket(pkt, this.decodeStats)) {
      this.undecoded++;
      this.flows.advance(this.nowUs);
      return;
    }
    if (pkt.ipVersion !== 0) this.flows.add(pkt);
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

  /** Live idle tick: advance packet time to `tsUs` (expires idle flows) and flush outputs. */
  tick(tsUs: number): void {
    if (tsUs > this.nowUs) this.nowUs = tsUs;
    this.flows.advance(this.nowUs);
    this.eve?.flush();
  }

  /** Flush outputs that buffer (called between capture chunks and on idle ticks). */
  flushOutputs(): void {
    this.eve?.flush();
  }

  /** End of capture: export every open flow with reason 'shutdown' and close the outputs. */
  shutdown(): void {
    this.flows.flush('shutdown');
    this.eve?.close();
    this.eve = null;
  }

  summary(): PipelineSummary {
    return {
      packets: this.packets,
      bytes: this.bytes,
      undecoded: this.undecoded,
      flows: this.flowCount,
      flowsByConnState: { ...this.byState },
      flowsByEndReason: { ...this.byReason },
      flowsEvicted: this.flows.stats.evicted,
      decodeEvents: this.decodeStats.toJSON().events as Record<string, number>,
      firstUs: this.firstUs,
      lastUs: this.nowUs,
    };
  }
}
