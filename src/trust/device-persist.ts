/**
 * The device inventory's persistence (devices.ts): what it writes and reads back. Writes never run SQL per
 * packet: they are handed to the store's batch queue (`store.defer`), at once for something new (`now`: a
 * device, an address, a name) and at most once a minute of packet time for a device merely seen again
 * (`mark`, then `flush`). Reads turn stored rows back into devices, for a device evicted from memory and
 * for the devices reloaded at start.
 */
import type { Store } from '../store/db.js';
import type { AddressSource, DeviceSighting } from '../store/devices.js';
import type { Device } from './devices.js';
import { isLocallyAdministered } from './oui.js';

/** A device that was only seen again is written at most this often (packet time). */
const PERSIST_EVERY_US = 60_000_000;
/** Devices reloaded from the store per query page at start. */
const RELOAD_PAGE = 1000;

type DeviceRow = NonNullable<ReturnType<Store['devices']['get']>>;

export class DeviceWriter {
  /** MACs seen again since their last write, and the addresses whose last sighting moved */
  private readonly dirty = new Map<string, Set<string>>();
  private nextFlushUs = 0;

  /** `peek` finds a device in memory without touching its recency */
  constructor(
    private readonly store: Store | null,
    private readonly peek: (mac: string) => Device | undefined,
  ) {}

  /** Queues the device row and all its addresses into the store's next batch. */
  now(tsUs: number, dev: Device): void {
    this.dirty.delete(dev.mac);
    if (this.store === null) return;
    const s = sighting(dev, dev.lastSeenUs);
    const first = { ...s, tsUs: dev.firstSeenUs };
    const addrs = [...dev.addresses].map(([ip, a]) => [ip, { ...a }] as const);
    const devices = this.store.devices;
    this.store.defer(tsUs, () => {
      devices.upsert(first);
      devices.upsert(s);
      for (const [ip, a] of addrs) {
        devices.addAddress(dev.mac, ip, a.firstSeenUs, a.source);
        if (a.lastSeenUs !== a.firstSeenUs) devices.addAddress(dev.mac, ip, a.lastSeenUs, a.source);
      }
    });
    this.maybeFlush(tsUs);
  }

  /** The device was seen again (on `ip`, when not null): written with the next flush. */
  mark(tsUs: number, dev: Device, ip: string | null): void {
    if (this.store !== null) {
      let set = this.dirty.get(dev.mac);
      if (set === undefined) this.dirty.set(dev.mac, (set = new Set()));
      if (ip !== null && dev.addresses.has(ip)) set.add(ip);
    }
    this.maybeFlush(tsUs);
  }

  /** A device left memory: nothing more of it is pending. */
  forget(mac: string): void {
    this.dirty.delete(mac);
  }

  maybeFlush(tsUs: number): void {
    if (tsUs >= this.nextFlushUs) this.flush(tsUs);
  }

  /** Queues the last sightings of every device seen since the previous call (one deferred write for all). */
  flush(tsUs: number): void {
    this.nextFlushUs = tsUs + PERSIST_EVERY_US;
    if (this.store === null || this.dirty.size === 0) return;
    const rows: { s: DeviceSighting; addrs: [string, number, AddressSource][] }[] = [];
    for (const [mac, ips] of this.dirty) {
      const dev = this.peek(mac);
      if (dev === undefined) continue;
      const addrs: [string, number, AddressSource][] = [];
      for (const ip of ips) {
        const a = dev.addresses.get(ip);
        if (a !== undefined) addrs.push([ip, a.lastSeenUs, a.source]);
      }
      rows.push({ s: sighting(dev, dev.lastSeenUs), addrs });
    }
    this.dirty.clear();
    const devices = this.store.devices;
    this.store.defer(tsUs, () => {
      for (const r of rows) {
        devices.upsert(r.s);
        for (const [ip, ts, src] of r.addrs) devices.addAddress(r.s.mac, ip, ts, src);
      }
    });
  }
}

function sighting(dev: Device, tsUs: number): DeviceSighting {
  const s: DeviceSighting = { mac: dev.mac, tsUs };
  if (dev.hostname !== null) s.hostname = dev.hostname;
  if (dev.vendor !== null) s.vendor = dev.vendor;
  if (dev.dhcpFingerprint !== null) s.dhcpFingerprint = dev.dhcpFingerprint;
  if (dev.dhcpVendorClass !== null) s.dhcpVendorClass = dev.dhcpVendorClass;
  return s;
}

/** The stored device `mac` with its most recent `maxAddresses` addresses; null when the store lacks it. */
export function loadDevice(store: Store, mac: string, maxAddresses: number): Device | null {
  // a MAC the store certainly lacks (every MAC of a flood) costs no read; else one indexed read
  if (!store.devices.mayHold(mac)) return null;
  const row = store.devices.get(mac);
  return row === undefined ? null : fromRow(store, row, maxAddresses);
}

/** The `max` most recently seen stored devices, least recent first (the order an LRU is filled in). */
export function recentDevices(store: Store, max: number, maxAddresses: number): Device[] {
  const rows: DeviceRow[] = [];
  for (let offset = 0; rows.length < max; offset += RELOAD_PAGE) {
    const page = store.devices.query({ orderBy: 'lastSeen', offset, limit: Math.min(RELOAD_PAGE, max - rows.length) });
    rows.push(...page);
    if (page.length < RELOAD_PAGE) break;
  }
  return rows.reverse().map((row) => fromRow(store, row, maxAddresses));
}

function fromRow(store: Store, row: DeviceRow, maxAddresses: number): Device {
  const dev: Device = {
    mac: row.mac,
    randomMac: isLocallyAdministered(row.mac),
    vendor: row.vendor,
    hostname: row.hostname,
    hostnameSource: row.hostname === null ? null : 'dhcp',
    dhcpFingerprint: row.dhcpFingerprint,
    dhcpVendorClass: row.dhcpVendorClass,
    firstSeenUs: row.firstSeenUs,
    lastSeenUs: row.lastSeenUs,
    addresses: new Map(),
  };
  // newest first from the store; kept oldest first, as the inventory inserts them
  for (const a of store.devices.addresses(row.mac).slice(0, maxAddresses).reverse()) {
    dev.addresses.set(a.ip, { firstSeenUs: a.firstSeenUs, lastSeenUs: a.lastSeenUs, source: a.source });
  }
  return dev;
}
