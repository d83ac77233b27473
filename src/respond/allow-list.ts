/**
 * Who is never acted on: the allow-list (response.allowList from the configuration, plus entries an admin adds
 * at run time, kept in the store's settings so they survive a restart) and the protected hosts the appliance
 * depends on (itself, the gateway, DNS servers learnt from DHCP), which the wiring passes in with protect().
 * The policy asks here before every quarantine, block or rate limit, automatic or manual: the allow-list wins.
 */
import { parseEntry, prefixContains, prefixesOverlap, type AddressEntry, type Prefix, canonicalMac, canonicalPrefix } from './firewall-address.js';

/** settings key holding the run-time entries, as StoredAllowEntry[] */
export const ALLOW_LIST_SETTING = 'response.allowList';

export interface StoredAllowEntry {
  entry: string;
  actor: string;
  tsUs: number;
  reason: string | null;
}

/** The part of the store's settings registry this needs (RegistryStore). */
export interface SettingsAccess {
  setting<T = unknown>(key: string): T | undefined;
  setSetting(key: string, value: unknown, tsUs: number): void;
}

export type AllowResult = { ok: true; entry: string } | { ok: false; error: string };

interface Compiled {
  parsed: AddressEntry;
  /** what to tell the admin: "allow-list entry 10.0.0.0/8 (config)", "protected: gateway" */
  label: string;
}

export interface AllowListOptions {
  /** cap on run-time entries (default 1000); beyond it additions are refused */
  maxRuntime?: number;
  /** cap on protected entries (default 64); beyond it the oldest is forgotten and counted */
  maxProtected?: number;
}

export class AllowList {
  private readonly config: Compiled[];
  private runtime: { stored: StoredAllowEntry; c: Compiled }[] = [];
  /** canonical text → why; insertion order is age */
  private readonly protectedHosts = new Map<string, { why: string; c: Compiled }>();
  private readonly maxRuntime: number;
  private readonly maxProtected: number;
  /** protected entries forgotten at the cap (DHCP is attacker-controlled: a rogue server can name many DNS servers) */
  protectedEvicted = 0;

  /** `configEntries` were validated by the configuration schema; a bad one here is a broken invariant and throws. */
  constructor(configEntries: readonly string[], private readonly settings: SettingsAccess | null, opts: AllowListOptions = {}) {
    this.maxRuntime = opts.maxRuntime ?? 1000;
    this.maxProtected = opts.maxProtected ?? 64;
    this.config = configEntries.map((e) => {
      const parsed = parseEntry(e);
      return { parsed, label: `allow-list entry ${parsed.text} (config)` };
    });
    const stored = settings?.setting<StoredAllowEntry[]>(ALLOW_LIST_SETTING) ?? [];
    for (const s of Array.isArray(stored) ? stored : []) {
      // a hand-edited or older settings row: keep what parses, skip the rest
      try {
        const parsed = parseEntry(String(s.entry));
        this.runtime.push({ stored: { ...s, entry: parsed.text }, c: { parsed, label: `allow-list entry ${parsed.text} (added by ${s.actor})` } });
      } catch {
        continue;
      }
    }
  }

  /** Configured entries first, then run-time ones, oldest first. */
  entries(): { entry: string; source: 'config' | 'runtime' }[] {
    return [
      ...this.config.map((c) => ({ entry: c.parsed.text, source: 'config' as const })),
      ...this.runtime.map((r) => ({ entry: r.stored.entry, source: 'runtime' as const })),
    ];
  }

  /** Run-time entries with who added them, when and why. */
  runtimeEntries(): readonly StoredAllowEntry[] {
    return this.runtime.map((r) => r.stored);
  }

  /** Adds a run-time entry and persists it; refuses bad input, duplicates and additions beyond the cap. */
  add(entry: string, actor: string, tsUs: number, reason: string | null): AllowResult {
    let parsed: AddressEntry;
    try {
      parsed = parseEntry(entry);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if (this.entries().some((e) => e.entry === parsed.text)) return { ok: false, error: `${parsed.text} is already on the allow-list` };
    if (this.runtime.length >= this.maxRuntime) return { ok: false, error: `the allow-list holds at most ${this.maxRuntime} run-time entries` };
    const stored: StoredAllowEntry = { entry: parsed.text, actor, tsUs, reason };
    this.runtime.push({ stored, c: { parsed, label: `allow-list entry ${parsed.text} (added by ${actor})` } });
    this.persist(tsUs);
    return { ok: true, entry: parsed.text };
  }

  /** Removes a run-time entry; configured ones are changed in config.yaml. */
  remove(entry: string, tsUs: number): AllowResult {
    let text: string;
    try {
      text = parseEntry(entry).text;
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    const i = this.runtime.findIndex((r) => r.stored.entry === text);
    if (i < 0) {
      const inConfig = this.config.some((c) => c.parsed.text === text);
      return { ok: false, error: inConfig ? `${text} is in response.allowList of the configuration; remove it there` : `${text} is not on the allow-list` };
    }
    this.runtime.splice(i, 1);
    this.persist(tsUs);
    return { ok: true, entry: text };
  }

  /**
   * Marks a MAC, address or prefix as one the appliance depends on (itself, the gateway, a DNS server). Returns
   * the canonical text; throws AddressError on bad input. Protecting it again only updates the reason.
   */
  protect(addr: string, why: string): string {
    const parsed = parseEntry(addr);
    const old = this.protectedHosts.get(parsed.text);
    this.protectedHosts.delete(parsed.text);
    this.protectedHosts.set(parsed.text, { why, c: { parsed, label: `protected (${why})` } });
    if (old === undefined && this.protectedHosts.size > this.maxProtected) {
      const oldest = this.protectedHosts.keys().next().value as string;
      this.protectedHosts.delete(oldest);
      this.protectedEvicted++;
    }
    return parsed.text;
  }

  unprotect(addr: string): boolean {
    const mac = canonicalMac(addr);
    const p = canonicalPrefix(addr);
    return this.protectedHosts.delete(mac ?? p?.text ?? addr);
  }

  protectedEntries(): { entry: string; why: string }[] {
    return [...this.protectedHosts].map(([entry, v]) => ({ entry, why: v.why }));
  }

  /**
   * Why a device (MAC and/or addresses) must not be acted on, or null when nothing exempts it. Addresses that
   * do not parse are ignored here; the firewall refuses them later.
   */
  exemption(mac: string | null, ips: readonly string[]): string | null {
    const m = mac === null ? null : canonicalMac(mac);
    const ps = ips.map((ip) => canonicalPrefix(ip)).filter((p): p is Prefix => p !== null);
    for (const c of this.all()) {
      if (c.parsed.kind === 'mac') {
        if (m !== null && c.parsed.mac === m) return c.label;
      } else {
        const outer = c.parsed.prefix;
        if (ps.some((p) => prefixContains(outer, p))) return c.label;
      }
    }
    return null;
  }

  /** Why blocking `target` would hit an allow-listed or protected address, or null. */
  blockExemption(target: Prefix): string | null {
    for (const c of this.all()) if (c.parsed.kind === 'prefix' && prefixesOverlap(c.parsed.prefix, target)) return c.label;
    return null;
  }

  private *all(): Iterable<Compiled> {
    for (const v of this.protectedHosts.values()) yield v.c;
    yield* this.config;
    for (const r of this.runtime) yield r.c;
  }

  private persist(tsUs: number): void {
    this.settings?.setSetting(ALLOW_LIST_SETTING, this.runtime.map((r) => r.stored), tsUs);
  }
}
