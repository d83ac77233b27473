/**
 * A reader of Zeek logs that follows Zeek's own format rules, written from Zeek's ASCII reader and writer
 * (src/threading/formatters/Ascii.cc ParseValue, util.cc get_unescaped_string) and independent of our writer:
 *
 * - TSV: the header is `#separator <escaped>` (a space, then e.g. `\x09`), then `#set_separator`,
 *   `#empty_field`, `#unset_field`, `#path`, `#open`, `#fields`, `#types`, each split by the separator;
 *   rows until `#close`, which must come last. A row has exactly one value per field.
 * - a value equal to the unset marker is unset (null); equal to the empty marker, an empty string, set or
 *   vector; `\xHH` and `\\` are unescaped in strings (and in each element of a set or vector, which is split at
 *   the set separator first).
 * - types: time/interval `<digits>.<6 digits>` → integer microseconds; count/port digits only; addr an IPv4 or
 *   IPv6 address; bool `T`/`F`; enum/string as text; set[T]/vector[T] → arrays of T.
 * - JSON: one object per line; every key a field of the log (in the log's field order), unset fields left out;
 *   time/interval numbers of seconds, count/port integers, bool true/false, sets and vectors arrays.
 *
 * Anything else throws with the line number, so a test that reads a log also checks its format.
 */
import { isIP } from 'node:net';

export type ZeekCell = string | number | boolean | (string | number | boolean)[] | null;

export interface ZeekLogFile {
  path: string;
  fields: string[];
  types: string[];
  open: string | null;
  close: string | null;
  rows: Record<string, ZeekCell>[];
}

const TIME_RE = /^-?\d+\.\d{6}$/;

/** \xHH is a byte, \\ a backslash, everything else stands for itself; the bytes read as UTF-8. */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (s[i] === '\\' && s[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      const cp = s.codePointAt(i)!;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function scalar(type: string, raw: string, where: string): string | number | boolean {
  switch (type) {
    case 'time':
    case 'interval': {
      if (!TIME_RE.test(raw)) throw new Error(`${where}: ${type} '${raw}' is not seconds with 6 decimals`);
      const neg = raw.startsWith('-');
      const [s, f] = raw.replace('-', '').split('.') as [string, string];
      const us = Number(s) * 1_000_000 + Number(f);
      return neg ? -us : us;
    }
    case 'count':
    case 'port':
      if (!/^\d+$/.test(raw)) throw new Error(`${where}: ${type} '${raw}' is not a whole number`);
      if (type === 'port' && Number(raw) > 65535) throw new Error(`${where}: port ${raw} out of range`);
      return Number(raw);
    case 'addr':
      if (isIP(raw) === 0) throw new Error(`${where}: '${raw}' is not an address`);
      return raw;
    case 'bool':
      if (raw !== 'T' && raw !== 'F') throw new Error(`${where}: bool '${raw}' is not T or F`);
      return raw === 'T';
    case 'string':
    case 'enum':
      return unescape(raw);
    default:
      throw new Error(`${where}: type ${type} unknown to this reader`);
  }
}

function container(type: string): string | null {
  const m = /^(?:set|vector)\[(\w+)\]$/.exec(type);
  return m ? m[1]! : null;
}

/** Read a TSV Zeek log; throws on anything outside Zeek's format. */
export function readZeekTsv(text: string): ZeekLogFile {
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the log does not end with a newline');
  lines.pop();
  const m = /^#separator (.+)$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`line 1: '${lines[0]}' is not #separator`);
  const sep = unescape(m[1]!);
  const meta = new Map<string, string>();
  let i = 1;
  for (; i < lines.length && lines[i]!.startsWith('#'); i++) {
    const [k, ...v] = lines[i]!.slice(1).split(sep);
    meta.set(k!, v.join(sep));
  }
  for (const k of ['set_separator', 'empty_field', 'unset_field', 'path', 'open', 'fields', 'types']) if (!meta.has(k)) throw new Error(`header line #${k} missing`);
  const order = lines.slice(1, i).map((l) => l.slice(1).split(sep)[0]);
  if (order.join(' ') !== 'set_separator empty_field unset_field path open fields types') throw new Error(`header lines out of Zeek's order: ${order.join(' ')}`);
  const setSep = unescape(meta.get('set_separator')!);
  const empty = meta.get('empty_field')!;
  const unset = meta.get('unset_field')!;
  const fields = meta.get('fields')!.split(sep);
  const types = meta.get('types')!.split(sep);
  if (fields.length !== types.length) throw new Error(`${fields.length} fields but ${types.length} types`);
  const rows: Record<string, ZeekCell>[] = [];
  let close: string | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) {
      const [k, v] = line.slice(1).split(sep);
      if (k !== 'close' || i !== lines.length - 1) throw new Error(`line ${i + 1}: '${line}' (only #close may follow the rows, as the last line)`);
      close = v ?? '';
      continue;
    }
    const cells = line.split(sep);
    if (cells.length !== fields.length) throw new Error(`line ${i + 1}: ${cells.length} values for ${fields.length} fields`);
    const row: Record<string, ZeekCell> = {};
    cells.forEach((raw, j) => {
      const where = `line ${i + 1} ${fields[j]}`;
      const type = types[j]!;
      const inner = container(type);
      if (raw === unset) row[fields[j]!] = null;
      else if (raw === empty) row[fields[j]!] = inner !== null ? [] : type === 'string' ? '' : (() => { throw new Error(`${where}: ${empty} for type ${type}`); })();
      else if (inner !== null) row[fields[j]!] = raw.split(setSep).map((e) => (e === empty ? '' : scalar(inner, e, where)));
      else row[fields[j]!] = scalar(type, raw, where);
    });
    rows.push(row);
  }
  return { path: meta.get('path')!, fields, types, open: meta.get('open')!, close, rows };
}

