/**
 * ARP scan (`scan.arp`): one sender asking for many distinct addresses within a window — how tools such as
 * arp-scan, nmap -sn on a LAN and worms map a subnet. Requests from 0.0.0.0 (address-conflict probes) and
 * gratuitous announcements (sender address = target address) are not asking for anyone else and are skipped.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount } from './detector.js';
import type { BusEvents } from '../bus.js';
import { ipv4ToString, macToString } from '../decode/addr.js';
import { LruMap, RecentSet } from './window.js';

interface SenderState {
  targets: RecentSet<number>;
  requests: number;
  senderIp: number;
  lastUs: number;
}

export class ArpScanDetector extends DetectorBase {
  private readonly senders: LruMap<number, SenderState>;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('arp-scan', cfg, emit);
    this.senders = new LruMap(cfg.maxTracked);
  }

  protected tables() {
    return [this.senders];
  }

  onArp(e: BusEvents['arp']): void {
    this.events++;
    if (e.tsUs > this.clockUs) this.clockUs = e.tsUs;
    const c = this.cfg.arp;
    const windowUs = c.scanWindowSeconds * 1e6;
    this.senders.expire((s) => s.lastUs < this.clockUs - windowUs);
    const a = e.arp;
    if (a.op !== 1 || a.senderIp === 0 || a.senderIp === a.targetIp) return;
    const s = this.senders.touch(a.senderMac, () => ({
      targets: new RecentSet<number>(4 * c.scanMinTargets),
      requests: 0,
      senderIp: a.senderIp,
      lastUs: 0,
    }));
    s.requests++;
    s.senderIp = a.senderIp;
    if (e.tsUs > s.lastUs) s.lastUs = e.tsUs;
    s.targets.add(a.targetIp, e.tsUs);
    s.targets.expire(this.clockUs - windowUs);
    const n = s.targets.size;
    if (n < c.scanMinTargets) return;
    const srcIp = ipv4ToString(a.senderIp);
    const mac = macToString(a.senderMac);
    const sample = s.targets.sample(this.cfg.maxAlertTargets).map(ipv4ToString);
    this.raise('arp', {
      tsUs: e.tsUs,
      kind: 'scan.arp',
      signature: `ARP scan from ${srcIp} (${mac}): ${fmtCount(n)} addresses asked for`,
      severity: 2,
      confidence: confidenceAbove(n, c.scanMinTargets, 0.7),
      srcIp,
      srcMac: mac,
      targets: sample,
      destPort: null,
      proto: null,
      evidence: [
        { text: `${fmtCount(n)} distinct addresses requested within ${c.scanWindowSeconds} s (threshold ${c.scanMinTargets})`, count: n },
        { text: `${fmtCount(s.requests)} ARP requests from ${mac}, e.g. for ${sample.slice(0, 6).join(', ')}`, count: s.requests },
      ],
      suggestedResponse: 'monitor',
    });
  }
}
