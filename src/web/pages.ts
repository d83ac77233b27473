/**
 * The dashboard's pages, mounted by server.ts after the authentication middleware (which guarantees a signed-in
 * user on every route here, checks CSRF on every POST and refuses POSTs from viewers).
 *
 * Routes: GET / · /devices · /devices/:mac · /alerts · /quarantine · /models · /audit · /settings, and on a fleet
 * head /fleet · /fleet/incidents · /fleet/devices;
 * JSON for charts under /ui/; form posts for every action (plain forms, so they work without script; htmx
 * enhances the alert acknowledge and the device filter).
 */
import type { Hono } from 'hono';
import type { WebEnv } from './env.js';
import { registerAdminPages } from './pages-admin.js';
import { registerSettingsPages } from './pages-settings.js';
import { registerAlertPages } from './pages-alerts.js';
import { registerDevicePages } from './pages-devices.js';
import { registerFleetPages } from './pages-fleet.js';
import { registerOverviewPages } from './pages-overview.js';

export function registerPages(app: Hono<WebEnv>): void {
  registerOverviewPages(app);
  registerDevicePages(app);
  registerAlertPages(app);
  registerAdminPages(app);
  registerSettingsPages(app);
  registerFleetPages(app);
}
