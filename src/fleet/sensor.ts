/**
 * The sensor side of fleet mode: registers once with the head (keys created here, the head's certificate pinned
 * from the enrolment token), then every heartbeat sends its status, receives the assignments waiting for it
 * and sends its outbox in order, in batches. The outbox lives in the sensor's own store, so a head that is
 * down or a restart loses nothing; each result has an idempotency key, so a batch sent twice is stored once.
 * Assignments are checked against this sensor's own configuration and refused with the reason otherwise.
 * Wall-clock timers (unref'd): the fleet link is about the appliance, not the traffic.
 */
import type { Bus } from '../bus.js';
import type { FleetStore } from '../store/fleet.js';
import { decodeEnrolToken } from './enrol-token.js';
import { PinMismatch, pinnedRequest } from './pinned-https.js';
import { newSensorKeys, signedHeaders } from './signing.js';
import type { Assignment, ResultItem, SensorCapabilities, SensorStatus } from './types.js';

export interface FleetSensorConfig {
  head: string;
  enrolToken: string;
  name: string;
  heartbeatSeconds: number;
  acceptAssignments: boolean;
  maxAssignmentsPerHour: number;
  outboxMaxRows: number;
  timeoutMs?: number;
}

export interface ScanRunner {
  /** why this sensor scans nothing (scan.enabled off, replay mode), or null when it can scan */
  unavailable: string | null;
  /** the canonical address when `ip` is inside scan.scope, else null */
  inScope(ip: string): string | null;
  /** addresses of known devices inside `cidr` that are inside scan.scope */
  devicesIn(cidr: string): string[];
  scan(ip: string, ports: string | undefined): Promise<{ ip: string; status: string; openPorts: unknown[]; error: string | null }>;
}

export interface FleetSensorOptions {
  store: FleetStore;
  config: FleetSensorConfig;
  version: string;
  capabilities(): SensorCapabilities;
  status(): Omit<SensorStatus, 'queue' | 'outboxDropped'>;
  scanner: ScanRunner;
  log: { info(m: string): void; warn(m: string): void };
}

export interface FleetSensorStats {
  registered: boolean;
  sensorId: string | null;
  heartbeats: number;
  failures: number;
  lastError: string | null;
  lastHeartbeatMs: number | null;
  sent: number;
  outbox: number;
  outboxDropped: number;
  assignmentsDone: number;
  assignmentsRefused: number;
}

const BATCH = 200;

/** priority 0 is never dropped unsent; 1 may be, oldest first, past the outbox cap */
const PRIORITY: Record<ResultItem['kind'], number> = { incident: 0, action: 0, assignment: 0, device: 1 };

export class FleetSensor {
  private headUrl: string;
  private fingerprint = '';
  private sensorId: string | null = null;
  private privateKeyPem = '';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly off: (() => void)[] = [];
  private readonly assignmentStarts: number[] = [];
  readonly stats: FleetSensorStats = { registered: false, sensorId: null, heartbeats: 0, failures: 0, lastError: null, lastHeartbeatMs: null, sent: 0, outbox: 0, outboxDropped: 0, assignmentsDone: 0, assignmentsRefused: 0 };

  constructor(private readonly o: FleetSensorOptions) {
    const c = o.config;
    const tok = c.enrolToken === '' ? null : decodeEnrolToken(c.enrolToken);
    if (tok instanceof Error) throw new Error(`fleet.enrolToken: ${tok.message}`);
    this.headUrl = (c.head || tok?.url || '').replace(/\/+$/, '');
    if (this.headUrl === '') throw new Error('fleet.role is sensor: set fleet.head (the head URL) or fleet.enrolToken');
    const id = o.store.identity(this.headUrl);
    if (id !== undefined) {
      this.sensorId = id.sensorId;
      this.fingerprint = id.fingerprint;
      this.privateKeyPem = id.privateKeyPem;
      this.stats.registered = true;
      this.stats.sensorId = id.sensorId;
    } else if (tok === null) {
      throw new Error(`fleet: this sensor is not registered with ${this.headUrl}; start it once with fleet.enrolToken from 'argus-edge fleet enrol' on the head`);
    } else this.fingerprint = tok.fingerprint;
    this.stats.outbox = o.store.outboxLength();
  }

