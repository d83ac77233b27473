/**
 * Every runtime file the appliance reads that ships with it — static web files, the bundled model, the demo
 * capture, wasm binaries, native addons — is reached through this module, so the single executable can
 * serve them from its embedded assets instead of the file system.
 *
 * Asset names are paths relative to the project root, with forward slashes ("models/default/model.json",
 * "node_modules/htmx.org/dist/htmx.min.js").
 *
 * Two ways of running:
 * - from source or dist/argus-edge.js: assets are files under the project root;
 * - as the single executable (build.mjs --sea): assets are embedded (node:sea). readAsset serves them from
 *   memory. Whatever needs a real path — native addons for process.dlopen, the wasm directory, the demo
 *   capture — is extracted once into a cache directory keyed by version, architecture and content hash
 *   (written to a private temporary directory, then renamed into place, so concurrent starts never see a
 *   half-written one), and used from there on later starts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as sea from 'node:sea';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The asset list build.mjs embeds beside the others (see seaManifest there). */
interface SeaManifest {
  version: string;
  arch: string;
  node: string;
  hash: string;
  /** size and sha256 are of the contents; `gzip`: stored compressed in the executable */
  assets: { name: string; size: number; sha256: string; gzip?: boolean }[];
}

const MANIFEST = 'sea-manifest.json';

let root: string | undefined;
let manifest: SeaManifest | undefined | null = null;
let compressed: Set<string> | undefined;

/** The embedded manifest when running as the single executable, else undefined. */
function seaManifest(): SeaManifest | undefined {
  if (manifest !== null) return manifest;
  manifest = undefined;
  if (sea.isSea()) {
    manifest = JSON.parse(sea.getAsset(MANIFEST, 'utf8')) as SeaManifest;
    compressed = new Set(manifest.assets.filter((a) => a.gzip === true).map((a) => a.name));
  }
  return manifest;
}

/** An embedded asset's contents, inflated when build.mjs stored it compressed. */
function embedded(name: string): Buffer {
  // getAsset copies out of the executable's read-only mapping, so callers may modify the buffer
  const raw = Buffer.from(sea.getAsset(name));
  return compressed?.has(name) ? gunzipSync(raw) : raw;
}

/** True when running as the single executable with embedded assets. */
export function isSingleExecutable(): boolean {
  return seaManifest() !== undefined;
}

/**
 * The project root: the nearest ancestor of this module that holds argus-edge's package.json. In the single
 * executable, the cache directory its assets are extracted to (extracting them on first use).
 */
export function projectRoot(): string {
  if (root !== undefined) return root;
  const m = seaManifest();
  if (m !== undefined) return (root = extractAll(m));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'argus-edge') return (root = dir);
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the argus-edge project root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Absolute file-system path of a bundled asset (or directory of assets, e.g. "models/default/"). */
export function assetPath(name: string): string {
  return join(projectRoot(), ...name.split('/'));
}

/** Contents of a bundled asset; throws with the asset name when it is missing. */
export function readAsset(name: string): Buffer {
  if (isSingleExecutable()) {
    try {
      return embedded(name);
    } catch (err) {
      throw new Error(`bundled file '${name}' is not in this executable: ${(err as Error).message}`);
    }
  }
  const p = assetPath(name);
  try {
    return readFileSync(p);
  } catch (err) {
    throw new Error(`bundled file '${name}' is missing (${p}): ${(err as Error).message}`);
  }
}

const addons = new Map<string, unknown>();

/**
 * Load a native addon shipped with the appliance: `name` is its asset path
 * ("native/build/Release/argus_pcap.node", "node_modules/better-sqlite3/build/Release/better_sqlite3.node").
 */
export function loadAddon<T>(name: string): T {
  const cached = addons.get(name);
  if (cached !== undefined) return cached as T;
  const path = assetPath(name);
  const mod = { exports: {} as T };
  try {
    process.dlopen(mod, path);
  } catch (err) {
    throw new Error(`cannot load the native part '${name}' (${path}): ${(err as Error).message}`);
  }
  addons.set(name, mod.exports);
  return mod.exports;
}

export const SQLITE_ADDON = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

/**
 * better-sqlite3's `nativeBinding` option: in the single executable the embedded addon, already loaded (its
 * own lookup searches node_modules, which is not there, and a path would go through require(), which the
 * executable's main script cannot use for files); otherwise undefined, letting better-sqlite3 find its build.
 * Typed as a string because @types/better-sqlite3 lists only the path form; the library takes the loaded
 * addon object as well.
 */
