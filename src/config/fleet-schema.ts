/**
 * The `fleet:` section: standalone (default), a head that sensors report to, or a sensor (src/fleet).
 */
import { FLEET_ROLES } from '../fleet/types.js';
import { bool, num, oneOf, str } from './fields.js';

export const fleetSchema = {
  role: oneOf(FLEET_ROLES, 'standalone', 'standalone: one appliance; head: also serves the fleet API that sensors report to; sensor: also reports to a head'),
  name: str('', 'this sensor\'s name at the head; empty: the host name'),
  head: str('', "sensor: the head's fleet API URL (https://…); empty: the URL in fleet.enrolToken"),
  enrolToken: str('', "sensor: the one-time token from 'argus-edge fleet enrol' on the head (needed for the first start only; env:/file: are not read here: use ARGUS_EDGE_FLEET_ENROLTOKEN)"),
  heartbeatSeconds: num(30, 'sensor: seconds between heartbeats (status out, assignments in, outbox sent)', { min: 1, max: 3600 }),
  staleSeconds: num(300, 'head: a sensor without a heartbeat for this long is shown as stale (offline after a day or when revoked)', { min: 2 }),
  acceptAssignments: bool(false, "sensor: run scan assignments pulled from the head (always also checked against scan.enabled and scan.scope)"),
  maxAssignmentsPerHour: num(4, 'sensor: assignments run per hour at most; more are refused and reported', { int: true, min: 1, max: 1000 }),
  outboxMaxRows: num(100000, 'sensor: results kept while the head is away; past it the oldest device summaries are dropped (and counted), incidents never', { int: true, min: 100 }),
  host: str('0.0.0.0', 'head: address the fleet API (HTTPS) listens on'),
  port: num(8443, 'head: fleet API port', { int: true, min: 0, max: 65535 }),
  publicUrl: str('', 'head: the URL enrolment tokens tell sensors (https://name-or-ip:port); empty: the first LAN address and fleet.port'),
} as const;
