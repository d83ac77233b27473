/**
 * ARP spoofing (`arp.spoof`), the signs of a station claiming addresses that are not its own:
 * - an address claimed by a second MAC while the first still answers for it: the binding was fresh (seen
 *   within `bindingFreshSeconds`) and either the new claimant also claims an address of its own (a station
 *   answering for someone else: how arpspoof/ettercap poison a cache and how a man in the middle that
 *   answers for the gateway and for the victim looks), the address is the gateway's, or the two MACs take
 *   turns (both stations answer). A binding that moves once to a MAC with no other address is a device that
 *   changed its network card or got its address from DHCP again, and stays silent;
 * - which of the two MACs is the impostor: the one that claims other addresses too; when the real owner
 *   answers again after the poisoning began, the alert still names the poisoner;
 * - the gateway is `gatewayIps` from config, or, when that is empty, the address bound to the MAC that LAN
 *   devices send their outside traffic to (learnt from flow records);
 * - a gratuitous-ARP storm: one MAC announcing (sender address = target address) many times within a window
 *   (severity 2: flapping links and buggy firmware do it too).
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
  /** the MAC that held the address before `mac`, while that binding was fresh; -1 when none */
  prevMac: number;
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
  /** MAC → the addresses it claimed (sender address of its ARP packets) with the packet time, most recent last */
  private readonly claims: LruMap<number, LruMap<number, number>>;
  private readonly announcers: LruMap<number, Announcer>;
  /** MAC (string) → outbound flows sent to it */
  private readonly nextHops = new LruMap<string, number>(MAX_NEXT_HOPS);
  private readonly gateways: Set<number>;
  private readonly home: PrefixSet;
  /** one alert per contested address per suppression window, whichever MAC claims it (flip-flops are one event) */
  private readonly contested: Suppressor;
  private clockUs = 0;
  /** addresses dropped from a MAC's claim list to stay under `maxClaimsPerMac` */
  private claimsEvicted = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('arp-spoof', cfg, emit);
    this.bindings = new LruMap(cfg.maxTracked);
    this.claims = new LruMap(cfg.maxTracked);
    this.announcers = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
    this.contested = new Suppressor(cfg.suppressSeconds * 1e6, cfg.maxTracked);
    this.gateways = new Set(cfg.arp.gatewayIps.map((s) => parseIpv4(s)).filter((n): n is number => n !== null));
  }

  protected tables() {
    return [this.bindings, this.claims, this.announcers, this.nextHops, this.contested, { size: 0, evicted: this.claimsEvicted }];
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
    this.claim(a.senderMac, a.senderIp, e.tsUs);

    const freshUs = this.cfg.arp.bindingFreshSeconds * 1e6;
    const old = this.bindings.peek(a.senderIp);
    const fresh = old !== undefined && e.tsUs - old.lastUs <= freshUs;
    if (old !== undefined && old.mac !== a.senderMac && fresh) this.judgeConflict(e, old);
    const b = this.bindings.touch(a.senderIp, () => ({ mac: a.senderMac, lastUs: e.tsUs, prevMac: -1 }));
    if (b.mac !== a.senderMac) {
      b.prevMac = fresh ? b.mac : -1;
      b.mac = a.senderMac;
    }
    if (e.tsUs > b.lastUs) b.lastUs = e.tsUs;
  }

  private claim(mac: number, ip: number, tsUs: number): void {
    const cap = this.cfg.arp.maxClaimsPerMac;
    const list = this.claims.touch(mac, () => new LruMap<number, number>(cap));
    const before = list.evicted;
    list.delete(ip);
    list.touch(ip, () => tsUs);
    this.claimsEvicted += list.evicted - before;
  }

  /** Fresh addresses other than `ip` that `mac` claimed. */
  private otherClaims(mac: number, ip: number): number[] {
    const list = this.claims.peek(mac);
    if (list === undefined) return [];
    const freshUs = this.cfg.arp.bindingFreshSeconds * 1e6;
    const out: number[] = [];
    for (const [other, ts] of list.entries()) if (other !== ip && this.clockUs - ts <= freshUs) out.push(other);
    return out;
  }

  /** `ip` was freshly bound to `old.mac` and is now claimed by the packet's sender: decide whether that is spoofing. */
  private judgeConflict(e: BusEvents['arp'], old: Binding): void {
    const a = e.arp;
    const ip = a.senderIp;
    const newOthers = this.otherClaims(a.senderMac, ip);
    const oldOthers = this.otherClaims(old.mac, ip);
    const gateway = this.isGateway(ip, old.mac) || this.isGateway(ip, a.senderMac);
    const turns = old.prevMac === a.senderMac;
    let impostor: number;
    let others: number[];
    if (newOthers.length > 0 && oldOthers.length === 0) [impostor, others] = [a.senderMac, newOthers];
    else if (oldOthers.length > 0 && newOthers.length === 0) [impostor, others] = [old.mac, oldOthers];
    else if (gateway || turns) [impostor, others] = [a.senderMac, newOthers];
    else return; // moved once to a MAC with no other address: a new card or a new DHCP lease
    if (!this.contested.allow(String(ip), e.tsUs)) return;
    const owner = impostor === a.senderMac ? old.mac : a.senderMac;
    this.alertConflict(e, ip, impostor, owner, others, gateway, old);
  }

  private alertConflict(e: BusEvents['arp'], ipNum: number, impostor: number, owner: number, others: number[], gateway: boolean, old: Binding): void {
    const a = e.arp;
    const ip = ipv4ToString(ipNum);
    const impMac = macToString(impostor);
    const ownerMac = macToString(owner);
    // name the impostor by an address of its own: one it claims that nobody else holds
    const own = others.find((o) => this.bindings.peek(o)?.mac === impostor && this.bindings.peek(o)?.prevMac === -1);
    const contested = others.filter((o) => o !== own && !(this.bindings.peek(o)?.mac === impostor && this.bindings.peek(o)?.prevMac === -1)).map(ipv4ToString);
    const srcIp = own !== undefined ? ipv4ToString(own) : ip;
    const mitm = contested.length > 0;
    const poisonedLater = impostor !== a.senderMac;
    this.raise(ip, {
      tsUs: e.tsUs,
      kind: 'arp.spoof',
      signature: mitm
        ? `ARP man in the middle: ${impMac} claims ${ip}${gateway ? ' (the gateway)' : ''} and ${contested.slice(0, 3).join(', ')}`
        : gateway
          ? `Gateway ${ip} MAC changed from ${ownerMac} to ${impMac}`
          : `ARP spoofing: ${ip} claimed by ${impMac} while ${ownerMac} still answers`,
      severity: 1,
      confidence: gateway || mitm ? 0.9 : 0.75,
      srcIp,
      srcMac: impMac,
      targets: [ip, ...contested],
      destPort: null,
      proto: null,
      evidence: [
        poisonedLater
          ? { text: `${ip} was claimed by ${impMac}; ${ownerMac} answers for it again (${((e.tsUs - old.lastUs) / 1e6).toFixed(1)} s later)` }
          : { text: `${ip} was at ${ownerMac} ${((e.tsUs - old.lastUs) / 1e6).toFixed(1)} s earlier; ARP ${a.op === 2 ? 'reply' : 'request'} now claims it for ${impMac}` },
        ...(own !== undefined ? [{ text: `${impMac} is ${ipv4ToString(own)}` }] : []),
        ...(mitm ? [{ text: `${impMac} also claims ${contested.join(', ')}, held by other stations: it stands between them and forwards their traffic` }] : []),
        ...(gateway ? [{ text: `${ip} is the gateway: outside traffic would now pass through ${impMac}` }] : []),
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
