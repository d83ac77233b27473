/**
 * Golden test (Zeek's btest baselines): replay captures, write EVE-JSON, compare with the stored baseline in
 * test/baseline/. Replays run in packet time, so the output is deterministic and needs no normalising.
 * Baselines change only through the explicit update command:
 *
 *   npm run golden:update      (GOLDEN_UPDATE=1 tap test/golden.test.ts)
 *
 * Review the diff of test/baseline/ before committing it.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline.js';
import { sharedPcap, SHARED_PCAPS_SKIP } from './support/shared-pcaps.js';

const UPDATE = process.env.GOLDEN_UPDATE === '1';
const dir = mkdtempSync(join(tmpdir(), 'argus-golden-'));

async function eveOf(file: string, out: string): Promise<string> {
  // The models are left out: retraining the bundled model must not rewrite the flow baselines. So is the
  // enrichment: a new release of the address databases would (test/enrich-output.test.ts checks argus.*_geoip).
  const cfg = loadConfig({ flags: { mode: 'replay', 'eve.path': out, 'models.enabled': 'false', 'enrich.enabled': 'false' } });
  const p = new Pipeline(cfg, createLogger('error'));
  await replayFile(file, p.pkt, p.handlePacket);
  await p.shutdown();
  return readFileSync(out, 'utf8');
}

const CASES: { name: string; file: () => string | null }[] = [
  { name: 'web-page-load', file: () => sharedPcap('benign/web-page-load.pcapng') },
  { name: 'ftp-bruteforce', file: () => sharedPcap('attack/ftp-bruteforce.pcap') },
  { name: 'dns-tunnel-iodine', file: () => sharedPcap('attack/dns-tunnel-iodine.pcap') },
  { name: 'http-qinq', file: () => sharedPcap('odd/http-qinq-0.pcap') },
  { name: 'ipv6-fragmented-dns', file: () => sharedPcap('odd/ipv6-fragmented-dns.pcap') },
];

for (const c of CASES) {
  const file = c.file();
  t.test(`${c.name}: EVE output equals the baseline`, { skip: file === null ? SHARED_PCAPS_SKIP : false }, async (t) => {
    const first = await eveOf(file!, join(dir, `${c.name}.1.json`));
    const second = await eveOf(file!, join(dir, `${c.name}.2.json`));
    t.ok(first.length > 0, 'some EVE output');
    t.ok(first === second, 'two replays give byte-identical output');
    const baseline = new URL(`baseline/${c.name}.eve.json`, import.meta.url).pathname;
    if (UPDATE) {
      writeFileSync(baseline, first);
      t.pass(`baseline rewritten: ${baseline}`);
      return;
    }
    t.ok(existsSync(baseline), `baseline ${baseline} exists (create it with npm run golden:update)`);
    const expected = readFileSync(baseline, 'utf8');
    const got = first.split('\n');
    const want = expected.split('\n');
    const firstDiff = got.findIndex((line, i) => line !== want[i]);
    t.equal(got.length, want.length, 'same number of lines as the baseline');
    t.equal(firstDiff, -1, 'no line differs');
    if (firstDiff >= 0) t.comment(`first difference at line ${firstDiff + 1}:\n got: ${got[firstDiff]}\nwant: ${want[firstDiff]}`);
  });
}
