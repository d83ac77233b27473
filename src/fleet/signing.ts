/**
 * Sensor request signatures. Every request after registration carries
 *   X-Argus-Sensor: <sensor id>
 *   X-Argus-Timestamp: <ms since the epoch>
 *   X-Argus-Nonce: <16 random bytes, base64url>
 *   X-Argus-Signature: <Ed25519 signature, base64url, of the canonical string>
 * where the canonical string is `METHOD \n PATH \n TIMESTAMP \n NONCE \n SHA-256(body) hex`. The head refuses
 * a timestamp more than MAX_SKEW_MS away from its clock and a nonce it has seen within that window.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

export const MAX_SKEW_MS = 300_000;

export function canonical(method: string, path: string, ts: string, nonce: string, body: string | Buffer): string {
  return `${method.toUpperCase()}\n${path}\n${ts}\n${nonce}\n${createHash('sha256').update(body).digest('hex')}`;
}

export interface SensorKeys {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function newSensorKeys(): SensorKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function signedHeaders(id: string, privateKeyPem: string, method: string, path: string, body: string, nowMs = Date.now()): Record<string, string> {
  const ts = String(nowMs);
  const nonce = randomBytes(16).toString('base64url');
  const sig = sign(null, Buffer.from(canonical(method, path, ts, nonce, body)), privateKeyPem).toString('base64url');
  return { 'x-argus-sensor': id, 'x-argus-timestamp': ts, 'x-argus-nonce': nonce, 'x-argus-signature': sig };
}

/** A public key from its PEM, or null when it is not an Ed25519 public key. */
export function parsePublicKey(pem: string): KeyObject | null {
  try {
    const k = createPublicKey(pem);
    return k.asymmetricKeyType === 'ed25519' ? k : null;
  } catch {
    return null;
  }
}

export function verifySignature(key: KeyObject, method: string, path: string, ts: string, nonce: string, body: string | Buffer, sigB64: string): boolean {
  try {
    return verify(null, Buffer.from(canonical(method, path, ts, nonce, body)), key, Buffer.from(sigB64, 'base64url'));
  } catch {
    return false;
  }
}
