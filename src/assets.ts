/**
 * Every runtime file the appliance reads that ships with it — static web files, the bundled model, the demo
 * capture, wasm binaries, native addons — is reached through this module, so the single executable can
 * serve them from its embedded assets instead of the file system.
 *
 * Asset names are paths relative to the project root, with forward slashes ("models/default/model.json",
 * "node_modules/htmx.org/dist/htmx.min.js").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The project root: the nearest ancestor of this module that holds argus-edge's package.json. */
export function projectRoot(): string {
  if (root !== undefined) return root;
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

/** Absolute file-system path of a bundled asset. */
export function assetPath(name: string): string {
  return join(projectRoot(), ...name.split('/'));
}

/** Contents of a bundled asset; throws with the asset name when it is missing. */
export function readAsset(name: string): Buffer {
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
