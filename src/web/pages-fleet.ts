/**
 * A head's fleet pages (fleet.role: head): GET /fleet (sensors and the assign-scan form), GET /fleet/incidents and
 * GET /fleet/devices (every sensor's, ?sensor=ID to show one), POST /fleet/assign (admins; the same checks and
 * audit entry, fleet.assign, as POST /api/v1/fleet/sensors/:id/assign). On an appliance that is not a head
 * they answer 404.
 */
import type { Hono } from 'hono';
import type { FleetView } from '../fleet/index.js';
import type { WebEnv } from './env.js';
import { requestScanAssignment } from './fleet-assign.js';
import { canAct, cleanText, doneMessage, form, page, problem, putFlash, redirectDone, takeFlash, userOf, type Ctx } from './pages-common.js';
import { flash } from './views/format.js';
import { fleetDevicesPage, fleetIncidentsPage, fleetSensorsPage } from './views/fleet.js';

/** Whether this appliance shows the fleet pages (and their navigation link). */
export function isFleetHead(c: Ctx): boolean {
  const deps = c.get('deps');
  return deps.config.fleet.role === 'head' && deps.fleet !== undefined;
}

function fleetOf(c: Ctx): FleetView | Response {
  if (!isFleetHead(c)) return problem(c, 404, 'this appliance is not a fleet head (fleet.role: head)');
  return c.get('deps').fleet!;
}

/** The ?sensor= filter: '' for every sensor, else a known sensor id. */
function sensorFilter(c: Ctx, f: FleetView): string | Response {
  const id = c.req.query('sensor') ?? '';
  if (id !== '' && !f.sensors().some((s) => s.id === id)) return problem(c, 404, `no sensor ${id.slice(0, 80)}`, 'fleet');
  return id;
}

export function registerFleetPages(app: Hono<WebEnv>): void {
  app.get('/fleet', (c) => {
    const f = fleetOf(c);
    if (f instanceof Response) return f;
    const back = takeFlash(c);
    const refused = back?.kind === 'fleet-assign' ? back : undefined;
    return page(c, 'Sensors', 'fleet', fleetSensorsPage({
      sensors: f.sensors(),
      nowMs: Date.now(),
      csrf: c.get('csrf'),
      canAct: canAct(c),
      message: refused !== undefined ? flash('error', refused.text) : back?.kind === 'error' ? flash('error', back.text) : doneMessage(c),
      form: refused?.form ?? { sensor: 'auto', targets: '', ports: '' },
    }));
  });

  app.get('/fleet/incidents', (c) => {
    const f = fleetOf(c);
    if (f instanceof Response) return f;
    const sensor = sensorFilter(c, f);
    if (sensor instanceof Response) return sensor;
    return page(c, 'Fleet incidents', 'fleet', fleetIncidentsPage({ rows: f.incidents(500, sensor || undefined), sensors: f.sensors(), sensor }));
  });

  app.get('/fleet/devices', (c) => {
    const f = fleetOf(c);
    if (f instanceof Response) return f;
    const sensor = sensorFilter(c, f);
    if (sensor instanceof Response) return sensor;
    return page(c, 'Fleet devices', 'fleet', fleetDevicesPage({ rows: f.devices(sensor || undefined), sensors: f.sensors(), sensor }));
  });

  app.post('/fleet/assign', async (c) => {
    const f = fleetOf(c);
    if (f instanceof Response) return f;
    const body = await form(c);
    const sensor = (body['sensor'] ?? '').trim() || 'auto';
    const targetsText = cleanText(body['targets'] ?? '', 600);
    const ports = cleanText(body['ports'] ?? '', 128);
    const kept = { sensor, targets: targetsText ?? '', ports: ports ?? '' };
    const refuse = (status: 400 | 404, text: string): Response => {
      if (c.req.header('hx-request') !== undefined) return problem(c, status, text, 'fleet');
      // back to the form with what was typed and the reason (post/redirect/get)
      putFlash(c, { kind: 'fleet-assign', text, form: kept });
      return c.redirect('/fleet#assign', 303);
    };
    if (targetsText === null || ports === null) return refuse(400, 'targets and ports must be one line each (at most 600 and 128 characters)');
    const targets = targetsText.split(/[\s,]+/).filter((t) => t !== '');
    const r = requestScanAssignment(c.get('deps'), f, sensor, { kind: 'scan', targets, ports }, userOf(c).username);
    if (!r.ok) return refuse(r.status, r.error);
    return redirectDone(c, '/fleet', 'assigned');
  });
}
