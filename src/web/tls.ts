/**
 * The HTTPS certificate. With web.certFile/keyFile set, those files are read (and must exist). Without them, a
 * self-signed certificate is kept beside the store (web-cert.pem, web-key.pem) and generated on first start.
 * Node can sign with a key but cannot build an X.509 certificate, so generation runs the `openssl` program
 * (present on Raspberry Pi OS and Debian: package openssl) with an argument array, never a shell.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** true when this call generated them */
  generated: boolean;
}

/** Where the certificate and key live: the configured paths, or beside the store. */
export function tlsPaths(web: { certFile: string; keyFile: string }, storePath: string): { certFile: string; keyFile: string; configured: boolean } {
  const dir = storePath === ':memory:' || storePath === '' ? process.cwd() : dirname(resolve(storePath));
  return {
    certFile: web.certFile || join(dir, 'web-cert.pem'),
    keyFile: web.keyFile || join(dir, 'web-key.pem'),
    configured: web.certFile !== '' || web.keyFile !== '',
  };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err === null) return res();
      const code = (err as NodeJS.ErrnoException).code;
      rej(new Error(code === 'ENOENT' ? `cannot generate the HTTPS certificate: the 'openssl' program is not installed (apt-get install openssl), or set web.certFile and web.keyFile` : `openssl failed: ${String(stderr).trim() || err.message}`));
    }),
  );
}

/**
 * Generates a self-signed certificate (ECDSA P-256, 10 years) for `names` (host names and IP addresses) into
 * certFile/keyFile. The key file is created mode 0600 before openssl writes into it, and both files appear
 * under their final names only when complete.
 */
export async function generateSelfSigned(certFile: string, keyFile: string, names: string[]): Promise<void> {
  const tmpKey = `${keyFile}.tmp-${process.pid}`;
  const tmpCert = `${certFile}.tmp-${process.pid}`;
  const san = names.map((n) => (/^[\d.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(tmpKey, '', { mode: 0o600 });
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', tmpKey, '-out', tmpCert, '-days', '3650', '-subj', '/O=Argus Edge/CN=argus-edge',
      '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:FALSE',
    ]);
    chmodSync(tmpKey, 0o600);
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
  } finally {
    rmSync(tmpKey, { force: true });
    rmSync(tmpCert, { force: true });
  }
}

/** The names a generated certificate is valid for: localhost, the loopback addresses, this host, the listen address. */
export function certificateNames(listenHost: string): string[] {
  const h = hostname();
  const names = ['localhost', '127.0.0.1', '::1', h, `${h}.local`];
  if (listenHost !== '' && listenHost !== '0.0.0.0' && listenHost !== '::' && !names.includes(listenHost)) names.push(listenHost);
  return [...new Set(names.filter((n) => /^[A-Za-z0-9.:-]+$/.test(n)))];
}

/** Reads the certificate and key, generating them first when they are the defaults and missing. */
export async function loadOrCreateTls(web: { host: string; certFile: string; keyFile: string }, storePath: string): Promise<TlsFiles> {
  const p = tlsPaths(web, storePath);
  let generated = false;
  if (!existsSync(p.certFile) || !existsSync(p.keyFile)) {
    if (p.configured) throw new Error(`web.tls: ${!existsSync(p.certFile) ? `web.certFile ${p.certFile}` : `web.keyFile ${p.keyFile}`} does not exist`);
    await generateSelfSigned(p.certFile, p.keyFile, certificateNames(web.host));
    generated = true;
  }
  return { certFile: p.certFile, keyFile: p.keyFile, cert: readFileSync(p.certFile), key: readFileSync(p.keyFile), generated };
}
