/** systemd/argus-edge.service passes `systemd-analyze verify` and keeps the hardening the appliance relies on. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';

const unit = readFileSync(join(projectRoot(), 'systemd/argus-edge.service'), 'utf8');
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });

t.test('the unit verifies', { skip: analyze.status === 0 ? false : 'systemd-analyze is not installed' }, async (t) => {
  // verify checks that ExecStart's program exists; the executable is installed later, so stand in node
  const dir = mkdtempSync(join(tmpdir(), 'argus-unit-'));
  const path = join(dir, 'argus-edge.service');
  writeFileSync(path, unit.replace('/usr/local/bin/argus-edge', process.execPath));
  const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr.trim(), '', 'no warnings');
});

t.test('only the capabilities capture and the firewall need, and the hardening', async (t) => {
  t.match(unit, /^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN CAP_NET_BIND_SERVICE$/m);
  t.match(unit, /^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN CAP_NET_BIND_SERVICE$/m);
  for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'StateDirectory=argus-edge', 'Restart=on-failure', 'User=argus-edge', 'PrivateTmp=yes', 'ProtectHome=yes']) {
    t.match(unit, new RegExp(`^${line}$`, 'm'), line);
  }
});
