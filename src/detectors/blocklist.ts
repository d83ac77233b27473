/**
 * Contact with a listed address or domain (`intel.blocklist`): a finished flow whose remote endpoint (the one
 * outside homeNets) is on a threat-intelligence list, a DNS query or answer naming a listed domain, or a flow
 * whose TLS SNI or HTTP Host is a listed domain (which catches clients that resolve names over DoH).
 *
 * The source of the alert is the LAN device, the target the remote host or the domain; the evidence names
 * the feed and the entry. One alert per (device, remote) per suppression window (the shared Suppressor,
 * capped at detectors.maxTracked with eviction), so a device talking to a C2 server every minute raises one
 * alert, not one per flow.
 *
 * Severity follows the feed's kind (c2 and malware 1, scanner 3, others 2). An inbound flow that the device
 * never answered (a listed scanner knocking) is severity 3 and 'monitor': the list says who knocked, not
 * that anything happened.
 */
import type { Alert, Severity } from './alert.js';
import { isGroupAddress, isLoopback, PrefixSet } from './addresses.js';
import { resolveDetectorConfig, type DetectorConfig, type DetectorConfigInput } from './config.js';
import { aboutFlow, DetectorBase, type DetectorStats } from './detector.js';
import type { Bus, BusEvents } from '../bus.js';
import type { FeedKind } from '../trust/feed-formats.js';
import type { ReputationHit } from '../trust/reputation.js';
import type { FlowRecord } from '../flow/flow-record.js';

/** What the detector needs from the feeds (Reputation implements it). */
export interface ReputationLookup {
  lookupIp(ip: string): ReputationHit | null;
  lookupDomain(name: string): ReputationHit | null;
}

const SEVERITY: Readonly<Record<FeedKind, Severity>> = { c2: 1, malware: 1, phishing: 2, drop: 2, scanner: 3, other: 2 };
const CONFIDENCE: Readonly<Record<FeedKind, number>> = { c2: 0.9, malware: 0.85, phishing: 0.8, drop: 0.75, scanner: 0.6, other: 0.7 };
const KIND_WORDS: Readonly<Record<FeedKind, string>> = {
  c2: 'command-and-control server',
  malware: 'malware host',
  phishing: 'phishing site',
  drop: 'hijacked or criminal network',
  scanner: 'known scanner',
  other: 'listed host',
};

/** A flow the responder answered: a reply packet came back. */
const answered = (r: FlowRecord): boolean => r.pktsToClient > 0 && r.connState !== 'REJ' && r.connState !== 'RSTR';

export class BlocklistDetector extends DetectorBase {
  private readonly home: PrefixSet;
  /** flows whose remote endpoint was checked, and DNS names checked */
  ipChecks = 0;
  nameChecks = 0;

  constructor(
    cfg: DetectorConfig,
    private readonly rep: ReputationLookup,
    emit: (a: Alert) => void,
  ) {
    super('blocklist', cfg, emit);
    this.home = new PrefixSet(cfg.homeNets);
  }

  protected tables() {
    return [];
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    const srcHome = this.home.has(r.srcIp);
    const dstHome = this.home.has(r.dstIp);
    if (srcHome && dstHome) return;
    // the remote is the endpoint outside homeNets; with both outside (a bridge between modem and router sees
    // the router's public address) the responder is taken as remote, then the originator
    const outbound = srcHome || !dstHome;
    let hit = this.check(outbound ? r.dstIp : r.srcIp);
    let inbound = !outbound;
    if (hit === null && !srcHome && !dstHome) {
      hit = this.check(r.srcIp);
      inbound = true;
    }
    if (hit !== null) {
      const device = inbound ? r.dstIp : r.srcIp;
      const remote = inbound ? r.srcIp : r.dstIp;
      const mac = inbound ? r.dstMac : r.srcMac;
      const quiet = inbound && !answered(r);
      const what = inbound
        ? `${remote} connected to ${device}:${r.dstPort}/${r.protoName}${quiet ? ' (never answered)' : ''}`
        : `${device} connected to ${remote}:${r.dstPort}/${r.protoName}`;
      this.alert(device, mac, remote, remote, hit, r.endUs, `${what}, ${r.pktsToServer + r.pktsToClient} packets`, quiet, {
        ...aboutFlow(r, mac),
        srcIp: device,
        targets: [remote],
        flowIds: [r.flowId],
        communityIds: [r.communityId],
      });
      return; // the address says enough; the names in the same flow would repeat it
    }
    for (const [field, name] of [['TLS SNI', r.tlsSni], ['HTTP Host', r.httpHost]] as const) {
      if (name === null || name === '') continue;
      this.nameChecks++;
      const h = this.rep.lookupDomain(name);
      if (h === null) continue;
      const device = dstHome && !srcHome ? r.dstIp : r.srcIp;
      this.alert(device, r.srcMac, name, h.entry, h, r.endUs, `${field} ${name} in a flow to ${r.dstIp}:${r.dstPort}`, false, {
        ...aboutFlow(r),
        srcIp: device,
        targets: [name, r.dstIp],
        flowIds: [r.flowId],
        communityIds: [r.communityId],
      });
    }
  }

