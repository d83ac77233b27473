import t from 'tap';
import { flowRecord } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { resolveDetectorConfig, type DetectorConfigInput } from './config.js';
import { LanSweepDetector } from './lan-sweep.js';
import type { FlowRecord } from '../flow/flow-record.js';

const T0 = 1_700_000_000_000_000;
const S = (s: number): number => T0 + Math.round(s * 1e6);
const LAN = (n: number): string => `192.168.1.${n}`;

/** an answered HTTPS session from `host` to the router: makes the host known */
function chatter(host: string, atS: number, flowId: number): FlowRecord {
  return flowRecord({ flowId, srcIp: host, dstIp: LAN(1), dstPort: 443, startUs: S(atS), endUs: S(atS + 1) });
}

/** one SYN from `src` to `dst:port`, refused (RST) or unanswered */
function probe(src: string, dst: string, port: number, atS: number, flowId: number, refused = true): FlowRecord {
  return flowRecord({
    flowId,
    srcIp: src,
    dstIp: dst,
    srcPort: 40000 + (flowId % 20000),
    dstPort: port,
    service: null,
    tlsSni: null,
    startUs: S(atS),
    endUs: S(atS + 0.001),
    pktsToServer: 1,
    pktsToClient: refused ? 1 : 0,
    payloadBytesToServer: 0,
    payloadBytesToClient: 0,
    tcpFlagsToServer: 0x02,
    tcpFlagsToClient: refused ? 0x14 : 0,
    history: refused ? 'Sr' : 'S',
    connState: refused ? 'REJ' : 'S0',
  });
}

function lab(patch: DetectorConfigInput = {}) {
  const alerts: Alert[] = [];
  const d = new LanSweepDetector(resolveDetectorConfig({ homeNets: ['192.168.1.0/24'], ...patch }), (a) => alerts.push(a));
  return { alerts, d };
}

/** a six-host LAN: the router .1 and hosts .10-.14, all chatting */
function sixHosts(d: LanSweepDetector): void {
  let id = 1;
  for (let round = 0; round < 3; round++) for (const h of [10, 11, 12, 13, 14]) d.onFlow(chatter(LAN(h), round * 10 + h / 10, id++));
}

t.test('a Mirai-style sweep of a six-host LAN: 6 hosts × 6 telnet/IoT ports in 0.2 s', async (t) => {
  const { alerts, d } = lab();
  sixHosts(d);
  t.equal(d.knownHosts(), 6);
  const ports = [23, 2323, 80, 8080, 7547, 5555];
  let id = 1000;
  for (const [i, h] of [1, 10, 11, 12, 13, 14].entries()) for (const [j, p] of ports.entries()) d.onFlow(probe(LAN(14 + 1), LAN(h), p, 40 + (i * 6 + j) * 0.005, id++, j % 2 === 0));
  // the sweeper .15 is itself quiet otherwise; its probes do not make it "known" until it sends something answered
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'scan.lan.sweep');
  t.equal(a.srcIp, LAN(15));
  t.equal(a.severity, 1);
  t.equal(a.suggestedResponse, 'quarantine');
  t.match(a.signature, /LAN sweep from 192\.168\.1\.15: [3-6] of 6 LAN hosts probed/);
  t.match(a.evidence[1]!.text, /TCP ports 23, 80, 2323, 5555, 7547, 8080/);
});

t.test('a LAN host refused by a neighbour or two, and an empty-subnet sweep against few hosts', async (t) => {
  const { alerts, d } = lab();
  sixHosts(d);
  // a phone trying two devices on a closed port
  d.onFlow(probe(LAN(10), LAN(11), 8009, 40, 500));
  d.onFlow(probe(LAN(10), LAN(12), 8009, 41, 501));
  t.same(alerts, [], 'two of five is not most');
  // probes of addresses where nothing lives do not count as hosts
  for (let h = 100; h < 200; h++) d.onFlow(probe(LAN(10), LAN(h), 23, 50 + h * 0.01, 600 + h, false));
  t.same(alerts, [], 'nobody there');
  // outside destinations are the horizontal scan detector's
  for (let h = 0; h < 50; h++) d.onFlow(probe(LAN(10), `203.0.113.${h}`, 23, 60 + h * 0.01, 900 + h, false));
  t.same(alerts, []);
});

t.test('sessions with data are never probes; known hosts expire', async (t) => {
  const { alerts, d } = lab({ portScan: { lanHostSeconds: 60 } });
  sixHosts(d);
  for (const h of [1, 11, 12, 13, 14]) d.onFlow(chatter(LAN(10), 30, 700 + h));
  t.same(alerts, []);
  // two hours later nobody is known: a sweep has nothing to be judged against until hosts talk again
  for (const h of [1, 11, 12, 13, 14]) d.onFlow(probe(LAN(10), LAN(h), 23, 7200 + h * 0.01, 800 + h, false));
  t.equal(d.knownHosts(), 1, 'only the sweeper itself, from its probes');
  t.same(alerts, []);
});
