/** The release version (kept equal to package.json's by test/cli.test.ts) and the --version report. */
import { libpcap } from './capture/libpcap.js';

export const VERSION = '0.1.0';

/** Version, Node.js version, architecture, and which native parts load (with their own versions). */
export function versionText(): string {
  const parts: string[] = [];
  try {
    parts.push(`libpcap: ${libpcap().libVersion()}`);
  } catch (err) {
    parts.push(`libpcap: NOT LOADED (${(err as Error).message})`);
  }
  return [`argus-edge ${VERSION}`, `node ${process.version} (${process.platform}-${process.arch})`, ...parts].join('\n');
}
