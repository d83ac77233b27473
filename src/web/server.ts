/**
 * The appliance's HTTP server (Hono on Node's http server). For now it serves what monitoring needs:
 * GET /metrics (Prometheus text format) and GET /healthz (no authentication, for load balancers and systemd
 * watchdogs). The dashboard and the JSON API build on this server.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Pipeline } from '../pipeline.js';
import { metrics } from '../store/metrics.js';

export interface WebServer {
  /** the address and port it listens on (port 0 in the config picks a free one) */
  address: { host: string; port: number };
  close(): Promise<void>;
}

export function webApp(pipeline: Pipeline): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => {
    const s = pipeline.summary();
    return c.json({ status: 'ok', mode: pipeline.config.mode, packets: s.packets, flows: s.flows, activeFlows: pipeline.flows.stats.active, model: pipeline.scorer?.currentModel.id ?? null });
  });
  app.get('/metrics', async (c) => {
    pipeline.updateMetrics();
    return c.body(await metrics().metricsText(), 200, { 'content-type': metrics().contentType });
  });
  app.notFound((c) => c.json({ error: `no such page: ${c.req.path}` }, 404));
  return app;
}

/** Listen on web.host:web.port; rejects with a clear message when the port is taken. */
export function startWebServer(pipeline: Pipeline): Promise<WebServer> {
  const { host, port } = pipeline.config.web;
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `web.port ${port} on ${host} is already in use: pick another with --port or web.port` : `cannot listen on ${host}:${port}: ${err.message}`));
    server = serve({ fetch: webApp(pipeline).fetch, hostname: host, port }, (info) => {
      server.off('error', onError);
      resolve({
        address: { host, port: info.port },
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
    server.once('error', onError);
  });
}
