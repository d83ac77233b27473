/**
 * config.yaml → a validated, typed Config.
 *
 * Precedence, lowest first: the defaults in src/config/schema.ts, the YAML file, environment variables
 * (`ARGUS_EDGE_` + the key path upper-cased with '.' → '_': web.port → ARGUS_EDGE_WEB_PORT; lists are
 * comma-separated), command-line flags. Every problem is reported with the key and where it came from
 * (file and line, variable name, or flag), all at once, and the process does not start.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { Invalid, type Field } from './config/fields.js';
import { schema, type Config } from './config/schema.js';

export { type Config } from './config/schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** path of a YAML file; omitted → defaults only */
  file?: string;
  /** environment (default: none; pass process.env to honour ARGUS_EDGE_* variables) */
  env?: Record<string, string | undefined>;
  /** key path → value from a command-line flag, e.g. { 'web.port': '9000' } */
  flags?: Record<string, string>;
}

type SchemaNode = Field<unknown> | { [k: string]: SchemaNode };

const isField = (n: SchemaNode): n is Field<unknown> => (n as Field<unknown>).field === true;

/** Every key path in the schema with its field, in schema order. */
export function configKeys(): { path: string; field: Field<unknown> }[] {
  const out: { path: string; field: Field<unknown> }[] = [];
  const walk = (node: SchemaNode, prefix: string): void => {
    for (const [k, child] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (isField(child)) out.push({ path, field: child });
      else walk(child, path);
    }
  };
  walk(schema as unknown as SchemaNode, '');
  return out;
}

/** The environment variable that overrides a key path. */
export function envName(path: string): string {
  return 'ARGUS_EDGE_' + path.toUpperCase().replaceAll('.', '_');
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]!] = value;
}

function closest(name: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
}

/** Apply a YAML file's values onto `out`, collecting problems with file:line. */
function applyYaml(file: string, out: Record<string, unknown>, problems: string[]): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read the configuration file: ${(err as Error).message}`);
    return;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: { range?: [number, number, number] | null } | null | undefined): string =>
    node?.range ? `${file}:${lines.linePos(node.range[0]).line}` : file;
  for (const e of doc.errors) problems.push(`${file}:${lines.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`);
  if (doc.errors.length > 0 || doc.contents === null) return;

  const walk = (map: YamlNode, node: SchemaNode, prefix: string): void => {
    if (!isMap(map)) {
      problems.push(`${at(map)}: ${prefix || 'the file'}: expected a mapping of keys`);
      return;
    }
    for (const pair of map.items as Pair<YamlNode, YamlNode | null>[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const path = prefix ? `${prefix}.${key}` : key;
      const child = (node as Record<string, SchemaNode>)[key];
      if (child === undefined) {
        const hint = closest(key, Object.keys(node));
        problems.push(`${at(pair.key)}: unknown key '${path}'${hint ? ` (did you mean '${prefix ? prefix + '.' : ''}${hint}'?)` : ''}`);
        continue;
      }
      if (!isField(child)) {
        if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue; // empty section
        walk(pair.value, child, path);
        continue;
      }
      const raw = pair.value === null ? null : pair.value.toJSON();
      const r = child.check(raw);
      if (r instanceof Invalid) problems.push(`${at(pair.value ?? pair.key)}: ${path}: expected ${r.expected}, got ${describe(raw)}`);
      else setPath(out, path, r);
    }
  };
  walk(doc.contents as YamlNode, schema as unknown as SchemaNode, '');
}

/** Load and validate; throws ConfigError listing every problem. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const keys = configKeys();
  for (const { path, field } of keys) setPath(out, path, structuredClone(field.default));
  if (sources.file !== undefined) applyYaml(sources.file, out, problems);

  const known = new Map(keys.map((k) => [k.path, k.field]));
  if (sources.env) {
    const byEnv = new Map(keys.map((k) => [envName(k.path), k]));
    for (const [name, value] of Object.entries(sources.env)) {
      if (!name.startsWith('ARGUS_EDGE_') || value === undefined) continue;
      const k = byEnv.get(name);
      if (k === undefined) {
        if (name === 'ARGUS_EDGE_CONFIG') continue; // names the file, handled by the CLI
        const hint = closest(name, [...byEnv.keys()]);
        problems.push(`environment ${name}: unknown key${hint ? ` (did you mean ${hint}?)` : ''}`);
        continue;
      }
      const r = k.field.fromString(value);
      if (r instanceof Invalid) problems.push(`environment ${name} (${k.path}): expected ${r.expected}, got '${value}'`);
      else setPath(out, k.path, r);
    }
  }
  for (const [path, value] of Object.entries(sources.flags ?? {})) {
    const f = known.get(path);
    if (f === undefined) throw new Error(`internal: flag mapped to unknown key '${path}'`);
    const r = f.fromString(value);
    if (r instanceof Invalid) problems.push(`flag for ${path}: expected ${r.expected}, got '${value}'`);
    else setPath(out, path, r);
  }

  const cfg = out as unknown as Config;
  if (cfg.flow.emergencyRecovery >= cfg.flow.emergencyThreshold)
    problems.push(`flow.emergencyRecovery (${cfg.flow.emergencyRecovery}) must be below flow.emergencyThreshold (${cfg.flow.emergencyThreshold})`);
  const w = cfg.trust.weights;
  if (!(w.behavioral + w.vulnerability + w.reputation > 0)) problems.push('trust.weights: at least one of behavioral, vulnerability, reputation must be above 0');
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** The defaults, as a Config. */
export function defaultConfig(): Config {
  return loadConfig({});
}
