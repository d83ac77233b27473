/**
 * The hosts the appliance itself depends on, read from this machine: its own addresses and MACs, its default
 * gateways (IPv4 and IPv6) and the DNS servers its resolver uses (learnt from DHCP on the management interface).
 * The wiring passes each to Policy.protect(), so no automatic or manual response can cut the appliance off from
 * its own network. Read once at start-up from the kernel and resolver files, not from packets: a rogue DHCP
 * server on the LAN cannot make itself protected this way.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { canonicalMac, canonicalPrefix } from './firewall-address.js';

export interface ProtectedHost {
  entry: string;
  why: string;
}

export interface ApplianceHostSources {
  /** /proc/net/route */
  route4?: string;
  /** /proc/net/ipv6_route */
  route6?: string;
  /** resolver files; systemd-resolved's stub (127.0.0.53) points at the real list in the second */
  resolvConf?: string[];
  interfaces?: ReturnType<typeof networkInterfaces>;
}

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** IPv4 default gateways from /proc/net/route (addresses are little-endian hex). */
export function defaultGateways4(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, dest, gw] = line.trim().split(/\s+/);
    if (dest !== '00000000' || gw === undefined || !/^[0-9A-Fa-f]{8}$/.test(gw) || gw === '00000000') continue;
    const n = parseInt(gw, 16);
    out.push([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.'));
  }
  return out;
}

/** IPv6 default gateways from /proc/net/ipv6_route (destination ::/0 with a next hop). */
export function defaultGateways6(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^0{32}$/.test(f[0]!) || f[1] !== '00' || /^0{32}$/.test(f[4]!) || !/^[0-9a-f]{32}$/i.test(f[4]!)) continue;
    const p = canonicalPrefix(f[4]!.match(/.{4}/g)!.join(':'));
    if (p !== null) out.push(p.text);
  }
  return out;
}

/** `nameserver` addresses of resolv.conf files, without loopback stubs. */
export function nameservers(texts: string[]): string[] {
  const out: string[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^\s*nameserver\s+(\S+)/.exec(line);
      const p = m === null ? null : canonicalPrefix(m[1]!.split('%')[0]!);
      if (p === null || p.text.startsWith('127.') || p.text === '::1') continue;
      if (!out.includes(p.text)) out.push(p.text);
    }
  }
  return out;
}

/** Everything to protect, deduplicated: own addresses and MACs, gateways, DNS servers. */
export function applianceHosts(src: ApplianceHostSources = {}): ProtectedHost[] {
  const out: ProtectedHost[] = [];
  const add = (entry: string | null, why: string) => {
    if (entry !== null && !out.some((h) => h.entry === entry)) out.push({ entry, why });
  };
  for (const [name, addrs] of Object.entries(src.interfaces ?? networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      add(canonicalPrefix(a.address.split('%')[0]!)?.text ?? null, `this appliance (${name})`);
      if (a.mac !== '00:00:00:00:00:00') add(canonicalMac(a.mac), `this appliance (${name})`);
    }
  }
  for (const gw of defaultGateways4(src.route4 ?? read('/proc/net/route'))) add(gw, 'default gateway');
  for (const gw of defaultGateways6(src.route6 ?? read('/proc/net/ipv6_route'))) add(gw, 'default gateway');
  const conf = src.resolvConf ?? [read('/etc/resolv.conf'), read('/run/systemd/resolve/resolv.conf')];
  for (const ns of nameservers(conf)) add(ns, 'DNS server');
  return out;
}