function jsonValue(type: string, v: unknown, where: string): string | number | boolean {
  switch (type) {
    case 'time':
    case 'interval':
      if (typeof v !== 'number') throw new Error(`${where}: ${type} ${JSON.stringify(v)} is not a number`);
      return Math.round(v * 1e6);
    case 'count':
    case 'port':
      if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`${where}: ${JSON.stringify(v)} is not a count`);
      return v as number;
    case 'bool':
      if (typeof v !== 'boolean') throw new Error(`${where}: ${JSON.stringify(v)} is not a bool`);
      return v;
    case 'addr':
      if (typeof v !== 'string' || isIP(v) === 0) throw new Error(`${where}: ${JSON.stringify(v)} is not an address`);
      return v;
    case 'string':
    case 'enum':
      if (typeof v !== 'string') throw new Error(`${where}: ${JSON.stringify(v)} is not a string`);
      return v;
    default:
      throw new Error(`${where}: type ${type} unknown to this reader`);
  }
}

/** Read a JSON-lines Zeek log, given the log's fields and types (JSON logs carry no header). */
export function readZeekJson(text: string, fields: readonly string[], types: readonly string[]): Record<string, ZeekCell>[] {
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the log does not end with a newline');
  lines.pop();
  return lines.map((line, n) => {
    if (line.startsWith('#')) throw new Error(`line ${n + 1}: a JSON log has no header lines`);
    const obj = JSON.parse(line) as Record<string, unknown>;
    const keys = Object.keys(obj);
    const idx = keys.map((k) => fields.indexOf(k));
    if (idx.some((x) => x < 0)) throw new Error(`line ${n + 1}: key ${keys[idx.indexOf(-1)]} is no field of the log`);
    if (idx.some((x, j) => j > 0 && x <= idx[j - 1]!)) throw new Error(`line ${n + 1}: keys out of the log's field order`);
    const row: Record<string, ZeekCell> = {};
    fields.forEach((f, j) => {
      const type = types[j]!;
      const where = `line ${n + 1} ${f}`;
      if (!(f in obj)) return void (row[f] = null);
      const v = obj[f];
      if (v === null) throw new Error(`${where}: null (Zeek leaves unset fields out)`);
      const inner = container(type);
      if (inner !== null) {
        if (!Array.isArray(v)) throw new Error(`${where}: ${type} is not an array`);
        row[f] = v.map((e) => jsonValue(inner, e, where));
      } else row[f] = jsonValue(type, v, where);
    });
    return row;
  });
}

/** The same connection in two conn.log rows, either way round; ICMP by its addresses (Zeek's ports there are types, ours type and code). */
export function sameConn(a: Record<string, ZeekCell>, b: Record<string, ZeekCell>): boolean {
  if (a.proto !== b.proto) return false;
  const [ao, ar, bo, br] = [a['id.orig_h'], a['id.resp_h'], b['id.orig_h'], b['id.resp_h']];
  if (a.proto === 'icmp') return (ao === bo && ar === br) || (ao === br && ar === bo);
  const [aop, arp, bop, brp] = [a['id.orig_p'], a['id.resp_p'], b['id.orig_p'], b['id.resp_p']];
  return (ao === bo && aop === bop && ar === br && arp === brp) || (ao === br && aop === brp && ar === bo && arp === bop);
}
