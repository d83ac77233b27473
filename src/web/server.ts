/**
 * The appliance's HTTP(S) server: Hono on Node's http or https server. It serves
 * - GET /healthz (no authentication, for load balancers and systemd watchdogs) and GET /metrics (Prometheus),
 * - sign-in, sign-out and first-run setup (auth.ts),
 * - the JSON API under /api/v1 (api.ts),
 * - the dashboard pages, /static files and the server-sent event stream (pages.ts, sse.ts).
 * Every response carries the security headers below; every route behind the sign-in is checked by auth.ts.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createServer as createHttpsServer } from 'node:https';
import { metrics } from '../store/metrics.js';
import type { WebDeps } from './deps.js';
import type { WebEnv } from './env.js';
import { html } from './html.js';
import { registerApi } from './api.js';
import { HTTPException } from 'hono/http-exception';
import { authenticate, newSetupCode, registerAuthRoutes } from './auth.js';
import { HostCheck, hostCheck } from './host-check.js';
import { LoginLimiter } from './rate-limit.js';
import { Sessions } from './session.js';
import { loadOrCreateTls } from './tls.js';
import type { WebContext } from './web-context.js';
import { layout } from './views/layout.js';
import { registerPages } from './pages.js';
import { registerSse } from './sse.js';
import { registerStatic } from './static-files.js';

export interface WebServer {
  /** the address and port it listens on (port 0 in the config picks a free one) */
  address: { host: string; port: number };
  /** e.g. https://127.0.0.1:8080 */
  url: string;
  /** the certificate in use when web.tls is on (generated: created by this start) */
  tls: { certFile: string; keyFile: string; generated: boolean } | null;
  /** no dashboard user exists yet: worth a log line saying to run `argus-edge passwd` or open /setup locally */
  needsSetup: boolean;
  /** the one-time code the setup page asks for (print it with the needsSetup line) */
  setupCode: string;
  /**
   * A request is being answered, or one arrived in the last INTERACTIVE_MS: a replay in the same process then
   * hands the loop back sooner (the event stream, open for as long as a page is, does not count).
   */
  busy(): boolean;
  close(): Promise<void>;
}

/** how long after a request's arrival the server still counts as busy (a page load is several requests) */
export const INTERACTIVE_MS = 300;

export interface WebAppOptions {
  /** served over TLS: session cookies get Secure and the __Host- prefix (default: config web.tls) */
  secure?: boolean;
  /** wall clock in ms for sessions, login limits and tokens (default Date.now; tests move it) */
  nowMs?: () => number;
  /** where unexpected route errors are reported (default stderr) */
  log?: (msg: string) => void;
  /** the first-run setup code (default: a new random one; startWebServer prints it when no user exists) */
  setupCode?: string;
  /** the machine's own addresses and names for the Host check (default: from the interfaces; tests pin them) */
  machineNames?: () => string[];
}

/**
 * Content-Security-Policy: everything from this origin only, no inline script or style (the pages load htmx and
 * uPlot from /static), no framing, forms post only here. uPlot and htmx set element styles through the DOM,
 * which style-src does not restrict.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const securityHeaders: MiddlewareHandler<WebEnv> = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  // pages and API answers hold network data: no shared or back-button caches; static files may be cached
  if (!c.req.path.startsWith('/static/') && c.res.headers.get('cache-control') === null) c.header('Cache-Control', 'no-store');
};

/** Bodies larger than this are refused (413) before any route reads them. */
const MAX_BODY_BYTES = 256 * 1024;

