/**
 * The lab support itself: both topologies carry real traffic, the inline bridge's br_netfilter lets iptables'
 * physdev match see bridged frames (what quarantine needs), offloads are off, and cleanup leaves nothing behind,
 * also for runs that crashed.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { brNetfilterSkipReason, createInlineLab, createLab, createSwitchLab, netnsSkipReason, reapStaleLabs } from './netns.js';
import { startHttpServer } from './lab-services.js';

const skip = netnsSkipReason();

t.test('a switch lab: addresses, MACs, offloads, exec, spawn and cleanup', { skip: skip ?? false }, async (t) => {
  const lab = createSwitchLab(['a', 'b']);
  t.teardown(() => lab.cleanup());
  t.match(lab.prefix, new RegExp(`^ae-${process.pid}-\\d+$`));
  t.equal(lab.ns('a'), `${lab.prefix}-a`);
  t.equal(lab.iface('a'), 'eth0');
  t.equal(lab.port('sw', 'a'), 'p-a');
  t.ok(lab.exists());

  const a4 = lab.addr('a', 4);
  const shown = await lab.run('a', 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
  t.match(shown, new RegExp(`inet ${a4.replaceAll('.', '\\.')}/24`), 'IPv4 address on eth0');
  t.match(shown, new RegExp(`inet6 ${lab.addr('a', 6)}/64`), 'IPv6 address on eth0');
  t.notMatch(shown, /tentative/, 'no address waits for DAD');
  t.match(await lab.run('a', 'ip', ['-o', 'link', 'show', 'dev', 'eth0']), lab.mac('a'), 'the fixed MAC');
  const features = await lab.run('sw', 'ethtool', ['-k', 'p-a']);
  for (const f of ['generic-receive-offload', 'generic-segmentation-offload', 'tcp-segmentation-offload', 'tx-checksumming', 'rx-checksumming']) {
    t.match(features, new RegExp(`^${f}: off`, 'm'), `${f} off on the switch port`);
  }

  const server = await startHttpServer(lab, 'b', { port: 8081, size: 5000 });
  t.equal(await lab.run('a', 'curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', `${server.url6}/bytes/777`]), '777', 'HTTP over IPv6');
  t.equal(await lab.run('a', 'curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', server.url4]), '5000', 'HTTP over IPv4');
  t.equal(server.requests.length, 2);
  t.match(server.requests[1], `request GET / ::ffff:${a4}`);

  const fail = await lab.exec('a', 'sh', ['-c', 'echo out; echo err >&2; exit 7']);
  t.same([fail.code, fail.stdout, fail.stderr, fail.timedOut], [7, 'out\n', 'err\n', false], 'exec reports code and output');
  const slow = await lab.exec('a', 'sleep', ['10'], { timeoutMs: 200 });
  t.equal(slow.timedOut, true, 'exec kills at the timeout');
  await t.rejects(lab.run('a', 'false', []), /exited 1/);
  t.equal((await lab.exec('a', 'cat', [], { input: 'hello' })).stdout, 'hello', 'stdin input');

  const sleeper = lab.spawn('b', 'sleep', ['60']);
  await lab.cleanup();
  t.equal(lab.exists(), false, 'namespaces deleted');
  t.ok(sleeper.exitCode !== null || sleeper.signalCode !== null, 'spawned process killed');
  await lab.cleanup(); // idempotent
});

t.test('the inline lab: a transparent bridge with br_netfilter and physdev', { skip: skip ?? brNetfilterSkipReason() ?? false }, async (t) => {
  const lab = createInlineLab({ lan: ['a', 'b'] });
  t.teardown(() => lab.cleanup());
  t.same([...lab.switches].sort(), ['bridge', 'lan', 'wan']);
  t.same([...lab.hosts].sort(), ['a', 'b', 'router']);
  const links = await lab.run('bridge', 'ip', ['-o', 'link', 'show', 'master', 'br0']);
  t.match(links, /p-wan/);
  t.match(links, /p-lan/);
  t.equal(links.trim().split('\n').length, 2, 'exactly two bridge ports');
  t.equal((await lab.run('bridge', 'sysctl', ['-n', 'net.bridge.bridge-nf-call-iptables'])).trim(), '1');
  t.equal((await lab.run('lan', 'sysctl', ['-n', 'net.bridge.bridge-nf-call-iptables'])).trim(), '0', 'a plain switch stays plain');

  const server = await startHttpServer(lab, 'router');
  const curl = ['-sS', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', server.url4];
  t.equal(await lab.run('a', 'curl', curl), '200', 'LAN host reaches upstream through the bridge');
  // bridged frames from the LAN port hit the bridge namespace's FORWARD chain
  const rule = ['-m', 'physdev', '--physdev-in', 'p-lan', '-s', lab.addr('a'), '-p', 'tcp', '--dport', String(server.port), '-j', 'DROP'];
  const add = await lab.exec('bridge', 'iptables', ['-w', '-A', 'FORWARD', ...rule]);
  t.equal(add.code, 0, `iptables accepts a physdev rule in the bridge namespace ${add.stderr.trim()}`);
  t.not((await lab.exec('a', 'curl', curl)).stdout, '200', 'a physdev DROP rule blocks host a');
  t.equal(await lab.run('b', 'curl', curl), '200', 'host b still gets through');
  await lab.run('bridge', 'iptables', ['-w', '-D', 'FORWARD', ...rule]);
  t.equal(await lab.run('a', 'curl', curl), '200', 'and a again once the rule is gone');
});

t.test('labs of crashed runs are reaped; bad topologies are refused', { skip: skip ?? false }, async (t) => {
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const pid = Number(dead.stdout.trim());
  const stale = `ae-${pid}-0-x`;
  t.equal(spawnSync('ip', ['netns', 'add', stale]).status, 0);
  t.teardown(() => spawnSync('ip', ['netns', 'del', stale], { stdio: 'ignore' }));
  t.ok(reapStaleLabs().includes(stale), 'the dead run\'s namespace is reaped');
  t.equal(existsSync(`/run/netns/${stale}`), false);

  t.throws(() => createLab({ switches: { sw: { ports: ['Bad_Name'] } } }), /node name "Bad_Name"/);
  t.throws(() => createLab({ switches: { sw: { ports: ['a'] } }, hosts: { z: {} } }), /host "z" is not plugged/);
});
