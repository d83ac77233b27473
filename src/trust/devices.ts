/**
 * Device inventory: every device inside homeNets, keyed by MAC, with the addresses it used over time, its
 * hostname (DHCP option 12, mDNS answers), DHCP fingerprint (option 55 list, option 60 vendor class), vendor
 * (IEEE OUI) and first/last sighting; plus the remote hosts the LAN talks to, keyed by IP, with the DNS names
 * the LAN resolved for them.
 *
 * Input is the bus ('arp', 'dhcp', 'dns', 'flow.end'); output is 'device.new' (once per MAC, also across
 * restarts: known devices are reloaded from the store) and 'device.update' (new address, hostname, fingerprint).
 * Both tables are keyed by attacker-controlled values, so both are capped (trust.maxDevices,
 * trust.maxRemoteHosts) and count evictions. At the device cap a device seen once and never again (what a
 * spoofed MAC is) goes before an established one (device-eviction.ts). A MAC never seen before is first offered
 * to the new-device gate (the flood.devices detector): during a flood only its sample is tracked, the rest is
 * counted there and goes nowhere else.
 *
 * Persistence never runs SQL per packet: writes are handed to the store's batch queue (`store.defer`), at
 * once for something new (a device, an address, a name) and at most once a minute of packet time for a
 * device that was merely seen again.
 */
import { LruMap } from '../lru-map.js';
import type { Bus } from '../bus.js';
import type { DhcpInfo, DnsMessage, ArpInfo } from '../decode/packet.js';
import { ipv4ToString, macToString } from '../decode/addr.js';
import { isGroupAddress, PrefixSet } from '../detectors/addresses.js';
import type { NewDeviceGate } from '../detectors/device-flood.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { Store } from '../store/db.js';
import type { AddressSource } from '../store/devices.js';
import { DeviceWriter, loadDevice, recentDevices } from './device-persist.js';
import { makeRoom } from './device-eviction.js';
import { isGroupMac, isLocallyAdministered, vendorOf } from './oui.js';
import { RemoteHosts, type RemoteHost } from './remote-hosts.js';

export type { RemoteHost } from './remote-hosts.js';
import type { DeviceEvent } from './types.js';

export interface InventoryConfig {
  homeNets: readonly string[];
  /** the capture interface, for the flood gate's "on eth0 VLAN 10" (empty: "the capture") */
  iface?: string;
  trust: { maxDevices: number; maxRemoteHosts: number };
}

export interface DeviceAddress {
  firstSeenUs: number;
  lastSeenUs: number;
  source: AddressSource;
}

/** Where a hostname came from; DHCP wins over mDNS because the device sends it for itself, by name. */
export type HostnameSource = 'dhcp' | 'mdns';

export interface Device {
  mac: string;
  randomMac: boolean;
  vendor: string | null;
  hostname: string | null;
  hostnameSource: HostnameSource | null;
  /** DHCP option 55 list, comma-separated, in the order the client asked ("1,3,6,15,119,252") */
  dhcpFingerprint: string | null;
  /** DHCP option 60 ("MSFT 5.0", "android-dhcp-13") */
  dhcpVendorClass: string | null;
  firstSeenUs: number;
  lastSeenUs: number;
  /** addresses by text form, least recently seen first, at most MAX_ADDRESSES */
  addresses: Map<string, DeviceAddress>;
}

export interface InventoryStats {
  devices: number;
  remoteHosts: number;
  /** devices announced with 'device.new' since start */
  newDevices: number;
  devicesEvicted: number;
  remoteHostsEvicted: number;
  /** addresses dropped from a device that had MAX_ADDRESSES already (a router forwarding for many hosts) */
  addressesEvicted: number;
  /** MACs never seen before that the new-device gate counted only (a device flood) */
  floodUnadmitted: number;
}

/** Addresses kept per device: DHCP churn and IPv6 privacy addresses add a few a day; a router's MAC adds many. */
export const MAX_ADDRESSES = 16;

