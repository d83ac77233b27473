/**
 * Turns pipeline events into InfluxDB points: per-interval aggregates (device traffic, alerts, anomaly
 * rate, capture statistics, health gauges) and trust points at each change plus once per interval. Pure: no
 * I/O, packet time only, so a replay produces the same lines every time.
 *
 * Every point carries the tag `sensor`. Interval points are stamped with the interval start (µs); the
 * README's "InfluxDB series" table lists every measurement. Tags only ever take values from a bounded set:
 * a device's MAC (capped, least recently seen evicted, see DeviceTags), a trust level, an alert kind, a
 * severity, the sensor. Remote addresses and names from the wire never become tags: an endpoint whose frame
 * carried no MAC is counted under device="other".
 */
import { Point } from '@influxdata/influxdb-client';
import type { FlowRecord } from '../flow/flow-record.js';
import { addTraffic, endpointTraffic, type DeviceTraffic } from './device-traffic.js';
import type { TrustHistoryRow } from './devices.js';
import type { Alert } from '../detectors/alert.js';
import type { AnomalyEvent } from '../models/anomaly.js';

/** A trust-score change as InfluxDB stores it: the store's history row without the explanations. */
export type TrustPoint = Omit<TrustHistoryRow, 'explanation'>;

/** Cumulative capture counters, as the capture stage reports them (they only grow within a run). */
export interface CaptureTotals {
  packets: number;
  bytes: number;
  /** kernel + interface drops */
  drops: number;
}

/**
 * A health gauge written once per interval: `read()` returns the measurement's integer fields as they
 * stand (cumulative counters or current depths). Every call must return the same field names.
 */
export interface GaugeSource {
  measurement: string;
  read(): Record<string, number>;
}

/** The tag value that collects devices beyond the cap and endpoints without a MAC. */
export const OTHER_DEVICE = 'other';

/** Distinct tag sets one counted measurement may have (kinds × severities are far fewer). */
const MAX_COUNT_KEYS = 256;

const lineSettings = { convertTime: (v: string | number | Date | undefined) => (v === undefined ? undefined : String(v)) };

