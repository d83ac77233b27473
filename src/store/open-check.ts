/**
 * What the store checks when it opens a file, so that `run` never works on a file it should not:
 * - the file can be created or opened: otherwise an error naming the path and the cause (a directory that
 *   is not writable, a read-only file system, a missing parent), not SQLite's bare "unable to open database file";
 * - the file is ours: `PRAGMA application_id` is Argus Edge's, or (a store from a release before the id) it has
 *   our tables at a schema version we know. An unrelated SQLite file is refused, never migrated in place;
 * - the file is sound: `PRAGMA quick_check` passes; a damaged file is refused with what to do.
 * New files are created 0600 (SQLite gives its -wal and -shm files the same mode), their directory 0750.
 */
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';

/** 'ArgE' */
export const APPLICATION_ID = 0x41726745;

/** tables every Argus Edge store has had since schema version 1 */
const OUR_TABLES = ['devices', 'device_addresses', 'flows', 'alerts', 'anomaly_events'];

/** A store the appliance refuses to use; the message says what to do. */
export class StoreRefused extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreRefused';
  }
}

const WHAT_TO_DO = (path: string) =>
  `Run 'argus-edge status' for details; restore the file from a backup, or move it aside ` +
  `(mv '${path}' '${path}.bad') and start again with an empty store.`;

function errno(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}` : String((err as Error).message ?? err);
}

/** Why `path` cannot be created or opened for writing, in words; null when nothing obvious is wrong. */
export function openProblem(path: string): string | null {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) return `its directory ${dir} does not exist and cannot be created`;
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  } catch (err) {
    return `cannot look at ${dir} (${errno(err)})`;
  }
  if (existsSync(path)) {
    try {
      if (!statSync(path).isFile()) return `it is not a regular file`;
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (err) {
      return `the file is not readable and writable by this user (${errno(err)})`;
    }
  }
  try {
    // WAL mode needs to create the -wal and -shm files beside the store
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `the directory ${dir} is not writable by this user (${code === 'EROFS' ? 'EROFS: read-only file system' : errno(err)})`;
  }
  return null;
}

/** Creates the directory (0750) and an empty store file (0600) when missing; errors name the path and cause. */
export function prepareStoreFile(path: string): void {
  const dir = dirname(resolve(path));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (err) {
    // a recursive mkdir reports ENOENT on a read-only file system: the nearest existing parent has the cause
    let parent = dirname(dir);
    while (!existsSync(parent) && parent !== dirname(parent)) parent = dirname(parent);
    let cause = errno(err);
    try {
      accessSync(parent, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      cause = `${parent} is not writable (${code === 'EROFS' ? 'EROFS: read-only file system' : errno(e)})`;
    }
    throw new StoreRefused(path, `cannot create the store directory ${dir} for ${path}: ${cause}. Check store.path and the permissions of its parent.`);
  }
  if (!existsSync(path)) {
    try {
      // an empty file is an empty SQLite database; creating it here fixes its mode before SQLite writes a byte
      closeSync(openSync(path, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreRefused(path, `cannot create the store ${path}: ${errno(err)}. Check store.path and that the service user may write to ${dir}.`);
      }
    }
  }
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const mode = statSync(p).mode & 0o777;
      // the store holds the network's history and the dashboard's password hashes: nobody else reads it
      if ((mode & 0o007) !== 0) chmodSync(p, mode & 0o770);
    } catch {
      // absent (-wal, -shm) or not ours to change: SQLite's own open reports what matters
    }
  }
}

/** The error for a failed open of `path`: the path, SQLite's words and, when it can be found, the cause. */
export function openError(path: string, err: unknown): StoreRefused {
  if (err instanceof StoreRefused) return err;
  const msg = (err as Error).message ?? String(err);
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || /file is not a database|malformed|corrupt/i.test(msg)) {
    return new StoreRefused(path, `the store ${path} is not a usable SQLite database (${msg}). ${WHAT_TO_DO(path)}`);
  }
  const why = openProblem(path);
  return new StoreRefused(path, `cannot open the store ${path}: ${msg}${why !== null ? `: ${why}` : ''}. Check store.path and the permissions of the file and its directory.`);
}

/**
 * Refuses a file that is not an Argus Edge store or fails a quick integrity check. Runs before any migration;
 * `stampOurs` marks the file afterwards (a new file, and a store from a release before the id).
 */
export function checkOurs(db: Database.Database, path: string, knownVersion: number): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
  if (appId !== APPLICATION_ID) {
    const empty = tables.length === 0 && version === 0;
    const legacy = appId === 0 && version >= 1 && version <= knownVersion && OUR_TABLES.every((t) => tables.includes(t));
    if (!empty && !legacy) {
      const what =
        appId !== 0
          ? `application id 0x${appId.toString(16)}`
          : `schema version ${version}, tables ${tables.slice(0, 6).join(', ')}${tables.length > 6 ? ', …' : ''}`;
      throw new StoreRefused(
        path,
        `${path} is not an Argus Edge store (${what}); it is left untouched. Point store.path at the appliance's own file, or move this one aside.`,
      );
    }
  }
  if (tables.length > 0) {
    const rows = (db.pragma('quick_check(10)') as { quick_check: string }[]).map((r) => r.quick_check);
    if (rows.length !== 1 || rows[0] !== 'ok') {
      const said = rows.slice(0, 3).map((r) => r.replace(/\s+/g, ' ').trim()).join('; ');
      throw new StoreRefused(path, `the store ${path} is damaged (integrity check: ${said}). ${WHAT_TO_DO(path)}`);
    }
  }
}

/** Stamps our application id (after the migrations: on a new file, auto_vacuum must be chosen before any write). */
export function stampOurs(db: Database.Database): void {
  if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
}
