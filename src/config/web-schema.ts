/**
 * The `web:` section of the configuration: where the dashboard and the JSON API listen, TLS, and how long a
 * sign-in lasts. Times of sessions and login limits are wall-clock times (they are about people, not packets).
 */
import { bool, list, num, str } from './fields.js';

export const webSchema = {
  host: str('127.0.0.1', "address the dashboard listens on ('0.0.0.0' for the whole LAN)"),
  allowedHosts: list(
    str('', 'a host name or address'),
    [],
    "extra names the dashboard is reached by (e.g. argus.home.arpa): the Host header of every request must be localhost, a loopback address, one of this machine's addresses or its host name, or one of these; others get 421, which defeats DNS rebinding",
  ),
  port: num(8080, 'dashboard port', { int: true, min: 0, max: 65535 }),
  tls: bool(
    false,
    "serve HTTPS; without certFile/keyFile a self-signed certificate is generated beside the store on first start with the 'openssl' program (present on Raspberry Pi OS; Debian package openssl)",
  ),
  certFile: str('', "PEM certificate for HTTPS; empty: web-cert.pem beside the store (generated when missing)"),
  keyFile: str('', 'PEM private key for HTTPS (kept mode 0600); empty: web-key.pem beside the store (generated when missing)'),
  sessionIdleMinutes: num(60, 'a sign-in ends after this many minutes without a request', { min: 1, max: 525600 }),
  sessionMaxHours: num(12, 'a sign-in ends this many hours after the password was entered, however active', { min: 0.1, max: 8760 }),
  loginMaxFailures: num(
    5,
    'failed sign-ins for one user name from one client address before that pair must wait (1 s, doubling with each further failure, up to loginWindowMinutes); an address is held back the same way after four times as many failures over all names. Other addresses are never held back: a guesser cannot lock the real admin out',
    { int: true, min: 1, max: 1000 },
  ),
  loginWindowMinutes: num(15, 'the longest wait after failed sign-ins; failures are forgotten twice this many minutes after the last one', { min: 1, max: 1440 }),
  sseStreamsPerUser: num(8, 'live event streams (dashboard tabs) one user may hold at once; 32 in total', { int: true, min: 1, max: 32 }),
};
