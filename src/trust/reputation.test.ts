/**
 * Feed formats: each one written to a file the way its publisher writes it (header comments, quoting,
 * odd lines), loaded through Reputation from disk, and looked up. No network.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { FeedSpec } from '../config/intel-schema.js';
import { defaultConfig, loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { detectFormat, parseFeed, splitCsv, type FeedFormat } from './feed-formats.js';
import { Reputation, type IntelConfig } from './reputation.js';

const FEODO_CSV = `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
# Last updated: 2024-05-01 10:07:33 UTC                        #
#                                                              #
# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #
# For questions please contact feodotracker [at] abuse.ch      #
################################################################
#
"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2021-01-17 07:30:05","192.0.2.5","443","online","2024-05-01","Pikabot"
"2023-02-01 11:00:00","198.51.100.23","8080","offline","2024-04-02","QakBot"
"2023-02-01 11:00:00","not-an-ip","8080","offline","2024-04-02","QakBot"
# END 3 entries
`;

const FEODO_OLD_CSV = `# Feodo Tracker ipblocklist (older export)
#
# Firstseen,DstIP,DstPort,LastOnline,Malware
2021-01-17 07:30:05,192.0.2.6,443,2023-05-04,Dridex
2021-01-18 07:30:05,192.0.2.7,447,2023-05-04,Emotet
`;

const THREATFOX_CSV = `################################################################
# ThreatFox IOCs: CSV export                                   #
################################################################
#
# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
"2024-05-01 10:00:00", "1234", "203.0.113.7:8080", "ip:port", "botnet_cc", "win.cobalt_strike", "", "Cobalt Strike", "", "100", "", "None", "0", "abuse_ch"
"2024-05-01 10:00:01", "1235", "evil-c2.example", "domain", "botnet_cc", "win.agent_tesla", "", "Agent Tesla", "", "75", "", "None", "0", "abuse_ch"
"2024-05-01 10:00:02", "1236", "http://203.0.113.9/payload.exe", "url", "payload_delivery", "unknown", "", "Unknown", "", "50", "", "None", "0", "abuse_ch"
"2024-05-01 10:00:03", "1237", "d41d8cd98f00b204e9800998ecf8427e", "md5_hash", "payload", "unknown", "", "Unknown", "", "50", "", "None", "0", "abuse_ch"
`;

const SPAMHAUS_DROP = `; Spamhaus DROP List 2024/05/01 - (c) 2024 The Spamhaus Project SLU
; https://www.spamhaus.org/drop/drop.txt
; Last-Modified: Wed, 01 May 2024 06:12:58 GMT
; Expires: Thu, 02 May 2024 07:12:23 GMT
192.0.2.0/25 ; SBL256894\r
198.51.100.0/24 ; SBL123\r
garbage ; SBL9\r
`;

const SPAMHAUS_JSON = `{"cidr":"203.0.113.0/26","sblid":"SBL555","rir":"ripencc"}
{"cidr":"2001:db8:66::/48","sblid":"SBL556","rir":"ripencc"}
{"type":"metadata","timestamp":1714550400,"size":2,"records":2,"copyright":"(c) 2024 The Spamhaus Project SLU"}
`;

const FIREHOL_NETSET = `#
# firehol_level1
#
# ipv4 hash:net ipset
#
# Maintainer      : FireHOL
# Entries         : 4 subnets, 1 unique IPs
#
0.0.0.0/8
192.0.2.128/25
198.51.100.77
224.0.0.0/3
`;

const URLHAUS_HOSTFILE = `################################################################
# abuse.ch URLhaus Host file                                   #
################################################################
#
127.0.0.1\tlocalhost
127.0.0.1\tmalware-drop.example
127.0.0.1\tcdn.payloads.example
127.0.0.1\t203.0.113.99
`;

const STEVENBLACK_HOSTS = `# Title: StevenBlack/hosts
127.0.0.1 localhost
127.0.0.1 localhost.localdomain
255.255.255.255 broadcasthost
::1 localhost
fe80::1%lo0 localhost
0.0.0.0 0.0.0.0
0.0.0.0 ads.tracker.example track.tracker.example # two names on one line
`;

const DOMAINS = `# phishing domains
login-bank.example
*.wild.example
.dot.example
Mixed.Case.Example.
com
not a domain!
`;

const PLAIN_IPS = `# local list
192.0.2.200 # a comment after the entry
198.51.100.0/28 ; and another
2001:db8:bad::1
2001:db8:bad:1::/64
999.1.1.1
`;

const feed = (name: string, path: string, format: FeedFormat = 'auto', kind: FeedSpec['kind'] = 'other'): FeedSpec => ({ name, url: null, path, format, kind });

function intel(feeds: FeedSpec[], cacheDir: string): IntelConfig {
  return { ...defaultConfig().intel, feeds, cacheDir };
}

t.test('every format is detected from its text', async (t) => {
  t.equal(detectFormat(FEODO_CSV), 'abusech-csv');
  t.equal(detectFormat(FEODO_OLD_CSV), 'abusech-csv');
  t.equal(detectFormat(THREATFOX_CSV), 'abusech-csv');
  t.equal(detectFormat(SPAMHAUS_DROP), 'spamhaus');
  t.equal(detectFormat(SPAMHAUS_JSON), 'spamhaus');
  t.equal(detectFormat(FIREHOL_NETSET), 'ip');
  t.equal(detectFormat(URLHAUS_HOSTFILE), 'hosts');
  t.equal(detectFormat(STEVENBLACK_HOSTS), 'hosts');
  t.equal(detectFormat(DOMAINS), 'domains');
  t.equal(detectFormat(PLAIN_IPS), 'ip');
  t.equal(detectFormat('# only comments\n\n'), 'ip');
});

t.test('CSV fields: quoted, escaped, bare, spaced', async (t) => {
  t.same(splitCsv('"a","b ""c""",d, "e" ,'), ['a', 'b "c"', 'd', 'e', '']);
  t.same(splitCsv('"unterminated'), ['unterminated']);
});

t.test('each format loads from a file and is looked up with its feed name and note', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: [string, string, FeedFormat, FeedSpec['kind']][] = [
    ['feodo', FEODO_CSV, 'abusech-csv', 'c2'],
    ['feodo-old', FEODO_OLD_CSV, 'auto', 'c2'],
    ['threatfox', THREATFOX_CSV, 'auto', 'c2'],
    ['drop', SPAMHAUS_DROP, 'spamhaus', 'drop'],
    ['dropv6', SPAMHAUS_JSON, 'auto', 'drop'],
    ['firehol', FIREHOL_NETSET, 'netset', 'drop'],
    ['urlhaus', URLHAUS_HOSTFILE, 'hosts', 'malware'],
    ['ads', STEVENBLACK_HOSTS, 'auto', 'other'],
    ['phish', DOMAINS, 'domains', 'phishing'],
    ['local', PLAIN_IPS, 'ip', 'other'],
  ];
  const feeds = files.map(([name, text, format, kind]) => {
    const p = join(dir, `${name}.list`);
    writeFileSync(p, text);
    return feed(name, p, format, kind);
  });
  const lines: string[] = [];
  const rep = await Reputation.load(intel(feeds, join(dir, 'cache')), createLogger('debug', (l) => lines.push(l)));
  const ip = (a: string) => {
    const h = rep.lookupIp(a);
    return h === null ? null : `${h.feed} ${h.entry}${h.note ? ` (${h.note})` : ''}${h.alsoIn.length ? ` also ${h.alsoIn.join(',')}` : ''}`;
  };
  const dom = (a: string) => {
    const h = rep.lookupDomain(a);
    return h === null ? null : `${h.feed} ${h.entry}${h.note ? ` (${h.note})` : ''}`;
  };

  t.equal(ip('192.0.2.5'), 'feodo 192.0.2.5 (Pikabot, port 443)', 'Feodo CSV with its malware and port; the exact address beats the DROP /25');
  t.equal(ip('198.51.100.23'), 'feodo 198.51.100.23 (QakBot, port 8080)');
  t.equal(ip('192.0.2.6'), 'feodo-old 192.0.2.6 (Dridex, port 443)', 'older header-in-a-comment export');
  t.equal(ip('203.0.113.7'), 'threatfox 203.0.113.7 (Cobalt Strike, port 8080)', 'ThreatFox ip:port');
  t.equal(dom('www.evil-c2.example'), 'threatfox evil-c2.example (Agent Tesla)', 'ThreatFox domain');
  t.equal(ip('203.0.113.9'), 'threatfox 203.0.113.9 (Unknown)', "a URL's IP host");
  t.equal(ip('192.0.2.100'), 'drop 192.0.2.0/25 (SBL256894)', 'Spamhaus with CRLF line ends');
  t.equal(ip('198.51.100.5'), 'local 198.51.100.0/28', 'the more specific prefix wins over the DROP /24');
  t.equal(ip('198.51.100.200'), 'drop 198.51.100.0/24 (SBL123)');
  t.equal(ip('203.0.113.60'), 'dropv6 203.0.113.0/26 (SBL555)', 'Spamhaus JSON lines');
  t.equal(ip('2001:db8:66:1::1'), 'dropv6 2001:db8:66::/48 (SBL556)');
  t.equal(ip('192.0.2.130'), 'firehol 192.0.2.128/25');
  t.equal(ip('198.51.100.77'), 'firehol 198.51.100.77');
  t.equal(dom('malware-drop.example'), 'urlhaus malware-drop.example');
  t.equal(dom('x.cdn.payloads.example'), 'urlhaus cdn.payloads.example');
  t.equal(ip('203.0.113.99'), 'urlhaus 203.0.113.99', 'an address in a hosts file is an address entry');
  t.equal(dom('localhost'), null, 'localhost-style names are skipped');
  t.equal(dom('track.tracker.example'), 'ads track.tracker.example');
  t.equal(dom('tracker.example'), null);
  t.equal(dom('login-bank.example'), 'phish login-bank.example');
  t.equal(dom('a.wild.example'), 'phish wild.example');
  t.equal(dom('dot.example'), 'phish dot.example');
  t.equal(dom('mixed.case.example'), 'phish mixed.case.example');
  t.equal(dom('anything.com'), null, 'a bare TLD is never an entry');
  t.equal(ip('192.0.2.200'), 'local 192.0.2.200');
  t.equal(ip('2001:db8:bad::1'), 'local 2001:db8:bad::1');
  t.equal(ip('2001:db8:bad:1::99'), 'local 2001:db8:bad:1::/64');
  t.equal(ip('203.0.113.100'), null);
  t.equal(ip('8.8.8.8'), null);

  const st = new Map(rep.feeds().map((f) => [f.name, f]));
  t.match(st.get('feodo'), { format: 'abusech-csv', ips: 2, domains: 0, bad: 1 });
  t.match(st.get('threatfox'), { format: 'abusech-csv', ips: 2, domains: 1 });
  t.match(st.get('drop'), { format: 'spamhaus', ips: 2, bad: 1 });
  t.match(st.get('dropv6'), { format: 'spamhaus', ips: 2, bad: 0 });
  t.match(st.get('firehol'), { format: 'netset', ips: 4 });
  t.match(st.get('urlhaus'), { format: 'hosts', domains: 2, ips: 1, bad: 0 });
  t.match(st.get('ads'), { format: 'hosts', domains: 2, bad: 0 });
  t.match(st.get('phish'), { format: 'domains', domains: 4, bad: 2 });
  t.match(st.get('local'), { format: 'ip', ips: 4, bad: 1 });
  t.ok(lines.some((l) => /feodo: 1 unusable lines \(first: .*not-an-ip/.test(l)), 'bad lines are logged with a sample');
});

t.test('maxEntries caps the index and counts what it dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, 'big.txt');
  writeFileSync(p, Array.from({ length: 100 }, (_, i) => `10.1.${i}.1`).join('\n'));
  const warn: string[] = [];
  const rep = await Reputation.load({ ...intel([feed('big', p)], join(dir, 'c')), maxEntries: 60 }, createLogger('warn', (l) => warn.push(l)));
  t.equal(rep.size, 60);
  t.match(rep.feeds()[0], { ips: 100, dropped: 40 });
  t.notOk(rep.lookupIp('10.1.60.1'));
  t.ok(rep.lookupIp('10.1.59.1'));
  t.match(warn.join('\n'), /40 entries dropped at intel.maxEntries/);
});

t.test('parseFeed never throws on arbitrary bytes', async (t) => {
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 200; i++) {
    const text = Buffer.from(Array.from({ length: 500 }, rnd)).toString('latin1');
    for (const f of ['auto', 'ip', 'spamhaus', 'abusech-csv', 'hosts', 'domains'] as const) parseFeed(text, f, { ip: () => {}, domain: () => {} });
  }
  t.pass('no exception');
});

t.test('feeds in the configuration: mappings in YAML, name=source strings in the environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const yml = join(dir, 'c.yaml');
  writeFileSync(
    yml,
    `intel:\n  feeds:\n    - { name: feodo, url: https://feodotracker.abuse.ch/downloads/ipblocklist.csv, format: abusech-csv, kind: c2 }\n    - name: local\n      path: /etc/argus-edge/block.txt\n`,
  );
  const c = loadConfig({ file: yml });
  t.same(c.intel.feeds, [
    { name: 'feodo', url: 'https://feodotracker.abuse.ch/downloads/ipblocklist.csv', path: null, format: 'abusech-csv', kind: 'c2' },
    { name: 'local', url: null, path: '/etc/argus-edge/block.txt', format: 'auto', kind: 'other' },
  ]);
  const e = loadConfig({ env: { ARGUS_EDGE_INTEL_FEEDS: 'drop:spamhaus=https://www.spamhaus.org/drop/drop.txt,mine=/tmp/x.txt' } });
  t.same(e.intel.feeds.map((f) => [f.name, f.format, f.url, f.path]), [
    ['drop', 'spamhaus', 'https://www.spamhaus.org/drop/drop.txt', null],
    ['mine', 'auto', null, '/tmp/x.txt'],
  ]);
  writeFileSync(yml, `intel:\n  feeds:\n    - { name: x, url: ftp://a, path: /b }\n`);
  t.throws(() => loadConfig({ file: yml }), /intel\.feeds: expected a list whose items are a feed.*exactly one of url and path/);
  writeFileSync(yml, `intel:\n  feeds:\n    - { name: x, path: /b, format: csv }\n`);
  t.throws(() => loadConfig({ file: yml }), /format: auto\|ip/);
  t.throws(() => new Reputation({ ...defaultConfig().intel, feeds: [feed('a', '/x'), feed('a', '/y')] }, createLogger('error')), /used twice/);
  t.same(defaultConfig().decoys.ports, [23, 2323, 445, 3389, 5900]);
  t.equal(defaultConfig().decoys.enabled, false);
});
