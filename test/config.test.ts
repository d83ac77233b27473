import t from 'tap';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configKeys, defaultConfig, envName, loadConfig } from '../src/config.js';
import { renderConfigYaml } from '../src/config/render.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-config-'));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

t.test('config.yaml documents every key with its default', async (t) => {
  const committed = readFileSync(new URL('../config.yaml', import.meta.url), 'utf8');
  t.equal(committed, renderConfigYaml(), 'config.yaml is regenerated from the schema (npx tsx scripts/config-yaml.ts > config.yaml)');
  t.same(loadConfig({ file: new URL('../config.yaml', import.meta.url).pathname }), defaultConfig());
  for (const { path } of configKeys()) {
    const leaf = path.split('.').pop()!;
    t.match(committed, new RegExp(`# .+\\n\\s*${leaf}:`), `${path} has a comment`);
  }
});

t.test('defaults', async (t) => {
  const c = defaultConfig();
  t.equal(c.mode, 'passive');
  t.equal(c.web.port, 8080);
  t.equal(c.flow.timeouts.tcpClosed, 5);
  t.ok(c.homeNets.includes('192.168.0.0/16'));
});

t.test('a YAML file overrides defaults, nested keys and lists included', async (t) => {
  const f = write('ok.yaml', 'mode: inline\niface: br0\nflow:\n  timeouts:\n    udp: 120\nhomeNets: [192.168.1.0/24, "2001:db8::/32"]\n');
  const c = loadConfig({ file: f });
  t.equal(c.mode, 'inline');
  t.equal(c.flow.timeouts.udp, 120);
  t.equal(c.flow.timeouts.tcpNew, 30, 'siblings keep their defaults');
  t.same(c.homeNets, ['192.168.1.0/24', '2001:db8::/32']);
});

t.test('errors name the key, the file and the line, all at once', async (t) => {
  const f = write('bad.yaml', 'mode: sideways\nweb:\n  port: 99999\n  hots: 0.0.0.0\nflow:\n  timeouts:\n    udp: soon\nhomeNets:\n  - 10.0.0.0/33\n');
  const p = problemsOf(() => loadConfig({ file: f }));
  t.equal(p.length, 5, p.join('\n'));
  t.match(p[0], `${f}:1: mode: expected one of passive, inline, replay, got 'sideways'`);
  t.match(p[1], `${f}:3: web.port: expected an integer from 0 to 65535, got 99999`);
  t.match(p[2], `${f}:4: unknown key 'web.hots' (did you mean 'web.host'?)`);
  t.match(p[3], `${f}:7: flow.timeouts.udp: expected a number ≥ 1, got 'soon'`);
  t.match(p[4], `${f}:9: homeNets: expected a list whose items are a prefix length from 0 to 32 (item 1 is not)`);
});

t.test('YAML syntax errors and unreadable files are reported with their place', async (t) => {
  const f = write('syntax.yaml', 'mode: passive\nweb:\n  port: [1,\n');
  const p = problemsOf(() => loadConfig({ file: f }));
  t.equal(p.length, 1);
  t.match(p[0], new RegExp(`^${f}:\\d+: YAML syntax:`));
  t.match(problemsOf(() => loadConfig({ file: join(dir, 'absent.yaml') }))[0], 'cannot read the configuration file');
  t.match(problemsOf(() => loadConfig({ file: write('dup.yaml', 'mode: passive\nmode: inline\n') }))[0], 'YAML syntax');
});

t.test('environment variables override the file; lists are comma-separated', async (t) => {
  t.equal(envName('response.autoQuarantine'), 'ARGUS_EDGE_RESPONSE_AUTOQUARANTINE');
  const f = write('env.yaml', 'web:\n  port: 9000\n');
  const c = loadConfig({
    file: f,
    env: { ARGUS_EDGE_WEB_PORT: '9100', ARGUS_EDGE_HOMENETS: '10.1.0.0/16, fd00::/8', ARGUS_EDGE_CAPTURE_PROMISC: 'off', PATH: '/bin' },
  });
  t.equal(c.web.port, 9100);
  t.same(c.homeNets, ['10.1.0.0/16', 'fd00::/8']);
  t.equal(c.capture.promisc, false);
  const p = problemsOf(() => loadConfig({ env: { ARGUS_EDGE_WEB_PORT: 'x', ARGUS_EDGE_WEB_PROT: '1' } }));
  t.match(p[0], "environment ARGUS_EDGE_WEB_PORT (web.port): expected an integer from 0 to 65535, got 'x'");
  t.match(p[1], 'environment ARGUS_EDGE_WEB_PROT: unknown key (did you mean ARGUS_EDGE_WEB_PORT?)');
});

t.test('flags win over everything; cross-key rules are checked', async (t) => {
  const c = loadConfig({ env: { ARGUS_EDGE_WEB_PORT: '9100' }, flags: { 'web.port': '9200' } });
  t.equal(c.web.port, 9200);
  t.match(problemsOf(() => loadConfig({ flags: { 'flow.emergencyRecovery': '0.95' } }))[0], 'must be below flow.emergencyThreshold');
});
