/**
 * The EVE output of a pipeline: the writer and what it listens to on the bus — flow records, incident changes,
 * the models' verdicts — and the decoder's events, bounded per second of packet time.
 */
import type { Bus } from '../bus.js';
import type { Config } from '../config.js';
import { ipToString } from '../decode/addr.js';
import type { DecodeEvent, DecodeStats } from '../decode/events.js';
import type { Packet } from '../decode/packet.js';
import type { GeoLookup } from '../enrich/index.js';
import { protoName } from '../flow/flow-export.js';
import { EveWriter, flowEvent } from './eve.js';
import { argusAnomalyEvent, decodeAnomalyEvent, incidentAlertEvent } from './eve-alert.js';

/** Decoder `anomaly` lines written per second of packet time at most (a flood of garbage frames is counted, not logged line by line). */
export const DECODE_ANOMALY_LINES_PER_SECOND = 100;

/** Layers whose decoder events come after the IP header was read: their lines carry the addresses. */
const ABOVE_IP = /^decoder\.(tcp|udp|icmpv4|icmpv6|dns|dhcp|tls|http)\./;

export type EnforcementCheck = (srcMac: string | null, srcIp: string, targets: readonly string[]) => boolean;

export class EveOutput {
  readonly writer: EveWriter;
  /** decoder anomaly lines left out past DECODE_ANOMALY_LINES_PER_SECOND (the events are still counted) */
  decodeLinesSuppressed = 0;
  private blocked: EnforcementCheck | undefined;
  private lineSecond = -1;
  private linesThisSecond = 0;

  /**
   * `decoding` returns the packet the decoder is working on (the pipeline's, set before each decode); `onLine`
   * gets every line written (the forwarders); `geo` adds the country and AS of each end (enrich.enabled).
   */
  constructor(config: Config, bus: Bus, decodeStats: DecodeStats, private readonly decoding: () => Packet | null, onLine?: (line: string) => void, geo: GeoLookup | null = null) {
    const eve = new EveWriter({ path: config.eve.path, types: config.eve.types, maxBytes: config.eve.maxSizeMB * 1024 * 1024, keep: config.eve.keep, ...(onLine ? { onLine } : {}) });
    this.writer = eve;
    const flowOpts = { iface: config.mode === 'replay' ? undefined : config.iface || undefined, dnsVersion: config.eve.dnsVersion === 2 ? 2 : 3, geo } as const;
    if (eve.wants('flow')) bus.on('flow.end', (r) => eve.write('flow', flowEvent(r, flowOpts)));
    // alert lines are per incident (when it opens, escalates and closes), not per alert
    const alertOpts = { geo, blocked: (mac: string | null, ip: string, targets: readonly string[]) => this.blocked?.(mac, ip, targets) ?? false };
    if (eve.wants('alert')) bus.on('incident', (e) => e.change !== 'update' && eve.write('alert', incidentAlertEvent(e, alertOpts)));
    // Every flow is scored; EVE gets the ones at the alert threshold (the store can keep them all).
    if (eve.wants('argus_anomaly')) bus.on('anomaly', (e) => e.alert && eve.write('argus_anomaly', argusAnomalyEvent(e, geo)));
    if (eve.wants('anomaly')) decodeStats.onEvent = (name) => this.onDecodeEvent(name);
  }

  /** Whether the firewall stops a source now (the response policy's answer): EVE alert.action. */
  setEnforcementCheck(blocked: EnforcementCheck): void {
    this.blocked = blocked;
  }

  private onDecodeEvent(name: DecodeEvent): void {
    const pkt = this.decoding();
    if (pkt === null) return;
    const second = Math.floor(pkt.tsUs / 1_000_000);
    if (second !== this.lineSecond) {
      this.lineSecond = second;
      this.linesThisSecond = 0;
    }
    if (++this.linesThisSecond > DECODE_ANOMALY_LINES_PER_SECOND) {
      this.decodeLinesSuppressed++;
      return;
    }
    const v = pkt.ipVersion as 4 | 6;
    const ip = pkt.ipVersion !== 0 && ABOVE_IP.test(name);
    this.writer.write('anomaly', decodeAnomalyEvent(name, { tsUs: pkt.tsUs, ...(ip ? { srcIp: ipToString(pkt.srcAddr, v), destIp: ipToString(pkt.dstAddr, v), proto: protoName(pkt.ipProto) } : {}) }));
  }
}
