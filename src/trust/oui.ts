/**
 * MAC vendor lookup from the IEEE registry shipped by the `oui-data` package (node_modules/oui-data/index.json:
 * ~54,000 assignments, 5.6 MB of JSON mapping a hex prefix to the organisation's name and postal address).
 *
 * The file is read through assets.ts (so the single executable serves it from its embedded assets, and esbuild
 * never inlines 5.6 MB into the bundle), lazily on the first lookup and only once; only the organisation name
 * (the first line) of each entry is kept. Prefixes are MA-L (24 bits, 6 hex digits), MA-M (28 bits, 7) and
 * MA-S (36 bits, 9): the longest matching one wins, as the IEEE assigns the small blocks inside big ones.
 */
import { readAsset } from '../assets.js';

const OUI_ASSET = 'node_modules/oui-data/index.json';

let table: Map<string, string> | null = null;
let loadError: string | null = null;

function load(): Map<string, string> | null {
  if (table !== null || loadError !== null) return table;
  try {
    const raw = JSON.parse(readAsset(OUI_ASSET).toString('utf8')) as Record<string, string>;
    const m = new Map<string, string>();
    for (const [prefix, text] of Object.entries(raw)) {
      const nl = text.indexOf('\n');
      m.set(prefix.toUpperCase(), (nl < 0 ? text : text.slice(0, nl)).trim());
    }
    table = m;
  } catch (err) {
    // a missing registry costs vendor names, not the inventory: remember why and answer null from now on
    loadError = (err as Error).message;
  }
  return table;
}

/** Why the registry could not be loaded, or null (also null before the first lookup). */
export function ouiLoadError(): string | null {
  return loadError;
}

/**
 * The registered organisation for `mac` ("aa:bb:cc:dd:ee:ff"), or null when the prefix is not registered,
 * the MAC is locally administered (randomised MACs carry no vendor) or the registry is unavailable.
 */
export function vendorOf(mac: string): string | null {
  const hex = mac.replace(/[:-]/g, '').toUpperCase();
  if (hex.length !== 12 || isLocallyAdministered(mac)) return null;
  const t = load();
  if (t === null) return null;
  return t.get(hex.slice(0, 9)) ?? t.get(hex.slice(0, 7)) ?? t.get(hex.slice(0, 6)) ?? null;
}

/**
 * The U/L bit (bit 1 of the first octet): set on locally administered addresses, which is what phones and
 * laptops use for per-network randomised MACs (Android 10+, iOS 14+, Windows "random hardware addresses").
 */
export function isLocallyAdministered(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 0x02) !== 0;
}

/** The I/G bit: a multicast or broadcast destination, never a device. */
export function isGroupMac(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 0x01) !== 0;
}
