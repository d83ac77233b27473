/**
 * The single executables (build.mjs --sea): built once (a rebuild is skipped when its inputs are unchanged),
 * then run as a user would — the x64 one natively, alone in an empty directory with no node_modules, and the
 * arm64 one under qemu-aarch64 — and compared with the bundle run by the system's Node.
 */
import t from 'tap';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, SQLITE_ADDON } from '../src/assets.js';
import { GEO_FILES } from '../src/enrich/index.js';
import { LIBPCAP_ADDON } from '../src/capture/libpcap.js';
import { STATIC_FILES } from '../src/web/static-files.js';
import { VERSION } from '../src/version.js';
import { smallCapture } from './support/small-capture.js';
import { udpFrame } from '../src/capture/packet-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';

const root = projectRoot();
const which = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const hasCross = which('aarch64-linux-gnu-gcc') && existsSync('/usr/lib/aarch64-linux-gnu/libpcap.so');
const qemu = ['qemu-aarch64-static', 'qemu-aarch64'].find(which);
// the arm64 loader, C++ runtime and libpcap as Debian multiarch packages (libc6:arm64, libstdc++6:arm64,
// libpcap0.8:arm64). Not the cross toolchain's copies under /usr/aarch64-linux-gnu (qemu -L): its loader
// with the multiarch libc found through ld.so.cache is a mismatched pair, and node then hangs in pthread_create.
const armRuntime = ['/lib/ld-linux-aarch64.so.1', '/usr/lib/aarch64-linux-gnu/libstdc++.so.6', '/usr/lib/aarch64-linux-gnu/libpcap.so.0.8'].filter((f) => !existsSync(f));
const onX64 = process.platform === 'linux' && arch() === 'x64';
const noBuild = onX64 ? false : `the executables are built and tested on linux-x64 (this is ${process.platform}-${arch()})`;

