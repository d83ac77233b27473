/**
 * scripts/install.sh into a scratch root (--root): nothing is installed on this machine, no service is
 * started, no firewall touched. Checks what a Pi gets, that a second run changes nothing it should keep,
 * and what --uninstall and --purge leave behind.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';

const script = join(projectRoot(), 'scripts/install.sh');
const useradd = spawnSync('useradd', ['--help'], { encoding: 'utf8' });
const systemctl = spawnSync('systemctl', ['--version'], { encoding: 'utf8' });
const skip =
  process.getuid?.() !== 0
    ? 'needs root (useradd --prefix writes the scratch root’s user database)'
    : !/--prefix/.test(useradd.stdout)
      ? 'useradd has no --prefix (shadow ≥ 4.10 / Debian 12)'
      : systemctl.status !== 0
        ? 'systemctl is not installed'
        : false;

t.test('install.sh --root', { skip }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'argus-install-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc'));
  // a minimal user database, as a fresh image has
  for (const f of ['passwd', 'group', 'shadow', 'gshadow']) {
    const lines = readFileSync(`/etc/${f}`, 'utf8').split('\n').filter((l) => /^(root|daemon|nogroup):/.test(l));
    writeFileSync(join(root, 'etc', f), lines.join('\n') + '\n');
  }
  writeFileSync(join(root, 'etc/login.defs'), readFileSync('/etc/login.defs'));
  // a stand-in executable: install.sh never runs it under --root
  const bin = join(root, 'argus-edge-test-binary');
  writeFileSync(bin, '#!/bin/sh\necho "argus-edge stand-in"\n');
  chmodSync(bin, 0o755);

  const install = (...args: string[]) => spawnSync('bash', [script, '--root', root, '--binary', bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  const p = (rel: string) => join(root, rel);

  const first = install();
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, 'created the system user argus-edge');
  t.equal(readFileSync(p('usr/local/bin/argus-edge'), 'utf8'), readFileSync(bin, 'utf8'), 'executable installed');
  t.equal(statSync(p('usr/local/bin/argus-edge')).mode & 0o777, 0o755);
  const passwd = readFileSync(p('etc/passwd'), 'utf8');
  t.match(passwd, /^argus-edge:x:\d+:\d+:[^:]*:\/var\/lib\/argus-edge:\/usr\/sbin\/nologin$/m, 'system user without a login');
  const uid = Number(/^argus-edge:x:(\d+):/m.exec(passwd)![1]);
  t.ok(uid < 1000, 'a system uid');
  const gid = Number(/^argus-edge:x:(\d+):/m.exec(readFileSync(p('etc/group'), 'utf8'))![1]);

  const shipped = readFileSync(join(projectRoot(), 'config.yaml'), 'utf8');
  t.equal(readFileSync(p('etc/argus-edge/config.yaml'), 'utf8'), shipped, 'config.yaml: the documented defaults');
  const conf = statSync(p('etc/argus-edge/config.yaml'));
  t.equal(conf.mode & 0o777, 0o640);
  t.equal(conf.gid, gid, 'readable by the service group');
  t.equal(statSync(p('etc/argus-edge')).mode & 0o777, 0o750);

  const unit = readFileSync(p('etc/systemd/system/argus-edge.service'), 'utf8');
  t.equal(unit, readFileSync(join(projectRoot(), 'systemd/argus-edge.service'), 'utf8'), 'unit installed');
  t.match(unit, /^ExecStart=\/usr\/local\/bin\/argus-edge /m, 'the unit starts the installed executable');
  const wants = p('etc/systemd/system/multi-user.target.wants/argus-edge.service');
  t.ok(lstatSync(wants).isSymbolicLink(), 'enabled');
  t.equal(readlinkSync(wants), '/etc/systemd/system/argus-edge.service');
  t.ok(existsSync(p('usr/local/share/doc/argus-edge/README.md')), 'README where the unit documents it');

  // the operator's edits survive an upgrade; the executable is replaced
  writeFileSync(p('etc/argus-edge/config.yaml'), 'mode: inline\n');
  writeFileSync(bin, '#!/bin/sh\necho "argus-edge newer stand-in"\n');
  const second = install();
  t.equal(second.status, 0, second.stderr);
  t.match(second.stdout, 'user argus-edge exists');
  t.match(second.stdout, 'kept the existing /etc/argus-edge/config.yaml');
  t.equal(readFileSync(p('etc/argus-edge/config.yaml'), 'utf8'), 'mode: inline\n', 'configuration never overwritten');
  t.equal(readFileSync(p('etc/argus-edge/config.yaml.default'), 'utf8'), shipped, 'the defaults beside it');
  t.match(readFileSync(p('usr/local/bin/argus-edge'), 'utf8'), 'newer', 'executable upgraded');
  t.equal(readFileSync(p('etc/passwd'), 'utf8').match(/^argus-edge:/gm)?.length, 1, 'one user, not two');

  const bad = spawnSync('bash', [script, '--root', root, '--binary', join(root, 'missing')], { encoding: 'utf8' });
  t.not(bad.status, 0, 'a missing executable is an error');
  t.match(bad.stderr, 'does not exist');

  const un = install('--uninstall');
  t.equal(un.status, 0, un.stderr);
  t.notOk(existsSync(p('usr/local/bin/argus-edge')), 'executable removed');
  t.notOk(existsSync(p('etc/systemd/system/argus-edge.service')), 'unit removed');
  t.notOk(existsSync(wants), 'disabled');
  t.ok(existsSync(p('etc/argus-edge/config.yaml')), 'configuration kept');
  t.match(readFileSync(p('etc/passwd'), 'utf8'), /^argus-edge:/m, 'user kept');
  const unAgain = install('--uninstall');
  t.equal(unAgain.status, 0, `uninstalling twice is fine: ${unAgain.stderr}`);

  mkdirSync(p('var/lib/argus-edge'), { recursive: true });
  writeFileSync(p('var/lib/argus-edge/argus-edge.db'), 'state');
  const purge = install('--uninstall', '--purge');
  t.equal(purge.status, 0, purge.stderr);
  t.notOk(existsSync(p('etc/argus-edge')), 'configuration purged');
  t.notOk(existsSync(p('var/lib/argus-edge')), 'state purged');
  t.notMatch(readFileSync(p('etc/passwd'), 'utf8'), /^argus-edge:/m, 'user removed');
  t.notMatch(readFileSync(p('etc/group'), 'utf8'), /^argus-edge:/m, 'group removed');
});

t.test('install.sh refuses bad usage', async (t) => {
  const r = spawnSync('bash', [script, '--purge'], { encoding: 'utf8' });
  t.not(r.status, 0);
  t.match(r.stderr, '--purge goes with --uninstall');
  const u = spawnSync('bash', [script, '--bogus'], { encoding: 'utf8' });
  t.not(u.status, 0);
  t.match(u.stderr, "unknown option '--bogus'");
  const h = spawnSync('bash', [script, '--help'], { encoding: 'utf8' });
  t.equal(h.status, 0);
  t.match(h.stdout, '--uninstall');
});
