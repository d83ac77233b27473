import t from 'tap';
import { canonicalMac, canonicalPrefix, parseEntry, parseIp, parsePrefix, prefixContains, prefixesOverlap } from './firewall-address.js';
import { createFirewall, DryRunFirewall, FirewallError, KernelFirewall, RecordingRunner, type CommandRunner } from './firewall.js';
import { chainScript, firewallNames, macChainScript, ourSavedLines, removeScript } from './firewall-rules.js';
import { loadConfig } from '../config.js';

t.test('addresses are canonicalised', async (t) => {
  t.equal(canonicalMac('02:99:00:00:00:0A'), '02:99:00:00:00:0a');
  t.equal(canonicalMac('02-99-00-00-00-0a'), '02:99:00:00:00:0a');
  t.equal(canonicalPrefix('10.99.0.10')?.text, '10.99.0.10');
  t.equal(canonicalPrefix('10.99.0.10/32')?.text, '10.99.0.10');
  t.equal(canonicalPrefix('198.51.100.0/24')?.text, '198.51.100.0/24');
  t.equal(canonicalPrefix('FD00:0099:0000:0000:0000:0000:0000:000A')?.text, 'fd00:99::a');
  t.equal(canonicalPrefix('2001:db8:0:0:1:0:0:1')?.text, '2001:db8::1:0:0:1', 'the first longest zero run is compressed');
  t.equal(canonicalPrefix('::ffff:192.0.2.1')?.text, '::ffff:192.0.2.1', 'IPv4-mapped in dotted form (RFC 5952 section 5)');
  t.equal(canonicalPrefix('::')?.text, '::');
  t.equal(canonicalPrefix('2001:db8::/32')?.text, '2001:db8::/32');
  t.equal(canonicalPrefix('fe80::1:2:3:4:5:6')?.text, 'fe80:0:1:2:3:4:5:6', 'a single zero group is not compressed');
  t.equal(parseIp('2001:DB8::1').text, '2001:db8::1');
  t.equal(parseEntry(' 02:99:00:00:00:0b ').text, '02:99:00:00:00:0b');
  t.ok(prefixContains(parsePrefix('10.0.0.0/8'), parsePrefix('10.99.0.10')));
  t.notOk(prefixContains(parsePrefix('10.99.0.10'), parsePrefix('10.0.0.0/8')));
  t.ok(prefixesOverlap(parsePrefix('10.99.0.10'), parsePrefix('10.0.0.0/8')));
  t.notOk(prefixContains(parsePrefix('::/0'), parsePrefix('10.0.0.1')), 'families never mix');
  t.ok(prefixContains(parsePrefix('fd00:99::/48'), parsePrefix('fd00:99::a')));
});

t.test('anything but an address, prefix or MAC is rejected with a clear error', async (t) => {
  const bad = [
    '10.0.0.1; iptables -F',
    '$(reboot)',
    '-j ACCEPT',
    '10.0.0.256',
    '10.0.0.1/33',
    '10.0.0.1/8',
    '10.0.0',
    '01.2.3.4',
    'fe80::1%eth0',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '2001:db8::/129',
    '',
    ' ',
    'example.com',
    '10.0.0.1/',
    '10.0.0.1/-1',
  ];
  for (const s of bad) {
    t.equal(canonicalPrefix(s), null, `prefix ${JSON.stringify(s)}`);
    t.throws(() => parsePrefix(s), /not an IP address or CIDR prefix/, `parsePrefix ${JSON.stringify(s)}`);
    t.throws(() => parseEntry(s), /not a MAC address, IP address or CIDR prefix/);
  }
  for (const s of ['02:99:00:00:00', '02:99:00:00:00:0g', '02:99-00:00:00:0a', '0299.0000.000a', '02:99:00:00:00:0a:ff']) {
    t.equal(canonicalMac(s), null, `mac ${s}`);
  }
  t.throws(() => parseIp('10.0.0.0/24'), /not a single IP address/);
  t.throws(() => parseIp('10.99.0.10/32'), /not a single IP address/);
});

