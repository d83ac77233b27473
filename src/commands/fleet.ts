/**
 * `argus-edge fleet enrol|list|revoke` on a head: one-time enrolment tokens for new sensors, the sensors with
 * their state, and ending a sensor's access. Works on the store file while the appliance runs.
 */
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import { encodeEnrolToken, hashSecret, newSecret } from '../fleet/enrol-token.js';
import { headCertificate, headPublicUrl } from '../fleet/head-server.js';
import { fleetView } from '../fleet/index.js';
import { Store } from '../store/db.js';

/** an enrolment token is accepted for this long */
const TOKEN_HOURS = 24;

export interface FleetCommandOptions {
  action: 'enrol' | 'list' | 'revoke';
  name?: string;
  id?: string;
  json?: boolean;
  out?: Writable;
  err?: Writable;
}

export async function commandFleet(cfg: Config, o: FleetCommandOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  if (cfg.fleet.role !== 'head' && o.action === 'enrol') err.write(`fleet: note: fleet.role is ${cfg.fleet.role}; sensors can enrol only once this appliance runs with fleet.role: head\n`);
  const store = Store.open({ path: cfg.store.path, log: (m) => err.write(m + '\n') });
  try {
    if (o.action === 'enrol') {
      if (o.name !== undefined && !/^[\w .@-]{1,64}$/.test(o.name)) {
        err.write('fleet enrol: --name must be 1–64 letters, digits, spaces or ._@-\n');
        return 1;
      }
      const { fingerprint } = await headCertificate({ web: cfg.web, storePath: cfg.store.path });
      const url = headPublicUrl(cfg.fleet.publicUrl, cfg.fleet.host, cfg.fleet.port);
      const secret = newSecret();
      const now = Date.now();
      store.fleet.addEnrolToken(hashSecret(secret), o.name ?? null, now, now + TOKEN_HOURS * 3_600_000);
      store.actions.audit({ tsUs: now * 1000, actor: 'cli', action: 'fleet.enrol', target: o.name ?? null, reason: 'enrolment token created', detail: { url } });
      const token = encodeEnrolToken({ url, fingerprint, secret });
      if (o.json) out.write(JSON.stringify({ token, url, fingerprint, expires: new Date(now + TOKEN_HOURS * 3_600_000).toISOString() }) + '\n');
      else {
        out.write(`${token}\n`);
        err.write(`One sensor can register with this token within ${TOKEN_HOURS} h. On the sensor set\n  fleet.role: sensor\n  fleet.enrolToken: <the token>   (or ARGUS_EDGE_FLEET_ENROLTOKEN)\nIt will reach the head at ${url} and trust only the certificate ${fingerprint}.\n`);
      }
      return 0;
    }
    if (o.action === 'revoke') {
      if (o.id === undefined || store.fleet.sensor(o.id) === undefined) {
        err.write(`fleet revoke: no sensor ${o.id ?? '(give its id)'}; 'argus-edge fleet list' shows them\n`);
        return 1;
      }
      if (!store.fleet.revoke(o.id)) {
        err.write(`fleet revoke: ${o.id} is revoked already\n`);
        return 1;
      }
      store.actions.audit({ tsUs: Date.now() * 1000, actor: 'cli', action: 'fleet.revoke', target: o.id, reason: null, detail: null });
      out.write(`revoked ${o.id}: its requests are refused from now on\n`);
      return 0;
    }
    const sensors = fleetView(store.fleet, cfg.fleet.staleSeconds).sensors();
    if (o.json) out.write(JSON.stringify({ sensors }) + '\n');
    else if (sensors.length === 0) out.write('no sensors registered\n');
    else for (const s of sensors) out.write(`${s.id}  ${s.name.padEnd(20)} ${s.status.padEnd(7)} last heartbeat ${s.lastHeartbeat ?? 'never'}  ${s.version}  queue ${s.queue}\n`);
    return 0;
  } finally {
    store.close();
  }
}
