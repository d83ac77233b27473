/**
 * Domain names from threat-intelligence lists. A listed name covers itself and every name below it: a list
 * entry "bad.example" matches "bad.example", "www.bad.example" and "x.y.bad.example", never "notbad.example".
 * Names are compared in lower case without a trailing dot.
 *
 * Values are non-negative entry ids kept by the caller; -1 means "none". Inserting a name already present
 * keeps the first value and returns it, so the caller can chain duplicates.
 */

/** Longest name a DNS message can carry (RFC 1035: 255 octets on the wire, 253 characters in text). */
const MAX_NAME = 253;

/** `name` in the form the set compares: lower case, no trailing dot; '' when it cannot be a DNS name. */
export function normalizeDomain(name: string): string {
  let s = name.trim();
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0 || s.length > MAX_NAME) return '';
  s = s.toLowerCase();
  // letters, digits, '-', '_' (SRV-style labels, and lists do contain them), '.' between non-empty labels
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(s)) return '';
  return s;
}

export class DomainSet {
  private readonly names = new Map<string, number>();

  get size(): number {
    return this.names.size;
  }

  /** Store an already-normalized name; returns the value already stored for it, or -1 when this one was stored. */
  insert(name: string, value: number): number {
    const old = this.names.get(name);
    if (old !== undefined) return old;
    this.names.set(name, value);
    return -1;
  }

  /**
   * The value of the most specific listed name that `name` equals or lies below, or -1. `name` may be in any
   * case and carry a trailing dot; anything that is not a DNS name matches nothing.
   */
  lookup(name: string): number {
    if (this.names.size === 0 || name.length === 0 || name.length > MAX_NAME + 1) return -1;
    let s = name.charCodeAt(name.length - 1) === 46 ? name.slice(0, -1) : name;
    // lower-casing allocates; most names on the wire are already lower case
    if (/[A-Z]/.test(s)) s = s.toLowerCase();
    for (let from = 0; ; ) {
      const v = this.names.get(from === 0 ? s : s.slice(from));
      if (v !== undefined) return v;
      const dot = s.indexOf('.', from);
      if (dot < 0) return -1;
      from = dot + 1;
    }
  }
}
