/**
 * The device cap (trust.maxDevices): which device goes when a new one needs room.
 *
 * Devices are keyed by MAC, which an attacker controls, so the table is capped and evictions are counted. A plain
 * least-recently-seen rule would let a MAC flood push out the established devices one by one; instead a device
 * seen once and never again (what a spoofed MAC is) goes before an established one: among the least recently
 * seen few (EVICT_LOOK), the one seen for the shortest time. Looking at a bounded few keeps the cost per new MAC
 * the same during a flood, whatever the cap.
 */

/** At the cap, the least recently seen this many are looked at for the one seen for the shortest time. */
export const EVICT_LOOK = 32;

/** What the victim choice reads of a device: the span over which it was seen (packet time). */
export interface Lifetime {
  readonly firstSeenUs: number;
  readonly lastSeenUs: number;
}

/** What eviction needs of the device table: its size, iteration least recently seen first, delete (an LruMap). */
export interface EvictableDevices<D extends Lifetime> extends Iterable<[string, D]> {
  readonly size: number;
  delete(mac: string): boolean;
}

/**
 * Among the `look` least recently seen of `devices` (least recently seen first): the first seen once
 * (lifetime 0), else the shortest-lived, the less recently seen on a tie. Undefined when there are none.
 */
export function pickVictim<D extends Lifetime>(devices: Iterable<[string, D]>, look = EVICT_LOOK): [string, D] | undefined {
  let best: [string, D] | undefined;
  let looked = 0;
  for (const e of devices) {
    const life = e[1].lastSeenUs - e[1].firstSeenUs;
    if (life <= 0) return e;
    if (best === undefined || life < best[1].lastSeenUs - best[1].firstSeenUs) best = e;
    if (++looked >= look) break;
  }
  return best;
}

/**
 * Evict from `devices` until it holds fewer than `cap`, so one more fits. Each victim is deleted first and then
 * handed to `onEvict`, which drops what else refers to it (its address index, its pending write). Returns how
 * many were evicted, for the caller's counter.
 */
export function makeRoom<D extends Lifetime>(devices: EvictableDevices<D>, cap: number, onEvict: (mac: string, dev: D) => void): number {
  let evicted = 0;
  while (devices.size >= cap) {
    const victim = pickVictim(devices);
    if (victim === undefined) break; // an empty table is below any cap ≥ 1; cap ≤ 0 would otherwise spin
    const [mac, dev] = victim;
    devices.delete(mac);
    onEvict(mac, dev);
    evicted++;
  }
  return evicted;
}