  /** Results from the bus into the outbox. */
  attach(bus: Bus): void {
    this.off.push(
      bus.on('incident', (e) => {
        if (e.change === 'update') return;
        const i = e.incident;
        this.enqueue({ key: `incident:${i.id}:${e.change}:${i.severity}:${e.change === 'close' ? i.count : ''}`, kind: 'incident', tsUs: e.tsUs, body: { change: e.change, incident: i } });
      }),
      bus.on('device.new', (d) => this.enqueue({ key: `device:${d.mac}:new`, kind: 'device', tsUs: d.tsUs, body: { change: 'new', ...d } })),
      bus.on('trust.change', (c) => {
        if (c.level === c.previousLevel) return;
        this.enqueue({ key: `device:${c.mac}:trust:${c.tsUs}`, kind: 'device', tsUs: c.tsUs, body: { change: 'trust', mac: c.mac, ip: c.ip, score: c.score, level: c.level, previousLevel: c.previousLevel, why: c.explanation[0]?.text ?? null } });
      }),
      bus.on('action', (e) => this.enqueue({ key: `action:${e.action.id}:${e.verb}:${e.action.state}`, kind: 'action', tsUs: e.tsUs, body: { verb: e.verb, action: e.action } })),
    );
  }

  enqueue(item: ResultItem): void {
    const dropped = this.o.store.enqueue(item, PRIORITY[item.kind], this.o.config.outboxMaxRows);
    this.stats.outboxDropped += dropped;
    this.stats.outbox = this.o.store.outboxLength();
  }

  /** Starts the heartbeat loop; the first beat (and registration) runs at once. */
  start(): void {
    const every = Math.max(1, this.o.config.heartbeatSeconds) * 1000;
    this.timer = setInterval(() => void this.beat(), every);
    this.timer.unref();
    void this.beat();
  }

