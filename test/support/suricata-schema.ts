/**
 * Suricata's EVE schema (OISF/suricata etc/schema.json, read from ../shared/reference/, never copied into the
 * repository), made strict: every object the schema describes with properties is closed
 * (`additionalProperties: false`), so a key Suricata does not define fails — the schema leaves some objects
 * open, and "exact" would not bite there. Two places stay open by Suricata's own design, with their values
 * still checked: `alert.metadata` (a rule's metadata keys are the rule writer's; values are arrays of strings)
 * and `alert.context`. Our namespace object `argus` is the only top-level addition allowed, with any content.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SHARED_DIR } from './shared-pcaps.js';

export const SURICATA_SCHEMA_PATH = join(SHARED_DIR, 'reference', 'suricata-eve-schema.json');
export const SURICATA_SCHEMA_SKIP = `Suricata's EVE schema is not present at ${SURICATA_SCHEMA_PATH}`;

type Schema = { [k: string]: unknown };

/** Closes every object schema that has properties, except where Suricata's keys are free by design. */
function close(node: unknown, path: string): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => close(n, `${path}/${i}`));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const s = node as Schema;
  if (s.properties !== undefined && typeof s.properties === 'object') {
    if (path === '/properties/alert/properties/metadata') s.additionalProperties = { type: 'array', minItems: 1, items: { type: 'string' } };
    else if (path !== '/properties/alert/properties/context') s.additionalProperties = false;
  }
  for (const [k, v] of Object.entries(s)) if (k !== 'additionalProperties' || typeof v === 'object') close(v, `${path}/${k}`);
}

/** The strict schema, or null when the reference copy is absent. */
export function strictSuricataSchema(): Schema | null {
  if (!existsSync(SURICATA_SCHEMA_PATH)) return null;
  const schema = JSON.parse(readFileSync(SURICATA_SCHEMA_PATH, 'utf8')) as Schema;
  close(schema, '');
  (schema.properties as Schema).argus = { type: 'object' };
  return schema;
}

export interface EveValidation {
  lines: number;
  byType: Record<string, number>;
  /** errors counted by `event_type path message` with numbers in paths as `*` */
  errors: Map<string, { count: number; example: string }>;
  errorCount: number;
}

/** A validator for EVE lines against the strict schema; null when the schema is absent. */
export function eveValidator(): ((lines: string[]) => EveValidation) | null {
  const schema = strictSuricataSchema();
  if (schema === null) return null;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate: ValidateFunction = ajv.compile(schema);
  return (lines) => {
    const out: EveValidation = { lines: 0, byType: {}, errors: new Map(), errorCount: 0 };
    for (const line of lines) {
      if (line === '') continue;
      out.lines++;
      const ev = JSON.parse(line) as { event_type?: string };
      const type = ev.event_type ?? '?';
      out.byType[type] = (out.byType[type] ?? 0) + 1;
      if (validate(ev)) continue;
      for (const e of validate.errors as ErrorObject[]) {
        const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
        const key = `${type} ${e.instancePath.replace(/\/\d+/g, '/*') || '/'} ${e.message ?? e.keyword}${extra}`;
        const seen = out.errors.get(key);
        if (seen) seen.count++;
        else out.errors.set(key, { count: 1, example: line.length > 600 ? `${line.slice(0, 600)}…` : line });
        out.errorCount++;
      }
    }
    return out;
  };
}