export class DeviceInventory {
  /** least recently seen first: re-inserted on every touch (an LruMap, so the victim search at the cap costs the same in a MAC flood) */
  private readonly devices = new LruMap<string, Device>(Number.MAX_SAFE_INTEGER);
  private readonly remotes: RemoteHosts;
  /** address → MAC of the device that used it last */
  private readonly byIp = new Map<string, string>();
  private readonly home: PrefixSet;
  private readonly writer: DeviceWriter;
  private readonly offs: (() => void)[] = [];
  readonly stats: InventoryStats = { devices: 0, remoteHosts: 0, newDevices: 0, devicesEvicted: 0, remoteHostsEvicted: 0, addressesEvicted: 0, floodUnadmitted: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly store: Store | null,
    private readonly cfg: InventoryConfig,
    private readonly gate: NewDeviceGate | null = null,
  ) {
    this.home = new PrefixSet(cfg.homeNets);
    this.remotes = new RemoteHosts(cfg.trust.maxRemoteHosts);
    this.writer = new DeviceWriter(store, (mac) => this.devices.peek(mac));
    if (store !== null) this.reload(store);
    this.offs.push(
      bus.on('arp', (e) => this.onArp(e.tsUs, e.arp, e.vlan)),
      bus.on('dhcp', (e) => this.onDhcp(e.tsUs, e.dhcp, e.vlan)),
      bus.on('dns', (e) => this.onDns(e.tsUs, e.srcMac, e.srcIp, e.dns, e.vlan)),
      bus.on('flow.end', (r) => this.onFlow(r)),
    );
  }

  /** true when `ip` lies inside homeNets */
  isHome(ip: string): boolean {
    return this.home.has(ip);
  }

  get(mac: string): Device | undefined {
    return this.devices.peek(mac);
  }

  /** Every device held, most recently seen first. */
  list(): Device[] {
    return [...this.devices.values()].reverse();
  }

  /** MAC of the device that used `ip` most recently, when it is held. */
  macForIp(ip: string): string | undefined {
    return this.byIp.get(ip);
  }

  /** The device's addresses, most recently seen first. */
  addressesOf(mac: string): string[] {
    const d = this.devices.peek(mac);
    return d === undefined ? [] : [...d.addresses.keys()].reverse();
  }

  remoteHost(ip: string): RemoteHost | undefined {
    return this.remotes.get(ip);
  }

  /** Periodic work (with the scorer's tick): queues the sightings of a quiet minute that no packet flushed. */
  tick(nowUs: number): void {
    this.gate?.tick?.(nowUs);
    this.writer.maybeFlush(nowUs);
  }

  /** Evictions of the in-memory tables, for argus_memory_evictions_total. */
  evictions(): Record<string, number> {
    return { 'inventory.devices': this.stats.devicesEvicted, 'inventory.remote_hosts': this.stats.remoteHostsEvicted, 'inventory.addresses': this.stats.addressesEvicted };
  }

  /** Unsubscribes from the bus and queues the pending writes. */
  close(tsUs: number): void {
    this.offs.forEach((off) => off());
    this.offs.length = 0;
    this.persist(tsUs);
  }

  // ---- bus input ---------------------------------------------------------------------------------------

  private onArp(tsUs: number, a: ArpInfo, vlan: number): void {
    const ip = a.senderIp === 0 ? null : ipv4ToString(a.senderIp); // 0.0.0.0: an address probe (RFC 5227)
    if (ip !== null && !this.home.has(ip)) return;
    this.sight(tsUs, macToString(a.senderMac), ip, 'arp', vlan);
  }

