/**
 * Muted alert kinds per device, kept in the settings table under one key (`alerts.mutes`): a short list an
 * admin edits by hand, so no table of its own. A muted alert is still stored and still counts against the
 * device's trust; it is only left out of the live feed and the alert lists.
 */
import type { Store } from '../store/db.js';
import { MUTES_SETTING } from '../store/incidents.js';
import type { Mute } from './views/alerts.js';

/** the store's incident queries read the same key to leave muted incidents out */
export const MUTES_KEY = MUTES_SETTING;
/** the list is edited by hand; the cap keeps a scripted client from growing the row without end */
export const MAX_MUTES = 500;

export function loadMutes(store: Store): Mute[] {
  const v = store.registry.setting<Mute[]>(MUTES_KEY);
  return Array.isArray(v) ? v : [];
}

export function isMuted(mutes: readonly Mute[], a: { srcMac: string | null; kind: string }): boolean {
  return a.srcMac !== null && mutes.some((m) => m.mac === a.srcMac && m.kind === a.kind);
}

/** Adds a mute; false when the list is full. Adding one already there changes nothing and returns true. */
export function addMute(store: Store, m: Mute): boolean {
  const list = loadMutes(store);
  if (list.some((x) => x.mac === m.mac && x.kind === m.kind)) return true;
  if (list.length >= MAX_MUTES) return false;
  store.registry.setSetting(MUTES_KEY, [...list, m], m.sinceUs);
  return true;
}

/** Removes a mute; false when it was not there. */
export function removeMute(store: Store, mac: string, kind: string, tsUs: number): boolean {
  const list = loadMutes(store);
  const rest = list.filter((x) => !(x.mac === mac && x.kind === kind));
  if (rest.length === list.length) return false;
  store.registry.setSetting(MUTES_KEY, rest, tsUs);
  return true;
}
