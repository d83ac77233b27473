/**
 * Device inventory rows: devices keyed by MAC, the addresses each used over time, and trust score history.
 * The trust module owns the logic (what a sighting means, how scores move); this file only persists it.
 *
 * Both device tables are keyed by what the wire says (a MAC, an address), so both are capped: at most
 * `maxDevices` devices (store.maxDevices) and `maxAddressesPerDevice` addresses per device
 * (store.maxAddressesPerDevice, the least recently used go). Past the device cap the devices seen for the
 * shortest time go first — a spoofed MAC seen once has lifetime 0 — and never a device that carries evidence
 * or an admin's decision: alerts or incidents about it, trust history, scans, actions (a quarantine), a
 * label or a chosen type (`evictTransient`). A hostname does not protect a device: a DHCP flood can carry one.
 * Evictions are counted in `evictions` (exported as argus_store_evictions_total).
 */
import type Database from 'better-sqlite3';

/**
 * How an address was learnt.
 * - arp: an ARP request or reply from the device
 * - dhcp: a DHCP ACK assigned it
 * - ndp: IPv6 neighbour discovery
 * - flow: seen as a flow endpoint behind the device's MAC
 */
export type AddressSource = 'arp' | 'dhcp' | 'ndp' | 'flow';

export interface DeviceRow {
  mac: string;
  firstSeenUs: number;
  lastSeenUs: number;
  hostname: string | null;
  vendor: string | null;
  dhcpFingerprint: string | null;
  dhcpVendorClass: string | null;
  /** a name an admin gave the device */
  label: string | null;
  /** the device type an admin chose (src/device-type/guess.ts keys), null when it is guessed */
  deviceType: string | null;
  trustScore: number | null;
  trustLevel: string | null;
}

/** A sighting: fields left undefined keep their stored value; null clears nothing (use undefined). */
export interface DeviceSighting {
  mac: string;
  tsUs: number;
  hostname?: string;
  vendor?: string;
  dhcpFingerprint?: string;
  dhcpVendorClass?: string;
}

export interface DeviceAddressRow {
  mac: string;
  ip: string;
  firstSeenUs: number;
  lastSeenUs: number;
  source: AddressSource;
}

export interface TrustExplanation {
  /** which component moved: 'behavioral', 'vulnerability', 'reputation', or a finer factor name */
  factor: string;
  delta: number;
  text: string;
}

export interface TrustHistoryRow {
  mac: string;
  tsUs: number;
  score: number;
  behavioral: number;
  vulnerability: number;
  reputation: number;
  level: string;
  explanation: TrustExplanation[];
}

export interface DeviceQuery {
  /** matches MAC, hostname, label or vendor (substring, case-insensitive) */
  search?: string;
  /** devices seen at or after this time */
  seenSinceUs?: number;
  trustLevel?: string;
  orderBy?: 'lastSeen' | 'trust' | 'mac';
  offset?: number;
  /** default 100, at most 1000 */
  limit?: number;
}

const DEVICE_COLS = `mac, first_seen_us AS firstSeenUs, last_seen_us AS lastSeenUs, hostname, vendor,
  dhcp_fingerprint AS dhcpFingerprint, dhcp_vendor_class AS dhcpVendorClass, label, device_type AS deviceType,
  trust_score AS trustScore, trust_level AS trustLevel`;

/** What the caps deleted since the store was opened. */
export interface DeviceEvictions {
  devices: number;
  device_addresses: number;
}

export interface DeviceCaps {
  /** store.maxDevices */
  maxDevices: number;
  /** store.maxAddressesPerDevice */
  maxAddressesPerDevice: number;
}

export const DEFAULT_DEVICE_CAPS: DeviceCaps = { maxDevices: 10_000, maxAddressesPerDevice: 64 };

/**
 * `mayHold` answers from memory while the table holds at most this many times maxDevices rows (evidence can
 * keep devices past the cap); past it every question goes to the table.
 */
const KNOWN_MACS_PER_DEVICE_CAP = 4;

/**
 * Devices that nothing protects, in eviction order: shortest lifetime first (the devices_lifetime index), the
 * least recently seen of equal lifetime first.
 */