t.test('the dry run records the commands the real backend would run', async (t) => {
  const fw = new DryRunFirewall({ chain: 'ARGUS-EDGE', ratePerSecond: 5, nowMs: () => 1_700_000_000_000 });
  t.equal(fw.dryRun, true);
  t.equal(fw.backend, 'dry-run');
  fw.setup();
  const cmds = fw.commands.map((c) => c.cmd);
  t.same(cmds, ['ipset', 'ipset', 'iptables-restore', 'ip6tables-restore']);
  t.same(fw.commands[0]!.args, ['-exist', 'create', 'argus-edge-mac', 'hash:mac', 'timeout', '0']);
  t.same(fw.commands[2]!.args, ['-w', '--noflush']);
  const v4 = fw.commands[2]!.input!;
  t.match(v4, /^\*filter\n:ARGUS-EDGE - \[0:0\]\n:ARGUS-EDGE-MAC - \[0:0\]\n/);
  t.match(v4, /-A ARGUS-EDGE -m set --match-set argus-edge-mac src .*-j DROP/);
  t.match(v4, /-A ARGUS-EDGE -m set --match-set argus-edge-q4 dst .*-j DROP/);
  t.match(v4, /-A ARGUS-EDGE -m set --match-set argus-edge-b4 src .*-j DROP/);
  t.match(v4, /--hashlimit-above 5\/second --hashlimit-burst 10 --hashlimit-mode srcip/);
  t.match(v4, /-I FORWARD 1 -m physdev --physdev-is-bridged -j ARGUS-EDGE\nCOMMIT\n$/);
  t.match(fw.commands[3]!.input!, /argus-edge-q6 src/);
  t.match(fw.commands[3]!.input!, /--sport 546 --dport 547/);

  fw.add({ kind: 'quarantine', mac: '02:99:00:00:00:0A', ips: ['10.99.0.10', 'FD00:99::A'] }, 60);
  const add = fw.commands[fw.commands.length - 1]!;
  t.same(add.args, ['-exist', 'restore']);
  t.equal(add.input, 'add argus-edge-mac 02:99:00:00:00:0a timeout 60\nadd argus-edge-q4 10.99.0.10 timeout 60\nadd argus-edge-q6 fd00:99::a timeout 60\n');
  fw.add({ kind: 'block', target: '2001:db8::/32' }, 0);
  t.equal(fw.commands[fw.commands.length - 1]!.input, 'add argus-edge-b6 2001:db8::/32 timeout 0\n');
  fw.add({ kind: 'rate-limit', ip: '10.99.0.11' }, 10.2);
  t.equal(fw.commands[fw.commands.length - 1]!.input, 'add argus-edge-rl4 10.99.0.11 timeout 11\n');

  const st = fw.status();
  t.same(
    st.sets.map((s) => [s.name, s.entries.map((e) => `${e.entry}:${e.timeoutSec}`)]),
    [
      ['argus-edge-mac', ['02:99:00:00:00:0a:60']],
      ['argus-edge-q4', ['10.99.0.10:60']],
      ['argus-edge-q6', ['fd00:99::a:60']],
      ['argus-edge-b6', ['2001:db8::/32:0']],
      ['argus-edge-rl4', ['10.99.0.11:11']],
    ],
  );
  t.ok(st.rules.ipv4.includes('-I FORWARD 1 -m physdev --physdev-is-bridged -j ARGUS-EDGE'));

  fw.del({ kind: 'quarantine', mac: '02:99:00:00:00:0a', ips: ['10.99.0.10'] });
  t.equal(fw.commands[fw.commands.length - 1]!.input, 'del argus-edge-mac 02:99:00:00:00:0a\ndel argus-edge-q4 10.99.0.10\n');

  fw.sync([{ entry: { kind: 'block', target: '198.51.100.0/24' }, timeoutSec: 30 }]);
  t.match(fw.commands[fw.commands.length - 1]!.input, /^flush argus-edge-mac\n(flush argus-edge-[a-z0-9]+\n){6}add argus-edge-b4 198\.51\.100\.0\/24 timeout 30\n$/);
  t.same(fw.status().sets.flatMap((s) => s.entries.map((e) => e.entry)), ['198.51.100.0/24']);
  t.equal(fw.recorder.total, fw.commands.length);
});

