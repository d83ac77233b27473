import t from 'tap';
import { join } from 'node:path';
import { Store } from '../store/db.js';
import { ALLOW_LIST_SETTING, AllowList } from './allow-list.js';
import { applianceHosts, defaultGateways4, defaultGateways6, nameservers } from './appliance-hosts.js';
import { parsePrefix } from './firewall-address.js';

t.test('matching MACs, addresses and prefixes', async (t) => {
  const a = new AllowList(['02:99:00:00:00:0A', '10.99.1.0/24', '2001:db8::/32'], null);
  t.match(a.exemption('02:99:00:00:00:0a', []), /allow-list entry 02:99:00:00:00:0a \(config\)/);
  t.match(a.exemption(null, ['10.99.1.77']), /10\.99\.1\.0\/24/);
  t.match(a.exemption('02:99:00:00:00:0b', ['10.99.0.1', '2001:DB8:0:0::5']), /2001:db8::\/32/, 'any of the addresses');
  t.equal(a.exemption('02:99:00:00:00:0b', ['10.99.0.1', 'garbage']), null);
  t.match(a.blockExemption(parsePrefix('10.0.0.0/8')), /10\.99\.1\.0\/24/, 'a block covering an allowed prefix');
  t.match(a.blockExemption(parsePrefix('10.99.1.5')), /10\.99\.1\.0\/24/, 'a block inside an allowed prefix');
  t.equal(a.blockExemption(parsePrefix('198.51.100.0/24')), null);
  t.throws(() => new AllowList(['not-an-entry'], null), /not a MAC address, IP address or CIDR prefix/);
});

t.test('protected hosts: bounded, the oldest forgotten first and counted', async (t) => {
  const a = new AllowList([], null, { maxProtected: 3 });
  t.equal(a.protect('10.99.0.1', 'gateway'), '10.99.0.1');
  a.protect('10.99.0.2', 'dns (dhcp)');
  a.protect('10.99.0.3', 'dns (dhcp)');
  a.protect('10.99.0.1', 'gateway (renewed)');
  a.protect('10.99.0.4', 'dns (dhcp)');
  t.same(a.protectedEntries().map((p) => p.entry), ['10.99.0.3', '10.99.0.1', '10.99.0.4'], 'a re-protected entry counts as new');
  t.equal(a.protectedEvicted, 1);
  t.match(a.exemption(null, ['10.99.0.1']), /protected \(gateway \(renewed\)\)/);
  t.equal(a.exemption(null, ['10.99.0.2']), null);
  t.ok(a.unprotect('10.99.0.4'));
  t.throws(() => a.protect('gateway', 'x'), /not a MAC address/);
});

t.test('run-time entries persist in the store settings', async (t) => {
  const store = Store.open({ path: join(t.testdir(), 'a.db'), log: () => {} });
  t.teardown(() => store.close());
  const a = new AllowList(['10.99.1.0/24'], store.registry, { maxRuntime: 2 });
  t.match(a.add('FD00:99::0010', 'admin', 5, 'nas'), { ok: true, entry: 'fd00:99::10' });
  t.match(a.add('10.99.1.0/24', 'admin', 6, null), { ok: false, error: /already on the allow-list/ });
  t.match(a.add('02:99:00:00:00:0c', 'admin', 7, null), { ok: true });
  t.match(a.add('02:99:00:00:00:0d', 'admin', 8, null), { ok: false, error: /at most 2 run-time entries/ });
  t.match(a.remove('10.99.1.0/24', 9), { ok: false, error: /remove it there/ });
  t.match(a.remove('10.99.2.0/24', 9), { ok: false, error: /not on the allow-list/ });
  t.match(store.registry.setting(ALLOW_LIST_SETTING), [{ entry: 'fd00:99::10', actor: 'admin', tsUs: 5, reason: 'nas' }, { entry: '02:99:00:00:00:0c' }]);
  // a hand-edited row with one bad entry: the good ones still load
  store.registry.setSetting(ALLOW_LIST_SETTING, [...store.registry.setting<unknown[]>(ALLOW_LIST_SETTING)!, { entry: 'bogus', actor: 'x', tsUs: 1, reason: null }], 10);
  const b = new AllowList([], store.registry);
  t.same(b.entries(), [
    { entry: 'fd00:99::10', source: 'runtime' },
    { entry: '02:99:00:00:00:0c', source: 'runtime' },
  ]);
  t.match(b.remove('fd00:99::10', 11), { ok: true });
  t.same(new AllowList([], store.registry).entries().map((e) => e.entry), ['02:99:00:00:00:0c']);
});

t.test('the appliance\'s own hosts come from the kernel and resolver files', async (t) => {
  const hosts = applianceHosts({
    route4: 'Iface\tDestination\tGateway \tFlags\nbr0\t00000000\t0100A8C0\t0003\nbr0\t0000A8C0\t00000000\t0001\n',
    route6: [
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 br0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000003 00000000 00000003 br0',
    ].join('\n'),
    resolvConf: ['nameserver 127.0.0.53\n', '# from DHCP\nnameserver 192.168.0.1\nnameserver 2001:db8::53\nnameserver fe80::1%br0\n'],
    interfaces: {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      br0: [{ address: '192.168.0.2', netmask: '255.255.255.0', family: 'IPv4', mac: 'DC:A6:32:00:00:01', internal: false, cidr: '192.168.0.2/24' }],
    },
  });
  t.same(hosts, [
    { entry: '192.168.0.2', why: 'this appliance (br0)' },
    { entry: 'dc:a6:32:00:00:01', why: 'this appliance (br0)' },
    { entry: '192.168.0.1', why: 'default gateway' },
    { entry: 'fe80::1', why: 'default gateway' },
    { entry: '2001:db8::53', why: 'DNS server' },
  ]);
  t.same(defaultGateways4('garbage\n\n'), []);
  t.same(defaultGateways6('0 0 0\n'), []);
  t.same(nameservers(['nameserver not-an-address\n']), []);
});
