/** The release version (kept equal to package.json's by test/cli.test.ts) and the --version report. */
import Database from 'better-sqlite3';
import { isSingleExecutable, readAsset, sqliteNativeBinding } from './assets.js';
import { libpcap } from './capture/libpcap.js';

export const VERSION = '0.1.0';

/** The TF.js wasm binaries (see models/tf-backend.ts); the SIMD one validates only where the engine has SIMD. */
const WASM_DIR = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
/** Node has WebAssembly; the project's TypeScript lib settings (no DOM) do not declare it. */
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

/**
 * Version, Node.js version, architecture, whether this is the single executable, and which native parts
 * load, with their own versions. Only cheap checks: load each addon, ask SQLite its version in an in-memory
 * database, validate the wasm binaries without instantiating TF.js.
 */
export function versionText(): string {
  const parts: string[] = [];
  const check = (label: string, fn: () => string): void => {
    try {
      parts.push(`${label}: ${fn()}`);
    } catch (err) {
      parts.push(`${label}: NOT LOADED (${(err as Error).message.split('\n')[0]})`);
    }
  };
  check('libpcap', () => libpcap().libVersion());
  check('better-sqlite3', () => {
    const db = new Database(':memory:', { nativeBinding: sqliteNativeBinding() });
    try {
      return `SQLite ${db.prepare('select sqlite_version()').pluck().get() as string}`;
    } finally {
      db.close();
    }
  });
  check('tfjs wasm', () => {
    const plain = wasm.validate(readAsset(`${WASM_DIR}/tfjs-backend-wasm.wasm`));
    const simd = wasm.validate(readAsset(`${WASM_DIR}/tfjs-backend-wasm-simd.wasm`));
    if (!plain && !simd) throw new Error('the wasm binaries do not validate');
    return simd ? 'available (SIMD)' : 'available (no SIMD)';
  });
  parts.push(`packaging: ${isSingleExecutable() ? 'single executable' : 'files (source or dist/argus-edge.js)'}`);
  return [`argus-edge ${VERSION}`, `node ${process.version} (${process.platform}-${process.arch})`, ...parts].join('\n');
}
