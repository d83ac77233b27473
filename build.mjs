// Bundles the appliance with esbuild into dist/argus-edge.js, after building the libpcap addon.
// Packages with native parts or large runtime files stay external and load from node_modules
// (the single executable embeds them as assets instead).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';

const root = new URL('.', import.meta.url).pathname;
const addon = `${root}native/build/Release/argus_pcap.node`;
const source = `${root}native/argus_pcap.c`;
if (!existsSync(addon) || statSync(addon).mtimeMs < statSync(source).mtimeMs) {
  console.log('building native/argus_pcap.node');
  execFileSync(process.execPath, [`${root}node_modules/node-gyp/bin/node-gyp.js`, 'rebuild', '--directory', `${root}native`], { stdio: 'inherit' });
}

await build({
  entryPoints: [`${root}src/cli.ts`],
  outfile: `${root}dist/argus-edge.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  external: ['better-sqlite3', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: { js: "import { createRequire as __argusRequire } from 'node:module'; const require = __argusRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(`${root}dist/argus-edge.js`, 0o755);
console.log('built dist/argus-edge.js');
