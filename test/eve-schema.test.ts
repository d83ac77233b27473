/**
 * Acceptance: a SIEM that reads Suricata reads our EVE unchanged. Replays real captures (every attack capture,
 * a few benign and odd ones) through the pipeline with EVE and the bundled models on, and validates every line
 * against Suricata's own schema made strict (test/support/suricata-schema.ts): no key Suricata does not define,
 * outside our `argus` namespace, and every Suricata field of Suricata's type. Skips with a message when the
 * shared captures or the reference schema are absent.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { ALERT_KINDS } from '../src/detectors/alert.js';
import { SIGNATURES } from '../src/detectors/signatures.js';
import { sharedPcap, SHARED_PCAPS_DIR, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';
import { eveValidator, SURICATA_SCHEMA_SKIP } from './support/suricata-schema.js';

const validate = eveValidator();
const filesIn = (sub: string): string[] =>
  sharedPcap(sub) === null ? [] : readdirSync(join(SHARED_PCAPS_DIR, sub)).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => `${sub}/${f}`);
const attack = filesIn('attack');
// every attack capture, four benign ones and the odd ones (the decoders' events); all small, a minute in all
const CAPTURES = [
  ...attack,
  ...['benign/web-page-load.pcapng', 'benign/laptop-browsing.pcap', 'benign/kitsune-iot-camera-lan.pcap', 'benign/iot-schlage-lock-01.pcap'].filter((f) => sharedPcap(f) !== null),
  ...filesIn('odd'),
];

const skip = validate === null ? SURICATA_SCHEMA_SKIP : attack.length === 0 ? SHARED_PCAPS_SKIP : false;

t.test('the strict schema catches what the old output had wrong', { skip: validate === null ? SURICATA_SCHEMA_SKIP : false }, async (t) => {
  const ok = { timestamp: '2026-01-15T10:00:00.000000+0000', event_type: 'flow', src_ip: '10.0.0.1', flow: { pkts_toserver: 1 }, argus: { anything: { goes: [1, null] } } };
  const bad: [string, object][] = [
    ['a Zeek field inside Suricata\'s flow', { ...ok, flow: { pkts_toserver: 1, conn_state: 'SF' } }],
    ['a null MAC', { ...ok, ether: { src_mac: '02:00:00:00:00:01', dest_mac: null } }],
    ['a numeric rcode', { ...ok, dns: { version: 3, rcode: 0 } }],
    ['answers as plain strings', { ...ok, dns: { version: 3, answers: ['10.0.0.2'] } }],
    ['dns without a version', { ...ok, dns: { rrname: 'a.test' } }],
    ['a tcp flag name Suricata does not use', { ...ok, tcp: { ece: true } }],
    ['a top-level key of ours outside argus', { ...ok, conn_state: 'SF' }],
    ['a metadata value that is not a list of strings', { ...ok, event_type: 'alert', alert: { signature: 'x', metadata: { argus_kind: 'scan' } } }],
  ];
  t.equal(validate!([JSON.stringify(ok)]).errorCount, 0, 'a line with Suricata keys and anything under argus passes');
  for (const [what, b] of bad) t.ok(validate!([JSON.stringify(b)]).errorCount > 0, `rejected: ${what}`);
});

t.test('every EVE line of real replays validates against Suricata\'s schema, strictly, outside `argus`', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-eve-schema-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const byType: Record<string, number> = {};
  const errors = new Map<string, { count: number; example: string; file: string }>();
  const sids = new Set<number>();
  let lines = 0;
  for (const rel of CAPTURES) {
    const out = join(dir, `${rel.replace(/\W/g, '_')}.json`);
    const cfg = loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.learn': 'false' } });
    const p = new Pipeline(cfg, createLogger('error'));
    await p.loadModel();
    try {
      await replayFile(sharedPcap(rel)!, p.pkt, p.handlePacket);
    } catch {
      // a damaged capture ends early; the lines before the damage are checked like any other
    }
    await p.shutdown();
    const text = readFileSync(out, 'utf8').split('\n');
    const r = validate!(text);
    lines += r.lines;
    for (const [k, n] of Object.entries(r.byType)) byType[k] = (byType[k] ?? 0) + n;
    for (const [k, e] of r.errors) {
      const seen = errors.get(k);
      if (seen) seen.count += e.count;
      else errors.set(k, { ...e, file: rel });
    }
    for (const l of text) if (l.includes('"event_type":"alert"')) sids.add((JSON.parse(l) as { alert: { signature_id: number } }).alert.signature_id);
  }
  t.comment(`${CAPTURES.length} captures, ${lines} lines: ${Object.entries(byType).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const [k, e] of errors) t.comment(`${e.count}× ${k}\n  first in ${e.file}: ${e.example}`);
  t.equal(errors.size, 0, 'no schema error outside argus');
  t.ok((byType.flow ?? 0) > 10_000, 'flow lines from every capture');
  t.ok((byType.alert ?? 0) > 10, 'alert lines from the attack captures');
  t.ok((byType.anomaly ?? 0) > 0, "decoder events as Suricata's anomaly lines");
  t.ok((byType.argus_anomaly ?? 0) > 0, 'model scores as argus_anomaly lines');
  const known = new Set(ALERT_KINDS.map((k) => SIGNATURES[k].signatureId));
  t.ok([...sids].every((s) => known.has(s)), `every alert's signature_id is in the table (${[...sids].sort().join(', ')})`);
});