const TRANSIENT_SQL = `
  SELECT mac FROM devices d INDEXED BY devices_lifetime
  WHERE d.label IS NULL AND d.device_type IS NULL AND coalesce(d.trust_level, 'normal') = 'normal'
    AND NOT EXISTS (SELECT 1 FROM alerts WHERE src_mac = d.mac)
    AND NOT EXISTS (SELECT 1 FROM incidents WHERE device = d.mac)
    AND NOT EXISTS (SELECT 1 FROM trust_history WHERE mac = d.mac)
    AND NOT EXISTS (SELECT 1 FROM actions WHERE mac = d.mac)
    AND NOT EXISTS (SELECT 1 FROM scans WHERE mac = d.mac)
  ORDER BY d.last_seen_us - d.first_seen_us, d.last_seen_us
  LIMIT ?`;

export class DeviceStore {
  private readonly insertStmt: Database.Statement;
  private readonly sightStmt: Database.Statement;
  private readonly addrStmt: Database.Statement;
  private readonly trustStmt: Database.Statement;
  private readonly trustCurStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly addrInsertStmt: Database.Statement;
  private readonly addrTrimStmt: Database.Statement;
  private readonly transientStmt: Database.Statement;
  private readonly delDeviceStmt: Database.Statement;
  private readonly delAddrsStmt: Database.Statement;
  /** rows in `devices` (counted once at open, then kept by the inserts and deletes made here) */
  private rows: number;
  /**
   * Every MAC in `devices` (read once at open, then kept by the inserts and deletes made here), while there
   * are at most `KNOWN_MACS_PER_DEVICE_CAP` × maxDevices of them; null past that (`mayHold` then says yes).
   */
  private known: Set<string> | null = null;
  readonly evictions: DeviceEvictions = { devices: 0, device_addresses: 0 };
  readonly caps: DeviceCaps;

