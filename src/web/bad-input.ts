/**
 * Bad input from a client is a clean 400: a short reason for the client, nothing in the log, never a stack
 * trace. Routes throw `BadInput`; the server's error handler answers it (JSON under /api, text elsewhere).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { WebEnv } from './env.js';

export class BadInput extends HTTPException {
  constructor(message: string) {
    super(400, { message });
  }
}

/** The string fields of a form body; a body that cannot be parsed (malformed multipart, bad encoding) is BadInput. */
export async function formFields(c: Context<WebEnv>): Promise<Record<string, string>> {
  let parsed: Record<string, unknown>;
  try {
    parsed = await c.req.parseBody();
  } catch {
    throw new BadInput('the form body could not be read: send it as application/x-www-form-urlencoded or well-formed multipart/form-data');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** True for text holding a control character (C0, DEL) — never valid in a name, a path or a header value. */
export function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(s);
}
