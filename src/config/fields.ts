/**
 * The building blocks of the configuration schema: a field knows its default, its one-line documentation and
 * how to check a value from YAML, from an environment variable (always a string) or from a CLI flag.
 * A check returns the parsed value or an `Invalid` that says what was expected.
 */

export class Invalid {
  constructor(readonly expected: string) {}
}

export interface Field<T> {
  readonly field: true;
  readonly default: T;
  readonly doc: string;
  /** value from YAML (any JSON type) */
  check(v: unknown): T | Invalid;
  /** value from an environment variable or a command-line flag */
  fromString(s: string): T | Invalid;
}

function field<T>(
  def: T,
  doc: string,
  check: (v: unknown) => T | Invalid,
  fromString: (s: string) => T | Invalid,
): Field<T> {
  return { field: true, default: def, doc, check, fromString };
}

export function num(def: number, doc: string, opts: { min?: number; max?: number; int?: boolean } = {}): Field<number> {
  const what =
    `${opts.int ? 'an integer' : 'a number'}` +
    (opts.min !== undefined && opts.max !== undefined
      ? ` from ${opts.min} to ${opts.max}`
      : opts.min !== undefined
        ? ` ≥ ${opts.min}`
        : opts.max !== undefined
          ? ` ≤ ${opts.max}`
          : '');
  const check = (v: unknown): number | Invalid => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return new Invalid(what);
    if (opts.int && !Number.isInteger(v)) return new Invalid(what);
    if (opts.min !== undefined && v < opts.min) return new Invalid(what);
    if (opts.max !== undefined && v > opts.max) return new Invalid(what);
    return v;
  };
  return field(def, doc, check, (s) => (s.trim() === '' ? new Invalid(what) : check(Number(s))));
}

export function bool(def: boolean, doc: string): Field<boolean> {
  return field(
    def,
    doc,
    (v) => (typeof v === 'boolean' ? v : new Invalid('true or false')),
    (s) => {
      const l = s.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(l)) return true;
      if (['false', '0', 'no', 'off'].includes(l)) return false;
      return new Invalid('true or false');
    },
  );
}

export function str(def: string, doc: string, validate?: (s: string) => string | null): Field<string> {
  const check = (v: unknown): string | Invalid => {
    if (typeof v !== 'string') return new Invalid('a string');
    const bad = validate?.(v);
    return bad ? new Invalid(bad) : v;
  };
  return field(def, doc, (v) => (v === null ? check('') : check(v)), check);
}

export function oneOf<const T extends string>(values: readonly T[], def: T, doc: string): Field<T> {
  const what = `one of ${values.join(', ')}`;
  const check = (v: unknown): T | Invalid =>
    typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : new Invalid(what);
  return field(def, doc, check, check);
}

/** a list; from an environment variable or flag it is comma-separated */
export function list<T>(item: Field<T>, def: NoInfer<T>[], doc: string): Field<T[]> {
  const checkAll = (vs: unknown[], conv: (x: unknown) => T | Invalid): T[] | Invalid => {
    const out: T[] = [];
    for (const [i, x] of vs.entries()) {
      const r = conv(x);
      if (r instanceof Invalid) return new Invalid(`a list whose items are ${r.expected} (item ${i + 1} is not)`);
      out.push(r);
    }
    return out;
  };
  return field(
    def,
    doc,
    (v) => (v === null ? [] : Array.isArray(v) ? checkAll(v, item.check) : new Invalid('a list')),
    (s) =>
      checkAll(
        s.split(',').map((x) => x.trim()).filter((x) => x !== ''),
        (x) => item.fromString(x as string),
      ),
  );
}

/**
 * a list of objects, each checked by `item` (which returns the typed object or an Invalid saying what is wrong);
 * from an environment variable or flag it is a JSON array
 */
export function objects<T>(item: (v: Record<string, unknown>) => T | Invalid, def: T[], doc: string): Field<T[]> {
  const check = (v: unknown): T[] | Invalid => {
    if (v === null) return [];
    if (!Array.isArray(v)) return new Invalid('a list of objects');
    const out: T[] = [];
    for (const [i, x] of v.entries()) {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return new Invalid(`a list of objects (item ${i + 1} is not an object)`);
      const r = item(x as Record<string, unknown>);
      if (r instanceof Invalid) return new Invalid(`item ${i + 1}: ${r.expected}`);
      out.push(r);
    }
    return out;
  };
  return field(def, doc, check, (s) => {
    try {
      return check(JSON.parse(s));
    } catch {
      return new Invalid('a JSON array of objects');
    }
  });
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** a syntactically valid IPv4 or IPv6 address */
export function isIp(s: string): boolean {
  if (V4.test(s)) return true;
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  try {
    // URL parsing validates IPv6 literals strictly (no zone ids, one '::' at most).
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** an IPv4/IPv6 address or CIDR prefix */
export function cidr(doc = 'address or prefix'): Field<string> {
  return str('', doc, (s) => {
    const [addr, len, extra] = s.split('/');
    if (extra !== undefined || addr === undefined || !isIp(addr)) return 'an IPv4/IPv6 address or CIDR prefix';
    if (len === undefined) return null;
    const max = addr.includes(':') ? 128 : 32;
    return /^\d{1,3}$/.test(len) && Number(len) <= max ? null : `a prefix length from 0 to ${max}`;
  });
}
