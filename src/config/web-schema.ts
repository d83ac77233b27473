/**
 * The `web:` section of the configuration: where the dashboard and the JSON API listen, TLS, and how long a
 * sign-in lasts. Times of sessions and login limits are wall-clock times (they are about people, not packets).
 */
import { bool, num, str } from './fields.js';

export const webSchema = {
  host: str('127.0.0.1', "address the dashboard listens on ('0.0.0.0' for the whole LAN)"),
  port: num(8080, 'dashboard port', { int: true, min: 0, max: 65535 }),
  tls: bool(
    false,
    "serve HTTPS; without certFile/keyFile a self-signed certificate is generated beside the store on first start with the 'openssl' program (present on Raspberry Pi OS; Debian package openssl)",
  ),
  certFile: str('', "PEM certificate for HTTPS; empty: web-cert.pem beside the store (generated when missing)"),
  keyFile: str('', 'PEM private key for HTTPS (kept mode 0600); empty: web-key.pem beside the store (generated when missing)'),
  sessionIdleMinutes: num(60, 'a sign-in ends after this many minutes without a request', { min: 1, max: 525600 }),
  sessionMaxHours: num(12, 'a sign-in ends this many hours after the password was entered, however active', { min: 0.1, max: 8760 }),
  loginMaxFailures: num(5, 'failed sign-ins per client address, and per user name, before further attempts are refused (429)', { int: true, min: 1, max: 1000 }),
  loginWindowMinutes: num(15, 'failed sign-ins are counted over this many minutes; the refusal lifts when they age out', { min: 1, max: 1440 }),
};
