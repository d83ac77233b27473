/**
 * Fleet tables (migration 11): on a head, sensors, enrolment secrets, request nonces, results and assignments;
 * on a sensor, its identity at the head and the outbox of results not yet accepted. See src/fleet/types.ts.
 */
import type Database from 'better-sqlite3';
import type { Assignment, ResultItem, SensorCapabilities, SensorRecord, SensorStatus } from '../fleet/types.js';

interface RawSensor {
  id: string;
  name: string;
  public_key: string;
  version: string;
  capabilities: string;
  status: string | null;
  registered_ms: number;
  last_heartbeat_ms: number | null;
  revoked: number;
}

function toSensor(r: RawSensor): SensorRecord & { publicKey: string } {
  return {
    id: r.id,
    name: r.name,
    publicKey: r.public_key,
    version: r.version,
    capabilities: JSON.parse(r.capabilities) as SensorCapabilities,
    status: r.status === null ? null : (JSON.parse(r.status) as SensorStatus),
    registeredMs: r.registered_ms,
    lastHeartbeatMs: r.last_heartbeat_ms,
    revoked: r.revoked === 1,
  };
}

export interface StoredAssignment extends Assignment {
  sensorId: string;
  state: 'pending' | 'sent' | 'done' | 'refused';
  reason: string | null;
  result: unknown;
  actor: string;
  updatedMs: number;
}

export interface StoredResult extends ResultItem {
  id: number;
  sensorId: string;
  receivedMs: number;
}

export interface SensorIdentity {
  headUrl: string;
  sensorId: string;
  fingerprint: string;
  privateKeyPem: string;
  publicKeyPem: string;
  registeredMs: number;
}

export class FleetStore {
  constructor(
    private readonly db: Database.Database,
    /** runs after results are stored: the store's size cap (results from sensors count towards store.maxSizeMB) */
    private readonly afterWrite: () => void = () => {},
  ) {}

  // ── head ─────────────────────────────────────────────────────────────────────────────────────────────

  addEnrolToken(secretHash: string, name: string | null, createdMs: number, expiresMs: number): void {
    this.db.prepare('INSERT INTO fleet_enrol_tokens (secret_hash, name, created_ms, expires_ms) VALUES (?, ?, ?, ?)').run(secretHash, name, createdMs, expiresMs);
  }

  /** Marks an unused, unexpired enrolment secret used; returns its name (or '' when unnamed), or null. */
  useEnrolToken(secretHash: string, sensorId: string, nowMs: number): string | null {
    const r = this.db.prepare('SELECT name FROM fleet_enrol_tokens WHERE secret_hash = ? AND used_by IS NULL AND expires_ms > ?').get(secretHash, nowMs) as { name: string | null } | undefined;
    if (r === undefined) return null;
    this.db.prepare('UPDATE fleet_enrol_tokens SET used_by = ? WHERE secret_hash = ?').run(sensorId, secretHash);
    return r.name ?? '';
  }

  sensorByKey(publicKeyPem: string): (SensorRecord & { publicKey: string }) | undefined {
    const r = this.db.prepare('SELECT * FROM fleet_sensors WHERE public_key = ?').get(publicKeyPem) as RawSensor | undefined;
    return r === undefined ? undefined : toSensor(r);
  }

  sensor(id: string): (SensorRecord & { publicKey: string }) | undefined {
    const r = this.db.prepare('SELECT * FROM fleet_sensors WHERE id = ?').get(id) as RawSensor | undefined;
    return r === undefined ? undefined : toSensor(r);
  }

  sensors(): (SensorRecord & { publicKey: string })[] {
    return (this.db.prepare('SELECT * FROM fleet_sensors ORDER BY name, id').all() as RawSensor[]).map(toSensor);
  }

