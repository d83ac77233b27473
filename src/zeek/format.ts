/**
 * Zeek's ASCII log format, byte for byte as its writer produces it with the default settings:
 *
 * - header: `#separator \x09`, `#set_separator	,`, `#empty_field	(empty)`, `#unset_field	-`, `#path	<path>`,
 *   `#open	<time>`, `#fields	…`, `#types	…`; at the end `#close	<time>`. The open/close times are the wall clock
 *   at that moment in the local time zone, as %Y-%m-%d-%H-%M-%S (Ascii::Timestamp).
 * - values: unset `-`; empty string, set or vector `(empty)`; bool T/F; time and interval as seconds with 6
 *   decimals; count and port as integers; a set or vector joined by `,`.
 * - strings (formatters/Ascii.cc, Desc.cc, util.cc escape_utf8): a value that is exactly `-` or `(empty)` has
 *   its first byte escaped (`\x2d`, `\x28empty)`); a backslash becomes `\\`; the separator (tab) and, inside
 *   a set or vector, the set separator become `\x09` / `\x2c`; control characters become `\xHH`; valid UTF-8
 *   stays as it is, except that a run holding a byte sequence Zeek refuses (invalid UTF-8, C1 controls,
 *   private use, U+FFF0–U+FFFF) is escaped byte by byte, the whole run.
 *
 * JSON (formatters/JSON.cc): one object per row, the keys in column order, unset columns left out; time and
 * interval as numbers (seconds, shortest form, `.0` on whole numbers as rapidjson writes doubles), sets and
 * vectors as arrays; strings through escape_utf8 without escaping \b \f \n \r \t (JSON escapes them).
 */
import type { ZeekField, ZeekValue } from './types.js';

const SEPARATOR = '\t';
const SET_SEPARATOR = ',';
const EMPTY = '(empty)';
const UNSET = '-';

const hex2 = (b: number): string => '\\x' + b.toString(16).padStart(2, '0');

/** Zeek's check_ok_utf8: code points it will not print even when the bytes are valid UTF-8. */
function refused(cp: number): boolean {
  return cp <= 0x1f || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xe000 && cp <= 0xf8ff) || (cp >= 0xfff0 && cp <= 0xffff);
}

/**
 * util.cc escape_utf8 over a JS string (taken as its UTF-8 bytes; a lone surrogate is U+FFFD, which Zeek
 * refuses). `keepWhitespaceControls` leaves \b \f \n \r \t alone (the JSON writer's ESCAPE_UNPRINTABLE_CONTROLS).
 */
export function escapeUtf8(s: string, keepWhitespaceControls: boolean): string {
  // fast path: printable ASCII only
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c >= 127) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let utf = '';
  let escaped = '';
  let bad = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const ws = cp === 8 || cp === 12 || cp === 10 || cp === 13 || cp === 9;
    if ((cp >= 32 && cp < 127) || (keepWhitespaceControls && ws)) {
      utf += ch;
      escaped += ch;
      continue;
    }
    const bytes = Buffer.from(ch, 'utf8');
    let esc = '';
    for (const b of bytes) esc += hex2(b);
    escaped += esc;
    // a lone surrogate encodes as U+FFFD (refused); a control is refused too
    const actual = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    if (refused(actual)) bad = true;
    else if (!bad) utf += ch;
  }
  return bad ? escaped : utf;
}

/** A string value in TSV: reserved words, backslashes, separators, then escape_utf8 on the runs between. */
export function tsvString(s: string, inContainer: boolean): string {
  if (s === '') return EMPTY;
  let prefix = '';
  let rest = s;
  if (s === UNSET || s === EMPTY) {
    prefix = hex2(s.charCodeAt(0));
    rest = s.slice(1);
  }
  let out = prefix;
  let run = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\' || c === SEPARATOR || (inContainer && c === SET_SEPARATOR)) {
      out += escapeUtf8(run, false);
      run = '';
      out += c === '\\' ? '\\\\' : hex2(c.charCodeAt(0));
    } else run += c;
  }
  return out + escapeUtf8(run, false);
}

/** Integer microseconds as Zeek prints a time or interval: seconds with exactly 6 decimals. */
export function seconds6(us: number): string {
  const neg = us < 0;
  const a = Math.abs(Math.round(us));
  const s = `${Math.floor(a / 1_000_000)}.${String(a % 1_000_000).padStart(6, '0')}`;
  return neg ? `-${s}` : s;
}

function tsvScalar(type: string, v: string | number | boolean): string {
  switch (type) {
    case 'time':
    case 'interval':
      return seconds6(v as number);
    case 'bool':
      return v ? 'T' : 'F';
    case 'count':
    case 'port':
      return String(v);
    default:
      return tsvString(String(v), false);
  }
}

/** One TSV row (without the newline). */
export function tsvRow(fields: readonly ZeekField[], values: readonly ZeekValue[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += SEPARATOR;
    const f = fields[i]!;
    const v = values[i];
    if (v === null || v === undefined) {
      line += UNSET;
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) {
        line += EMPTY;
        continue;
      }
      const inner = f.type.slice(f.type.indexOf('[') + 1, -1);
      line += (v as (string | number)[]).map((x) => (inner === 'string' ? tsvString(String(x), true) : tsvScalar(inner, x))).join(SET_SEPARATOR);
      continue;
    }
    line += tsvScalar(f.type, v as string | number | boolean);
  }
  // a row that would start with the meta prefix has its first byte escaped (never for a time column first)
  return line.startsWith('#') ? `\\x23${line.slice(1)}` : line;
}

/** Zeek's header time (#open, #close): the wall clock in the local time zone, %Y-%m-%d-%H-%M-%S. */
export function headerTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/** The header lines of a TSV log, each ending in a newline. */
export function tsvHeader(path: string, fields: readonly ZeekField[], openMs: number): string {
  return (
    `#separator \\x09\n#set_separator${SEPARATOR}${SET_SEPARATOR}\n#empty_field${SEPARATOR}${EMPTY}\n#unset_field${SEPARATOR}${UNSET}\n` +
    `#path${SEPARATOR}${path}\n#open${SEPARATOR}${headerTime(openMs)}\n` +
    `#fields${SEPARATOR}${fields.map((f) => f.name).join(SEPARATOR)}\n#types${SEPARATOR}${fields.map((f) => f.type).join(SEPARATOR)}\n`
  );
}

export function tsvClose(closeMs: number): string {
  return `#close${SEPARATOR}${headerTime(closeMs)}\n`;
}

/** A double as rapidjson writes it: the shortest form that reads back, `.0` on whole numbers. */
function jsonDouble(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  const s = String(x);
  return /[.e]/.test(s) ? s.replace('e+', 'e') : `${s}.0`;
}

function jsonScalar(type: string, v: string | number | boolean): string {
  switch (type) {
    case 'time':
    case 'interval':
      return jsonDouble((v as number) / 1e6);
    case 'bool':
      return v ? 'true' : 'false';
    case 'count':
    case 'port':
      return String(v);
    default:
      return JSON.stringify(escapeUtf8(String(v), true));
  }
}

/** One JSON row (without the newline). */
export function jsonRow(fields: readonly ZeekField[], values: readonly ZeekValue[]): string {
  const parts: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = values[i];
    if (v === null || v === undefined) continue;
    let text: string;
    if (Array.isArray(v)) {
      const inner = f.type.slice(f.type.indexOf('[') + 1, -1);
      text = `[${(v as (string | number)[]).map((x) => jsonScalar(inner, x)).join(',')}]`;
    } else text = jsonScalar(f.type, v as string | number | boolean);
    parts.push(`${JSON.stringify(f.name)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