export function sqliteNativeBinding(): string | undefined {
  return isSingleExecutable() ? (loadAddon<object>(SQLITE_ADDON) as unknown as string) : undefined;
}

/**
 * The training worker script to give trainInWorker (models/train-in-worker.ts, `workerUrl`): in the single
 * executable the embedded worker bundle, extracted beside the other assets; otherwise undefined, and
 * trainInWorker finds train-worker.(ts|js) beside itself (source, or dist/ next to the bundle).
 */
export function trainWorkerUrl(): URL | undefined {
  return isSingleExecutable() ? pathToFileURL(assetPath('dist/train-worker.js')) : undefined;
}

/**
 * Where extracted assets are cached, first match: systemd's CACHE_DIRECTORY (CacheDirectory= in the unit:
 * /var/cache/argus-edge); $XDG_CACHE_HOME/argus-edge; ~/.cache/argus-edge; the temporary directory
 * (argus-edge-UID). (Not an ARGUS_EDGE_* variable: those are configuration keys, and unknown ones are errors.)
 */
function cacheBase(): string {
  const env = process.env;
  if (env.CACHE_DIRECTORY) return env.CACHE_DIRECTORY.split(':')[0]!;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'argus-edge');
  if (env.HOME) return join(env.HOME, '.cache', 'argus-edge');
  return join(tmpdir(), `argus-edge-${process.getuid?.() ?? 0}`);
}

/**
 * A directory that only this user can write: ours, not a symlink, no group/other write bit. Native code is
 * loaded from it, so a directory someone else could have prepared is not trusted.
 */
function privateDir(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The extracted files match the manifest (sizes for all; SHA-256 for addons, which run as native code). */
function intact(dir: string, m: SeaManifest): boolean {
  for (const a of m.assets) {
    const p = join(dir, ...a.name.split('/'));
    try {
      const st = lstatSync(p);
      if (!st.isFile() || st.size !== a.size) return false;
      if (a.name.endsWith('.node') && createHash('sha256').update(readFileSync(p)).digest('hex') !== a.sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Extract every embedded asset once into the versioned cache directory; returns that directory. */
function extractAll(m: SeaManifest): string {
  const base = cacheBase();
  const dir = join(base, `${m.version}-${m.arch}-${m.hash.slice(0, 16)}`);
  if (privateDir(dir) && intact(dir, m)) return dir;
  try {
    mkdirSync(base, { recursive: true, mode: 0o700 });
    const extracted = extractInto(dir, m);
    removeOlderBuilds(base, dir);
    return extracted;
  } catch (err) {
    // an unwritable or untrusted cache: a fresh private directory of our own, used for this run only
    const fallback = join(tmpdir(), `argus-edge-${process.pid}-${randomBytes(4).toString('hex')}`);
    process.stderr.write(`argus-edge: cannot use the cache ${dir} (${(err as Error).message}); extracting to ${fallback}\n`);
    return extractInto(fallback, m);
  }
}

/**
 * Earlier builds' directories (VERSION-ARCH-HASH) beside the new one: each upgrade would otherwise leave
 * its files behind. A process of an older build still running keeps its loaded addons (the mapping outlives
 * the file); it is being replaced anyway.
 */
function removeOlderBuilds(base: string, keep: string): void {
  try {
    for (const e of readdirSync(base)) {
      const p = join(base, e);
      if (p !== keep && /^\d[^/]*-(x64|arm64)-[0-9a-f]{16}$/.test(e)) rmSync(p, { recursive: true, force: true });
    }
  } catch {
    // a cache we cannot tidy is still usable
  }
}

function extractInto(dir: string, m: SeaManifest): string {
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { mode: 0o700 });
  try {
    for (const a of m.assets) {
      const p = join(tmp, ...a.name.split('/'));
      mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
      writeFileSync(p, embedded(a.name), { mode: a.name.endsWith('.node') ? 0o500 : 0o400 });
    }
    if (existsSync(dir)) {
      // another process may have finished first while we wrote: use its copy when it is sound
      if (privateDir(dir) && intact(dir, m)) return dir;
      rmSync(dir, { recursive: true, force: true }); // a damaged or untrusted earlier one
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // another process finished first: use its copy when it is sound
      if (privateDir(dir) && intact(dir, m)) return dir;
      throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!privateDir(dir) || !intact(dir, m)) throw new Error(`the extracted files in ${dir} do not match the executable`);
  return dir;
}