  /** One heartbeat: register when needed, send status, handle assignments, send the outbox. Never throws. */
  beat(): Promise<void> {
    if (this.running !== null || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.beatOnce()
      .catch((err: Error) => {
        this.stats.failures++;
        if (this.stats.lastError !== err.message) this.o.log.warn(`fleet: ${err.message}; results wait in the outbox (${this.stats.outbox})`);
        this.stats.lastError = err.message;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async beatOnce(): Promise<void> {
    if (this.sensorId === null) await this.register();
    const status: SensorStatus = { ...this.o.status(), queue: this.o.store.outboxLength(), outboxDropped: this.stats.outboxDropped };
    const r = await this.signed('/fleet/v1/heartbeat', { status });
    this.stats.heartbeats++;
    this.stats.lastHeartbeatMs = Date.now();
    if (this.stats.lastError !== null) this.o.log.info(`fleet: ${this.headUrl} answers again`);
    this.stats.lastError = null;
    const assignments = (r as { assignments?: Assignment[] }).assignments ?? [];
    for (const a of assignments) void this.runAssignment(a);
    await this.flushOutbox();
  }

  private async register(): Promise<void> {
    const tok = decodeEnrolToken(this.o.config.enrolToken);
    if (tok instanceof Error) throw new Error(`fleet.enrolToken: ${tok.message}`);
    const keys = newSensorKeys();
    const body = JSON.stringify({ secret: tok.secret, name: this.o.config.name, version: this.o.version, capabilities: this.o.capabilities(), publicKey: keys.publicKeyPem });
    const res = await this.send('/fleet/v1/register', body, {});
    const id = (JSON.parse(res) as { id?: unknown }).id;
    if (typeof id !== 'string') throw new Error('fleet: the head answered the registration without an id');
    this.o.store.saveIdentity({ headUrl: this.headUrl, sensorId: id, fingerprint: this.fingerprint, privateKeyPem: keys.privateKeyPem, publicKeyPem: keys.publicKeyPem, registeredMs: Date.now() });
    this.sensorId = id;
    this.privateKeyPem = keys.privateKeyPem;
    this.stats.registered = true;
    this.stats.sensorId = id;
    this.o.log.info(`fleet: registered with ${this.headUrl} as ${id}`);
  }

  /** Sends the outbox in order, in batches, until it is empty or the head fails. */
  async flushOutbox(): Promise<void> {
    for (;;) {
      const items = this.o.store.outbox(BATCH);
      if (items.length === 0) break;
      const r = (await this.signed('/fleet/v1/results', { items })) as { accepted?: string[] };
      const accepted = Array.isArray(r.accepted) ? r.accepted.filter((k) => typeof k === 'string') : [];
      this.o.store.delivered(accepted);
      this.stats.sent += accepted.length;
      this.stats.outbox = this.o.store.outboxLength();
      if (accepted.length < items.length) throw new Error(`the head accepted ${accepted.length} of ${items.length} results`);
    }
  }

  /** Checks an assignment against this sensor's own configuration; runs it or reports the refusal. */
  private async runAssignment(a: Assignment): Promise<void> {
    const refusal = this.refusal(a);
    if (refusal !== null) {
      this.stats.assignmentsRefused++;
      this.o.log.warn(`fleet: assignment ${a.id} refused: ${refusal}`);
      await this.report(a, 'refused', refusal, null);
      return;
    }
    const sc = this.o.scanner;
    const ips = [...new Set(a.targets.flatMap((t) => (t.includes('/') ? sc.devicesIn(t) : [sc.inScope(t)!])))];
    const results = [];
    for (const ip of ips) results.push(await sc.scan(ip, a.ports || undefined));
    this.stats.assignmentsDone++;
    await this.report(a, 'done', null, { scanned: results.map((r) => ({ ip: r.ip, status: r.status, openPorts: r.openPorts, error: r.error })) });
  }

  /** Why this sensor does not run `a`, or null when it does. */
  refusal(a: Assignment): string | null {
    if (!this.o.config.acceptAssignments) return 'fleet.acceptAssignments is off on this sensor';
    if (a.kind !== 'scan') return `unknown assignment kind '${String(a.kind)}'`;
    const sc = this.o.scanner;
    if (!Array.isArray(a.targets) || a.targets.length === 0 || a.targets.length > 16) return 'targets must list 1 to 16 addresses or prefixes';
    for (const t of a.targets) {
      if (typeof t !== 'string') return 'a target is not a string';
      if (t.includes('/')) {
        if (!cidrInScope(t, sc)) return `${t} is not inside this sensor's scan.scope`;
      } else if (sc.inScope(t) === null) return `${t} is not an address inside this sensor's scan.scope`;
    }
    if (sc.unavailable !== null) return sc.unavailable;
    if (a.ports !== '' && !/^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?){0,31}$/.test(a.ports)) return `ports '${a.ports}' is not a list of ports and ranges`;
    const now = Date.now();
    while (this.assignmentStarts.length > 0 && this.assignmentStarts[0]! <= now - 3_600_000) this.assignmentStarts.shift();
    if (this.assignmentStarts.length >= this.o.config.maxAssignmentsPerHour) return `rate limit: ${this.o.config.maxAssignmentsPerHour} assignments per hour (fleet.maxAssignmentsPerHour)`;
    this.assignmentStarts.push(now);
    return null;
  }

  private async report(a: Assignment, state: 'done' | 'refused', reason: string | null, result: unknown): Promise<void> {
    // the report goes straight to the head; when it is down, it waits in the outbox as a result
    try {
      await this.signed(`/fleet/v1/assignments/${a.id}/result`, { state, reason, result });
    } catch {
      this.enqueue({ key: `assignment:${a.id}`, kind: 'assignment', tsUs: Date.now() * 1000, body: { id: a.id, state, reason, result } });
    }
  }

  private async signed(path: string, payload: unknown): Promise<unknown> {
    const body = JSON.stringify(payload);
    const text = await this.send(path, body, signedHeaders(this.sensorId!, this.privateKeyPem, 'POST', path, body));
    return JSON.parse(text) as unknown;
  }

  private async send(path: string, body: string, headers: Record<string, string>): Promise<string> {
    let r;
    try {
      r = await pinnedRequest(this.headUrl, this.fingerprint, 'POST', path, body, headers, this.o.config.timeoutMs ?? 10_000);
    } catch (err) {
      if (err instanceof PinMismatch) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new Error(`the head ${this.headUrl} cannot be reached: ${e.code ?? e.message}`);
    }
    if (r.status !== 200) {
      let why = `HTTP ${r.status}`;
      try {
        why = `${why}: ${(JSON.parse(r.body) as { error?: string }).error ?? ''}`;
      } catch {
        /* not JSON: the status says enough */
      }
      throw new Error(`the head refused ${path}: ${why}`);
    }
    return r.body;
  }

  /** Stops listening to the bus (after the pipeline's last events are in the outbox, before the store closes). */
  detach(): void {
    for (const f of this.off.splice(0)) f();
  }

  /** Stops the loop; one last try (bounded) to send what is in the outbox. Results that come later wait in it. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.running !== null) await this.running;
    if (this.sensorId !== null && this.o.store.outboxLength() > 0) {
      await Promise.race([this.flushOutbox().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.stopped = true;
  }
}

/** An IPv4 prefix whose first and last address are inside the scope (IPv6 prefixes: only single addresses). */
function cidrInScope(cidr: string, sc: ScanRunner): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d{1,2})$/.exec(cidr);
  if (m === null) return false;
  const len = Number(m[5]);
  if (len < 16 || len > 32) return false;
  const n = ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const first = (n & mask) >>> 0;
  const last = (first | (~mask >>> 0)) >>> 0;
  const s = (x: number) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
  return sc.inScope(s(first)) !== null && sc.inScope(s(last)) !== null;
}