  /**
   * The entry listing a remote address. Group and loopback addresses are never looked up: lists such as
   * FireHOL level 1 include the bogons (224.0.0.0/3 and the like), and SSDP or mDNS is no contact with anyone.
   */
  private check(remote: string): ReputationHit | null {
    if (isGroupAddress(remote) || isLoopback(remote)) return null;
    this.ipChecks++;
    return this.rep.lookupIp(remote);
  }

  onDns(e: BusEvents['dns']): void {
    this.events++;
    const d = e.dns;
    if (d.mdns) return;
    // the device is the client: the sender of a query, the receiver of a response
    const device = d.response ? e.dstIp : e.srcIp;
    const names: [string, string][] = [];
    if (d.qname !== '') names.push([d.qname, `${d.response ? 'answer to a query' : 'query'} for ${d.qname}`]);
    for (const a of d.answers) {
      if (a.name !== '' && a.name !== d.qname) names.push([a.name, `answer record ${a.name} (for ${d.qname})`]);
      if (a.type === 5 && a.data !== '') names.push([a.data, `CNAME ${a.name} → ${a.data}`]);
    }
    for (const [name, how] of names) {
      this.nameChecks++;
      const h = this.rep.lookupDomain(name);
      if (h === null) continue;
      this.alert(device, null, name, h.entry, h, e.tsUs, `DNS ${how}`, false, {
        tsUs: e.tsUs,
        srcIp: device,
        srcMac: null,
        targets: [name],
        destPort: 53,
        proto: 'UDP',
      });
      return; // one listed name per message is enough
    }
  }

  private alert(
    device: string,
    mac: string | null,
    remote: string,
    /** suppression key beside the device: the remote address, or the listed domain (all its subdomains are one alert) */
    key: string,
    hit: ReputationHit,
    tsUs: number,
    seen: string,
    quiet: boolean,
    about: Pick<Alert, 'tsUs' | 'srcIp' | 'srcMac' | 'targets' | 'destPort' | 'proto'> & { flowIds?: number[]; communityIds?: string[] },
  ): void {
    const { flowIds, communityIds, ...where } = about;
    const listed = `${hit.feed}: ${hit.entry}${hit.note !== null ? ` (${hit.note})` : ''}`;
    const also = hit.alsoIn.length > 0 ? `; also on ${hit.alsoIn.join(', ')}` : '';
    this.raise(key, {
      ...where,
      srcMac: mac,
      tsUs,
      kind: 'intel.blocklist',
      signature: `${device} contacted ${remote}, a ${KIND_WORDS[hit.kind]} on ${hit.feed}`,
      severity: quiet ? 3 : SEVERITY[hit.kind],
      confidence: quiet ? 0.5 : CONFIDENCE[hit.kind],
      evidence: [
        { text: `listed on ${listed}${also}` },
        { text: seen, ...(flowIds ? { flowIds } : {}), ...(communityIds ? { communityIds } : {}) },
      ],
      suggestedResponse: quiet ? 'monitor' : 'block',
    });
  }
}

export interface BlocklistHandle {
  readonly detector: BlocklistDetector;
  stats(): DetectorStats;
  /** unsubscribe from the bus */
  detach(): void;
}

/**
 * Subscribe a blocklist detector to `bus` ('flow.end' and 'dns' in, 'alert' out). `input` is the detector
 * configuration (homeNets, suppressSeconds, maxTracked, maxAlertTargets); with `enabled: false` nothing is
 * subscribed. The lookups follow `rep` as its feeds refresh.
 */
export function attachBlocklist(bus: Bus, rep: ReputationLookup, input: DetectorConfigInput = {}): BlocklistHandle {
  const cfg = resolveDetectorConfig(input);
  const detector = new BlocklistDetector(cfg, rep, (a) => bus.emit('alert', a));
  const off: (() => void)[] = [];
  if (cfg.enabled) off.push(bus.on('flow.end', (r) => detector.onFlow(r)), bus.on('dns', (e) => detector.onDns(e)));
  return {
    detector,
    stats: () => detector.stats(),
    detach: () => {
      for (const f of off.splice(0)) f();
    },
  };
}