  private onDhcp(tsUs: number, d: DhcpInfo, vlan: number): void {
    const mac = macToString(d.clientMac);
    if (d.op === 2) {
      // the server's ACK is what assigns the address; OFFERs may go unused
      if (d.messageType === 5 && d.yourIp !== '' && this.home.has(d.yourIp)) this.sight(tsUs, mac, d.yourIp, 'dhcp', vlan);
      return;
    }
    const dev = this.sight(tsUs, mac, d.clientIp !== '' && this.home.has(d.clientIp) ? d.clientIp : null, 'dhcp', vlan);
    if (dev === null) return;
    let changed = false;
    if (d.hostname !== null && d.hostname !== '' && (dev.hostname !== d.hostname || dev.hostnameSource !== 'dhcp')) {
      dev.hostname = d.hostname;
      dev.hostnameSource = 'dhcp';
      changed = true;
    }
    const fp = d.paramRequestList === null || d.paramRequestList.length === 0 ? null : d.paramRequestList.join(',');
    if (fp !== null && fp !== dev.dhcpFingerprint) {
      dev.dhcpFingerprint = fp;
      changed = true;
    }
    if (d.vendorClass !== null && d.vendorClass !== '' && d.vendorClass !== dev.dhcpVendorClass) {
      dev.dhcpVendorClass = d.vendorClass;
      changed = true;
    }
    if (changed) this.changed(tsUs, dev);
  }

  private onDns(tsUs: number, srcMac: number, srcIp: string, m: DnsMessage, vlan: number): void {
    if (!m.response) return;
    if (m.mdns) {
      if (!this.home.has(srcIp)) return;
      // a device announcing "name.local" for its own address names itself
      for (const a of m.answers) {
        if ((a.type !== 1 && a.type !== 28) || a.data !== srcIp || !a.name.toLowerCase().endsWith('.local')) continue;
        const dev = this.sight(tsUs, macToString(srcMac), srcIp, 'flow', vlan);
        const name = a.name.slice(0, -'.local'.length);
        if (dev !== null && dev.hostnameSource !== 'dhcp' && dev.hostname !== name && name !== '') {
          dev.hostname = name;
          dev.hostnameSource = 'mdns';
          this.changed(tsUs, dev);
        }
        return;
      }
      return;
    }
    for (const a of m.answers) {
      if ((a.type !== 1 && a.type !== 28) || a.data === '' || this.home.has(a.data) || isGroupAddress(a.data)) continue;
      const r = this.remote(tsUs, a.data);
      // the name the client asked for first: a CDN's CNAME target tells an admin less than "api.vendor.com"
      RemoteHosts.addName(r, m.qname !== '' ? m.qname : a.name);
      if (a.name !== m.qname && a.name !== '') RemoteHosts.addName(r, a.name);
    }
  }

  private onFlow(r: FlowRecord): void {
    const ts = r.endUs;
    const vlan = r.vlan[0] ?? 0;
    this.endpoint(ts, r.srcMac, r.srcIp, vlan);
    this.endpoint(ts, r.dstMac, r.dstIp, vlan);
  }

  private endpoint(tsUs: number, mac: string | null, ip: string, vlan: number): void {
    if (isGroupAddress(ip)) return;
    if (this.home.has(ip)) {
      if (mac !== null) this.sight(tsUs, mac, ip, 'flow', vlan);
    } else {
      this.remote(tsUs, ip);
    }
  }

  // ---- tables ------------------------------------------------------------------------------------------

  /**
   * Records a sighting of `mac` (with `ip` when known); returns the device, or null for MACs that are never
   * devices (group, all-zero). Emits 'device.new' or 'device.update' as needed.
   */
  private sight(tsUs: number, mac: string, ip: string | null, source: AddressSource, vlan: number): Device | null {
    if (mac === '' || mac === '00:00:00:00:00:00' || isGroupMac(mac)) return null;
    let dev = this.devices.peek(mac);
    let isNew = false;
    if (dev !== undefined) {
      this.devices.delete(mac);
    } else {
      dev = this.fromStore(mac) ?? undefined;
      if (dev === undefined) {
        if (this.gate !== null && !this.gate.admitNew(tsUs, mac, this.where(vlan))) {
          this.stats.floodUnadmitted++;
          return null;
        }
        isNew = true;
        dev = {
          mac,
          randomMac: isLocallyAdministered(mac),
          vendor: vendorOf(mac),
          hostname: null,
          hostnameSource: null,
          dhcpFingerprint: null,
          dhcpVendorClass: null,
          firstSeenUs: tsUs,
          lastSeenUs: tsUs,
          addresses: new Map(),
        };
      }
      this.makeRoom();
    }
    this.devices.set(mac, dev);
    if (tsUs > dev.lastSeenUs) dev.lastSeenUs = tsUs;
    let newAddr = false;
    if (ip !== null && !isGroupAddress(ip)) newAddr = this.addAddress(dev, ip, tsUs, source);
    this.stats.devices = this.devices.size;
    if (isNew) {
      this.stats.newDevices++;
      this.writer.now(tsUs, dev);
      this.bus.emit('device.new', this.event(tsUs, dev));
    } else if (newAddr) {
      this.changed(tsUs, dev);
    } else {
      this.writer.mark(tsUs, dev, ip);
    }
    return dev;
  }

