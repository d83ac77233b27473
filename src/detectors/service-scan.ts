/**
 * Service/version scans and banner grabs (`scan.service`, what `nmap -sV`, amap or a worm fingerprinting its
 * target do): one source opening connections to several services of one host that complete the handshake and
 * then only probe — the client says nothing and closes once it has the server's banner, says nothing at all,
 * or waits seconds in silence before sending a probe (nmap's NULL probe: it waits for a banner before trying
 * GET / and friends on the same connection). Ordinary clients speak as soon as the handshake is done and answer
 * a banner (SSH, FTP, SMTP), so a probe connection is rare; a few of them across `serviceMinPorts` ports of one
 * host within the window is a scan.
 *
 * The port scan (SYN probes) that usually comes first is the port-scan detector's; a version scan of three
 * ports is far below its thresholds, which is why this one exists.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount, MAX_EVIDENCE_IDS } from './detector.js';
import { isGroupAddress, PrefixSet } from './addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { LruMap, RecentSet } from './window.js';

/** A client pause before its probe of at least this long is a wait for a banner, not an ordinary request. */
const SILENT_WAIT_US = 2_000_000;
/** Packets the client sends in a probe connection at most (handshake, a probe or two, close). */
const MAX_PROBE_PACKETS = 8;

/**
 * How a connection probed a service, or null when it did not:
 * - 'banner-grab': the server spoke, the client never did
 * - 'silent': neither side sent data while the client held the connection open for seconds
 * - 'null-probe': the client waited in silence for seconds, then sent a small probe
 */
export type ServiceProbe = 'banner-grab' | 'silent' | 'null-probe';

export function serviceProbe(r: FlowRecord, maxSeconds: number, maxClientBytes: number): ServiceProbe | null {
  if (r.proto !== 6 || r.segment !== 0) return null;
  const h = r.history;
  // handshake completed by the client, and the client ended it (FIN or RST)
  if (!h.startsWith('S') || !h.includes('h') || !h.includes('A') || !(h.includes('F') || h.includes('R'))) return null;
  if (r.endUs - r.startUs > maxSeconds * 1e6 || r.endReason === 'active' || r.endReason === 'shutdown') return null;
  if (r.payloadBytesToServer > maxClientBytes || r.pktsToServer > MAX_PROBE_PACKETS) return null;
  if (r.payloadBytesToServer === 0) {
    if (r.payloadBytesToClient > 0) return 'banner-grab';
    // held open in silence, waiting for a banner; a port check that connects and closes at once is not a probe
    return r.endUs - r.startUs >= SILENT_WAIT_US ? 'silent' : null;
  }
  return r.iatToServer.max >= SILENT_WAIT_US ? 'null-probe' : null;
}

interface PairState {
  ports: RecentSet<number>;
  byKind: Map<ServiceProbe, number>;
  flowIds: number[];
  communityIds: string[];
  srcMac: string | null;
  lastUs: number;
}

export class ServiceScanDetector extends DetectorBase {
  private readonly pairs: LruMap<string, PairState>;
  private readonly home: PrefixSet;
  private clockUs = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('service-scan', cfg, emit);
    this.pairs = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
  }

  protected tables() {
    return [this.pairs];
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.startUs > this.clockUs) this.clockUs = r.startUs;
    const c = this.cfg.portScan;
    const windowUs = c.serviceWindowSeconds * 1e6;
    this.pairs.expire((s) => s.lastUs < this.clockUs - windowUs);
    const kind = serviceProbe(r, c.serviceMaxSeconds, c.serviceMaxClientBytes);
    if (kind === null || isGroupAddress(r.dstIp)) return;
    const s = this.pairs.touch(`${r.srcIp}|${r.dstIp}`, () => ({
      ports: new RecentSet<number>(Math.max(64, 4 * c.serviceMinPorts)),
      byKind: new Map(),
      flowIds: [],
      communityIds: [],
      srcMac: r.srcMac,
      lastUs: 0,
    }));
    if (r.startUs > s.lastUs) s.lastUs = r.startUs;
    s.ports.add(r.dstPort, r.startUs);
    s.ports.expire(this.clockUs - windowUs);
    s.byKind.set(kind, (s.byKind.get(kind) ?? 0) + 1);
    if (s.flowIds.length < MAX_EVIDENCE_IDS) {
      s.flowIds.push(r.flowId);
      s.communityIds.push(r.communityId);
    }
    const n = s.ports.size;
    if (n < c.serviceMinPorts) return;
    const ports = s.ports.sample(32).sort((a, b) => a - b);
    const kinds = [...s.byKind].sort((a, b) => b[1] - a[1]).map(([k, m]) => `${fmtCount(m)} × ${k}`).join(', ');
    const fromHome = this.home.has(r.srcIp);
    this.raise(r.dstIp, {
      tsUs: r.endUs,
      kind: 'scan.service',
      signature: `Service scan of ${r.dstIp} from ${r.srcIp} (${fmtCount(n)} services: ${ports.slice(0, 8).join(', ')}${n > 8 ? ', …' : ''})`,
      // medium even from a LAN host: three probed services is reconnaissance, and monitoring tools that read
      // banners look alike; a full scan of a host is also a vertical port scan, which is high from the LAN
      severity: 2,
      confidence: confidenceAbove(n, c.serviceMinPorts, 0.7),
      srcIp: r.srcIp,
      srcMac: s.srcMac,
      targets: [r.dstIp],
      destPort: null,
      proto: 'TCP',
      evidence: [
        { text: `connections that only probed and closed on ${fmtCount(n)} ports of ${r.dstIp} within ${fmtCount(c.serviceWindowSeconds)} s (threshold ${c.serviceMinPorts}): ${ports.join(', ')}`, count: n },
        { text: `probes: ${kinds}`, flowIds: s.flowIds, communityIds: s.communityIds },
      ],
      suggestedResponse: fromHome ? 'quarantine' : 'block',
    });
  }
}
