/**
 * ARP spoofing (`arp.spoof`), three signs:
 * - an IP address's MAC changes while the old binding is still fresh (seen within `bindingFreshSeconds`):
 *   two stations claim one address, which is what a man in the middle does (an older binding may change
 *   silently: DHCP hands addresses on);
 * - the gateway's MAC changes (severity 1): the gateway is `gatewayIps` from config, or, when that is empty,
 *   the address bound to the MAC that LAN devices send their outside traffic to (learnt from flow records);
 * - a gratuitous-ARP storm: one MAC announcing (sender address = target address) many times within a window.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount } from './detector.js';
import { PrefixSet } from './addresses.js';
import type { BusEvents } from '../bus.js';
import { ipv4ToString, macToString, parseIpv4 } from '../decode/addr.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { BucketCounter, LruMap, Suppressor } from './window.js';

interface Binding {
  mac: number;
  lastUs: number;
}

interface Announcer {
  count: BucketCounter;
  ip: number;
  lastUs: number;
}

/** MACs tracked as candidate gateways (next hop of outbound flows). */
const MAX_NEXT_HOPS = 16;

export class ArpSpoofDetector extends DetectorBase {
  private readonly bindings: LruMap<number, Binding>;
  /** MAC → the address it last claimed */
  private readonly macIps: LruMap<number, number>;
  private readonly announcers: LruMap<number, Announcer>;
  /** MAC (string) → outbound flows sent to it */
  private readonly nextHops = new LruMap<string, number>(MAX_NEXT_HOPS);
  private readonly gateways: Set<number>;
  private readonly home: PrefixSet;
  /** one alert per contested address per suppression window, whichever MAC claims it (flip-flops are one event) */
  private readonly contested: Suppressor;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('arp-spoof', cfg, emit);
    this.bindings = new LruMap(cfg.maxTracked);
    this.macIps = new LruMap(cfg.maxTracked);
    this.announcers = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
    this.contested = new Suppressor(cfg.suppressSeconds * 1e6, cfg.maxTracked);
    this.gateways = new Set(cfg.arp.gatewayIps.map((s) => parseIpv4(s)).filter((n): n is number => n !== null));
  }

  protected tables() {
    return [this.bindings, this.macIps, this.announcers, this.nextHops, this.contested];
  }

  /** Learn the next hop of outbound traffic: the MAC LAN devices send outside-bound flows to. */
  onFlow(r: FlowRecord): void {
    if (r.dstMac === null || r.ipVersion !== 4 || !this.home.has(r.srcIp) || this.home.has(r.dstIp)) return;
    const n = this.nextHops.peek(r.dstMac) ?? 0;
    this.nextHops.delete(r.dstMac);
    this.nextHops.touch(r.dstMac, () => n + 1);
  }

  /** true when `ip` is the gateway: configured, or bound to the busiest next-hop MAC */
  private isGateway(ip: number, mac: number): boolean {
    if (this.gateways.size > 0) return this.gateways.has(ip);
    let best = '';
    let bestN = 0;
    for (const [m, n] of this.nextHops.entries()) if (n > bestN) [best, bestN] = [m, n];
    return bestN > 0 && best === macToString(mac);
  }

  onArp(e: BusEvents['arp']): void {
    this.events++;
    if (e.tsUs > this.clockUs) this.clockUs = e.tsUs;
    const a = e.arp;
    if (a.senderIp === 0 || a.senderMac <= 0) return;
    if (a.senderIp === a.targetIp) this.countAnnouncement(e);

    const freshUs = this.cfg.arp.bindingFreshSeconds * 1e6;
    const old = this.bindings.peek(a.senderIp);
    if (old !== undefined && old.mac !== a.senderMac && e.tsUs - old.lastUs <= freshUs && this.contested.allow(String(a.senderIp), e.tsUs)) {
      this.alertChange(e, old);
    }
    const b = this.bindings.touch(a.senderIp, () => ({ mac: a.senderMac, lastUs: e.tsUs }));
    b.mac = a.senderMac;
    if (e.tsUs > b.lastUs) b.lastUs = e.tsUs;
    this.macIps.delete(a.senderMac);
    this.macIps.touch(a.senderMac, () => a.senderIp);
  }

  private alertChange(e: BusEvents['arp'], old: Binding): void {
    const a = e.arp;
    const ip = ipv4ToString(a.senderIp);
    const oldMac = macToString(old.mac);
    const newMac = macToString(a.senderMac);
    const gateway = this.isGateway(a.senderIp, old.mac);
    // name the station behind the new MAC by its own address when it has one
    const own = this.macIps.peek(a.senderMac);
    const srcIp = own !== undefined && own !== a.senderIp ? ipv4ToString(own) : ip;
    this.raise(ip, {
      tsUs: e.tsUs,
      kind: 'arp.spoof',
      signature: gateway ? `Gateway ${ip} MAC changed from ${oldMac} to ${newMac}` : `ARP spoofing: ${ip} moved from ${oldMac} to ${newMac}`,
      severity: gateway ? 1 : 2,
      confidence: gateway ? 0.9 : 0.75,
      srcIp,
      srcMac: newMac,
      targets: [ip],
      destPort: null,
      proto: null,
      evidence: [
        { text: `${ip} was at ${oldMac} ${((e.tsUs - old.lastUs) / 1e6).toFixed(1)} s earlier; ARP ${a.op === 2 ? 'reply' : 'request'} now claims it for ${newMac}` },
        ...(own !== undefined && own !== a.senderIp ? [{ text: `${newMac} also claims ${ipv4ToString(own)}` }] : []),
        ...(gateway ? [{ text: `${ip} is the gateway: outside traffic would now pass through ${newMac}` }] : []),
      ],
      suggestedResponse: 'quarantine',
    });
  }

  private countAnnouncement(e: BusEvents['arp']): void {
    const c = this.cfg.arp;
    const windowUs = c.gratuitousWindowSeconds * 1e6;
    this.announcers.expire((s) => s.lastUs < this.clockUs - windowUs);
    const s = this.announcers.touch(e.arp.senderMac, () => ({ count: new BucketCounter(windowUs), ip: e.arp.senderIp, lastUs: 0 }));
    s.count.add(e.tsUs);
    s.ip = e.arp.senderIp;
    if (e.tsUs > s.lastUs) s.lastUs = e.tsUs;
    const n = s.count.total();
    if (n < c.gratuitousMin) return;
    const ip = ipv4ToString(e.arp.senderIp);
    const mac = macToString(e.arp.senderMac);
    this.raise(`gratuitous|${mac}`, {
      tsUs: e.tsUs,
      kind: 'arp.spoof',
      signature: `Gratuitous ARP storm from ${mac} (${ip}): ${fmtCount(n)} in ${c.gratuitousWindowSeconds} s`,
      severity: 2,
      confidence: confidenceAbove(n, c.gratuitousMin, 0.6),
      srcIp: ip,
      srcMac: mac,
      targets: [ip],
      destPort: null,
      proto: null,
      evidence: [{ text: `${fmtCount(n)} gratuitous ARP announcements within ${c.gratuitousWindowSeconds} s (threshold ${c.gratuitousMin})`, count: n }],
      suggestedResponse: 'quarantine',
    });
  }
}
