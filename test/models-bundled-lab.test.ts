/**
 * The bundled model (models/default) on a network it has never seen: a namespace lab of real tools, replayed
 * through the whole pipeline (`evaluatePipeline`, as `argus-edge eval` does). An admin's successful SSH key
 * logins to the gateway and ordinary page fetches raise nothing, although no training network has SSH; an
 * nmap SYN scan from another host beside them is still found, by the models as well as by the detectors.
 * Needs root (network namespaces), tcpdump, nmap, curl and OpenSSH (sshd, ssh, ssh-keygen); skips otherwise.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { evaluatePipeline } from '../src/eval/index.js';
import { flowsFromPcap } from '../src/models/flows-from-pcap.js';
import { createLogger } from '../src/log.js';
import { nmapSkipReason, sshdSkipReason, sshKeyLogin, startHttpServer, startKeySshd, startTcpdump } from './support/lab-services.js';
import { settle } from './support/lab-detect.js';
import { createSwitchLab, netnsSkipReason } from './support/netns.js';

const missing = (cmd: string): string | null => (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error ? `${cmd} is not installed` : null);
const skip = netnsSkipReason() ?? missing('tcpdump') ?? missing('curl') ?? sshdSkipReason() ?? (nmapSkipReason() || null);
const LOGINS = 6;

t.test('bundled model in a lab it never saw: SSH key logins and page fetches are quiet, a SYN scan beside them is not', { skip: skip ?? false, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-bundled-lab-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab = createSwitchLab(['gw', 'alice', 'mallory']);
  t.teardown(() => lab.cleanup());
  const [gw, alice, mallory] = [lab.addr('gw'), lab.addr('alice'), lab.addr('mallory')];

  const pcap = join(dir, 'lab.pcap');
  const labels = join(dir, 'labels.tsv');
  writeFileSync(labels, 'start_epoch_s\tend_epoch_s\tip\tlabel\n');
  const dump = await startTcpdump(lab, 'sw', 'br0', pcap);
  await settle();
  const web = await startHttpServer(lab, 'gw', { port: 8080, size: 4000 });
  const { sshd, clientKey } = await startKeySshd(lab, 'gw', dir);

  let ok = 0;
  for (let i = 0; i < LOGINS; i++) {
    if (await sshKeyLogin(lab, 'alice', gw, clientKey)) ok++;
    for (let k = 0; k < 3; k++) await lab.exec('alice', 'curl', ['-s', '-o', '/dev/null', '--max-time', '5', `${web.url4}/page/${i}-${k}`], { timeoutMs: 8000 });
  }
  t.equal(ok, LOGINS, `alice's ${LOGINS} key logins succeeded`);
  const start = Date.now() / 1000;
  const scan = await lab.exec('mallory', 'nmap', ['-sS', '-n', '-Pn', '-T4', '--max-retries', '1', '-p', '1-200', gw], { timeoutMs: 60_000 });
  t.equal(scan.code, 0, scan.stderr);
  appendFileSync(labels, `${start.toFixed(3)}\t${(Date.now() / 1000 + 0.5).toFixed(3)}\t${mallory}\tnmap-syn-scan\n`);
  await settle();
  await web.stop();
  await lab.stop(sshd);
  await dump.stop();

  const { records } = await flowsFromPcap(pcap);
  const sshFlows = records.filter((r) => r.srcIp === alice && r.dstIp === gw && r.dstPort === 22 && r.connState === 'SF');
  t.ok(sshFlows.length >= LOGINS, `${sshFlows.length} closed SSH connections of alice's in the capture`);

  const cfg = { ...loadConfig({ flags: { mode: 'replay' } }), homeNets: ['10.99.0.0/16'] };
  const r = await evaluatePipeline(cfg, createLogger('error'), [pcap], { labels: readFileSync(labels, 'utf8') });
  t.ok(r.model !== null && r.model.id.startsWith('default@'), `scored by the bundled model (${r.model?.id})`);
  t.equal(r.benignFlowsAlerted, 0, `no benign flow alerted by the models (${r.negatives} benign flows)`);
  t.same(r.falseByHost, [], 'no alert or incident names a benign host');
  t.equal(r.falseIncidents, 0);
  const w = r.labels[0]!;
  t.equal(w.detected, true, 'the scan is detected');
  t.ok((r.alertsByKind.anomaly ?? 0) >= 100, `the models alert on the scan's probes too (${r.alertsByKind.anomaly ?? 0} anomaly alerts)`);
});