const work = mkdtempSync(join(tmpdir(), 'argus-sea-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));


let outputs = 0;

/**
 * Run a command; stdout goes to a file, read back into `stdout`. (EVE on stdout is written with writeSync
 * on fd 1; into a non-blocking pipe that can fail part-way with EAGAIN, which a regular file never does.)
 */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeout?: number } = {}): SpawnSyncReturns<string> {
  const outFile = join(work, `stdout-${++outputs}.txt`);
  const fd = openSync(outFile, 'w');
  try {
    const r = spawnSync(cmd, args, {
      encoding: 'utf8',
      cwd: opts.cwd ?? work,
      env: { ...process.env, ...opts.env },
      timeout: opts.timeout ?? 120_000,
      stdio: ['ignore', fd, 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ...r, stdout: readFileSync(outFile, 'utf8') };
  } finally {
    closeSync(fd);
    rmSync(outFile, { force: true });
  }
}

/** EVE from the bundle under this machine's Node: the reference the executables must reproduce. */
function referenceEve(pcap: string): string {
  const r = run(process.execPath, [join(root, 'dist/argus-edge.js'), 'replay', pcap, '--eve', '-']);
  if (r.status !== 0) throw new Error(`dist/argus-edge.js replay failed: ${r.stderr}`);
  return r.stdout;
}

/** the first differing line, to show in a failure instead of megabytes of EVE */
function firstDifference(got: string, want: string): { line: number; got?: string; want?: string } | undefined {
  const a = got.split('\n');
  const b = want.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return { line: i + 1, got: a[i], want: b[i] };
  return undefined;
}

const small = join(work, 'small.pcap');
smallCapture(small, { dns: true });
const demo = join(root, 'demo/demo.pcap');
const remote = join(work, 'remote.pcap');
{
  const w = new PcapWriter({ path: remote });
  w.add(1_700_000_000_000_000, udpFrame({ src: '192.168.1.5', dst: '8.8.8.8', sport: 40000, dport: 9999, payload: Buffer.alloc(30, 1) }));
  w.add(1_700_000_000_020_000, udpFrame({ src: '8.8.8.8', dst: '192.168.1.5', sport: 9999, dport: 40000, payload: Buffer.alloc(60, 2) }));
  w.close();
}

t.test('single executables', { skip: noBuild, timeout: 30 * 60_000 }, async (t) => {
  const arches = hasCross ? ['x64', 'arm64'] : ['x64'];
  if (!hasCross) t.comment('aarch64 cross toolchain or libpcap-dev:arm64 missing: building x64 only');
  const started = Date.now();
  const b = run(process.execPath, [join(root, 'build.mjs'), '--sea', '--quiet', ...arches.flatMap((a) => ['--arch', a])], { cwd: root, timeout: 25 * 60_000 });
  t.equal(b.status, 0, `build.mjs --sea: ${b.stderr.slice(-3000)}`);
  if (b.status !== 0) return;
  t.comment(`build.mjs --sea ${arches.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const x64 = join(root, 'dist/argus-edge-linux-x64');
  const arm64 = join(root, 'dist/argus-edge-linux-arm64');

  t.test('x64: replay --eve - is identical to the bundle on the system Node', async (t) => {
    const expected = referenceEve(demo);
    t.ok(expected.split('\n').length > 100, 'the demo capture yields EVE records');
    const r = run(x64, ['replay', demo, '--eve', '-'], { env: { XDG_CACHE_HOME: join(work, 'cache-a') } });
    t.equal(r.status, 0, r.stderr);
    t.ok(r.stdout === expected, 'identical EVE output on the demo capture', { firstDifference: firstDifference(r.stdout, expected) });
  });

  t.test('x64: runs alone in an empty directory', async (t) => {
    const dir = join(work, 'alone');
    mkdirSync(dir);
    const exe = join(dir, 'argus-edge');
    copyFileSync(x64, exe);
    // no node_modules, no project root above, and a home of its own for the cache
    const env = { HOME: join(dir, 'home'), XDG_CACHE_HOME: undefined, CACHE_DIRECTORY: undefined, NODE_PATH: undefined, PATH: '/usr/bin:/bin' };
    const v = run(exe, ['--version'], { cwd: dir, env });
    t.equal(v.status, 0, v.stderr);
    t.match(v.stdout, `argus-edge ${VERSION}\nnode v24.`);
    t.match(v.stdout, '(linux-x64)');
    t.match(v.stdout, /^libpcap: libpcap version \d/m);
    t.match(v.stdout, /^better-sqlite3: SQLite 3\.\d+/m);
    t.match(v.stdout, /^tfjs wasm: available/m);
    t.match(v.stdout, /^packaging: single executable$/m);
    t.notMatch(v.stdout, 'NOT LOADED');

    const cacheRoot = join(dir, 'home/.cache/argus-edge');
    const entries = readdirSync(cacheRoot);
    t.equal(entries.length, 1, 'one versioned cache directory');
    t.match(entries[0]!, new RegExp(`^${VERSION.replace(/\./g, '\\.')}-x64-[0-9a-f]{16}$`));
    const cache = join(cacheRoot, entries[0]!);
    t.equal(statSync(cache).mode & 0o777, 0o700, 'private cache directory');
    t.ok(existsSync(join(cache, 'native/build/Release/argus_pcap.node')), 'addon extracted');
    const mtime = statSync(join(cache, 'native/build/Release/argus_pcap.node')).mtimeMs;

    const store = join(dir, 'store.db');
    const r = run(exe, ['replay', small, '--eve', '-', '--store', store], { cwd: dir, env });
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, referenceEve(small), 'identical EVE output on a written capture');
    t.ok(statSync(store).size > 0, 'the SQLite store was written through the embedded better-sqlite3');
    t.equal(statSync(join(cache, 'native/build/Release/argus_pcap.node')).mtimeMs, mtime, 'the second start reuses the extracted files');
    t.same(readdirSync(cacheRoot), entries, 'no new cache directory');

    // the address databases are read out of the executable: a flow to 8.8.8.8 is Google's, in EVE
    const g = run(exe, ['replay', remote, '--eve', '-'], { cwd: dir, env });
    t.equal(g.status, 0, g.stderr);
    t.match(g.stdout, /"dest_geoip":\{"ip":"8\.8\.8\.8","country_code2":"US","asn":15169,"as_org":"Google LLC"\}/, 'the embedded databases answer');
    t.equal(g.stdout, referenceEve(remote), 'identical EVE output with geoip');

    // a damaged cache is replaced, not trusted
    rmSync(join(cache, 'native/build/Release/argus_pcap.node'), { force: true });
    writeFileSync(join(cache, 'native/build/Release/argus_pcap.node'), 'not an addon');
    const older = join(cacheRoot, '0.0.9-x64-0123456789abcdef');
    mkdirSync(older, { mode: 0o700 });
    const again = run(exe, ['--version'], { cwd: dir, env });
    t.equal(again.status, 0, again.stderr);
    t.match(again.stdout, /^libpcap: libpcap version \d/m, 'a damaged extracted addon is extracted again');
    t.same(readdirSync(cacheRoot), entries, "an earlier build's directory is removed when extracting");
  });

  const armSkip = !hasCross
    ? 'the aarch64 cross toolchain (gcc-aarch64-linux-gnu, libpcap-dev:arm64) is not installed'
    : !qemu
      ? 'qemu-aarch64 is not installed (Debian: qemu-user-static)'
      : armRuntime.length > 0
        ? `arm64 runtime libraries missing (${armRuntime.join(', ')}; Debian: libc6:arm64 libstdc++6:arm64 libpcap0.8:arm64)`
        : false;
  t.test('x64: every shipped file is embedded, and served from the executable', async (t) => {
    const manifest = JSON.parse(readFileSync(join(root, 'dist/.sea/x64/sea-manifest.json'), 'utf8')) as { assets: { name: string }[] };
    const names = new Set(manifest.assets.map((a) => a.name));
    const wanted = [
      ...Object.values(STATIC_FILES).map((f) => f.asset),
      'node_modules/oui-data/index.json',
      ...Object.values(GEO_FILES).map((f) => f.asset),
      'demo/demo.pcap',
      'config.yaml',
      'models/default/model.json',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      'dist/train-worker.js',
      LIBPCAP_ADDON,
      SQLITE_ADDON,
    ];
    for (const w of wanted) t.ok(names.has(w), `embedded: ${w}`);

    // the dashboard's files, read out of the executable (compressed ones inflated) by a running appliance
    const home = join(work, 'serve-home');
    const child = spawn(x64, ['run', '--mode', 'replay', '--realtime', '--loop', '--port', '0', '--store', join(work, 'serve.db')], {
      cwd: work,
      env: { ...process.env, HOME: home, XDG_CACHE_HOME: undefined, CACHE_DIRECTORY: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    let port: string | undefined;
    for (let i = 0; i < 300 && port === undefined && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      port = /http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(log)?.[1];
    }
    t.ok(port, `the appliance listens (log: ${log.slice(-1500)})`);
    if (port === undefined) return;
    t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, '/healthz');
    for (const [url, f] of Object.entries(STATIC_FILES)) {
      const res = await fetch(`http://127.0.0.1:${port}/static/${url}`);
      t.equal(res.status, 200, `/static/${url}`);
      t.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(root, f.asset))), `/static/${url} is ${f.asset}`);
    }
    const cache = join(home, '.cache/argus-edge', readdirSync(join(home, '.cache/argus-edge'))[0]!);
    t.ok(readFileSync(join(cache, 'demo/demo.pcap')).equals(readFileSync(demo)), 'the demo capture is extracted intact');
  });

  t.test('arm64 under qemu', { skip: armSkip }, async (t) => {
    const env = { HOME: join(work, 'arm-home'), XDG_CACHE_HOME: undefined, CACHE_DIRECTORY: undefined, QEMU_LD_PREFIX: undefined };
    const v = run(qemu!, [arm64, '--version'], { env, timeout: 300_000 });
    t.equal(v.status, 0, v.stderr);
    t.match(v.stdout, `argus-edge ${VERSION}\nnode v24.`);
    t.match(v.stdout, '(linux-arm64)');
    t.match(v.stdout, /^libpcap: libpcap version \d/m);
    t.match(v.stdout, /^better-sqlite3: SQLite 3\.\d+/m);
    t.match(v.stdout, /^tfjs wasm: available/m);
    const r = run(qemu!, [arm64, 'replay', small, '--eve', '-'], { env, timeout: 300_000 });
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, referenceEve(small), 'identical EVE output to x64');
  });
});