  addSensor(s: { id: string; name: string; publicKey: string; version: string; capabilities: SensorCapabilities; registeredMs: number }): void {
    this.db
      .prepare('INSERT INTO fleet_sensors (id, name, public_key, version, capabilities, registered_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.id, s.name, s.publicKey, s.version, JSON.stringify(s.capabilities), s.registeredMs);
  }

  updateRegistration(id: string, name: string, version: string, capabilities: SensorCapabilities): void {
    this.db.prepare('UPDATE fleet_sensors SET name = ?, version = ?, capabilities = ? WHERE id = ?').run(name, version, JSON.stringify(capabilities), id);
  }

  heartbeat(id: string, status: SensorStatus, nowMs: number): void {
    this.db.prepare('UPDATE fleet_sensors SET status = ?, last_heartbeat_ms = ?, version = ? WHERE id = ?').run(JSON.stringify(status), nowMs, status.version, id);
  }

  revoke(id: string): boolean {
    return this.db.prepare('UPDATE fleet_sensors SET revoked = 1 WHERE id = ? AND revoked = 0').run(id).changes > 0;
  }

  /** Records a nonce; false when it was seen already (a replayed request). Forgets nonces older than `forgetMs`. */
  useNonce(sensorId: string, nonce: string, tsMs: number, forgetBeforeMs: number): boolean {
    this.db.prepare('DELETE FROM fleet_nonces WHERE ts_ms < ?').run(forgetBeforeMs);
    return this.db.prepare('INSERT OR IGNORE INTO fleet_nonces (sensor_id, nonce, ts_ms) VALUES (?, ?, ?)').run(sensorId, nonce, tsMs).changes > 0;
  }

  /** Stores results of one sensor; returns the keys now held (new and already known alike). */
  addResults(sensorId: string, items: ResultItem[], nowMs: number): string[] {
    const ins = this.db.prepare('INSERT OR IGNORE INTO fleet_results (sensor_id, key, kind, ts_us, received_ms, body) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const it of items) ins.run(sensorId, it.key, it.kind, it.tsUs, nowMs, JSON.stringify(it.body));
    })();
    this.afterWrite();
    return items.map((i) => i.key);
  }

