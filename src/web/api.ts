/**
 * The JSON API under /api/v1. Authentication (session cookie + CSRF, or `Authorization: Bearer <token>`) and
 * the viewer's read-only rule are enforced before these routes by auth.ts. Every refusal is `{ "error": "…" }`
 * with a 4xx status, and a refused request has changed nothing.
 *
 * Alerts carry `severity` (Suricata's 1 = high, 2 = medium, 3 = low) and `severityName` (the word); devices carry
 * `ip`, the address they used most recently, and `type`: what kind of device it is ({ type, source: set|guess,
 * because }), as the dashboard shows it.
 *
 * Endpoints:
 *   GET    /devices?search&level&sort&limit&offset      GET /devices/:mac      PATCH /devices/:mac {label}
 *   GET    /alerts?severity(high|medium|low|1-3)&kind&mac&ip&since&until&acknowledged&limit&before     POST /alerts/:id/ack
 *   GET    /incidents?state&severity&kind&mac&acknowledged&muted&limit&before      GET /incidents/:id
 *   POST   /incidents/:id/ack {acknowledged}             POST /incidents/:id/mute {muted}
 *   GET    /flows?mac&ip&since&until&limit&beforeId
 *   GET    /actions?state&kind&mac&limit&beforeId        POST /actions {kind: quarantine|block, mac|target, reason}
 *   POST   /actions/:id/release|approve|deny {reason}
 *   GET    /allow-list                                   POST /allow-list {entry, reason}
 *   GET    /models                                       POST /models/retrain     POST /models/rollback
 *   GET    /health
 *   GET    /tokens                                       POST /tokens {name}     DELETE /tokens/:id
 *   GET    /fleet/sensors   GET /fleet/alerts   POST /fleet/sensors/:id/assign (a head only; see api-fleet.ts)
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { WebEnv } from './env.js';
import { ApiError } from './api-input.js';
import { registerActionApi } from './api-actions.js';
import { registerDeviceApi } from './api-devices.js';
import { registerEventApi } from './api-events.js';
import { registerFleetApi } from './api-fleet.js';
import { registerIncidentApi } from './api-incidents.js';
import { registerSystemApi } from './api-system.js';
import type { WebContext } from './web-context.js';

export function registerApi(app: Hono<WebEnv>, ctx: WebContext, log: (msg: string) => void): void {
  const api = new Hono<WebEnv>();
  api.onError((err, c) => {
    if (err instanceof ApiError) return c.json({ error: err.message }, err.status);
    if (err instanceof HTTPException && err.status < 500) return c.json({ error: err.message }, err.status);
    log(`web: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    return c.json({ error: 'internal error; the appliance log has the details' }, 500);
  });
  registerDeviceApi(api, ctx);
  registerEventApi(api, ctx);
  registerIncidentApi(api, ctx);
  registerActionApi(api, ctx);
  registerSystemApi(api, ctx);
  registerFleetApi(api, ctx);
  app.route('/api/v1', api);
}
