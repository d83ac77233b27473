/**
 * The shared way tests build WebDeps: a real Store on a temporary file, a real Bus, the configuration from the
 * schema (with overrides), and the real response policy (src/respond/policy.ts) over a dry-run firewall as the
 * ActionService, and the real model manager (not started: call `w.models.start()` after initTf() to load the
 * bundled model; a retrain trains for real, on small hyperparameters, from the flows in the store). Capture and
 * integration health are plain values the test can change. The policy serves manual
 * requests only: it is not started, so it does not subscribe to the bus (call `w.actions.start(nowUs)` for
 * automatic responses). The store and an incident tracker are attached to the bus as the pipeline attaches them,
 * so an alert emitted there is stored, folded into an incident and reaches the live stream as one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../../src/bus.js';
import { loadConfig } from '../../src/config.js';
import { DryRunFirewall } from '../../src/respond/firewall.js';
import { Policy } from '../../src/respond/policy.js';
import { Store } from '../../src/store/db.js';
import { csrfToken } from '../../src/web/csrf.js';
import type { CaptureHealth, IntegrationHealth, WebDeps } from '../../src/web/deps.js';
import { modelServiceOf } from '../../src/appliance.js';
import { ModelManager } from '../../src/models/manager.js';
import { attachIncidents, type IncidentTracker } from '../../src/incidents/index.js';

export interface TestWeb {
  deps: WebDeps;
  store: Store;
  bus: Bus;
  actions: Policy;
  models: ModelManager;
  incidents: IncidentTracker;
  capture: CaptureHealth;
  integrations: IntegrationHealth[];
  dir: string;
  /** stops a training in flight, closes the store and removes the temporary directory */
  close(): Promise<void>;
}

/**
 * Builds WebDeps on a fresh store in a temporary directory. `config` overrides keys by path
 * ({ 'web.tls': 'true' }); `nowUs` is the UI clock (default: wall time); `dir` puts the store in that directory
 * instead of a new temporary one (removed by close() all the same).
 */
export function buildWebDeps(o: { config?: Record<string, string>; nowUs?: () => number; dir?: string } = {}): TestWeb {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'argus-web-'));
  const storePath = join(dir, 'argus-edge.db');
  const config = loadConfig({ flags: { 'store.path': storePath, 'web.port': '0', 'web.allowedHosts': 'argus.test', ...o.config } });
  const store = Store.open({ path: storePath, log: () => {} });
  const bus = new Bus(() => {});
  store.attach(bus);
  const incidents = attachIncidents(bus, config.incidents);
  const nowUs = o.nowUs ?? (() => Date.now() * 1000);
  const actions = new Policy(bus, store, new DryRunFirewall({ chain: config.response.chain, ratePerSecond: config.response.rateLimitPerSecond }), config, { nowUs });
  const models = new ModelManager({
    config: {
      ...config.models,
      learn: false,
      minTrainFlows: 100,
      autoencoder: { ...config.models.autoencoder, maxEpochs: 2 },
      forest: { ...config.models.forest, trees: 10 },
    },
    storePath,
    store,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    onModel: () => {},
  });
  const capture: CaptureHealth = { mode: config.mode, iface: 'eth0', packets: 10, bytes: 1000, flows: 2, activeFlows: 1, drops: { kernel: 0, interface: 0 }, lastPacketUs: 0 };
  const integrations: IntegrationHealth[] = [{ name: 'influx', enabled: false, ok: true, detail: 'off' }];
  const deps: WebDeps = {
    config,
    store,
    bus,
    actions,
    models: modelServiceOf(models, () => 0, store, nowUs),
    capture: () => ({ ...capture }),
    integrations: () => integrations.map((i) => ({ ...i })),
    nowUs,
  };
  return {
    deps, store, bus, actions, models, incidents, capture, integrations, dir,
    close: async () => {
      await models.stop();
      models.model?.dispose();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The env of `app.request()` that makes a request come from `remoteAddress` (as @hono/node-server sets it). */
export function fromAddress(remoteAddress: string): { incoming: { socket: { remoteAddress: string } } } {
  return { incoming: { socket: { remoteAddress } } };
}

interface RequestableApp {
  request(input: string, init?: RequestInit, env?: unknown): Response | Promise<Response>;
}

/**
 * A browser-like client for route tests: keeps the session cookie it is given, sends it back, and adds the
 * session's CSRF token (header X-CSRF-Token) to state-changing requests unless told otherwise (`csrf: false`
 * sends none, a string sends that).
 */
export class WebClient {
  cookie: string | null = null;

  constructor(
    private readonly app: RequestableApp,
    readonly address = '192.0.2.10',
  ) {}

  /** The raw session id (cookie value), null before sign-in. */
  get sessionId(): string | null {
    return this.cookie === null ? null : this.cookie.slice(this.cookie.indexOf('=') + 1);
  }

  async request(path: string, init: RequestInit & { csrf?: string | false; json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie !== null) headers.set('cookie', this.cookie);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const method = init.method ?? 'GET';
    if (typeof init.csrf === 'string') headers.set('x-csrf-token', init.csrf);
    else if (init.csrf === undefined && this.sessionId !== null && method !== 'GET' && method !== 'HEAD') headers.set('x-csrf-token', csrfToken(this.sessionId));
    const res = await this.app.request(`http://argus.test${path}`, { ...init, method, headers, body }, fromAddress(this.address));
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      if (/max-age=0/i.test(sc)) this.cookie = null;
      else if (pair !== undefined && pair.includes('argus_session=')) this.cookie = pair;
    }
    return res;
  }

  /** Posts the login form; returns the response (303 on success). */
  login(username: string, password: string): Promise<Response> {
    return this.request('/login', { method: 'POST', body: new URLSearchParams({ username, password }) });
  }
}
