/**
 * What a forwarder needs to know about an EVE line without parsing it: its event type, its timestamp and, on
 * an alert line, Suricata's severity. EVE lines start `{"timestamp":"…",` and carry `"event_type":"…"` among
 * their first keys (eve.ts writes a fixed key order), so a look at the line's head is enough; a line that is
 * not of that shape gets null fields, and the caller its defaults.
 */

const TS = /^\{"timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?)([+-]\d\d)(\d\d)"/;
const TYPE = /"event_type":"([a-z_]{1,32})"/;
const ALERT_SEVERITY = /"alert":\{.*?"severity":([123])[,}]/;

/** The line's timestamp as RFC 3339 (`2026-11-21T04:54:25.123456+00:00`, as RFC 5424 wants it), or null. */
export function lineTimestamp(line: string): string | null {
  const m = TS.exec(line);
  return m === null ? null : `${m[1]}${m[2]}:${m[3]}`;
}

/** The line's time in Unix nanoseconds as a decimal string (Loki's form), or null. */
export function lineNanos(line: string): string | null {
  const ts = lineTimestamp(line);
  if (ts === null) return null;
  const ms = Date.parse(ts);
  if (!Number.isFinite(ms)) return null;
  const frac = /\.(\d{1,6})/.exec(ts)?.[1] ?? '';
  const seconds = Math.floor(ms / 1000);
  return `${seconds}${frac.padEnd(6, '0')}000`;
}

/** `event_type` of the line (looked for in its first 400 characters), or null. */
export function lineEventType(line: string): string | null {
  return TYPE.exec(line.length > 400 ? line.slice(0, 400) : line)?.[1] ?? null;
}

/** Suricata's alert.severity (1 high … 3 low) of an alert line, or null. */
export function lineAlertSeverity(line: string): number | null {
  const m = ALERT_SEVERITY.exec(line);
  return m === null ? null : Number(m[1]);
}
