/**
 * The alert budget: `models.alertBudgetPerDay` false alerts per device per day, turned into the share of
 * benign flows that may exceed the threshold. A network whose devices make F flows per device per day
 * meets the budget B when a benign flow alerts with probability q = B / F. A home with 20 devices and
 * 40,000 flows a day (2,000 per device) and B = 1 gives q = 1/2000; the threshold is then the score a benign
 * flow exceeds once in 2,000 — far beyond what a few hundred calibration flows show, which is why the
 * quantile comes from the fitted tail (tail.ts), not from the sample.
 */
import type { FlowRecord } from '../flow/flow-record.js';

/** How much traffic the training flows were: enough to say how many flows a device makes a day. */
export interface TrafficShape {
  /** distinct devices (source MAC, else source address) among the flows */
  devices: number;
  /** packet time from the first flow's start to the last flow's end, µs */
  spanUs: number;
  flows: number;
}

const DAY_US = 86_400e6;
/** never count a capture as less than an hour: a short one would make a day's budget look huge */
const MIN_SPAN_US = 3600e6;

export function trafficOf(records: readonly FlowRecord[]): TrafficShape {
  const devices = new Set<string>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    devices.add(r.srcMac ?? r.srcIp);
    if (r.startUs < first) first = r.startUs;
    if (r.endUs > last) last = r.endUs;
  }
  return { devices: devices.size, spanUs: records.length > 0 ? Math.max(0, last - first) : 0, flows: records.length };
}

export interface Exceedance {
  /** share of benign flows allowed above the threshold */
  q: number;
  /** flows per device per day of the training traffic (undefined when unknown) */
  flowsPerDevicePerDay?: number;
  /** what decided q: the budget, or the `models.threshold` quantile because it is stricter or the traffic is unknown */
  from: 'budget' | 'quantile';
}

/**
 * q for a budget of `perDay` alerts per device per day, never looser than `1 − quantile` (models.threshold
 * is the floor of strictness) nor stricter than one in ten million.
 */
export function exceedance(perDay: number, quantile: number, traffic: TrafficShape | undefined): Exceedance {
  const floor = 1 - quantile;
  if (!traffic || traffic.flows === 0 || traffic.devices === 0) return { q: floor, from: 'quantile' };
  const days = Math.max(traffic.spanUs, MIN_SPAN_US) / DAY_US;
  const flowsPerDevicePerDay = traffic.flows / traffic.devices / days;
  const q = Math.max(1e-7, perDay / flowsPerDevicePerDay);
  return q < floor ? { q, flowsPerDevicePerDay, from: 'budget' } : { q: floor, flowsPerDevicePerDay, from: 'quantile' };
}
