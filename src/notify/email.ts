/**
 * The `email` channel: SMTP through nodemailer, with STARTTLS (port 587, required when `security: starttls`),
 * implicit TLS (port 465) or none (a relay on the LAN), optional authentication, and a plain-text and an HTML
 * part. Links are the dashboard's; an approval link opens the review page, it never approves by itself.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel, Notice } from './types.js';

export interface EmailSettings {
  name: string;
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  user: string;
  password: string;
  from: string;
  to: string[];
  tlsVerify: boolean;
  ca: string;
  timeoutMs: number;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function emailParts(n: Notice): { subject: string; text: string; html: string } {
  const subject = `[Argus Edge] ${n.severity === 'low' ? '' : `${n.severity.toUpperCase()}: `}${n.title}`.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const text = [n.title, '', n.text, '', ...n.links.map((l) => `${l.label}: ${l.url}`)].join('\n');
  const html =
    `<h2 style="font-family:sans-serif">${escapeHtml(n.title)}</h2>` +
    `<p style="font-family:sans-serif">${escapeHtml(n.text).replace(/\n/g, '<br>')}</p>` +
    (n.links.length > 0 ? `<p style="font-family:sans-serif">${n.links.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a>`).join(' · ')}</p>` : '');
  return { subject, text, html };
}

export class EmailChannel implements Channel {
  readonly type = 'email';
  private readonly transport: Transporter;

  constructor(private readonly s: EmailSettings) {
    this.transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.security === 'tls',
      requireTLS: s.security === 'starttls',
      ignoreTLS: s.security === 'none',
      ...(s.user !== '' ? { auth: { user: s.user, pass: s.password } } : {}),
      tls: { rejectUnauthorized: s.tlsVerify, ...(s.ca !== '' ? { ca: s.ca } : {}) },
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
    });
  }

  get name(): string {
    return this.s.name;
  }

  async send(n: Notice): Promise<void> {
    const parts = emailParts(n);
    try {
      await this.transport.sendMail({ from: this.s.from, to: this.s.to, ...parts, headers: { 'X-Argus-Notice': n.id } });
    } catch (err) {
      const e = err as Error & { code?: string; responseCode?: number };
      // nodemailer's messages can quote the server's reply, never the password; keep them short
      throw new Error(`email ${this.s.host}:${this.s.port}: ${e.code ?? ''}${e.responseCode ? ` ${e.responseCode}` : ''} ${e.message.split('\n')[0]!.slice(0, 160)}`.replace(/\s+/g, ' ').trim());
    }
  }

  close(): void {
    this.transport.close();
  }
}