  constructor(
    private readonly db: Database.Database,
    caps: Partial<DeviceCaps> = {},
  ) {
    this.caps = { ...DEFAULT_DEVICE_CAPS, ...caps };
    this.rows = (db.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
    this.resync();
    this.insertStmt = db.prepare(`
      INSERT OR IGNORE INTO devices (mac, first_seen_us, last_seen_us, hostname, vendor, dhcp_fingerprint, dhcp_vendor_class, trust_score, trust_level)
      VALUES (@mac, @tsUs, @tsUs, @hostname, @vendor, @dhcpFingerprint, @dhcpVendorClass, 100, 'normal')`);
    // first_seen never moves forward and last_seen never backward, so out-of-order sightings are harmless;
    // a new device starts fully trusted (100, normal): nothing is held against it until evidence arrives
    this.sightStmt = db.prepare(`
      INSERT INTO devices (mac, first_seen_us, last_seen_us, hostname, vendor, dhcp_fingerprint, dhcp_vendor_class, trust_score, trust_level)
      VALUES (@mac, @tsUs, @tsUs, @hostname, @vendor, @dhcpFingerprint, @dhcpVendorClass, 100, 'normal')
      ON CONFLICT (mac) DO UPDATE SET
        first_seen_us = min(first_seen_us, excluded.first_seen_us),
        last_seen_us = max(last_seen_us, excluded.last_seen_us),
        hostname = coalesce(excluded.hostname, hostname),
        vendor = coalesce(excluded.vendor, vendor),
        dhcp_fingerprint = coalesce(excluded.dhcp_fingerprint, dhcp_fingerprint),
        dhcp_vendor_class = coalesce(excluded.dhcp_vendor_class, dhcp_vendor_class)`);
    this.addrStmt = db.prepare(`
      INSERT INTO device_addresses (mac, ip, first_seen_us, last_seen_us, source) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (mac, ip) DO UPDATE SET
        first_seen_us = min(first_seen_us, excluded.first_seen_us),
        last_seen_us = max(last_seen_us, excluded.last_seen_us),
        source = excluded.source`);
    this.trustStmt = db.prepare(`
      INSERT INTO trust_history (mac, ts_us, score, behavioral, vulnerability, reputation, level, explanation)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.trustCurStmt = db.prepare('UPDATE devices SET trust_score = ?, trust_level = ? WHERE mac = ?');
    this.getStmt = db.prepare(`SELECT ${DEVICE_COLS} FROM devices WHERE mac = ?`);
    this.addrInsertStmt = db.prepare('INSERT OR IGNORE INTO device_addresses (mac, ip, first_seen_us, last_seen_us, source) VALUES (?, ?, ?, ?, ?)');
    this.addrTrimStmt = db.prepare(`
      DELETE FROM device_addresses WHERE mac = ? AND ip IN
        (SELECT ip FROM device_addresses WHERE mac = ? ORDER BY last_seen_us DESC, ip LIMIT -1 OFFSET ?)`);
    this.transientStmt = db.prepare(TRANSIENT_SQL).pluck();
    this.delDeviceStmt = db.prepare('DELETE FROM devices WHERE mac = ?');
    this.delAddrsStmt = db.prepare('DELETE FROM device_addresses WHERE mac = ?');
  }

  /** Records that a device was seen, creating it on first sight. Call `enforceCap` after the batch. */
  upsert(s: DeviceSighting): void {
    const row = {
      mac: s.mac,
      tsUs: s.tsUs,
      hostname: s.hostname ?? null,
      vendor: s.vendor ?? null,
      dhcpFingerprint: s.dhcpFingerprint ?? null,
      dhcpVendorClass: s.dhcpVendorClass ?? null,
    };
    if (this.insertStmt.run(row).changes > 0) this.rows++;
    else this.sightStmt.run(row);
    if (this.known !== null) {
      this.known.add(s.mac);
      if (this.known.size > KNOWN_MACS_PER_DEVICE_CAP * this.caps.maxDevices) this.known = null;
    }
  }

  /**
   * False when `mac` is certainly not in `devices`: the inventory asks before it reads a device it does not
   * hold, so a flood of MACs never seen costs a Set lookup per MAC instead of a read transaction (~8 µs in
   * WAL mode). True when the row may exist (a rolled-back batch can leave a MAC here that is not stored;
   * `get` then finds nothing).
   */
  mayHold(mac: string): boolean {
    return this.known === null || this.known.has(mac);
  }

  /** Reads the MACs of `devices` again (at open, and after an eviction that may have been rolled back). */
  resync(): void {
    const n = (this.db.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
    this.rows = n;
    this.known = n > KNOWN_MACS_PER_DEVICE_CAP * this.caps.maxDevices ? null : new Set(this.db.prepare('SELECT mac FROM devices').pluck().all() as string[]);
  }

  /**
   * Records that `mac` used `ip` at `tsUs` (the device row must exist or be upserted in the same batch). A new
   * address beyond the device's `maxAddressesPerDevice` pushes out its least recently used one.
   */
  addAddress(mac: string, ip: string, tsUs: number, source: AddressSource): void {
    if (this.addrInsertStmt.run(mac, ip, tsUs, tsUs, source).changes === 0) {
      this.addrStmt.run(mac, ip, tsUs, tsUs, source);
      return;
    }
    const n = this.addrTrimStmt.run(mac, mac, this.caps.maxAddressesPerDevice).changes;
    this.evictions.device_addresses += n;
  }

  /** Devices stored now. */
  get size(): number {
    return this.rows;
  }

  /**
   * Deletes up to `n` devices that nothing protects, shortest lifetime first, with their addresses (see the
   * file comment); returns how many went. Counted in `evictions`.
   */
  evictTransient(n: number): number {
    if (n <= 0) return 0;
    const macs = this.transientStmt.all(n) as string[];
    for (const mac of macs) {
      this.evictions.device_addresses += this.delAddrsStmt.run(mac).changes;
      const gone = this.delDeviceStmt.run(mac).changes;
      this.rows -= gone;
      this.known?.delete(mac);
      this.evictions.devices += gone;
    }
    return macs.length;
  }

  /**
   * Brings the device table back to `maxDevices` (cheap when under it: one comparison). Returns the devices
   * evicted; fewer than the excess when the rest are all protected.
   */
  enforceCap(): number {
    if (this.rows <= this.caps.maxDevices) return 0;
    // the running count can drift when a batch is retried: count again before deleting anything
    const excess = this.count() - this.caps.maxDevices;
    if (excess <= 0) return 0;
    return this.db.transaction(() => this.evictTransient(excess))();
  }

  /** Appends a trust history point and makes it the device's current score. */
  recordTrust(h: TrustHistoryRow): void {
    this.trustStmt.run(h.mac, h.tsUs, h.score, h.behavioral, h.vulnerability, h.reputation, h.level, JSON.stringify(h.explanation));
    this.trustCurStmt.run(h.score, h.level, h.mac);
  }

  setLabel(mac: string, label: string | null): boolean {
    return this.db.prepare('UPDATE devices SET label = ? WHERE mac = ?').run(label, mac).changes > 0;
  }

  /** Sets (or with null clears) the device type an admin chose. */
  setType(mac: string, type: string | null): boolean {
    return this.db.prepare('UPDATE devices SET device_type = ? WHERE mac = ?').run(type, mac).changes > 0;
  }

  get(mac: string): DeviceRow | undefined {
    return this.getStmt.get(mac) as DeviceRow | undefined;
  }

  query(q: DeviceQuery = {}): DeviceRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.search !== undefined && q.search !== '') {
      // LIKE's wildcards in the search text are matched literally
      const pat = '%' + q.search.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
      where.push(`(lower(mac) LIKE ? ESCAPE '\\' OR lower(hostname) LIKE ? ESCAPE '\\' OR lower(label) LIKE ? ESCAPE '\\' OR lower(vendor) LIKE ? ESCAPE '\\')`);
      args.push(pat, pat, pat, pat);
    }
    if (q.seenSinceUs !== undefined) {
      where.push('last_seen_us >= ?');
      args.push(q.seenSinceUs);
    }
    if (q.trustLevel !== undefined) {
      where.push('trust_level = ?');
      args.push(q.trustLevel);
    }
    const order = q.orderBy === 'trust' ? 'trust_score ASC NULLS LAST, mac' : q.orderBy === 'mac' ? 'mac' : 'last_seen_us DESC, mac';
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const offset = Math.max(0, q.offset ?? 0);
    const sql = `SELECT ${DEVICE_COLS} FROM devices ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
    return this.db.prepare(sql).all(...args) as DeviceRow[];
  }

  count(): number {
    this.rows = (this.db.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
    return this.rows;
  }

  /** Every address the device used, most recent first. */
  addresses(mac: string): DeviceAddressRow[] {
    return this.db
      .prepare(
        `SELECT mac, ip, first_seen_us AS firstSeenUs, last_seen_us AS lastSeenUs, source FROM device_addresses
         WHERE mac = ? ORDER BY last_seen_us DESC`,
      )
      .all(mac) as DeviceAddressRow[];
  }

  /** The device that used `ip` most recently at or before `atUs` (default: ever). */
  macForIp(ip: string, atUs?: number): string | undefined {
    const r = this.db
      .prepare(
        `SELECT mac FROM device_addresses WHERE ip = ? AND first_seen_us <= ? ORDER BY last_seen_us DESC LIMIT 1`,
      )
      .get(ip, atUs ?? Number.MAX_SAFE_INTEGER) as { mac: string } | undefined;
    return r?.mac;
  }

  /** Trust history of one device in [fromUs, toUs), oldest first. */
  trustHistory(mac: string, fromUs = 0, toUs = Number.MAX_SAFE_INTEGER): TrustHistoryRow[] {
    const rows = this.db
      .prepare(
        `SELECT mac, ts_us AS tsUs, score, behavioral, vulnerability, reputation, level, explanation FROM trust_history
         WHERE mac = ? AND ts_us >= ? AND ts_us < ? ORDER BY ts_us, id`,
      )
      .all(mac, fromUs, toUs) as (Omit<TrustHistoryRow, 'explanation'> & { explanation: string })[];
    return rows.map((r) => ({ ...r, explanation: JSON.parse(r.explanation) as TrustExplanation[] }));
  }
}
