/**
 * LAN sweep (`scan.lan.sweep`): one source probing most of the LAN hosts the appliance knows, on TCP ports that
 * did not answer or refused (see `probeKind`), within a window — how a worm on a compromised home device
 * (Mirai and its descendants: telnet and IoT ports of every neighbour) looks for its next victim. The judgement
 * is relative to the LAN: six probed hosts of a six-host LAN is a sweep, where the horizontal scan detector
 * (one port across `horizontalMinHosts` hosts) needs many more.
 *
 * A LAN host is known while it sent or answered traffic within `lanHostSeconds`: an address inside homeNets
 * that only ever received unanswered probes is not a host, so sweeping an empty /24 is judged against the
 * hosts that exist.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount, MAX_EVIDENCE_IDS } from './detector.js';
import { isGroupAddress, isLoopback, PrefixSet } from './addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { probeKind, type ProbeKind } from './port-scan.js';
import { LruMap, RecentSet } from './window.js';

/** Ports remembered per sweeping source, for the evidence. */
const MAX_PORTS_PER_SOURCE = 64;

interface SweepState {
  hosts: RecentSet<string>;
  ports: RecentSet<number>;
  byKind: Map<ProbeKind, number>;
  flowIds: number[];
  communityIds: string[];
  srcMac: string | null;
  lastUs: number;
}

export class LanSweepDetector extends DetectorBase {
  /** LAN address → packet time it last sent or answered, per family (a host has an IPv4 and IPv6 addresses) */
  private readonly known4: LruMap<string, number>;
  private readonly known6: LruMap<string, number>;
  private readonly sources: LruMap<string, SweepState>;
  private readonly home: PrefixSet;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('lan-sweep', cfg, emit);
    this.known4 = new LruMap(cfg.maxTracked);
    this.known6 = new LruMap(cfg.maxTracked);
    this.sources = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
  }

  protected tables() {
    return [this.known4, this.known6, this.sources];
  }

  /** LAN addresses known at the latest packet time seen, of one family (for tests and the dashboard). */
  knownHosts(family: 4 | 6 = 4): number {
    return this.knownOf(family === 6 ? '::' : '0.0.0.0').size;
  }

  private knownOf(ip: string): LruMap<string, number> {
    return ip.includes(':') ? this.known6 : this.known4;
  }

  private learn(ip: string, tsUs: number): void {
    if (!this.home.has(ip) || isGroupAddress(ip) || isLoopback(ip)) return;
    const known = this.knownOf(ip);
    const prev = known.peek(ip);
    if (prev !== undefined && prev >= tsUs) return;
    known.delete(ip);
    known.touch(ip, () => tsUs);
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.endUs > this.clockUs) this.clockUs = r.endUs;
    const c = this.cfg.portScan;
    for (const known of [this.known4, this.known6]) known.expire((ts) => ts < this.clockUs - c.lanHostSeconds * 1e6);
    this.sources.expire((s) => s.lastUs < this.clockUs - c.lanSweepWindowSeconds * 1e6);

    this.learn(r.srcIp, r.endUs);
    // an answer, even a refusal, proves the host is there
    if (r.pktsToClient > 0) this.learn(r.dstIp, r.endUs);

    if (r.proto !== 6 || !this.home.has(r.dstIp) || isGroupAddress(r.dstIp) || r.srcIp === r.dstIp) return;
    const kind = probeKind(r, 0);
    if (kind === null) return;
    const s = this.sources.touch(r.srcIp, () => ({
      hosts: new RecentSet<string>(Math.max(256, 4 * c.lanSweepMinHosts)),
      ports: new RecentSet<number>(MAX_PORTS_PER_SOURCE),
      byKind: new Map(),
      flowIds: [],
      communityIds: [],
      srcMac: r.srcMac,
      lastUs: 0,
    }));
    if (r.startUs > s.lastUs) s.lastUs = r.startUs;
    s.hosts.add(r.dstIp, r.startUs);
    s.hosts.expire(this.clockUs - c.lanSweepWindowSeconds * 1e6);
    s.ports.add(r.dstPort, r.startUs);
    s.byKind.set(kind, (s.byKind.get(kind) ?? 0) + 1);
    if (s.flowIds.length < MAX_EVIDENCE_IDS) {
      s.flowIds.push(r.flowId);
      s.communityIds.push(r.communityId);
    }
    this.judge(r, s);
  }

  private judge(r: FlowRecord, s: SweepState): void {
    const c = this.cfg.portScan;
    if (s.hosts.size < c.lanSweepMinHosts) return;
    const known = this.knownOf(r.dstIp);
    let others = known.size;
    if (known.peek(r.srcIp) !== undefined) others--;
    const probed = s.hosts.sample(s.hosts.size).filter((ip) => known.peek(ip) !== undefined);
    const n = probed.length;
    if (n < c.lanSweepMinHosts || n < c.lanSweepHostShare * others) return;
    const ports = s.ports.sample(MAX_PORTS_PER_SOURCE).sort((a, b) => a - b);
    const kinds = [...s.byKind].sort((a, b) => b[1] - a[1]).map(([k, m]) => `${fmtCount(m)} × ${k}`).join(', ');
    const fromHome = this.home.has(r.srcIp);
    this.raise('lan', {
      tsUs: r.endUs,
      kind: 'scan.lan.sweep',
      signature: `LAN sweep from ${r.srcIp}: ${fmtCount(n)} of ${fmtCount(others)} LAN hosts probed on ${ports.length === 1 ? 'port' : 'ports'} ${ports.slice(0, 8).join(', ')}${ports.length > 8 ? ', …' : ''}`,
      severity: 1,
      confidence: confidenceAbove(n, Math.max(c.lanSweepMinHosts, c.lanSweepHostShare * others), 0.75),
      srcIp: r.srcIp,
      srcMac: s.srcMac,
      targets: probed.slice(0, this.cfg.maxAlertTargets),
      destPort: ports.length === 1 ? ports[0]! : null,
      proto: 'TCP',
      evidence: [
        {
          text: `${fmtCount(n)} of the ${fmtCount(others)} LAN hosts seen in the last ${fmtCount(c.lanHostSeconds)} s probed within ${fmtCount(c.lanSweepWindowSeconds)} s (threshold ${c.lanSweepMinHosts} hosts and ${Math.round(c.lanSweepHostShare * 100)} %)`,
          count: n,
        },
        { text: `TCP ports ${ports.join(', ')}; probes: ${kinds}`, flowIds: s.flowIds, communityIds: s.communityIds },
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'block',
    });
  }
}
