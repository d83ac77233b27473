/**
 * The bodies each webhook format takes, built from one Notice. Every shape is the one the service documents
 * for incoming webhooks, so the URL a user pastes in works as it is:
 * - slack: `{ text, blocks }` (Slack incoming webhooks; `text` is the fallback for notifications)
 * - discord: `{ content, embeds: [{ title, description, color, url, timestamp }] }` (Discord webhooks)
 * - teams: a message with one Adaptive Card attachment (Teams / Power Automate workflow webhooks)
 * - matrix: an `m.room.message` event body (`msgtype: m.text`, plain and HTML) for the client-server API's
 *   PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}
 * - json: Argus Edge's own body: `{ version: 1, topic, severity, title, text, time, links, ...data }`
 */
import type { Notice } from './types.js';

export const WEBHOOK_FORMATS = ['json', 'slack', 'discord', 'teams', 'matrix'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Discord embed colours by severity (decimal RGB) */
const COLOR = { low: 0x3b82f6, medium: 0xf59e0b, high: 0xef4444, critical: 0x991b1b } as const;

function iso(tsUs: number): string {
  return new Date(Math.floor(tsUs / 1000)).toISOString();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Slack's mrkdwn escapes only these three */
function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function jsonBody(n: Notice): Record<string, unknown> {
  return { version: 1, id: n.id, topic: n.topic, severity: n.severity, title: n.title, text: n.text, time: iso(n.tsUs), kind: n.kind, device: n.device, deviceName: n.deviceName, links: n.links, ...n.data };
}

export function webhookBody(format: WebhookFormat, n: Notice): Record<string, unknown> {
  const head = `[${n.severity.toUpperCase()}] ${n.title}`;
  switch (format) {
    case 'json':
      return jsonBody(n);
    case 'slack':
      return {
        text: head,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(head)}*\n${escapeSlack(n.text)}` } },
          ...(n.links.length > 0
            ? [{ type: 'actions', elements: n.links.slice(0, 5).map((l) => ({ type: 'button', text: { type: 'plain_text', text: l.label.slice(0, 75) }, url: l.url })) }]
            : []),
        ],
      };
    case 'discord':
      return {
        content: head.slice(0, 2000),
        embeds: [
          {
            title: n.title.slice(0, 256),
            description: [n.text, ...n.links.map((l) => `[${l.label}](${l.url})`)].join('\n').slice(0, 4096),
            color: COLOR[n.severity],
            timestamp: iso(n.tsUs),
            ...(n.links[0] ? { url: n.links[0].url } : {}),
          },
        ],
      };
    case 'teams':
      return {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', text: head, weight: 'Bolder', size: 'Medium', wrap: true, color: n.severity === 'low' ? 'Default' : 'Attention' },
                { type: 'TextBlock', text: n.text, wrap: true },
              ],
              actions: n.links.map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url })),
            },
          },
        ],
      };
    case 'matrix':
      return {
        msgtype: 'm.text',
        body: [head, n.text, ...n.links.map((l) => `${l.label}: ${l.url}`)].join('\n'),
        format: 'org.matrix.custom.html',
        formatted_body:
          `<strong>${escapeHtml(head)}</strong><br>${escapeHtml(n.text).replace(/\n/g, '<br>')}` +
          n.links.map((l) => `<br><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a>`).join(''),
      };
  }
}

/** ntfy priorities: 1 min … 5 max */
export function ntfyPriority(n: Notice): number {
  return { low: 2, medium: 3, high: 4, critical: 5 }[n.severity];
}
