/**
 * Changing the configuration from the dashboard: the keys a home admin changes, parsed and checked by the same
 * schema as config.yaml, written back into the file the appliance started from, and applied to the running
 * appliance where the stage that uses a key reads it at decision time.
 *
 * The file keeps its comments and layout: the YAML document is edited in place (only the changed keys), the
 * whole new file is loaded again exactly as a start would load it (so cross-key rules apply too), and only
 * then does it replace the old one: written next to it, flushed, renamed over it with the old file's mode.
 * A crash leaves either the old file or the new one, never half of one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { configKeys, ConfigError, loadConfig, type Config } from '../config.js';
import { Invalid, type Field } from './fields.js';
import { MODES } from './schema.js';

export type EditInput =
  | { kind: 'bool' }
  | { kind: 'choice'; values: readonly string[] }
  | { kind: 'number' }
  | { kind: 'text' }
  /** comma-separated in the form */
  | { kind: 'list' };

export interface EditableKey {
  path: string;
  label: string;
  input: EditInput;
  /** true: the running appliance uses the new value at once; false: from the next start */
  live: boolean;
}

/**
 * The keys Settings can change. `live` is true only where the stage reads the value from the shared
 * configuration each time it decides (the response policy); everything built at start needs a restart.
 */
export const EDITABLE_KEYS: readonly EditableKey[] = [
  { path: 'mode', label: 'Mode', input: { kind: 'choice', values: MODES }, live: false },
  { path: 'homeNets', label: 'Home networks (CIDR, comma-separated)', input: { kind: 'list' }, live: false },
  { path: 'response.autoQuarantine', label: 'Quarantine critical devices automatically', input: { kind: 'bool' }, live: true },
  { path: 'response.requireApproval', label: 'Automatic actions wait for approval', input: { kind: 'bool' }, live: true },
  { path: 'response.newDevice', label: 'A device seen for the first time', input: { kind: 'choice', values: ['allow', 'alert', 'quarantine'] }, live: true },
  { path: 'response.rateLimitOnAlert', label: 'Rate-limit devices at trust level alert', input: { kind: 'bool' }, live: true },
  { path: 'response.blockBadReputation', label: 'Block hosts on a blocklist', input: { kind: 'bool' }, live: true },
  { path: 'response.quarantineSeconds', label: 'Quarantine length (seconds)', input: { kind: 'number' }, live: true },
  { path: 'trust.weights.behavioral', label: 'Trust weight: behaviour', input: { kind: 'number' }, live: false },
  { path: 'trust.weights.vulnerability', label: 'Trust weight: vulnerabilities', input: { kind: 'number' }, live: false },
  { path: 'trust.weights.reputation', label: 'Trust weight: reputation', input: { kind: 'number' }, live: false },
  { path: 'scan.enabled', label: 'Scan devices with nmap', input: { kind: 'bool' }, live: false },
  { path: 'notify.quietHours', label: 'Quiet hours (HH:MM-HH:MM, empty for none)', input: { kind: 'text' }, live: false },
  { path: 'notify.dailySummaryHour', label: 'Daily summary at (hour 0–23, −1 for none)', input: { kind: 'number' }, live: false },
];

/** Where the running configuration came from: the file, and the keys an environment variable or flag set. */
export interface ConfigOrigin {
  file: string | null;
  /** key path → 'ARGUS_EDGE_…' or 'a command-line flag': a value in the file would not win over it */
  overridden: Map<string, string>;
}

const origins = new WeakMap<Config, ConfigOrigin>();

/** Records where `cfg` came from (the CLI does, after loading it). */
export function setConfigOrigin(cfg: Config, origin: ConfigOrigin): void {
  origins.set(cfg, origin);
}

export function configOrigin(cfg: Config): ConfigOrigin {
  return origins.get(cfg) ?? { file: null, overridden: new Map() };
}

export function getPath(o: unknown, path: string): unknown {
  let v = o;
  for (const p of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let t = o;
  for (const p of parts.slice(0, -1)) t = t[p] as Record<string, unknown>;
  t[parts[parts.length - 1]!] = value;
}

const fields = new Map(configKeys().map((k) => [k.path, k.field]));

export interface Change {
  path: string;
  from: unknown;
  to: unknown;
}

/**
 * The changes a submitted form asks for: each editable key's text parsed by its schema field and compared
 * with the running value (unchanged keys are left out). Problems name the key's label.
 */
export function parseChanges(cfg: Config, form: Record<string, string>): { changes: Change[]; problems: string[] } {
  const changes: Change[] = [];
  const problems: string[] = [];
  for (const k of EDITABLE_KEYS) {
    const text = form[k.path];
    if (text === undefined) continue;
    const field = fields.get(k.path) as Field<unknown>;
    const v = field.fromString(text.trim());
    if (v instanceof Invalid) {
      problems.push(`${k.label}: expected ${v.expected}, got '${text.trim()}'`);
      continue;
    }
    const from = getPath(cfg, k.path);
    if (JSON.stringify(from) !== JSON.stringify(v)) changes.push({ path: k.path, from, to: v });
  }
  return { changes, problems };
}

/**
 * Writes `changes` into the YAML file `file`, keeping everything else in it, after loading the new file as a
 * start would. Returns the problems instead when the result would not load (the file is then untouched).
 */
export function writeConfigChanges(file: string, changes: readonly Change[]): { ok: true } | { ok: false; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`cannot read ${file}: ${(err as Error).message}`] };
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { ok: false, problems: [`${file} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}): fix it by hand first`] };
  for (const c of changes) doc.setIn(c.path.split('.'), doc.createNode(c.to, { flow: Array.isArray(c.to) }));
  const next = doc.toString();
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', statSync(file).mode & 0o777);
    writeSync(fd, next);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    try {
      loadConfig({ file: tmp });
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, problems: err.problems.map((p) => p.replaceAll(tmp, file)) };
      throw err;
    }
    renameSync(tmp, file);
    return { ok: true };
  } catch (err) {
    return { ok: false, problems: [`cannot write ${file}: ${(err as Error).message}`] };
  } finally {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // renamed over the file, or never created
    }
  }
}

/** Applies the live keys among `changes` to the running configuration; returns the paths that need a restart. */
export function applyLive(cfg: Config, changes: readonly Change[]): string[] {
  const restart: string[] = [];
  for (const c of changes) {
    const k = EDITABLE_KEYS.find((e) => e.path === c.path)!;
    if (k.live) setPath(cfg as unknown as Record<string, unknown>, c.path, c.to);
    else restart.push(c.path);
  }
  return restart;
}