/** The Hono app: route tests call `webApp(deps).request(…)`; `startWebServer` serves it. */
export function webApp(deps: WebDeps, opts: WebAppOptions = {}): Hono<WebEnv> {
  const web = deps.config.web;
  const nowMs = opts.nowMs ?? Date.now;
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const ctx: WebContext = {
    deps,
    secure: opts.secure ?? web.tls,
    nowMs,
    sessions: new Sessions(deps.store, { idleMs: web.sessionIdleMinutes * 60_000, maxMs: web.sessionMaxHours * 3_600_000, nowMs }),
    limiter: new LoginLimiter({ maxFailures: web.loginMaxFailures, windowMs: web.loginWindowMinutes * 60_000, nowMs }),
    setupCode: opts.setupCode ?? newSetupCode(),
    hosts: new HostCheck({ allowed: web.allowedHosts, listenHost: web.host, machineNames: opts.machineNames }),
  };
  const hosts = ctx.hosts;
  const app = new Hono<WebEnv>();
  app.use('*', securityHeaders);
  app.use('*', hostCheck(hosts));
  app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `the body is larger than ${MAX_BODY_BYTES} bytes` }, 413) }));
  app.use('*', authenticate(ctx));

  app.get('/healthz', (c) => {
    const cap = deps.capture();
    const store = deps.store.health();
    return c.json({
      // 'degraded' while the store cannot write: capture and detection go on, nothing new is kept
      status: store.state === 'ok' ? 'ok' : 'degraded',
      mode: deps.config.mode,
      packets: cap.packets,
      flows: cap.flows,
      activeFlows: cap.activeFlows,
      model: deps.models.status().activeId,
      store: store.state,
      ...(store.state === 'ok' ? {} : { storeError: store.lastError, storeSinceMs: store.sinceMs }),
    });
  });
  app.get('/metrics', async (c) => {
    deps.refreshMetrics?.();
    return c.body(await metrics().metricsText(), 200, { 'content-type': metrics().contentType });
  });

  registerAuthRoutes(app, ctx);
  registerApi(app, ctx, log);
  registerStatic(app);
  registerSse(app, { maxPerUser: web.sseStreamsPerUser });
  registerPages(app);

  app.notFound((c) => {
    if (c.req.path.startsWith('/api/')) return c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404);
    const body = html`<section class="card"><h1>Not found</h1><p>There is no page at ${c.req.path}.</p><p><a href="/">Back to the dashboard</a></p></section>`;
    return c.html(layout({ title: 'Not found', user: c.get('user') ?? null, csrf: c.get('csrf') ?? '', body }).value, 404);
  });
  app.onError((err, c) => {
    // bad input (a malformed body, a bad parameter): a clean 4xx with its reason, nothing in the log
    if (err instanceof HTTPException && err.status < 500) {
      if (c.req.path.startsWith('/api/')) return c.json({ error: err.message }, err.status);
      return c.text(err.message || 'bad request', err.status);
    }
    log(`web: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    if (c.req.path.startsWith('/api/')) return c.json({ error: 'internal error; the appliance log has the details' }, 500);
    return c.text('internal error; the appliance log has the details', 500);
  });
  return app;
}

/**
 * Listens on web.host:web.port, over HTTPS when web.tls is on (generating the self-signed certificate on first
 * start, see tls.ts). Rejects with a clear message when the port is taken or the certificate is unusable.
 */
export async function startWebServer(deps: WebDeps, opts: WebAppOptions = {}): Promise<WebServer> {
  const { host, port } = deps.config.web;
  const tls = deps.config.web.tls ? await loadOrCreateTls(deps.config.web, deps.config.store.path) : null;
  const setupCode = opts.setupCode ?? newSetupCode();
  const app = webApp(deps, { ...opts, setupCode, secure: opts.secure ?? tls !== null });
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `web.port ${port} on ${host} is already in use: pick another with --port or web.port` : `cannot listen on ${host}:${port}: ${err.message}`));
    let inFlight = 0;
    let lastArrivalMs = -Infinity;
    const listening = (info: { port: number }) => {
      server.off('error', onError);
      server.on('connection', () => (lastArrivalMs = performance.now()));
      server.on('request', (req: { url?: string }, res: { once(e: 'close', f: () => void): void }) => {
        lastArrivalMs = performance.now();
        if (req.url === '/events' || req.url?.startsWith('/events?')) return;
        inFlight++;
        res.once('close', () => inFlight--);
      });
      const h = host.includes(':') ? `[${host}]` : host;
      resolve({
        address: { host, port: info.port },
        url: `${tls !== null ? 'https' : 'http'}://${h}:${info.port}`,
        tls: tls === null ? null : { certFile: tls.certFile, keyFile: tls.keyFile, generated: tls.generated },
        needsSetup: deps.store.auth.users().length === 0,
        setupCode,
        busy: () => inFlight > 0 || performance.now() - lastArrivalMs < INTERACTIVE_MS,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            // open event streams would hold close() forever
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    };
    server =
      tls === null
        ? serve({ fetch: app.fetch, hostname: host, port }, listening)
        : serve({ fetch: app.fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { key: tls.key, cert: tls.cert } }, listening);
    server.once('error', onError);
  });
}