  results(q: { kind?: string; sensorId?: string; limit?: number } = {}): StoredResult[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.kind !== undefined) (where.push('kind = ?'), args.push(q.kind));
    if (q.sensorId !== undefined) (where.push('sensor_id = ?'), args.push(q.sensorId));
    const rows = this.db
      .prepare(`SELECT id, sensor_id AS sensorId, key, kind, ts_us AS tsUs, received_ms AS receivedMs, body FROM fleet_results ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts_us DESC, id DESC LIMIT ?`)
      .all(...args, Math.min(q.limit ?? 100, 1000)) as (Omit<StoredResult, 'body'> & { body: string })[];
    return rows.map((r) => ({ ...r, body: JSON.parse(r.body) as Record<string, unknown> }));
  }

  /** Device summaries (new devices, trust changes), oldest first, at most `limit`: the fleet's device table folds them. */
  deviceResults(sensorId?: string, limit = 20_000): StoredResult[] {
    const rows = (
      sensorId === undefined
        ? this.db.prepare("SELECT id, sensor_id AS sensorId, key, kind, ts_us AS tsUs, received_ms AS receivedMs, body FROM fleet_results WHERE kind = 'device' ORDER BY ts_us, id LIMIT ?").all(limit)
        : this.db.prepare("SELECT id, sensor_id AS sensorId, key, kind, ts_us AS tsUs, received_ms AS receivedMs, body FROM fleet_results WHERE kind = 'device' AND sensor_id = ? ORDER BY ts_us, id LIMIT ?").all(sensorId, limit)
    ) as (Omit<StoredResult, 'body'> & { body: string })[];
    return rows.map((r) => ({ ...r, body: JSON.parse(r.body) as Record<string, unknown> }));
  }

  resultCount(sensorId?: string): number {
    const r = (sensorId === undefined ? this.db.prepare('SELECT count(*) AS n FROM fleet_results').get() : this.db.prepare('SELECT count(*) AS n FROM fleet_results WHERE sensor_id = ?').get(sensorId)) as { n: number };
    return r.n;
  }

  addAssignment(a: { sensorId: string; kind: 'scan'; targets: string[]; ports: string; actor: string; nowMs: number }): number {
    return Number(
      this.db
        .prepare("INSERT INTO fleet_assignments (sensor_id, kind, targets, ports, state, actor, created_ms, updated_ms) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)")
        .run(a.sensorId, a.kind, JSON.stringify(a.targets), a.ports, a.actor, a.nowMs, a.nowMs).lastInsertRowid,
    );
  }

  /** Pending assignments of a sensor, now marked sent (a heartbeat answer carries them). */
  takeAssignments(sensorId: string, nowMs: number): Assignment[] {
    const rows = this.db.prepare("SELECT id, kind, targets, ports, created_ms AS createdMs FROM fleet_assignments WHERE sensor_id = ? AND state = 'pending' ORDER BY id LIMIT 20").all(sensorId) as (Omit<Assignment, 'targets'> & { targets: string })[];
    const mark = this.db.prepare("UPDATE fleet_assignments SET state = 'sent', updated_ms = ? WHERE id = ?");
    for (const r of rows) mark.run(nowMs, r.id);
    return rows.map((r) => ({ ...r, targets: JSON.parse(r.targets) as string[] }));
  }

  /** Records what the sensor did with one of its own assignments; false when it is not that sensor's. */
  finishAssignment(sensorId: string, id: number, state: 'done' | 'refused', reason: string | null, result: unknown, nowMs: number): boolean {
    return this.db.prepare("UPDATE fleet_assignments SET state = ?, reason = ?, result = ?, updated_ms = ? WHERE id = ? AND sensor_id = ? AND state IN ('pending', 'sent')").run(state, reason, JSON.stringify(result ?? null), nowMs, id, sensorId).changes > 0;
  }

  assignment(id: number): StoredAssignment | undefined {
    const r = this.db.prepare('SELECT id, sensor_id AS sensorId, kind, targets, ports, state, reason, result, actor, created_ms AS createdMs, updated_ms AS updatedMs FROM fleet_assignments WHERE id = ?').get(id) as
      | (Omit<StoredAssignment, 'targets' | 'result'> & { targets: string; result: string | null })
      | undefined;
    return r === undefined ? undefined : { ...r, targets: JSON.parse(r.targets) as string[], result: r.result === null ? null : JSON.parse(r.result) };
  }

  /** Assignments waiting per sensor (pending or sent), for the automatic choice of the shortest queue. */
  queueLengths(): Map<string, number> {
    const rows = this.db.prepare("SELECT sensor_id AS id, count(*) AS n FROM fleet_assignments WHERE state IN ('pending', 'sent') GROUP BY sensor_id").all() as { id: string; n: number }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  // ── sensor ───────────────────────────────────────────────────────────────────────────────────────────

  identity(headUrl: string): SensorIdentity | undefined {
    return this.db
      .prepare('SELECT head_url AS headUrl, sensor_id AS sensorId, fingerprint, private_key AS privateKeyPem, public_key AS publicKeyPem, registered_ms AS registeredMs FROM fleet_identity WHERE head_url = ?')
      .get(headUrl) as SensorIdentity | undefined;
  }

  saveIdentity(i: SensorIdentity): void {
    this.db
      .prepare('INSERT OR REPLACE INTO fleet_identity (head_url, sensor_id, fingerprint, private_key, public_key, registered_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(i.headUrl, i.sensorId, i.fingerprint, i.privateKeyPem, i.publicKeyPem, i.registeredMs);
  }

  /**
   * Adds a result to the outbox (a key already there is kept as it is). Past `maxRows`, the oldest summaries
   * (priority > 0) go first; incidents are never dropped before they are sent. Returns the number dropped.
   */
  enqueue(item: ResultItem, priority: number, maxRows: number): number {
    this.db.prepare('INSERT OR IGNORE INTO fleet_outbox (key, kind, priority, ts_us, body) VALUES (?, ?, ?, ?, ?)').run(item.key, item.kind, priority, item.tsUs, JSON.stringify(item.body));
    const n = (this.db.prepare('SELECT count(*) AS n FROM fleet_outbox').get() as { n: number }).n;
    if (n <= maxRows) return 0;
    return this.db.prepare('DELETE FROM fleet_outbox WHERE seq IN (SELECT seq FROM fleet_outbox WHERE priority > 0 ORDER BY seq LIMIT ?)').run(n - maxRows).changes;
  }

  /** The oldest `limit` outbox entries, in order. */
  outbox(limit: number): ResultItem[] {
    const rows = this.db.prepare('SELECT key, kind, ts_us AS tsUs, body FROM fleet_outbox ORDER BY seq LIMIT ?').all(limit) as (Omit<ResultItem, 'body'> & { body: string })[];
    return rows.map((r) => ({ ...r, body: JSON.parse(r.body) as Record<string, unknown> }));
  }

  outboxLength(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM fleet_outbox').get() as { n: number }).n;
  }

  /** Removes what the head accepted. */
  delivered(keys: string[]): void {
    const del = this.db.prepare('DELETE FROM fleet_outbox WHERE key = ?');
    this.db.transaction(() => {
      for (const k of keys) del.run(k);
    })();
  }
}
