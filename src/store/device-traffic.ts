/**
 * One device's share of the traffic: the unit that both the hourly rollups in SQLite (flow_rollups) and the
 * InfluxDB `device_traffic` points sum up. Both use the same split and the same device key, so the two can be
 * compared point for point (test/store-influx.test.ts does).
 */
import type { FlowRecord } from '../flow/flow-record.js';

export interface DeviceTraffic {
  /** flows the device originated, and answered */
  flowsOrig: number;
  flowsResp: number;
  /** packets and frame bytes the device sent (out) and received (in) */
  pktsOut: number;
  pktsIn: number;
  bytesOut: number;
  bytesIn: number;
}

/** The key of one endpoint: its MAC when the frame carried one, else its IP. */
export function deviceKey(mac: string | null, ip: string): string {
  return mac ?? ip;
}

/** What one flow adds to each of its endpoints: the originator first, then the responder. */
export function endpointTraffic(f: FlowRecord): [{ device: string; traffic: DeviceTraffic }, { device: string; traffic: DeviceTraffic }] {
  return [
    {
      device: deviceKey(f.srcMac, f.srcIp),
      traffic: { flowsOrig: 1, flowsResp: 0, pktsOut: f.pktsToServer, pktsIn: f.pktsToClient, bytesOut: f.bytesToServer, bytesIn: f.bytesToClient },
    },
    {
      device: deviceKey(f.dstMac, f.dstIp),
      traffic: { flowsOrig: 0, flowsResp: 1, pktsOut: f.pktsToClient, pktsIn: f.pktsToServer, bytesOut: f.bytesToClient, bytesIn: f.bytesToServer },
    },
  ];
}

/** `into` += `d`, field by field. */
export function addTraffic(into: DeviceTraffic, d: DeviceTraffic): void {
  into.flowsOrig += d.flowsOrig;
  into.flowsResp += d.flowsResp;
  into.pktsOut += d.pktsOut;
  into.pktsIn += d.pktsIn;
  into.bytesOut += d.bytesOut;
  into.bytesIn += d.bytesIn;
}
