/**
 * The Host header check that defeats DNS rebinding: a page on `evil.example` whose name is re-pointed at the
 * appliance makes the browser send `Host: evil.example`, so a request is only served when its Host names the
 * appliance — localhost, a loopback address, one of the machine's own addresses, its host name (and
 * `<hostname>.local`), the address it listens on, or a name from `web.allowedHosts`. Anything else is
 * refused with 421 (Misdirected Request) before any route or cookie is looked at.
 */
import type { MiddlewareHandler } from 'hono';
import { hostname, networkInterfaces } from 'node:os';
import type { WebEnv } from './env.js';

/** The host part of a Host header, lower case, without the port or IPv6 brackets; null when malformed. */
export function hostOf(header: string | undefined | null): string | null {
  if (header === undefined || header === null) return null;
  const h = header.trim().toLowerCase();
  if (h === '' || h.length > 260) return null;
  if (h.startsWith('[')) {
    const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
    return m === null ? null : m[1]!;
  }
  const m = /^([a-z0-9._-]+?)\.?(?::\d{1,5})?$/.exec(h);
  return m === null ? null : m[1]!;
}

/** Names every appliance answers to: localhost and the loopback addresses. */
const ALWAYS = ['localhost', '127.0.0.1', '::1'];

/** How long the machine's addresses are cached (a DHCP lease may change them). */
const REFRESH_MS = 30_000;

export interface HostCheckOptions {
  /** web.allowedHosts: extra names (or addresses) the dashboard is reached by */
  allowed: readonly string[];
  /** web.host, when it is a specific address */
  listenHost: string;
  /** the machine's own addresses and names (default: from the network interfaces and the host name) */
  machineNames?: () => string[];
}

function machineNames(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.toLowerCase().replace(/%.*$/, ''));
  }
  const h = hostname().toLowerCase();
  if (h !== '') out.push(h, `${h}.local`);
  return out;
}

export class HostCheck {
  private names = new Set<string>();
  private loadedMs = -Infinity;
  /** requests refused (421) since start */
  refused = 0;

  constructor(private readonly o: HostCheckOptions) {}

  allows(header: string | undefined | null, nowMs = Date.now()): boolean {
    const h = hostOf(header);
    if (h === null) return false;
    if (ALWAYS.includes(h) || /^127(\.\d{1,3}){3}$/.test(h)) return true;
    if (nowMs - this.loadedMs > REFRESH_MS || (!this.names.has(h) && nowMs - this.loadedMs > 1000)) this.load(nowMs);
    return this.names.has(h);
  }

  private load(nowMs: number): void {
    const names = new Set<string>();
    for (const n of this.o.allowed) {
      const h = hostOf(n);
      if (h !== null) names.add(h);
    }
    const listen = this.o.listenHost.toLowerCase();
    if (listen !== '' && listen !== '0.0.0.0' && listen !== '::') names.add(listen);
    for (const n of (this.o.machineNames ?? machineNames)()) names.add(n);
    this.names = names;
    this.loadedMs = nowMs;
  }
}

export function hostCheck(check: HostCheck): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    // the URL's host is the Host header (or the absolute request target); both must name the appliance
    const header = c.req.header('host');
    if (check.allows(new URL(c.req.url).host) && (header === undefined || check.allows(header))) return next();
    check.refused++;
    return c.text(
      'misdirected request: this appliance does not answer to that host name. Use its address, or add the name to web.allowedHosts in config.yaml.',
      421,
    );
  };
}
