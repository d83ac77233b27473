/**
 * The flow table's canonical key: the two endpoints in a fixed order (the lower address first, the lower port
 * when the addresses are equal), so both directions of a connection find the same slot, and the key's hash.
 */

/** Whether the packet's source (`s`, port `sp`) is endpoint A of the canonical key against `d`, `dp`. */
export function sourceIsA(s: Uint32Array, d: Uint32Array, sp: number, dp: number): boolean {
  for (let i = 0; i < 4; i++) {
    if (s[i] !== d[i]) return s[i]! < d[i]!;
  }
  return sp <= dp;
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x5bd1e995);
  return h ^ (h >>> 15);
}

/** Hash of a key: protocol and IP version (`meta`), VLAN ids and tunnel depth, both ports, addresses A then B. */
export function keyHash(meta: number, vlan: number, ports: number, a: Uint32Array, b: Uint32Array): number {
  let h = mix(meta, vlan);
  h = mix(h, ports);
  for (let i = 0; i < 4; i++) h = mix(h, a[i]!);
  for (let i = 0; i < 4; i++) h = mix(h, b[i]!);
  return h >>> 0;
}
