/**
 * Port scans, from finished flows.
 *
 * - vertical (`scan.port.vertical`): one source probes many ports of one host;
 * - horizontal (`scan.port.horizontal`): one source probes one port (per protocol) across many hosts.
 *
 * A flow is a probe when it carried no payload and looks like one of nmap's techniques (see `probeKind`):
 * a SYN with no answer or a RST answer, a connect that was reset at once, FIN/NULL/XMAS/ACK stealth packets,
 * or a UDP datagram that got no reply. Finished sessions with data are never probes, so a busy device talking
 * to many servers is not a scanner.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount, MAX_EVIDENCE_IDS } from './detector.js';
import { isGroupAddress, PrefixSet } from './addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { LruMap, RecentSet } from './window.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const URG = 0x20;

/**
 * How a flow probed its target, or null when it is not a probe.
 * - 'syn': SYN without any answer (S0, RSTOS0, SH) — open-but-filtered or dropped
 * - 'syn-rejected': SYN answered by RST (REJ) — closed port
 * - 'connect-reset': handshake completed and torn down at once without data (connect scan)
 * - 'fin' / 'xmas' / 'null': stealth packets without SYN or ACK
 * - 'ack': a lone ACK answered by RST (firewall mapping)
 * - 'udp': a small UDP datagram that got no reply
 */
export type ProbeKind = 'syn' | 'syn-rejected' | 'connect-reset' | 'fin' | 'xmas' | 'null' | 'ack' | 'udp';

export function probeKind(r: FlowRecord, udpMaxPayload: number): ProbeKind | null {
  if (r.proto === 6) {
    if (r.payloadBytesToServer > 0 || r.payloadBytesToClient > 0) return null;
    const f = r.tcpFlagsToServer;
    if (f & SYN) {
      switch (r.connState) {
        case 'S0':
        case 'RSTOS0':
        case 'SH':
          return 'syn';
        case 'REJ':
          return 'syn-rejected';
        case 'RSTO':
        case 'RSTR':
          return r.pktsToServer <= 3 ? 'connect-reset' : null;
        default:
          return null;
      }
    }
    if (r.pktsToServer === 0 || r.pktsToServer > 3) return null;
    if (f & ACK) {
      // ACK scan: only ACK (no data, no FIN), and the target answered with a RST
      return f === ACK && (r.tcpFlagsToClient & RST) !== 0 ? 'ack' : null;
    }
    if (f === 0) return 'null';
    if ((f & (FIN | PSH | URG)) === (FIN | PSH | URG)) return 'xmas';
    if (f & FIN) return 'fin';
    return null;
  }
  if (r.proto === 17) {
    return r.pktsToClient === 0 && r.payloadBytesToServer <= udpMaxPayload ? 'udp' : null;
  }
  return null;
}

const PROBE_TEXT: Record<ProbeKind, string> = {
  syn: 'SYN without reply',
  'syn-rejected': 'SYN rejected (REJ)',
  'connect-reset': 'connect then reset',
  fin: 'FIN stealth probe',
  xmas: 'XMAS stealth probe',
  null: 'NULL stealth probe',
  ack: 'ACK probe answered by RST',
  udp: 'UDP datagram without reply',
};

interface ScanState {
  /** distinct ports (vertical) or hosts (horizontal) probed, with the packet time last probed */
  items: RecentSet<string>;
  byKind: Map<ProbeKind, number>;
  flowIds: number[];
  communityIds: string[];
  srcMac: string | null;
  /** newest probe start seen */
  lastUs: number;
}

