/**
 * The public captures in ../shared/pcaps (beside the repository, or $ARGUS_SHARED_DIR/pcaps). Tests read them from there when present and
 * skip with `SHARED_PCAPS_SKIP` when not; they are never copied into the repository.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { projectRoot } from '../../src/assets.js';

/** The shared folder beside the repository; ARGUS_SHARED_DIR points elsewhere (a checkout in another place). */
export const SHARED_DIR = process.env.ARGUS_SHARED_DIR ? resolve(process.env.ARGUS_SHARED_DIR) : resolve(projectRoot(), '..', 'shared');
export const SHARED_PCAPS_DIR = join(SHARED_DIR, 'pcaps');
export const SHARED_PCAPS_SKIP = `the public captures are not present at ${SHARED_PCAPS_DIR}`;

/** Absolute path of a shared capture (e.g. 'benign/web-page-load.pcapng'), or null when it is absent. */
export function sharedPcap(rel: string): string | null {
  const p = join(SHARED_PCAPS_DIR, rel);
  return existsSync(p) ? p : null;
}

/** Every capture file below the shared folder (recursively), as paths relative to it, sorted. */
export function allSharedPcaps(): string[] {
  if (!existsSync(SHARED_PCAPS_DIR)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(md|txt)$/i.test(name)) out.push(relative(SHARED_PCAPS_DIR, p));
    }
  };
  walk(SHARED_PCAPS_DIR);
  return out.sort();
}
