/**
 * Device flood (`flood.devices`): many MAC addresses never seen before within a window — what macof, yersinia
 * and DHCP starvation tools send (every frame from a new random MAC, to overflow a switch's table, exhaust a
 * DHCP pool or fill the appliance's inventory). The device inventory asks `admitNew` for every MAC it does not
 * know; while a flood is on, only a bounded sample of the new MACs is tracked and stored one by one, the rest
 * are counted. So a million spoofed MACs become one incident ("1,000,000 new MAC addresses in 62 s on eth0
 * VLAN 10") instead of a million device rows.
 *
 * A flood starts when `minNewDevices` new MACs arrive within `windowSeconds` (packet time, counted in
 * one-second buckets) and ends when a whole window passes with fewer than half of that. Alerts: one when it
 * starts, one each time its count reaches ten times the previous alert's, one every `windowSeconds` × 30 while
 * it lasts (so a long flood stays inside one incident) and one when it ends, with the total: a handful per
 * flood, folded into one incident by the tracker (same kind, source and target).
 *
 * The gate counts even when the detectors are off (`raiseAlerts` false): the bound on memory and rows is not
 * optional.
 */
import type { Alert } from './alert.js';
import type { DetectorConfig } from './config.js';
import { confidenceAbove, DetectorBase, fmtCount } from './detector.js';

/** What the device inventory asks before it tracks a MAC it has never seen. */
export interface NewDeviceGate {
  /**
   * A MAC unknown to the inventory (and the store) was seen at `tsUs` on `where` (interface and VLAN).
   * True: track and store it as a device; false: a flood is on and its sample is full, count it only.
   */
  admitNew(tsUs: number, mac: string, where: string): boolean;
  /** packet time moved on without new MACs (ends a flood after a quiet window) */
  tick?(nowUs: number): void;
}

/** Places (interface/VLAN) a flood's count is split by, at most. */
const MAX_PLACES = 16;

interface Flood {
  startUs: number;
  lastUs: number;
  /** new MACs since it started (the ones of the window that started it included) */
  count: number;
  /** of those, tracked one by one (the window that started it, then up to sampleSize more) */
  admitted: number;
  /** `admitted` when it started */
  initial: number;
  /** count at the last alert */
  alertedAt: number;
  lastAlertUs: number;
  byPlace: Map<string, number>;
  /** a few of the MACs, for the evidence */
  sample: string[];
}

export class DeviceFloodDetector extends DetectorBase implements NewDeviceGate {
  /** new MACs per second of packet time in the current window; a ring of windowSeconds buckets */
  private readonly buckets: Float64Array;
  private bucketSec = -1;
  private inWindow = 0;
  private flood: Flood | null = null;
  /** new devices counted during floods but not admitted */
  unstored = 0;
  /** floods seen since start */
  floods = 0;

  constructor(
    cfg: DetectorConfig,
    emit: (a: Alert) => void,
    private readonly raiseAlerts: boolean,
  ) {
    super('device-flood', cfg, emit);
    this.buckets = new Float64Array(Math.max(1, Math.ceil(cfg.deviceFlood.windowSeconds)));
  }

  protected tables() {
    return [{ size: this.flood?.byPlace.size ?? 0, evicted: 0 }];
  }

  /** True while a flood is on. */
  get active(): boolean {
    return this.flood !== null;
  }

  admitNew(tsUs: number, mac: string, where: string): boolean {
    this.events++;
    this.advance(tsUs);
    const c = this.cfg.deviceFlood;
    this.buckets[this.bucketSec % this.buckets.length]!++;
    this.inWindow++;
    let f = this.flood;
    if (f === null) {
      if (this.inWindow < c.minNewDevices) return true;
      // the window that made the flood: its MACs were admitted one by one already
      const before = this.inWindow - 1;
      f = this.flood = { startUs: tsUs, lastUs: tsUs, count: before, admitted: before, initial: before, alertedAt: 0, lastAlertUs: 0, byPlace: new Map(), sample: [] };
      this.floods++;
    }
    f.lastUs = tsUs;
    f.count++;
    if (f.byPlace.has(where) || f.byPlace.size < MAX_PLACES) f.byPlace.set(where, (f.byPlace.get(where) ?? 0) + 1);
    if (f.sample.length < 8) f.sample.push(mac);
    if (f.alertedAt === 0 || f.count >= f.alertedAt * 10 || tsUs - f.lastAlertUs >= c.windowSeconds * 30e6) this.alert(f, tsUs, false);
    if (f.admitted < f.initial + c.sampleSize) {
      f.admitted++;
      return true;
    }
    this.unstored++;
    return false;
  }

  /** Packet time moved on (the inventory's tick): ends a flood after a quiet window. */
  tick(nowUs: number): void {
    this.advance(nowUs);
  }

  private advance(tsUs: number): void {
    const sec = Math.floor(tsUs / 1e6);
    if (this.bucketSec < 0) this.bucketSec = sec;
    const n = this.buckets.length;
    if (sec > this.bucketSec) {
      // clear the buckets that fell out of the window
      const steps = Math.min(n, sec - this.bucketSec);
      for (let i = 1; i <= steps; i++) {
        const b = (this.bucketSec + i) % n;
        this.inWindow -= this.buckets[b]!;
        this.buckets[b] = 0;
      }
      this.bucketSec = sec;
    }
    const f = this.flood;
    // over once the window holds fewer than half the threshold (and it lasted a window: no flapping at the start)
    if (f !== null && this.inWindow < this.cfg.deviceFlood.minNewDevices / 2 && tsUs - f.startUs >= this.cfg.deviceFlood.windowSeconds * 1e6) {
      this.alert(f, tsUs, true);
      this.flood = null;
    }
  }

  private alert(f: Flood, tsUs: number, ended: boolean): void {
    f.alertedAt = f.count;
    f.lastAlertUs = tsUs;
    if (!this.raiseAlerts) return;
    const c = this.cfg.deviceFlood;
    const places = [...f.byPlace.entries()].sort((a, b) => b[1] - a[1]);
    const where = places[0]?.[0] ?? 'the capture';
    const secs = Math.max(1, Math.round((f.lastUs - f.startUs) / 1e6));
    const what = `${fmtCount(f.count)} new MAC addresses in ${fmtCount(secs)} s on ${where}`;
    this.raise(ended ? `end:${f.startUs}` : `at:${f.startUs}:${f.count}`, {
      tsUs,
      kind: 'flood.devices',
      signature: ended ? `Device flood ended: ${what}` : `Device flood: ${what}`,
      severity: 1,
      confidence: confidenceAbove(f.count, c.minNewDevices, 0.8),
      srcIp: '0.0.0.0',
      srcMac: null,
      targets: [where],
      destPort: null,
      proto: null,
      evidence: [
        { text: `${what} (threshold ${fmtCount(c.minNewDevices)} within ${c.windowSeconds} s)${ended ? '; the flood is over' : ''}`, count: f.count },
        { text: `${fmtCount(f.admitted)} of them tracked as devices (detectors.deviceFlood.sampleSize), the rest counted only`, count: f.admitted },
        ...(places.length > 1 ? [{ text: `by place: ${places.slice(0, 4).map(([p, n]) => `${p} ${fmtCount(n)}`).join(', ')}` }] : []),
        { text: `e.g. ${f.sample.join(', ')}` },
      ],
      suggestedResponse: 'monitor',
    });
  }
}