t.test('bad input never reaches a command', async (t) => {
  const fw = new DryRunFirewall();
  fw.setup();
  const before = fw.recorder.total;
  t.throws(() => fw.add({ kind: 'quarantine', mac: '02:99:00:00:00:0a; reboot', ips: [] }, 60), /not a MAC address/);
  t.throws(() => fw.add({ kind: 'quarantine', mac: null, ips: ['10.99.0.10', '10.99.0.11 -j ACCEPT'] }, 60), /not an IP address/);
  t.throws(() => fw.add({ kind: 'quarantine', mac: null, ips: [] }, 60), /needs a MAC or at least one address/);
  t.throws(() => fw.add({ kind: 'block', target: '0.0.0.0/0' }, 60), /refusing to block every address/);
  t.throws(() => fw.add({ kind: 'block', target: '::/0' }, 60), /refusing to block every address/);
  t.throws(() => fw.add({ kind: 'rate-limit', ip: '10.99.0.0/24' }, 60), /not a single IP address/);
  t.throws(() => fw.del({ kind: 'block', target: 'evil.example' }), /not an IP address or CIDR prefix/);
  t.throws(() => fw.sync([{ entry: { kind: 'block', target: '198.51.100.0/24' }, timeoutSec: 1 }, { entry: { kind: 'block', target: 'x' }, timeoutSec: 1 }]));
  t.equal(fw.recorder.total, before, 'nothing was recorded for any of them');
  t.throws(() => firewallNames('ARGUS EDGE'), /response\.chain/);
  t.throws(() => firewallNames('A'.repeat(25)), /response\.chain/);
});

t.test('the recorder keeps the newest commands within its cap and counts all', async (t) => {
  const r = new RecordingRunner(3);
  for (let i = 0; i < 5; i++) r.run('ipset', ['x', String(i)]);
  t.equal(r.total, 5);
  t.same(r.commands.map((c) => c.args[1]), ['2', '3', '4']);
});

t.test('createFirewall: real only in inline mode with firewall auto', async (t) => {
  const cfg = (mode: string, firewall = 'auto') => loadConfig({ flags: { mode, 'response.firewall': firewall } });
  t.ok(createFirewall(cfg('passive')).dryRun);
  t.ok(createFirewall(cfg('replay')).dryRun);
  t.ok(createFirewall(cfg('inline', 'dry-run')).dryRun);
  const real = createFirewall(cfg('inline'));
  t.notOk(real.dryRun);
  t.ok(real instanceof KernelFirewall);
  t.equal(real.backend, 'iptables');
});

/** A runner that answers like a system without br_netfilter, or with it switched off. */
function fakeSystem(answer: (cmd: string, args: string[]) => { code: number; stdout?: string; stderr?: string }): CommandRunner & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    run(cmd, args) {
      seen.push([cmd, ...args].join(' '));
      const a = answer(cmd, args);
      return { code: a.code, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
    },
  };
}

t.test('setup explains what to do when bridged traffic bypasses iptables', async (t) => {
  const missing = fakeSystem((cmd) => (cmd === 'cat' ? { code: 1, stderr: 'No such file or directory' } : { code: 0 }));
  let err: unknown;
  try {
    new KernelFirewall({ runner: missing }).setup();
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof FirewallError, 'a FirewallError');
  const msg = (err as Error).message;
  t.match(msg, /br_netfilter is not loaded/);
  t.match(msg, /modprobe br_netfilter/);
  t.match(msg, /net\.bridge\.bridge-nf-call-iptables=1/);
  t.same(missing.seen, ['cat /proc/sys/net/bridge/bridge-nf-call-iptables'], 'nothing is changed before the check passes');
  const off = fakeSystem((cmd, args) => (cmd === 'cat' ? { code: 0, stdout: args[0]!.endsWith('ip6tables') ? '0\n' : '1\n' } : { code: 0 }));
  t.throws(() => new KernelFirewall({ runner: off }).setup(), /net\.bridge\.bridge-nf-call-ip6tables is 0, not 1/);
  const noIpset = fakeSystem((cmd) => (cmd === 'cat' ? { code: 0, stdout: '1\n' } : { code: -1, stderr: `${cmd} is not installed` }));
  t.throws(() => new KernelFirewall({ runner: noIpset }).setup(), /ipset is not installed \(Debian: apt-get install iptables ipset\)/);
});