export class PortScanDetector extends DetectorBase {
  private readonly vertical: LruMap<string, ScanState>;
  private readonly horizontal: LruMap<string, ScanState>;
  private readonly home: PrefixSet;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('port-scan', cfg, emit);
    this.vertical = new LruMap(cfg.maxTracked);
    this.horizontal = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
  }

  protected tables() {
    return [this.vertical, this.horizontal];
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.startUs > this.clockUs) this.clockUs = r.startUs;
    const c = this.cfg.portScan;
    const kind = probeKind(r, c.udpProbeMaxPayloadBytes);
    if (kind === null || isGroupAddress(r.dstIp) || isGroupAddress(r.srcIp)) {
      this.expire();
      return;
    }
    const proto = r.protoName.toLowerCase();
    const port = `${r.dstPort}/${proto}`;

    const v = this.update(this.vertical, `${r.srcIp}|${r.dstIp}`, port, r, kind, c.verticalWindowSeconds);
    if (v.items.size >= c.verticalMinPorts) this.alertVertical(r, v);

    const h = this.update(this.horizontal, `${r.srcIp}|${port}`, r.dstIp, r, kind, c.horizontalWindowSeconds);
    if (h.items.size >= c.horizontalMinHosts) this.alertHorizontal(r, h, port);
    this.expire();
  }

  private update(table: LruMap<string, ScanState>, key: string, item: string, r: FlowRecord, kind: ProbeKind, windowS: number): ScanState {
    const s = table.touch(key, () => ({
      items: new RecentSet<string>(Math.max(64, 4 * Math.max(this.cfg.portScan.verticalMinPorts, this.cfg.portScan.horizontalMinHosts))),
      byKind: new Map(),
      flowIds: [],
      communityIds: [],
      srcMac: r.srcMac,
      lastUs: 0,
    }));
    s.items.add(item, r.startUs);
    s.items.expire(this.clockUs - windowS * 1e6);
    s.byKind.set(kind, (s.byKind.get(kind) ?? 0) + 1);
    if (s.flowIds.length < MAX_EVIDENCE_IDS) {
      s.flowIds.push(r.flowId);
      s.communityIds.push(r.communityId);
    }
    if (r.startUs > s.lastUs) s.lastUs = r.startUs;
    return s;
  }

  /** Forget sources idle for longer than their window (the tables are in last-touched order). */
  private expire(): void {
    const c = this.cfg.portScan;
    this.vertical.expire((s) => s.lastUs < this.clockUs - c.verticalWindowSeconds * 1e6);
    this.horizontal.expire((s) => s.lastUs < this.clockUs - c.horizontalWindowSeconds * 1e6);
  }

  private kindsText(s: ScanState): string {
    return [...s.byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${fmtCount(n)} × ${PROBE_TEXT[k]}`).join(', ');
  }

  private alertVertical(r: FlowRecord, s: ScanState): void {
    const c = this.cfg.portScan;
    const n = s.items.size;
    const fromHome = this.home.has(r.srcIp);
    this.raise(r.dstIp, {
      tsUs: r.endUs,
      kind: 'scan.port.vertical',
      signature: `Vertical port scan of ${r.dstIp} from ${r.srcIp} (${fmtCount(n)} ports)`,
      // a home device has no reason to scan: it is compromised or misused (the trust score makes it critical)
      severity: fromHome ? 1 : 2,
      confidence: confidenceAbove(n, c.verticalMinPorts, 0.7),
      srcIp: r.srcIp,
      srcMac: s.srcMac,
      targets: [r.dstIp],
      destPort: null,
      proto: r.protoName,
      evidence: [
        { text: `${fmtCount(n)} distinct ports of ${r.dstIp} probed within ${c.verticalWindowSeconds} s (threshold ${c.verticalMinPorts})`, count: n },
        { text: `ports include ${s.items.sample(12).join(', ')}` },
        { text: `probes: ${this.kindsText(s)}`, flowIds: s.flowIds, communityIds: s.communityIds },
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'block',
    });
  }

  private alertHorizontal(r: FlowRecord, s: ScanState, port: string): void {
    const c = this.cfg.portScan;
    const n = s.items.size;
    const fromHome = this.home.has(r.srcIp);
    this.raise(port, {
      tsUs: r.endUs,
      kind: 'scan.port.horizontal',
      signature: `Horizontal scan of ${port} across ${fmtCount(n)} hosts from ${r.srcIp}`,
      // a LAN device sweeping one port across many hosts is how worms (Mirai) spread
      severity: fromHome ? 1 : 2,
      confidence: confidenceAbove(n, c.horizontalMinHosts, 0.7),
      srcIp: r.srcIp,
      srcMac: s.srcMac,
      targets: s.items.sample(this.cfg.maxAlertTargets),
      destPort: r.dstPort,
      proto: r.protoName,
      evidence: [
        { text: `${fmtCount(n)} distinct hosts probed on ${port} within ${c.horizontalWindowSeconds} s (threshold ${c.horizontalMinHosts})`, count: n },
        { text: `probes: ${this.kindsText(s)}`, flowIds: s.flowIds, communityIds: s.communityIds },
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'block',
    });
  }
}
