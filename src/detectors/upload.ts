/**
 * Abnormal upload (`exfil.upload`): a LAN device sending far more to one outside destination than it usually
 * sends to any one destination, or far more in total than it usually sends per window (data spread over many
 * destinations: cloud-storage shards, a botnet's upload to several drop hosts). The total has its own baseline,
 * learnt the same way. Upload is summed per device and destination over fixed windows of packet
 * time; the device's baseline is an exponentially weighted average of its largest per-destination upload in
 * each past window (windows without traffic pull it toward zero). A window's upload to one destination alerts
 * when it passes both `minBytes` and `factor` × baseline, and only once the device has `minBaselineWindows`
 * windows of history: a device seen for the first time has no baseline to exceed.
 *
 * Bytes are counted when a flow record is exported, so a long transfer is seen at each active-timeout segment.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { aboutFlow, confidenceAbove, DetectorBase, fmtCount, MAX_EVIDENCE_IDS } from './detector.js';
import { isGroupAddress, isLoopback, PrefixSet } from './addresses.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { LruMap } from './window.js';

/** Destinations tracked per device within one window. */
const MAX_DESTS_PER_DEVICE = 256;
/** Empty windows folded into the baseline at most (beyond that it is effectively zero anyway). */
const MAX_DECAY_WINDOWS = 48;

interface DestTotal {
  bytes: number;
  flowIds: number[];
  /** already reported in this window: one alert per destination per window, however long the upload runs */
  reported: boolean;
}

interface DeviceState {
  window: number;
  windowsSeen: number;
  baseline: number;
  /** bytes sent to all outside destinations in the current window, its baseline, and whether it was reported */
  total: number;
  totalBaseline: number;
  totalReported: boolean;
  dests: LruMap<string, DestTotal>;
  srcMac: string | null;
  lastUs: number;
}

export class UploadDetector extends DetectorBase {
  private readonly devices: LruMap<string, DeviceState>;
  private readonly home: PrefixSet;
  private clockUs = 0;
  private destEvicted = 0;

  constructor(cfg: DetectorConfig, emit: (a: Alert) => void) {
    super('upload', cfg, emit);
    this.devices = new LruMap(cfg.maxTracked);
    this.home = new PrefixSet(cfg.homeNets);
  }

  protected tables() {
    return [this.devices, { size: 0, evicted: this.destEvicted }];
  }

  /** The device's current baseline in bytes (for the dashboard and tests); undefined when not tracked. */
  baselineOf(ip: string): { baseline: number; windowsSeen: number } | undefined {
    const s = this.devices.peek(ip);
    return s === undefined ? undefined : { baseline: s.baseline, windowsSeen: s.windowsSeen };
  }

