/**
 * The head's fleet API (served over HTTPS by head-server.ts), under /fleet/v1:
 *   POST /register     {secret, name, version, capabilities, publicKey} → {id}; a known key keeps its id
 *   POST /heartbeat    signed; {status} → {assignments: Assignment[], heartbeatSeconds}
 *   POST /results      signed; {items: ResultItem[]} → {accepted: key[]} (each key stored once per sensor)
 *   POST /assignments/:id/result   signed; {state: done|refused, reason?, result?}
 * A signed request names its sensor; the head checks the sensor exists and is not revoked, the clock skew,
 * the nonce (a replay is refused) and the signature, then acts only on that sensor's own data.
 * Nothing here sends a command to a sensor: assignments wait until the sensor asks.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { FleetStore } from '../store/fleet.js';
import { hashSecret } from './enrol-token.js';
import { MAX_SKEW_MS, parsePublicKey, verifySignature } from './signing.js';
import { RESULT_KINDS, type ResultItem, type SensorCapabilities, type SensorStatus } from './types.js';

export interface FleetHeadOptions {
  store: FleetStore;
  heartbeatSeconds: number;
  /** wall clock, ms */
  now?: () => number;
  log: (msg: string) => void;
  /** most results in one request */
  maxBatch?: number;
}

export interface FleetHeadStats {
  registered: number;
  heartbeats: number;
  results: number;
  refused: Record<string, number>;
}

type Env = { Variables: { sensorId: string; body: string } };

const MAX_BODY = 4 * 1024 * 1024;

export function fleetApi(o: FleetHeadOptions): { app: Hono<Env>; stats: FleetHeadStats } {
  const now = o.now ?? Date.now;
  const maxBatch = o.maxBatch ?? 500;
  const stats: FleetHeadStats = { registered: 0, heartbeats: 0, results: 0, refused: {} };
  const app = new Hono<Env>();
  const refuse = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 413, why: string) => {
    stats.refused[why] = (stats.refused[why] ?? 0) + 1;
    return c.json({ error: why }, status);
  };

  const readBody = async (c: Context): Promise<string | null> => {
    const len = Number(c.req.header('content-length') ?? '0');
    if (len > MAX_BODY) return null;
    const text = await c.req.text();
    return text.length > MAX_BODY ? null : text;
  };

  app.post('/fleet/v1/register', async (c) => {
    const text = await readBody(c);
    if (text === null) return refuse(c, 413, 'body too large');
    let b: { secret?: unknown; name?: unknown; version?: unknown; capabilities?: unknown; publicKey?: unknown };
    try {
      b = JSON.parse(text);
    } catch {
      return refuse(c, 400, 'body is not JSON');
    }
    if (typeof b.publicKey !== 'string' || parsePublicKey(b.publicKey) === null) return refuse(c, 400, 'publicKey must be an Ed25519 public key (SPKI PEM)');
    if (typeof b.name !== 'string' || !/^[\w .@-]{1,64}$/.test(b.name)) return refuse(c, 400, 'name must be 1–64 letters, digits, spaces or ._@-');
    if (typeof b.version !== 'string' || b.version.length > 64) return refuse(c, 400, 'version must be a short string');
    const caps = checkCapabilities(b.capabilities);
    if (caps === null) return refuse(c, 400, 'capabilities are malformed');
    const known = o.store.sensorByKey(b.publicKey);
    if (known !== undefined) {
      // a sensor registering again with its own key (after a restart, or a lost answer) keeps its id
      if (known.revoked) return refuse(c, 403, 'this sensor was revoked');
      o.store.updateRegistration(known.id, b.name, b.version, caps);
      return c.json({ id: known.id, heartbeatSeconds: o.heartbeatSeconds });
    }
    if (typeof b.secret !== 'string') return refuse(c, 401, 'an enrolment token is needed');
    const id = `s-${randomUUID()}`;
    const used = o.store.useEnrolToken(hashSecret(b.secret), id, now());
    if (used === null) return refuse(c, 401, 'the enrolment token is unknown, used or expired');
    o.store.addSensor({ id, name: used !== '' ? used : b.name, publicKey: b.publicKey, version: b.version, capabilities: caps, registeredMs: now() });
    stats.registered++;
    o.log(`fleet: sensor ${used !== '' ? used : b.name} registered as ${id}`);
    return c.json({ id, heartbeatSeconds: o.heartbeatSeconds });
  });

  // every other route is signed by a registered sensor
  app.use('/fleet/v1/*', async (c, next) => {
    if (c.req.path === '/fleet/v1/register') return next();
    const id = c.req.header('x-argus-sensor') ?? '';
    const ts = c.req.header('x-argus-timestamp') ?? '';
    const nonce = c.req.header('x-argus-nonce') ?? '';
    const sig = c.req.header('x-argus-signature') ?? '';
    if (id === '' || !/^\d{1,16}$/.test(ts) || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || sig === '') return refuse(c, 401, 'unsigned request');
    const s = o.store.sensor(id);
    if (s === undefined) return refuse(c, 401, 'unknown sensor');
    if (s.revoked) return refuse(c, 403, 'this sensor was revoked');
    const t = Number(ts);
    const n = now();
    if (Math.abs(n - t) > MAX_SKEW_MS) return refuse(c, 401, 'timestamp outside the allowed clock skew');
    const text = await readBody(c);
    if (text === null) return refuse(c, 413, 'body too large');
    const key = parsePublicKey(s.publicKey);
    if (key === null || !verifySignature(key, c.req.method, c.req.path, ts, nonce, text, sig)) return refuse(c, 401, 'bad signature');
    if (!o.store.useNonce(id, nonce, t, n - 2 * MAX_SKEW_MS)) return refuse(c, 401, 'replayed request');
    c.set('sensorId', id);
    c.set('body', text);
    return next();
  });

  const json = (c: Context<Env>): Record<string, unknown> | null => {
    try {
      const v = JSON.parse(c.get('body') || '{}');
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
    } catch {
      return null;
    }
  };

  app.post('/fleet/v1/heartbeat', (c) => {
    const b = json(c);
    const status = b === null ? null : checkStatus(b.status);
    if (status === null) return refuse(c, 400, 'status is malformed');
    const id = c.get('sensorId');
    o.store.heartbeat(id, status, now());
    stats.heartbeats++;
    return c.json({ assignments: o.store.takeAssignments(id, now()), heartbeatSeconds: o.heartbeatSeconds });
  });

  app.post('/fleet/v1/results', (c) => {
    const b = json(c);
    const items = b?.items;
    if (!Array.isArray(items) || items.length > maxBatch) return refuse(c, 400, `items must be a list of at most ${maxBatch}`);
    const good: ResultItem[] = [];
    for (const it of items as Record<string, unknown>[]) {
      if (typeof it !== 'object' || it === null || typeof it.key !== 'string' || it.key.length > 200 || !(RESULT_KINDS as readonly string[]).includes(it.kind as string) || typeof it.tsUs !== 'number' || typeof it.body !== 'object' || it.body === null) {
        return refuse(c, 400, 'a result is malformed');
      }
      good.push({ key: it.key, kind: it.kind as ResultItem['kind'], tsUs: it.tsUs, body: it.body as Record<string, unknown> });
    }
    const accepted = o.store.addResults(c.get('sensorId'), good, now());
    stats.results += good.length;
    return c.json({ accepted });
  });

  app.post('/fleet/v1/assignments/:id/result', (c) => {
    const id = Number(c.req.param('id'));
    const b = json(c);
    if (!Number.isSafeInteger(id) || b === null || (b.state !== 'done' && b.state !== 'refused')) return refuse(c, 400, 'state must be done or refused');
    const reason = typeof b.reason === 'string' ? b.reason.slice(0, 500) : null;
    // a sensor can only report on its own assignments
    if (!o.store.finishAssignment(c.get('sensorId'), id, b.state, reason, b.result ?? null, now())) return refuse(c, 404, 'no such open assignment of this sensor');
    return c.json({ ok: true });
  });

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((err, c) => {
    o.log(`fleet API: ${err.message}`);
    return c.json({ error: 'bad request' }, 400);
  });
  return { app, stats };
}

