/**
 * /api/v1/fleet on a head (fleet.role: head), behind the same sign-in as the rest of the API:
 *   GET  /fleet/sensors                 {"sensors": [{id, name, status, lastHeartbeat, version, capabilities, load, queue, …}]}
 *   GET  /fleet/alerts?limit            {"incidents": [{sensor, sensorName, incident, change, tsUs}]}: every sensor's incidents
 *   POST /fleet/sensors/:id/assign      {"kind": "scan", "targets": ["192.168.1.0/24"], "ports": "1-1000"}; id 'auto'
 *                                       picks the sensor whose scan scope holds the targets and whose queue is shortest
 *                                       (the same checks as the Sensors page's form: fleet-assign.ts)
 * The head only records an assignment; the sensor pulls it with its next heartbeat and decides itself.
 */
import type { Hono } from 'hono';
import type { WebEnv } from './env.js';
import { ApiError, body, int, onlyFields, onlyQuery } from './api-input.js';
import { requestScanAssignment } from './fleet-assign.js';
import type { WebContext } from './web-context.js';

export function registerFleetApi(api: Hono<WebEnv>, ctx: WebContext): void {
  const fleet = () => {
    const f = ctx.deps.fleet;
    if (f === undefined) throw new ApiError(404, 'this appliance is not a fleet head (fleet.role: head)');
    return f;
  };

  api.get('/fleet/sensors', (c) => {
    onlyQuery(c, []);
    return c.json({ sensors: fleet().sensors() });
  });

  api.get('/fleet/alerts', (c) => {
    const q = onlyQuery(c, ['limit']);
    return c.json({ incidents: fleet().incidents(int(q.limit, 'limit', { min: 1, max: 1000, def: 200 })) });
  });

  api.post('/fleet/sensors/:id/assign', async (c) => {
    const b = await body(c);
    onlyFields(b, ['kind', 'targets', 'ports']);
    const r = requestScanAssignment(ctx.deps, fleet(), c.req.param('id'), { kind: b.kind, targets: b.targets, ports: b.ports }, c.get('user')?.username ?? 'api');
    if (!r.ok) throw new ApiError(r.status, r.error);
    return c.json({ id: r.id, sensor: r.sensor, state: 'pending' }, 201);
  });
}
