import t from 'tap';
import { recommend } from './recommend.js';
import { findingsFor } from './vuln-scan.js';

const port = (p: number) => ({ protocol: 'tcp', port: p, state: 'open', reason: 'syn-ack', service: '', product: '', version: '', tunnel: '' });

t.test('advice from evidence and findings, most severe first', async (t) => {
  const r = recommend({
    evidence: [
      { kind: 'anomaly', text: 'unusual flow to 203.0.113.9:443', penalty: 7, count: 3 },
      { kind: 'intel.blocklist', text: 'contact with blocklisted 198.51.100.66', penalty: 80, count: 1 },
      { kind: 'scan.port.vertical', text: 'port scan of 192.168.1.20 (30 ports)', penalty: 91, count: 1 },
      { kind: 'scan.port.vertical', text: 'port scan of 192.168.1.21 (30 ports)', penalty: 40, count: 1 },
    ],
    findings: findingsFor([port(23), port(1900)]),
  });
  t.same(r, [
    { severity: 1, text: 'port scanning from this device: check it for malware (unknown programs, remote-access tools) unless you ran the scan yourself' },
    { severity: 1, text: 'this device contacted a known malicious host or botnet controller (contact with blocklisted 198.51.100.66): quarantine and reset it' },
    { severity: 1, text: 'disable telnet on port 23 (use SSH, or turn remote login off)' },
    { severity: 3, text: 'disable UPnP (port 1900) if nothing needs it' },
    { severity: 3, text: 'unusual traffic from this device (unusual flow to 203.0.113.9:443): review its recent flows' },
  ]);
});

t.test('nothing to do, faded evidence, carried evidence', async (t) => {
  t.same(recommend({ evidence: [], findings: [] }), []);
  t.same(recommend({ evidence: [{ kind: 'scan.arp', text: 'ARP sweep', penalty: 0.6, count: 1 }], findings: [] }), [], 'evidence below a point is forgotten');
  const carried = { kind: 'carried', text: 'evidence recorded before the restart', penalty: 60, count: 1 };
  t.same(recommend({ evidence: [carried], findings: [], level: 'normal' }), []);
  t.match(recommend({ evidence: [carried], findings: [], level: 'critical' }), [{ severity: 2, text: /before the last restart/ }]);
  t.match(recommend({ evidence: [{ kind: 'something.new', text: 'odd thing', penalty: 20, count: 1 }], findings: [] }), [{ severity: 2, text: /odd thing/ }]);
});