function checkCapabilities(v: unknown): SensorCapabilities | null {
  if (typeof v !== 'object' || v === null) return null;
  const c = v as Record<string, unknown>;
  const str = (k: string) => (typeof c[k] === 'string' && (c[k] as string).length <= 64 ? (c[k] as string) : null);
  const bool = (k: string) => (typeof c[k] === 'boolean' ? (c[k] as boolean) : null);
  const scope = Array.isArray(c.scanScope) && c.scanScope.length <= 64 && c.scanScope.every((x) => typeof x === 'string' && x.length <= 64) ? (c.scanScope as string[]) : null;
  const mode = str('mode');
  const iface = str('iface');
  const [inline, nmap, decoys, assignments] = [bool('inline'), bool('nmap'), bool('decoys'), bool('assignments')];
  if (mode === null || iface === null || inline === null || nmap === null || decoys === null || assignments === null || scope === null) return null;
  return { mode, iface, inline, nmap, decoys, assignments, scanScope: scope };
}

function checkStatus(v: unknown): SensorStatus | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Record<string, unknown>;
  const num = (k: string) => (typeof s[k] === 'number' && Number.isFinite(s[k]) ? (s[k] as number) : null);
  const out: SensorStatus = {
    mode: typeof s.mode === 'string' ? s.mode.slice(0, 16) : '',
    version: typeof s.version === 'string' ? s.version.slice(0, 64) : '',
    packetsPerSecond: num('packetsPerSecond') ?? 0,
    packets: num('packets') ?? 0,
    drops: num('drops') ?? 0,
    activeFlows: num('activeFlows') ?? 0,
    modelId: typeof s.modelId === 'string' ? s.modelId.slice(0, 128) : null,
    modelState: typeof s.modelState === 'string' ? s.modelState.slice(0, 16) : '',
    diskFreeMB: num('diskFreeMB'),
    rssMB: num('rssMB') ?? 0,
    queue: num('queue') ?? 0,
    outboxDropped: num('outboxDropped') ?? 0,
  };
  return out.mode === '' || out.version === '' ? null : out;
}
