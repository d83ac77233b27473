/**
 * The head's fleet API on its own HTTPS port (fleet.host:fleet.port), with the appliance's self-signed
 * certificate (web.certFile / web.keyFile, generated beside the store when missing). Sensors pin the
 * certificate's SHA-256 fingerprint from their enrolment token, so no CA is involved.
 */
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { networkInterfaces, hostname } from 'node:os';
import { serve } from '@hono/node-server';
import type { FleetStore } from '../store/fleet.js';
import { loadOrCreateTls } from '../web/tls.js';
import { fleetApi, type FleetHeadStats } from './head.js';

export interface FleetServer {
  url: string;
  fingerprint: string;
  stats: FleetHeadStats;
  close(): Promise<void>;
}

export interface FleetServerConfig {
  host: string;
  port: number;
  heartbeatSeconds: number;
  web: { host: string; certFile: string; keyFile: string };
  storePath: string;
}

/** The head's certificate and its fingerprint ("AB:CD:…"), generated when missing. */
export async function headCertificate(cfg: Pick<FleetServerConfig, 'web' | 'storePath'>): Promise<{ cert: Buffer; key: Buffer; fingerprint: string }> {
  const tls = await loadOrCreateTls(cfg.web, cfg.storePath);
  return { cert: tls.cert, key: tls.key, fingerprint: new X509Certificate(tls.cert).fingerprint256 };
}

/** The URL sensors are told to use: fleet.publicUrl, else the first non-loopback IPv4 address (or the host name). */
export function headPublicUrl(publicUrl: string, host: string, port: number): string {
  if (publicUrl !== '') return publicUrl.replace(/\/+$/, '');
  if (host !== '' && host !== '0.0.0.0' && host !== '::') return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return `https://${a.address}:${port}`;
  return `https://${hostname()}:${port}`;
}

export async function startFleetServer(cfg: FleetServerConfig, store: FleetStore, log: (m: string) => void): Promise<FleetServer> {
  const { cert, key, fingerprint } = await headCertificate(cfg);
  const { app, stats } = fleetApi({ store, heartbeatSeconds: cfg.heartbeatSeconds, log });
  return new Promise((resolve, reject) => {
    let server: Server;
    const onError = (err: NodeJS.ErrnoException) => reject(new Error(`fleet API: cannot listen on ${cfg.host}:${cfg.port}: ${err.code ?? err.message}`));
    server = serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.port, createServer: createHttpsServer, serverOptions: { key, cert } }, (info) => {
      server.off('error', onError);
      const h = info.address.includes(':') ? `[${info.address}]` : info.address;
      resolve({
        url: `https://${h}:${info.port}`,
        fingerprint,
        stats,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    }) as Server;
    server.once('error', onError);
  });
}
