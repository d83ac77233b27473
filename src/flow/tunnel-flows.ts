/**
 * The flows of a tunnelled packet: the carrier's flow on the wire, and one flow per level inside it.
 *
 * Two halves meet in the Packet: the fan-out (`addWithTunnels`) accounts the carrier, then stamps each inner
 * packet with its carrier's slot and flow id before accounting it; the table, accounting a packet at depth > 0,
 * calls `noteCarrier`, which turns that stamp into the inner flow's tunnel record (type, depth, key, root and
 * parents, as Zeek's tunnel_parents and Suricata's tunnel object need them).
 */
import { TUNNEL_NAMES, type Packet } from '../decode/packet.js';
import type { Decapsulator } from '../decode/decode.js';
import type { DecodeStats } from '../decode/events.js';
import { tunnelParentOf } from './flow-export.js';
import { MAX_TUNNEL_PARENTS } from './flow-record.js';
import { U_FLOW_ID, type FlowStore } from './flow-store.js';

/** What the fan-out needs of a flow table (FlowTable is one). */
export interface FlowAccounting {
  /** Account one decoded IP packet; returns its flow's slot (valid until the next call), -1 for a packet without IP. */
  add(pkt: Packet): number;
  /** The id of the flow in `slot`, a slot the last `add` returned. */
  flowIdAt(slot: number): number;
}

/**
 * Account pkt as `flows.add` does and, with a decapsulator, every packet tunnelled inside it, each as a flow of
 * its own whose tunnel parent is its carrier's flow. Without one (decode.tunnels off) a tunnel is its outer flow only.
 */
export function addWithTunnels(flows: FlowAccounting, pkt: Packet, decap: Decapsulator | null, stats: DecodeStats): void {
  let slot = flows.add(pkt);
  if (pkt.tunnel === 0 || decap === null || slot < 0) return;
  for (let outer = pkt; ; ) {
    const inner = decap.inner(outer, stats);
    if (inner === null || inner.ipVersion === 0) return;
    inner.outerSlot = slot;
    inner.outerFlowId = flows.flowIdAt(slot);
    slot = flows.add(inner);
    outer = inner;
  }
}

/**
 * Record the carrier of a tunnelled packet's flow in `store`: its tunnel (first packet) and every new parent flow.
 * The carrier's slot is checked by flow id, since making room for this flow may have ended the carrier's.
 */
export function noteCarrier(store: FlowStore, slot: number, pkt: Packet, seed: number): void {
  const os = pkt.outerSlot;
  const carrier = pkt.outer;
  if (os < 0 || os === slot || carrier === null || store.u[store.ub(os) + U_FLOW_ID] !== pkt.outerFlowId) return;
  const t = store.tunnel[slot];
  if (t === null) {
    const parent = tunnelParentOf(store, os, seed);
    const around = store.tunnel[os];
    store.tunnel[slot] = {
      type: TUNNEL_NAMES[carrier.tunnel] || 'ip',
      depth: pkt.depth,
      ...(carrier.tunnelKey >= 0 ? { key: carrier.tunnelKey } : {}),
      root: around === null ? parent : around.root,
      parents: [parent],
    };
    return;
  }
  const ps = t.parents;
  for (let i = 0; i < ps.length; i++) if (ps[i]!.flowId === pkt.outerFlowId) return;
  if (ps.length < MAX_TUNNEL_PARENTS) ps.push(tunnelParentOf(store, os, seed));
}
