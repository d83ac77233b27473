/**
 * Turns pipeline events into InfluxDB points: per-interval aggregates (device traffic, alerts, anomaly
 * rate, capture statistics) and one point per trust score change. Pure: no I/O, packet time only, so a
 * replay produces the same lines every time.
 *
 * Measurements (every point carries the tag `sensor`; timestamps are the interval start, µs):
 * - device_traffic {device}: bytes_out, bytes_in, pkts_out, pkts_in, flows_orig, flows_resp (integers, per
 *   interval). device = MAC when the frame carried one, else the IP — the same key as the store's rollups,
 *   so the two can be compared. At most `maxDevices` devices per interval; the rest are summed under
 *   device="other" and counted in `overflowDevices`.
 * - trust {mac, level}: score, behavioral, vulnerability, reputation (0..100), at the change's own time
 * - alerts {kind, severity}: count per interval
 * - anomaly: scored, alerts (integers), rate = alerts/scored, mean_score (per interval)
 * - capture: packets, bytes, drops (integers, per interval), pps, bps (per second over the interval)
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

const lineSettings = { convertTime: (v: string | number | Date | undefined) => (v === undefined ? undefined : String(v)) };

function line(p: Point): string {
  return p.toLineProtocol(lineSettings)!;
}

export class InfluxAggregator {
  private readonly intervalUs: number;
  /** start of the open interval; -1 before the first event */
  private startUs = -1;
  private traffic = new Map<string, DeviceTraffic>();
  private alerts = new Map<string, number>();
  private scored = 0;
  private anomalyAlerts = 0;
  private scoreSum = 0;
  private capture: CaptureTotals | null = null;
  private captureAtStart: CaptureTotals | null = null;
  /** devices folded into device="other" because an interval already had maxDevices */
  overflowDevices = 0;

  constructor(
    /** receives every finished line */
    private readonly emit: (line: string) => void,
    private readonly sensor: string,
    intervalMs: number,
    private readonly maxDevices = 4096,
  ) {
    if (!(intervalMs > 0)) throw new Error(`influx.intervalMs must be > 0, got ${intervalMs}`);
    this.intervalUs = Math.round(intervalMs * 1000);
  }

  /** Advances packet time; closes the open interval (emitting its points) once `tsUs` is past its end. */
  tick(tsUs: number): void {
    if (this.startUs < 0) {
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
    for (const e of endpointTraffic(f)) this.add(e.device, e.traffic);
  }

  private add(device: string, d: DeviceTraffic): void {
    let t = this.traffic.get(device);
    if (t === undefined) {
      if (this.traffic.size >= this.maxDevices) {
        this.overflowDevices++;
        device = 'other';
        t = this.traffic.get(device);
      }
      if (t === undefined) {
        t = { flowsOrig: 0, flowsResp: 0, pktsOut: 0, pktsIn: 0, bytesOut: 0, bytesIn: 0 };
        this.traffic.set(device, t);
      }
    }
    addTraffic(t, d);
  }

  alert(a: Alert): void {
    this.tick(a.tsUs);
    const key = `${a.kind}|${a.severity}`;
    this.alerts.set(key, (this.alerts.get(key) ?? 0) + 1);
  }

  anomaly(e: AnomalyEvent): void {
    this.tick(e.tsUs);
    this.scored++;
    this.scoreSum += e.score;
    if (e.alert) this.anomalyAlerts++;
  }

  /** Trust changes are written at once, at their own time. */
  trust(t: TrustPoint): void {
    this.tick(t.tsUs);
    this.emit(
      line(
        new Point('trust')
          .tag('sensor', this.sensor)
          .tag('mac', t.mac)
          .tag('level', t.level)
          .floatField('score', t.score)
          .floatField('behavioral', t.behavioral)
          .floatField('vulnerability', t.vulnerability)
          .floatField('reputation', t.reputation)
          .timestamp(String(t.tsUs)),
      ),
    );
  }

  /** Latest cumulative capture counters; the interval's point carries the difference. */
  captureTotals(tsUs: number, c: CaptureTotals): void {
    this.tick(tsUs);
    if (this.captureAtStart === null) this.captureAtStart = { packets: 0, bytes: 0, drops: 0 };
    this.capture = { ...c };
  }

  /** Emits the open interval's points now (end of run). */
  finish(): void {
    if (this.startUs >= 0) this.closeInterval();
  }

  private closeInterval(): void {
    const ts = String(this.startUs);
    const devices = [...this.traffic.keys()].sort();
    for (const d of devices) {
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
    for (const key of [...this.alerts.keys()].sort()) {
      const [kind, severity] = key.split('|') as [string, string];
      this.emit(line(new Point('alerts').tag('sensor', this.sensor).tag('kind', kind).tag('severity', severity).intField('count', this.alerts.get(key)!).timestamp(ts)));
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
    this.traffic = new Map();
    this.alerts = new Map();
    this.scored = 0;
    this.anomalyAlerts = 0;
    this.scoreSum = 0;
  }
}
