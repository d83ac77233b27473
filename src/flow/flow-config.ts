/**
 * Flow-table configuration: types, defaults and validation. All durations are seconds of packet time.
 * The keys mirror the `flow:` section of config.yaml (src/config/schema.ts).
 */

import { defaultConfig } from '../config.js';
import type { LikelyServerPorts } from './server-ports.js';

export interface FlowConfig {
  /** hard cap on concurrent flows (default 200000) */
  maxFlows: number;
  /** fraction of maxFlows above which emergency mode starts (default 0.9) */
  emergencyThreshold: number;
  /** fraction of maxFlows below which emergency mode ends; must be below emergencyThreshold (default 0.7) */
  emergencyRecovery: number;
  timeouts: {
    /** seconds of packet time; idle timeout of an established TCP flow (default 300) */
    tcpEstablished: number;
    /** idle timeout before the handshake completes (default 30) */
    tcpNew: number;
    /** grace after FIN from both sides or a RST, so the last ACK/RST counts (default 5) */
    tcpClosed: number;
    /**
     * Zeek's tcp_attempt_delay (default 5): an unanswered connection attempt ends this long after its first packet;
     * a later packet of it starts a new connection. 0: no such end (the tcpNew idle timeout applies). Optional
     * for configurations written before it existed (then 0).
     */
    tcpAttempt?: number;
    udp: number;
    /**
     * Zeek's dns_session_timeout (Zeek's is 10): a UDP flow to a DNS port (53, 137, 5353, 5355) ends when a
     * check, every this many seconds from its start, finds it idle for this less one second (timeout-classes.ts).
     * 0 or absent (the default): DNS flows are ordinary UDP flows. Not Zeek's default on purpose: split by it,
     * madea-smarthome-11h.pcap gives 2,878 flows instead of 640, and the bundled model's training sample of
     * that home loses the rare flows the other networks need (leave-one-network-out, sifely-hub 0.46 -> 5.33
     * anomaly alerts per device per day).
     */
    dns?: number;
    icmp: number;
    other: number;
    /** active timeout: a longer flow exports a record and continues in a new segment (default 1800) */
    active: number;
    /** idle timeouts are multiplied by this in emergency mode (default 0.1) */
    emergencyFactor: number;
  };
  /** seconds of packet time between sweeps (default 1) */
  sweepInterval: number;
  /** Community ID seed, 0–65535 (default 0) */
  communityIdSeed?: number;
  /**
   * Whether the VLAN ids are part of the flow key (default false, Zeek's key; Suricata keys by them). Optional for
   * configurations written before it existed (then false).
   */
  keyByVlan?: boolean;
  /**
   * Zeek's close_complete for a FIN towards a silent peer (tcp-state.ts tcpClosing): the connection closes, and
   * that peer's next packets after tcpClosed start a new one. Default false, a deliberate difference: with it,
   * flows are exported at other times, the seeded training split takes other rows, and the model trained in
   * test/models-e2e.test.ts ranked nmap's Xmas scan at ROC AUC 0.80–0.86 against held-out benign flows
   * instead of 0.95 (models/README.md). Optional for configurations written before it existed (then false).
   */
  loneFinCloses?: boolean;
  /** Zeek's likely_server_ports, for the direction flip of connections first seen mid-way (server-ports.ts; default Zeek's) */
  likelyServerPorts?: LikelyServerPorts;
}

/** The defaults of the configuration schema (config.yaml `flow:`), where each key is documented. */
export const DEFAULT_FLOW_CONFIG: FlowConfig = structuredClone(defaultConfig().flow) as FlowConfig;

/** Throws an Error naming the first bad key (bad startup config is the one place we throw). */
export function validateFlowConfig(c: FlowConfig): void {
  const bad = (what: string): never => {
    throw new Error(`invalid flow config: ${what}`);
  };
  if (!Number.isInteger(c.maxFlows) || c.maxFlows < 1 || c.maxFlows > 50_000_000) bad('maxFlows must be an integer in 1…50000000');
  if (!(c.emergencyThreshold > 0 && c.emergencyThreshold <= 1)) bad('emergencyThreshold must be in (0, 1]');
  if (!(c.emergencyRecovery > 0 && c.emergencyRecovery < c.emergencyThreshold)) {
    bad('emergencyRecovery must be above 0 and below emergencyThreshold');
  }
  const t = c.timeouts;
  for (const k of ['tcpEstablished', 'tcpNew', 'udp', 'icmp', 'other', 'active'] as const) {
    if (!(t[k] > 0 && Number.isFinite(t[k]))) bad(`timeouts.${k} must be a positive number of seconds`);
  }
  // 0 is allowed: a closed connection is then exported at the next sweep or packet after it closed
  if (!(t.tcpClosed >= 0 && Number.isFinite(t.tcpClosed))) bad('timeouts.tcpClosed must be 0 or more seconds');
  if (t.dns !== undefined && t.dns !== 0 && !(t.dns >= 1 && Number.isFinite(t.dns))) bad('timeouts.dns must be 0 (off) or 1 or more seconds');
  const attempt = t.tcpAttempt ?? 0;
  if (!(attempt >= 0 && Number.isFinite(attempt))) bad('timeouts.tcpAttempt must be 0 or more seconds');
  if (!(t.emergencyFactor > 0 && t.emergencyFactor <= 1)) bad('timeouts.emergencyFactor must be in (0, 1]');
  if (!(c.sweepInterval > 0 && Number.isFinite(c.sweepInterval))) bad('sweepInterval must be a positive number of seconds');
  const seed = c.communityIdSeed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff) bad('communityIdSeed must be an integer in 0…65535');
  const lsp = c.likelyServerPorts;
  if (lsp !== undefined) {
    for (const k of ['tcp', 'udp'] as const) {
      if (!Array.isArray(lsp[k]) || !lsp[k].every((p) => Number.isInteger(p) && p >= 0 && p <= 0xffff)) {
        bad(`likelyServerPorts.${k} must be a list of port numbers 0…65535`);
      }
    }
  }
}
