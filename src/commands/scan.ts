/**
 * `argus-edge scan IP|MAC`: one nmap scan of one device, now, printed as open ports and findings.
 * The address must lie inside scan.scope (homeNets when empty) whether or not scan.enabled is set: the command
 * is an admin's explicit request, the scope is the safety rail. When the store file exists the scan is recorded
 * there (a MAC is looked up in it) and shows on the dashboard.
 */
import { existsSync } from 'node:fs';
import { Bus } from '../bus.js';
import type { Config } from '../config.js';
import { parseMac, macToString } from '../decode/addr.js';
import { Store } from '../store/db.js';
import { recommend } from '../trust/recommend.js';
import { ScanScope, VulnScanner, type ScanResult } from '../trust/vuln-scan.js';

/** Runs the scan and prints it; exit code 0 when it completed, 1 when it was refused or failed. */
export async function commandScan(cfg: Config, target: string, opts: { json: boolean; nmapPath?: string }): Promise<number> {
  const store = existsSync(cfg.store.path) ? Store.open({ ...cfg.store, log: () => {} }) : null;
  try {
    let ip = target;
    let mac: string | null = null;
    const macNum = parseMac(target);
    if (macNum !== null) {
      mac = macToString(macNum);
      const scope = new ScanScope(cfg);
      const known = store?.devices.addresses(mac).map((a) => scope.check(a.ip)).find((a) => a !== null);
      if (known === undefined || known === null) {
        process.stderr.write(`argus-edge scan: no address inside scan.scope is known for ${mac}${store === null ? ` (no store at ${cfg.store.path})` : ''}\n`);
        return 1;
      }
      ip = known;
    }
    const inventory = store === null ? null : { macForIp: (a: string) => store.devices.macForIp(a), addressesOf: () => [], list: () => [] };
    const scanner = new VulnScanner(new Bus(), store, inventory, null, cfg, { nmapPath: opts.nmapPath, log: () => {} });
    const started = Date.now();
    const res = await scanner.scanNow(ip, mac);
    if (opts.json) {
      const { run: _run, ...rest } = res;
      process.stdout.write(JSON.stringify({ ...rest, elapsedSeconds: (Date.now() - started) / 1000 }) + '\n');
    } else {
      process.stdout.write(formatScan(res, (Date.now() - started) / 1000));
    }
    return res.status === 'done' ? 0 : 1;
  } finally {
    store?.close();
  }
}

const SEVERITY = { 1: 'high', 2: 'medium', 3: 'low' } as const;

export function formatScan(r: ScanResult, seconds: number): string {
  const who = r.mac === null ? r.ip : `${r.ip} (${r.mac})`;
  if (r.status !== 'done') return `scan of ${who} failed: ${r.error}\n`;
  const lines = [`scan of ${who}: done in ${seconds.toFixed(1)} s`];
  lines.push(r.openPorts.length === 0 ? 'open ports: none' : 'open ports:');
  for (const p of r.openPorts) lines.push(`  ${`${p.port}/${p.proto}`.padEnd(10)} ${p.service || '?'}`);
  lines.push(r.findings.length === 0 ? 'findings: none' : 'findings:');
  for (const f of r.findings) lines.push(`  [${SEVERITY[f.severity]}] ${f.text}`);
  const advice = recommend({ evidence: [], findings: r.findings });
  if (advice.length > 0) lines.push('to do:', ...advice.map((a) => `  - ${a.text}`));
  lines.push(`vulnerability component: ${r.score}`);
  return lines.join('\n') + '\n';
}
