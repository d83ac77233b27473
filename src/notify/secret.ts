/**
 * Secrets in channel settings (passwords, tokens, HMAC keys) may be written as `env:NAME` (read from the
 * environment) or `file:/path` (the file's first line, e.g. a systemd credential), so config.yaml need not hold
 * them. They are resolved once at start and never logged.
 */
import { readFileSync } from 'node:fs';

export function resolveSecret(value: string, what: string): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const v = process.env[name];
    if (v === undefined || v === '') throw new Error(`${what}: the environment variable ${name} is not set`);
    return v;
  }
  if (value.startsWith('file:')) {
    const path = value.slice(5);
    try {
      return readFileSync(path, 'utf8').split('\n')[0]!.trim();
    } catch (err) {
      throw new Error(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return value;
}

/** A URL as it may be logged: user info, query string and fragment removed (webhook URLs carry tokens there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.length > 24 ? `${u.pathname.slice(0, 24)}…` : u.pathname;
    return `${u.protocol}//${u.host}${path}`;
  } catch {
    return '(invalid URL)';
  }
}
