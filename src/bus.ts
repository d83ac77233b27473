/**
 * The in-process event bus: every stage emits typed events here and later stages, the store and the web
 * server subscribe. Dispatch is synchronous and in subscription order, so a replay stays deterministic.
 * A handler that throws is a bug in that handler: the error is counted, logged once per event type and
 * does not stop the other handlers or the pipeline.
 *
 * Later stages extend `BusEvents` through declaration merging:
 *   declare module '../bus.js' { interface BusEvents { 'alert': Alert } }
 */
import type { FlowRecord } from './flow/flow-record.js';
import type { ArpInfo, DhcpInfo, DnsMessage } from './decode/packet.js';
import type { Alert } from './detectors/alert.js';
import type { AnomalyEvent } from './models/anomaly.js';
import type { DeviceEvent, TrustChange } from './trust/types.js';
import type { ActionEvent } from './respond/types.js';
import type { IncidentEvent } from './incidents/types.js';

export interface PacketMeta {
  tsUs: number;
  vlan: number;
  srcMac: number;
  dstMac: number;
  srcIp: string;
  dstIp: string;
}

export interface BusEvents {
  /** a flow record was exported (flow ended, or an active-timeout segment) */
  'flow.end': FlowRecord;
  /** an ARP packet was decoded */
  arp: { tsUs: number; vlan: number; srcMac: number; dstMac: number; arp: ArpInfo };
  /** a DHCP message was decoded */
  dhcp: PacketMeta & { dhcp: DhcpInfo };
  /** a DNS or mDNS message was decoded */
  dns: PacketMeta & { dns: DnsMessage };
  /** a detector or the models raised an alert */
  alert: Alert;
  /** the models scored a flow */
  anomaly: AnomalyEvent;
  /** a device inside homeNets was seen for the first time */
  'device.new': DeviceEvent;
  /** a known device changed: new address, hostname or vendor */
  'device.update': DeviceEvent;
  /** a device's trust score moved */
  'trust.change': TrustChange;
  /** an action (quarantine, block, rate-limit) was created or changed state */
  action: ActionEvent;
  /** an incident opened, grew, escalated or closed (src/incidents) */
  incident: IncidentEvent;
}

export type BusHandler<K extends keyof BusEvents> = (event: BusEvents[K]) => void;

export class Bus {
  private readonly handlers = new Map<keyof BusEvents, BusHandler<any>[]>();
  private readonly reported = new Set<keyof BusEvents>();
  /** handler exceptions caught, by event type */
  readonly handlerErrors = new Map<keyof BusEvents, number>();

  constructor(private readonly log: (msg: string) => void = (m) => process.stderr.write(m + '\n')) {}

  /** Subscribe; returns a function that unsubscribes. */
  on<K extends keyof BusEvents>(type: K, handler: BusHandler<K>): () => void {
    const list = this.handlers.get(type) ?? [];
    list.push(handler);
    this.handlers.set(type, list);
    return () => {
      const cur = this.handlers.get(type);
      if (cur) this.handlers.set(type, cur.filter((h) => h !== handler));
    };
  }

  /** true when anyone listens: lets emitters skip building an event nobody reads */
  has(type: keyof BusEvents): boolean {
    const list = this.handlers.get(type);
    return list !== undefined && list.length > 0;
  }

  emit<K extends keyof BusEvents>(type: K, event: BusEvents[K]): void {
    const list = this.handlers.get(type);
    if (list === undefined) return;
    for (const h of list) {
      try {
        h(event);
      } catch (err) {
        this.handlerErrors.set(type, (this.handlerErrors.get(type) ?? 0) + 1);
        if (!this.reported.has(type)) {
          this.reported.add(type);
          this.log(`error in a '${String(type)}' handler (further ones are counted): ${(err as Error)?.stack ?? err}`);
        }
      }
    }
  }
}
