/**
 * The bodies of a batch of EVE lines, one per receiver's format:
 *
 * - `ndjson`: the lines as they are, one per line (`application/x-ndjson`) — Vector's `http_server` source with
 *   `decoding.codec: json`, Logstash's `http` input with `codec => json_lines`, Fluent Bit's `http` input.
 * - `elastic`: Elasticsearch's bulk API (`POST /_bulk`): an action line `{"create":{"_index":"…"}}` before every
 *   line, the body ending in a newline. `create` is what data streams require and plain indices accept.
 * - `loki`: Grafana Loki's push API (`POST /loki/api/v1/push`, JSON): one stream per event type, labelled
 *   `{job, host, event_type}` (few label values: Loki indexes labels, not lines), each value
 *   `[<unix nanoseconds as a string>, <line>]` in time order, the time being the line's own timestamp.
 */
import { lineEventType, lineNanos } from './eve-line.js';

export const HTTP_FORMATS = ['ndjson', 'elastic', 'loki'] as const;
export type HttpFormat = (typeof HTTP_FORMATS)[number];

export interface BatchBody {
  body: string;
  contentType: string;
}

export interface FormatOptions {
  /** elastic: the index or data stream written to */
  index: string;
  /** loki: the `job` label */
  job: string;
  /** loki: the `host` label */
  host: string;
}

export function batchBody(format: HttpFormat, lines: readonly string[], o: FormatOptions): BatchBody {
  switch (format) {
    case 'ndjson':
      return { body: lines.join('\n') + '\n', contentType: 'application/x-ndjson' };
    case 'elastic': {
      const action = JSON.stringify({ create: { _index: o.index } });
      let body = '';
      for (const l of lines) body += `${action}\n${l}\n`;
      return { body, contentType: 'application/x-ndjson' };
    }
    case 'loki':
      return { body: JSON.stringify(lokiPush(lines, o)), contentType: 'application/json' };
  }
}

/** Loki's push request for `lines`; a line without a readable timestamp gets the time it is sent. */
export function lokiPush(lines: readonly string[], o: FormatOptions): { streams: { stream: Record<string, string>; values: [string, string][] }[] } {
  const byType = new Map<string, [string, string][]>();
  const now = `${Date.now()}000000`;
  for (const l of lines) {
    const type = lineEventType(l) ?? 'unknown';
    let values = byType.get(type);
    if (values === undefined) byType.set(type, (values = []));
    values.push([lineNanos(l) ?? now, l]);
  }
  // nanosecond strings of one era have the same length: comparing them as strings is comparing the numbers
  const cmp = (a: [string, string], b: [string, string]): number => (a[0].length - b[0].length) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  return { streams: [...byType].map(([type, values]) => ({ stream: { job: o.job, host: o.host, event_type: type }, values: values.sort(cmp) })) };
}

/** Lines of an Elasticsearch bulk response that were refused (`errors: true`, an item with `error`), and the first reason. */
export function elasticRefused(responseText: string): { refused: number; reason: string | null } {
  let r: { errors?: boolean; items?: Record<string, { status?: number; error?: { type?: string; reason?: string } }>[] };
  try {
    r = JSON.parse(responseText) as typeof r;
  } catch {
    return { refused: 0, reason: null };
  }
  if (r.errors !== true || !Array.isArray(r.items)) return { refused: 0, reason: null };
  let refused = 0;
  let reason: string | null = null;
  for (const item of r.items) {
    const res = Object.values(item)[0];
    if (res?.error === undefined) continue;
    refused++;
    reason ??= `${res.error.type ?? 'error'}: ${res.error.reason ?? ''}`.slice(0, 200);
  }
  return { refused, reason };
}
