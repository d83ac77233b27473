/**
 * Child process of the store crash test: replays a capture (readCaptureFile → decodePacket → FlowTable)
 * into a store, over and over with packet time shifted past the previous pass, until killed or `passes`
 * is reached. Every flow is stored; every REJ flow also raises an Alert (a refused connection attempt), and
 * after each commit the ids of the alerts in it are printed as "committed <id>".
 *
 * Usage: tsx test/support/store-writer.ts <capture> <store.db> [passes=1000] [batchSize=200]
 *
 * stdout goes to a pipe, which Node writes synchronously on Linux: a printed line left the process before
 * the next row was written, so every id the parent read was committed before the kill.
 */
import { readCaptureFile } from '../../src/capture/pcap-file.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeStats } from '../../src/decode/events.js';
import { Packet } from '../../src/decode/packet.js';
import { DEFAULT_FLOW_CONFIG, FlowTable } from '../../src/flow/flow-table.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import type { Alert } from '../../src/detectors/alert.js';
import { Store } from '../../src/store/db.js';

const [capture, storePath, passesArg, batchArg] = process.argv.slice(2);
if (capture === undefined || storePath === undefined) {
  process.stderr.write('usage: store-writer <capture> <store.db> [passes] [batchSize]\n');
  process.exit(2);
}
const passes = Number(passesArg ?? 1000);

const store = Store.open({
  path: storePath,
  batchSize: Number(batchArg ?? 200),
  flushIntervalMs: 1000,
  onCommit: (r) => {
    for (const id of r.alertIds) process.stdout.write(`committed ${id}\n`);
    process.stdout.write(`flows ${r.flows}\n`);
  },
});

function alertFor(f: FlowRecord): Alert {
  return {
    id: `scan.port.vertical:${f.srcIp}:${f.communityId}:${f.startUs}`,
    tsUs: f.endUs,
    kind: 'scan.port.vertical',
    signature: `Connection to ${f.dstIp}:${f.dstPort} refused`,
    severity: 3,
    confidence: 0.5,
    srcIp: f.srcIp,
    srcMac: f.srcMac,
    targets: [f.dstIp],
    destPort: f.dstPort,
    proto: f.protoName,
    evidence: [{ text: `SYN to ${f.dstIp}:${f.dstPort} rejected (REJ)`, flowIds: [f.flowId], communityIds: [f.communityId] }],
    suggestedResponse: 'monitor',
  };
}

const table = new FlowTable(DEFAULT_FLOW_CONFIG, (f) => {
  store.addFlow(f);
  if (f.connState === 'REJ') store.addAlert(alertFor(f));
});
const stats = new DecodeStats();
const pkt = new Packet();
let shiftUs = 0;
let firstUs = -1;
let lastUs = 0;
for (let pass = 0; pass < passes; pass++) {
  const sum = await readCaptureFile(capture, pkt, (p) => {
    if (firstUs < 0) firstUs = p.tsUs;
    if (p.tsUs > lastUs) lastUs = p.tsUs;
    p.tsUs += shiftUs;
    p.reset();
    if (decodePacket(p, stats) && p.ipVersion !== 0) table.add(p);
    else table.advance(p.tsUs);
    store.tick(p.tsUs);
  });
  if (sum.packets === 0) break;
  // the next pass starts an hour after this one ended: past every timeout, so each flow of this pass is
  // exported before its 5-tuple comes round again
  shiftUs += lastUs - firstUs + 3_600_000_000;
  table.advance(firstUs + shiftUs - 1);
}
table.flush('shutdown');
store.close();
process.stdout.write('done\n');
