/**
 * The nmap XML parser on output of a real nmap run against listeners this test starts on 127.0.0.1, plus the
 * ways output goes wrong (truncated by a kill, not XML at all, mutated bytes): it never throws.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { parseNmapXml, parseXml } from './nmap-xml.js';
import { nmapSkipReason } from '../../test/support/lab-services.js';

const nmapSkip = nmapSkipReason();

async function listen(port = 0): Promise<Server> {
  const s = createServer((c) => c.end());
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  return s;
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;

/** Runs nmap on 127.0.0.1 against three listeners and one closed port; returns its XML and the ports. */
async function realNmap(t: Test): Promise<{ xml: string; open: number[]; closed: number }> {
  const servers = await Promise.all([listen(), listen(), listen()]);
  t.teardown(() => servers.forEach((s) => s.close()));
  const gone = await listen();
  const closed = portOf(gone);
  await new Promise((r) => gone.close(r));
  const open = servers.map(portOf).sort((a, b) => a - b);
  const xml = execFileSync('nmap', ['-n', '-Pn', '--noninteractive', '-oX', '-', '-p', [...open, closed].join(','), '127.0.0.1'], { encoding: 'utf8', timeout: 60_000 });
  return { xml, open, closed };
}

t.test('real nmap output', { skip: nmapSkip }, async (t) => {
  const { xml, open, closed } = await realNmap(t);
  const run = parseNmapXml(xml);
  t.equal(run.error, '');
  t.equal(run.exit, 'success');
  t.match(run.version, /^\d+\.\d+/);
  t.match(run.args, /-oX - -p [\d,]+ 127\.0\.0\.1$/);
  t.ok(run.start > 1_600_000_000);
  t.equal(run.hosts.length, 1);
  const h = run.hosts[0]!;
  t.equal(h.state, 'up');
  t.equal(h.ip, '127.0.0.1');
  t.same(h.ports.filter((p) => p.state === 'open').map((p) => p.port), open);
  t.same(h.ports.filter((p) => p.state === 'closed').map((p) => p.port), [closed]);
  t.ok(h.ports.every((p) => p.protocol === 'tcp'));
  t.match(h.ports.find((p) => p.port === closed)!.reason, /reset|conn-refused/);

  // a scan killed half-way: what was complete is kept, and the damage is reported
  const cut = xml.slice(0, xml.indexOf('</ports>') - 10);
  const partial = parseNmapXml(cut);
  t.match(partial.error, /ends inside|unterminated/);
  t.equal(partial.exit, '');
  t.equal(partial.hosts.length, 1);
  t.ok(partial.hosts[0]!.ports.length >= 1);
});

t.test('nmap reporting an error', async (t) => {
  const run = parseNmapXml(`<?xml version="1.0"?><nmaprun args="nmap -p x" version="7.93"><runstats><finished exit="error" errormsg="Error parsing port list &quot;x&quot;" elapsed="0.01"/></runstats></nmaprun>`);
  t.equal(run.exit, 'error');
  t.equal(run.error, 'Error parsing port list "x"');
  t.equal(run.hosts.length, 0);
});

t.test('XML details: entities, comments, single quotes, CDATA, self-closing', async (t) => {
  const { root, error } = parseXml(`<?xml version='1.0'?><!DOCTYPE a><!-- c <x> --><a k='1 &lt; 2 &amp;&#65;&#x42;'><![CDATA[<not a tag>]]><b/><c x="y" ></c></a>`);
  t.equal(error, null);
  const a = root.children[0]!;
  t.equal(a.attrs.k, '1 < 2 &AB');
  t.same(a.children.map((c) => c.name), ['b', 'c']);
  t.equal(a.children[1]!.attrs.x, 'y');
  t.match(parseXml('<a><b></a>').error, /does not match/);
  t.match(parseNmapXml('').error, /no <nmaprun>/);
  t.match(parseNmapXml('<html><body>502 Bad Gateway</body></html>').error, /no <nmaprun>/);
});

t.test('mutated output never throws', { skip: nmapSkip }, async (t) => {
  const { xml } = await realNmap(t);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    const chars = xml.split('');
    for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) chars[Math.floor(rand() * chars.length)] = '<>"=/&!?-x '[Math.floor(rand() * 11)]!;
    const cut = chars.join('').slice(0, Math.floor(rand() * xml.length * 1.1));
    const run = parseNmapXml(cut);
    if (run.error === '') parsed++;
    t.ok(Array.isArray(run.hosts));
  }
  t.ok(parsed < 2000, 'some mutations are reported as errors');
});
