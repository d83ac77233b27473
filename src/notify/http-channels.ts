/**
 * The channels that speak HTTP: `webhook` (a body in one of the formats of message.ts, optionally signed) and
 * `ntfy` (JSON publishing to an ntfy server: title, priority, tags, click URL and view-action buttons).
 * A response outside 2xx, a network error or a time-out rejects; the queue retries.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { ntfyPriority, webhookBody, type WebhookFormat } from './message.js';
import { redactUrl } from './secret.js';
import type { Channel, Notice } from './types.js';

export interface WebhookSettings {
  name: string;
  url: string;
  format: WebhookFormat;
  /** HMAC-SHA256 key; when set, `X-Argus-Timestamp` and `X-Argus-Signature: sha256=<hex of HMAC(ts + "." + body)>` are sent */
  secret: string;
  /** extra headers, e.g. Authorization for a Matrix access token */
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * One HTTP request with a time-out and no redirects: the status and the body's text (the caller decides what a
 * status means; the text is not logged, it may echo secrets). A network error or time-out rejects with
 * `what URL: why`, the URL without credentials. Shared with the EVE forwarder (src/forward/http.ts), which
 * passes `init.signal` to give up a request it no longer waits for (at shutdown).
 */
export async function httpRequest(what: string, url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; text: string }> {
  let res: Response;
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new Error(`${what} ${redactUrl(url)}: ${why}`);
  }
  // read the body so the connection can be reused
  const text = await res.text().catch(() => '');
  return { status: res.status, text };
}

async function deliver(what: string, url: string, init: RequestInit, timeoutMs: number): Promise<void> {
  const res = await httpRequest(what, url, init, timeoutMs);
  if (res.status < 200 || res.status > 299) throw new Error(`${what} ${redactUrl(url)}: HTTP ${res.status}`);
}

export class WebhookChannel implements Channel {
  readonly type = 'webhook';
  constructor(private readonly s: WebhookSettings) {}

  get name(): string {
    return this.s.name;
  }

  async send(n: Notice): Promise<void> {
    const body = JSON.stringify(webhookBody(this.s.format, n));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'argus-edge', ...this.s.headers };
    if (this.s.secret !== '') {
      const ts = String(Math.floor(Date.now() / 1000));
      headers['x-argus-timestamp'] = ts;
      headers['x-argus-signature'] = `sha256=${createHmac('sha256', this.s.secret).update(`${ts}.${body}`).digest('hex')}`;
    }
    // Matrix sends events with PUT to …/send/m.room.message/{txnId}; the notice id makes a retry idempotent
    const matrix = this.s.format === 'matrix';
    const url = matrix ? `${this.s.url.replace(/\/+$/, '')}/${encodeURIComponent(n.id || randomUUID())}` : this.s.url;
    await deliver('webhook', url, { method: matrix ? 'PUT' : 'POST', headers, body }, this.s.timeoutMs);
  }
}

export interface NtfySettings {
  name: string;
  /** the ntfy server, e.g. https://ntfy.example.org */
  server: string;
  topic: string;
  /** access token (Bearer); empty for an open topic */
  token: string;
  timeoutMs: number;
}

const TAGS = { low: 'information_source', medium: 'warning', high: 'rotating_light', critical: 'rotating_light' } as const;

export class NtfyChannel implements Channel {
  readonly type = 'ntfy';
  constructor(private readonly s: NtfySettings) {}

  get name(): string {
    return this.s.name;
  }

  async send(n: Notice): Promise<void> {
    const body = {
      topic: this.s.topic,
      title: n.title,
      message: n.text,
      priority: ntfyPriority(n),
      tags: [TAGS[n.severity], ...(n.kind ? [n.kind] : [])],
      ...(n.links[0] ? { click: n.links[0].url } : {}),
      // ntfy shows at most three action buttons
      actions: n.links.slice(0, 3).map((l) => ({ action: 'view', label: l.label, url: l.url })),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'argus-edge' };
    if (this.s.token !== '') headers.authorization = `Bearer ${this.s.token}`;
    await deliver('ntfy', this.s.server.replace(/\/+$/, '') + '/', { method: 'POST', headers, body: JSON.stringify(body) }, this.s.timeoutMs);
  }
}