  private addAddress(dev: Device, ip: string, tsUs: number, source: AddressSource): boolean {
    const a = dev.addresses.get(ip);
    const owner = this.byIp.get(ip);
    if (owner !== dev.mac) this.byIp.set(ip, dev.mac);
    if (a !== undefined) {
      dev.addresses.delete(ip);
      dev.addresses.set(ip, a);
      if (tsUs > a.lastSeenUs) a.lastSeenUs = tsUs;
      // a DHCP assignment says more than a flow did
      if (source === 'dhcp') a.source = source;
      return false;
    }
    if (dev.addresses.size >= MAX_ADDRESSES) {
      const oldest = dev.addresses.keys().next().value as string;
      dev.addresses.delete(oldest);
      if (this.byIp.get(oldest) === dev.mac) this.byIp.delete(oldest);
      this.stats.addressesEvicted++;
    }
    dev.addresses.set(ip, { firstSeenUs: tsUs, lastSeenUs: tsUs, source });
    return true;
  }

  /** "eth0 VLAN 10", "the capture" */
  private where(vlan: number): string {
    const iface = this.cfg.iface !== undefined && this.cfg.iface !== '' ? this.cfg.iface : 'the capture';
    return vlan > 0 ? `${iface} VLAN ${vlan}` : iface;
  }

  /** Room for one more device at the cap (device-eviction.ts). */
  private makeRoom(): void {
    this.stats.devicesEvicted += makeRoom(this.devices, this.cfg.trust.maxDevices, this.forget);
    this.stats.devices = this.devices.size;
  }

  /** An evicted device takes its addresses and its pending write along (bound once: no closure per new MAC). */
  private readonly forget = (mac: string, dev: Device): void => {
    for (const ip of dev.addresses.keys()) if (this.byIp.get(ip) === mac) this.byIp.delete(ip);
    this.writer.forget(mac);
  };

  private remote(tsUs: number, ip: string): RemoteHost {
    const r = this.remotes.touch(ip, tsUs);
    this.stats.remoteHosts = this.remotes.size;
    this.stats.remoteHostsEvicted = this.remotes.evicted;
    return r;
  }

  private event(tsUs: number, d: Device): DeviceEvent {
    return { tsUs, mac: d.mac, ips: [...d.addresses.keys()].reverse(), hostname: d.hostname, vendor: d.vendor, randomMac: d.randomMac };
  }

  private changed(tsUs: number, dev: Device): void {
    this.writer.now(tsUs, dev);
    this.bus.emit('device.update', this.event(tsUs, dev));
  }

  // ---- persistence (device-persist.ts) ----------------------------------------------------------------

  /** Queues the last sightings of every device seen since the previous call (one deferred write for all). */
  persist(tsUs: number): void {
    this.writer.flush(tsUs);
  }

  /** A device evicted from memory (or known before a restart) that is still in the store; null when unknown. */
  private fromStore(mac: string): Device | null {
    const dev = this.store === null ? null : loadDevice(this.store, mac, MAX_ADDRESSES);
    if (dev !== null) for (const ip of dev.addresses.keys()) this.byIp.set(ip, mac);
    return dev;
  }

  /** Loads the most recently seen devices (up to the cap) so a restart does not announce them again. */
  private reload(store: Store): void {
    for (const dev of recentDevices(store, this.cfg.trust.maxDevices, MAX_ADDRESSES)) {
      for (const ip of dev.addresses.keys()) this.byIp.set(ip, dev.mac);
      this.devices.set(dev.mac, dev);
    }
    this.stats.devices = this.devices.size;
  }
}