function line(p: Point): string {
  return p.toLineProtocol(lineSettings)!;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * The device tags in use, so the number of `device` series stays bounded however many MACs the wire shows:
 * at most `cap` MACs; a new one evicts the least recently seen, unless every one was seen in the open
 * interval — then it is summed under "other". Both cases are counted.
 */
class DeviceTags {
  /** MAC → interval start it was last seen in; least recently seen first */
  private readonly seen = new Map<string, number>();
  evicted = 0;
  overflow = 0;

  constructor(private readonly cap: number) {}

  tag(mac: string | null, intervalUs: number): string {
    if (mac === null || !MAC.test(mac)) return OTHER_DEVICE;
    const last = this.seen.get(mac);
    if (last !== undefined) {
      this.seen.delete(mac);
    } else if (this.seen.size >= this.cap) {
      const [oldest, oldestAt] = this.seen.entries().next().value as [string, number];
      if (oldestAt === intervalUs) {
        this.overflow++;
        return OTHER_DEVICE;
      }
      this.seen.delete(oldest);
      this.evicted++;
    }
    this.seen.set(mac, intervalUs);
    return mac;
  }
}

export class InfluxAggregator {
  private readonly intervalUs: number;
  /** start of the open interval; -1 before the first event */
  private startUs = -1;
  private traffic = new Map<string, DeviceTraffic>();
  /** counted measurements: measurement → tag set (JSON) → count in the open interval */
  private counts = new Map<string, Map<string, number>>();
  private scored = 0;
  private anomalyAlerts = 0;
  private scoreSum = 0;
  private capture: CaptureTotals | null = null;
  private captureAtStart: CaptureTotals | null = null;
  private readonly devices: DeviceTags;
  /** each device's latest trust, written again at every interval's end; least recently changed first */
  private readonly lastTrust = new Map<string, TrustPoint>();
  private readonly gauges: GaugeSource[] = [];
  /** added to every timestamp written (see InfluxOptions.clock); set before the first point */
  shiftUs = 0;
  /** called once with the first packet time seen, before any point is written */
  onFirstTime: ((tsUs: number) => void) | null = null;
  /** devices dropped from the trust gauge because it held `maxDevices` already (least recently changed first) */
  trustEvicted = 0;
  /** tag sets folded into "other" because a counted measurement had MAX_COUNT_KEYS already */
  overflowTags = 0;

  constructor(
    /** receives every finished line */
    private readonly emit: (line: string) => void,
    private readonly sensor: string,
    intervalMs: number,
    private readonly maxDevices = 4096,
  ) {
    if (!(intervalMs > 0)) throw new Error(`influx.intervalMs must be > 0, got ${intervalMs}`);
    this.intervalUs = Math.round(intervalMs * 1000);
    this.devices = new DeviceTags(maxDevices);
  }

  /** device MACs that took the tag of a less recently seen one, and MACs summed under "other" (cap full within one interval) */
  get evictedDevices(): number {
    return this.devices.evicted;
  }
  get overflowDevices(): number {
    return this.devices.overflow;
  }

  /** Writes `g` once per interval from now on. */
  addGauge(g: GaugeSource): void {
    this.gauges.push(g);
  }

  /**
   * Advances packet time; closes the open interval (emitting its points) once `tsUs` is past its end.
   * Times ≤ 0 (no packet yet) are ignored.
   */
  tick(tsUs: number): void {
    if (!(tsUs > 0)) return;
    if (this.startUs < 0) {
      this.onFirstTime?.(tsUs);
      this.startUs = tsUs - (tsUs % this.intervalUs);
      return;
    }
    if (tsUs < this.startUs + this.intervalUs) return;
    this.closeInterval();
    this.startUs = tsUs - (tsUs % this.intervalUs);
  }

  /** Adds a flow to both endpoints' traffic in the open interval (late flows count where they arrive). */
  flow(f: FlowRecord): void {
    this.tick(f.endUs);
    if (this.startUs < 0) return;
    const [o, r] = endpointTraffic(f);
    this.add(this.devices.tag(f.srcMac, this.startUs), o.traffic);
    this.add(this.devices.tag(f.dstMac, this.startUs), r.traffic);
  }

  private add(device: string, d: DeviceTraffic): void {
    let t = this.traffic.get(device);
    if (t === undefined) {
      t = { flowsOrig: 0, flowsResp: 0, pktsOut: 0, pktsIn: 0, bytesOut: 0, bytesIn: 0 };
      this.traffic.set(device, t);
    }
    addTraffic(t, d);
  }

  /**
   * Counts one event of `measurement` with these tags in the interval of `tsUs`; written as `count` per
   * interval. Tag values must come from a bounded set (kinds, severities, states — never wire data).
   */
  count(measurement: string, tags: Record<string, string>, tsUs: number): void {
    this.tick(tsUs);
    if (this.startUs < 0) return;
    let m = this.counts.get(measurement);
    if (m === undefined) this.counts.set(measurement, (m = new Map()));
    let key = JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (!m.has(key) && m.size >= MAX_COUNT_KEYS) {
      this.overflowTags++;
      key = JSON.stringify(Object.keys(tags).sort().map((k) => [k, 'other']));
    }
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  alert(a: Alert): void {
    this.count('alerts', { kind: a.kind, severity: String(a.severity) }, a.tsUs);
  }

  anomaly(e: AnomalyEvent): void {
    this.tick(e.tsUs);
    if (this.startUs < 0) return;
    this.scored++;
    this.scoreSum += e.score;
    if (e.alert) this.anomalyAlerts++;
  }

  /** A trust change is written at once, at its own time, and again at the end of every interval after it. */
  trust(t: TrustPoint): void {
    this.tick(t.tsUs);
    if (this.startUs < 0) return;
    this.emit(this.trustLine(t, t.tsUs));
    this.lastTrust.delete(t.mac);
    if (this.lastTrust.size >= this.maxDevices) {
      this.lastTrust.delete(this.lastTrust.keys().next().value as string);
      this.trustEvicted++;
    }
    this.lastTrust.set(t.mac, { mac: t.mac, tsUs: t.tsUs, score: t.score, behavioral: t.behavioral, vulnerability: t.vulnerability, reputation: t.reputation, level: t.level });
  }

  /**
   * The devices' trust as a previous run left it (oldest first): the gauge goes on from the next interval's
   * end without writing the old changes again.
   */
  restoreTrust(points: readonly TrustPoint[]): void {
    for (const t of points) {
      this.lastTrust.delete(t.mac);
      if (this.lastTrust.size >= this.maxDevices) this.lastTrust.delete(this.lastTrust.keys().next().value as string);
      this.lastTrust.set(t.mac, { mac: t.mac, tsUs: t.tsUs, score: t.score, behavioral: t.behavioral, vulnerability: t.vulnerability, reputation: t.reputation, level: t.level });
    }
  }

  private trustLine(t: TrustPoint, tsUs: number): string {
    return line(
      new Point('trust')
        .tag('sensor', this.sensor)
        .tag('device', t.mac)
        .tag('level', t.level)
        .floatField('score', t.score)
        .floatField('behavioral', t.behavioral)
        .floatField('vulnerability', t.vulnerability)
        .floatField('reputation', t.reputation)
        .timestamp(String(tsUs + this.shiftUs)),
    );
  }

  /** Latest cumulative capture counters; the interval's point carries the difference. */
  captureTotals(tsUs: number, c: CaptureTotals): void {
    this.tick(tsUs);
    if (this.startUs < 0) return;
    if (this.captureAtStart === null) this.captureAtStart = { packets: 0, bytes: 0, drops: 0 };
    this.capture = { ...c };
  }

  /** Emits the open interval's points now (end of run). */
  finish(): void {
    if (this.startUs >= 0) this.closeInterval();
  }

  private closeInterval(): void {
    const ts = String(this.startUs + this.shiftUs);
    for (const d of [...this.traffic.keys()].sort()) {
      const t = this.traffic.get(d)!;
      this.emit(
        line(
          new Point('device_traffic')
            .tag('sensor', this.sensor)
            .tag('device', d)
            .intField('bytes_out', t.bytesOut)
            .intField('bytes_in', t.bytesIn)
            .intField('pkts_out', t.pktsOut)
            .intField('pkts_in', t.pktsIn)
            .intField('flows_orig', t.flowsOrig)
            .intField('flows_resp', t.flowsResp)
            .timestamp(ts),
        ),
      );
    }
    for (const [measurement, m] of [...this.counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const key of [...m.keys()].sort()) {
        const p = new Point(measurement).tag('sensor', this.sensor);
        for (const [k, v] of JSON.parse(key) as [string, string][]) p.tag(k, v);
        this.emit(line(p.intField('count', m.get(key)!).timestamp(ts)));
      }
    }
    if (this.scored > 0) {
      this.emit(
        line(
          new Point('anomaly')
            .tag('sensor', this.sensor)
            .intField('scored', this.scored)
            .intField('alerts', this.anomalyAlerts)
            .floatField('rate', this.anomalyAlerts / this.scored)
            .floatField('mean_score', this.scoreSum / this.scored)
            .timestamp(ts),
        ),
      );
    }
    if (this.capture !== null && this.captureAtStart !== null) {
      const c = this.capture;
      const s0 = this.captureAtStart;
      const secs = this.intervalUs / 1e6;
      // a counter that went backwards was reset (capture restarted): count from zero
      const d = (now: number, then: number): number => (now >= then ? now - then : now);
      const packets = d(c.packets, s0.packets);
      const bytes = d(c.bytes, s0.bytes);
      this.emit(
        line(
          new Point('capture')
            .tag('sensor', this.sensor)
            .intField('packets', packets)
            .intField('bytes', bytes)
            .intField('drops', d(c.drops, s0.drops))
            .floatField('pps', packets / secs)
            .floatField('bps', (bytes * 8) / secs)
            .timestamp(ts),
        ),
      );
      this.captureAtStart = c;
      this.capture = null;
    }
    this.closeGauges();
    this.traffic = new Map();
    this.counts = new Map();
    this.scored = 0;
    this.anomalyAlerts = 0;
    this.scoreSum = 0;
  }

  /**
   * The trust gauge and the health gauges, at the interval's last microsecond: they say how things stood
   * when it ended, after every change inside it (a change at the very end keeps its own, later point).
   */
  private closeGauges(): void {
    const endUs = this.startUs + this.intervalUs - 1;
    const levels = new Map<string, number>();
    for (const t of [...this.lastTrust.values()].sort((a, b) => (a.mac < b.mac ? -1 : 1))) {
      this.emit(this.trustLine(t, endUs));
      levels.set(t.level, (levels.get(t.level) ?? 0) + 1);
    }
    const ts = String(endUs + this.shiftUs);
    for (const level of [...levels.keys()].sort()) {
      this.emit(line(new Point('trust_levels').tag('sensor', this.sensor).tag('level', level).intField('devices', levels.get(level)!).timestamp(ts)));
    }
    for (const g of this.gauges) {
      const p = new Point(g.measurement).tag('sensor', this.sensor);
      const fields = Object.entries(g.read()).sort(([a], [b]) => (a < b ? -1 : 1));
      if (fields.length === 0) continue;
      for (const [k, v] of fields) p.intField(k, Math.round(v));
      this.emit(line(p.timestamp(ts)));
    }
  }
}