t.test('without hash:mac, quarantined MACs become expiring rules in the MAC chain', async (t) => {
  let clock = Date.UTC(2026, 0, 2, 3, 4, 5);
  const runner = fakeSystem((cmd, args) => {
    if (cmd === 'cat') return { code: 0, stdout: '1\n' };
    if (cmd === 'ipset' && args.includes('hash:mac')) return { code: 1, stderr: 'ipset v7.17: Kernel error received: set type not supported' };
    return { code: 0 };
  });
  const fw = new KernelFirewall({ runner, nowMs: () => clock });
  fw.setup();
  t.equal(fw.macSet, false);
  runner.seen.length = 0;
  fw.add({ kind: 'quarantine', mac: '02:99:00:00:00:0a', ips: [] }, 3600);
  fw.add({ kind: 'quarantine', mac: '02:99:00:00:00:0b', ips: [] }, 0);
  t.same(runner.seen.filter((c) => c.startsWith('ipset')), [], 'no set holds the MACs');
  t.equal(runner.seen.filter((c) => c.startsWith('iptables-restore')).length, 2);
  t.equal(runner.seen.filter((c) => c.startsWith('ip6tables-restore')).length, 2);
  t.equal(
    macChainScript(firewallNames('ARGUS-EDGE'), [{ mac: '02:99:00:00:00:0a', untilMs: clock + 3600_000 }]),
    '*filter\n:ARGUS-EDGE-MAC - [0:0]\n-A ARGUS-EDGE-MAC -m mac --mac-source 02:99:00:00:00:0a -m time --datestop 2026-01-02T04:04:05 -m comment --comment "argus-edge: quarantined device" -j DROP\nCOMMIT\n',
  );
  t.notMatch(chainScript(firewallNames('ARGUS-EDGE'), 4, { macSet: false, ratePerSecond: 1, hook: false }), /argus-edge-mac|FORWARD/);
  clock += 3601_000;
  fw.del({ kind: 'quarantine', mac: '02:99:00:00:00:0b', ips: [] });
  t.equal(fw.status().macSet, false);
});

t.test('remove finds our chains and every jump into them in a save dump', async (t) => {
  const n = firewallNames('ARGUS-EDGE');
  const dump = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':ARGUS-EDGE - [0:0]',
    ':ARGUS-EDGE-MAC - [0:0]',
    ':ARGUS-EDGE-OTHER - [0:0]',
    '-A FORWARD -m physdev --physdev-is-bridged -j ARGUS-EDGE',
    '-A FORWARD -i eth0 -j ARGUS-EDGE-OTHER',
    '-A ARGUS-EDGE -j ARGUS-EDGE-MAC',
    '-A ARGUS-EDGE-MAC -m mac --mac-source 02:99:00:00:00:0a -m comment --comment "argus-edge: quarantined device" -j DROP',
    'COMMIT',
  ].join('\n');
  const found = ourSavedLines(n, dump);
  t.same(found.declarations, [':ARGUS-EDGE - [0:0]', ':ARGUS-EDGE-MAC - [0:0]']);
  t.same(found.jumps, ['-A FORWARD -m physdev --physdev-is-bridged -j ARGUS-EDGE']);
  t.equal(found.rules.length, 2);
  t.equal(removeScript(found), '*filter\n-D FORWARD -m physdev --physdev-is-bridged -j ARGUS-EDGE\n-F ARGUS-EDGE\n-F ARGUS-EDGE-MAC\n-X ARGUS-EDGE\n-X ARGUS-EDGE-MAC\nCOMMIT\n');
  t.equal(removeScript(ourSavedLines(n, '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n')), null, 'nothing of ours: nothing to run');
});