  onFlow(r: FlowRecord): void {
    this.events++;
    if (r.endUs > this.clockUs) this.clockUs = r.endUs;
    const c = this.cfg.upload;
    const windowUs = c.windowSeconds * 1e6;
    this.devices.expire((s) => s.lastUs < this.clockUs - MAX_DECAY_WINDOWS * windowUs);
    if (!this.home.has(r.srcIp) || this.home.has(r.dstIp) || isGroupAddress(r.dstIp) || isLoopback(r.dstIp)) return;

    const w = Math.floor(r.endUs / windowUs);
    const s = this.devices.touch(r.srcIp, () => ({
      window: w,
      windowsSeen: 0,
      baseline: 0,
      total: 0,
      totalBaseline: 0,
      totalReported: false,
      dests: new LruMap<string, DestTotal>(MAX_DESTS_PER_DEVICE),
      srcMac: r.srcMac,
      lastUs: 0,
    }));
    if (r.endUs > s.lastUs) s.lastUs = r.endUs;
    if (w > s.window) this.closeWindows(s, w);

    const evictedBefore = s.dests.evicted;
    const d = s.dests.touch(r.dstIp, () => ({ bytes: 0, flowIds: [], reported: false }));
    this.destEvicted += s.dests.evicted - evictedBefore;
    d.bytes += r.payloadBytesToServer;
    s.total += r.payloadBytesToServer;
    if (d.flowIds.length < MAX_EVIDENCE_IDS) d.flowIds.push(r.flowId);

    if (s.windowsSeen < c.minBaselineWindows) return;
    const limit = Math.max(c.minBytes, c.factor * s.baseline);
    if (d.reported || d.bytes < limit) {
      this.judgeTotal(r, s);
      return;
    }
    d.reported = true;
    s.totalReported = true; // the same upload, already told
    const fromWindowUs = s.window * windowUs;
    this.raise(r.dstIp, {
      ...aboutFlow(r, s.srcMac),
      kind: 'exfil.upload',
      signature: `Abnormal upload from ${r.srcIp} to ${r.dstIp} (${fmtMB(d.bytes)} in ${c.windowSeconds / 60} min, baseline ${fmtMB(s.baseline)})`,
      severity: 2,
      confidence: confidenceAbove(d.bytes, limit, 0.6),
      evidence: [
        {
          text: `${fmtCount(d.bytes)} bytes sent to ${r.dstIp} since ${new Date(fromWindowUs / 1000).toISOString()}`,
          count: d.bytes,
          flowIds: d.flowIds,
        },
        {
          text: `the device's usual largest upload to one destination is ${fmtCount(s.baseline)} bytes per ${c.windowSeconds} s (over ${s.windowsSeen} windows); alert above ${c.factor}× that and at least ${fmtCount(c.minBytes)} bytes`,
        },
      ],
      suggestedResponse: 'monitor',
    });
  }

  /** The device's upload in total this window against its total baseline. */
  private judgeTotal(r: FlowRecord, s: DeviceState): void {
    const c = this.cfg.upload;
    const limit = Math.max(c.minBytes, c.factor * s.totalBaseline);
    if (s.totalReported || s.total < limit) return;
    s.totalReported = true;
    const top = [...s.dests.entries()].sort((x, y) => y[1].bytes - x[1].bytes);
    const flowIds = top.flatMap(([, d]) => d.flowIds).slice(0, MAX_EVIDENCE_IDS);
    this.raise('total', {
      ...aboutFlow(r, s.srcMac),
      targets: top.map(([ip]) => ip),
      destPort: null,
      kind: 'exfil.upload',
      signature: `Abnormal upload from ${r.srcIp} (${fmtMB(s.total)} to ${fmtCount(top.length)} destinations in ${c.windowSeconds / 60} min, baseline ${fmtMB(s.totalBaseline)})`,
      severity: 2,
      confidence: confidenceAbove(s.total, limit, 0.6),
      evidence: [
        {
          text: `${fmtCount(s.total)} bytes sent outside since ${new Date((s.window * c.windowSeconds * 1e6) / 1000).toISOString()}, most to ${top
            .slice(0, 3)
            .map(([ip, d]) => `${ip} (${fmtMB(d.bytes)})`)
            .join(', ')}`,
          count: s.total,
          flowIds,
        },
        {
          text: `the device usually sends ${fmtCount(s.totalBaseline)} bytes in total per ${c.windowSeconds} s (over ${s.windowsSeen} windows); alert above ${c.factor}× that and at least ${fmtCount(c.minBytes)} bytes`,
        },
      ],
      suggestedResponse: 'monitor',
    });
  }

  private closeWindows(s: DeviceState, w: number): void {
    const a = this.cfg.upload.baselineAlpha;
    let max = 0;
    for (const d of s.dests.values()) if (d.bytes > max) max = d.bytes;
    s.baseline = a * max + (1 - a) * s.baseline;
    s.totalBaseline = a * s.total + (1 - a) * s.totalBaseline;
    s.total = 0;
    s.totalReported = false;
    const empty = Math.min(w - s.window - 1, MAX_DECAY_WINDOWS);
    s.baseline *= (1 - a) ** empty;
    s.totalBaseline *= (1 - a) ** empty;
    s.windowsSeen += 1 + empty;
    s.window = w;
    for (const [k] of [...s.dests.entries()]) s.dests.delete(k);
  }
}

function fmtMB(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
