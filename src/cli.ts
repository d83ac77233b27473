#!/usr/bin/env node
/**
 * argus-edge command line. Each subcommand parses its flags, loads the configuration (file, ARGUS_EDGE_*
 * environment, flags) and runs. Exit codes: 0 success; 1 error (bad configuration, missing file, capture
 * failure, a store that is damaged, not ours or cannot be opened); 2 the capture file was damaged (every packet
 * before the damage was processed); 3 the store could not save everything (a full or failing disk; the summary
 * says how much was lost).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { ConfigError, configKeys, envName, loadConfig, type Config } from './config.js';
import { setConfigOrigin } from './config/edit.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';

interface Command {
  summary: string;
  usage: string;
  /** flag name → config key path it sets */
  configFlags: Record<string, string>;
  options: NonNullable<ParseArgsConfig['options']>;
  run(cfg: Config, values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const common = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Each command's module is imported when that command runs: the capture and model commands pull in libpcap,
 * SQLite, TensorFlow.js and the web server (~1.5 s of loading), which `passwd`, `status`, `--help` or a usage
 * error should not wait for.
 */
const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run the appliance (live capture, or replay with --mode replay)',
    usage: `argus-edge run [--mode passive|inline|replay] [--iface IF] [--pcap FILE] [--bpf EXPR]
                [--eve OUT.json] [--zeek-log DIR] [--store DB] [--port N] [--realtime] [--loop]
                [--exit-at-end] [--config FILE]

  Captures from --iface (passive: a mirror port or host NIC; inline: the bridge), or replays --pcap (default:
  the bundled demo capture) in replay mode, until SIGINT/SIGTERM. Open flows are then exported with end
  reason 'shutdown'. In replay mode the dashboard stays up after the file ends, so its results can be
  explored, until Ctrl-C; --exit-at-end stops when the file ends instead (for scripts). Flows, alerts and anomaly events go to the SQLite store (--store, store.path), and to
  InfluxDB when influx.url is set. --zeek-log DIR (zeek.dir) also writes Zeek's conn.log, dns.log and ssl.log
  there (zeek.format: tsv or json). Prometheus metrics are served on web.host:web.port (--port) at /metrics,
  health at /healthz. A status line goes to stderr every 10 s.`,
    configFlags: { mode: 'mode', iface: 'iface', pcap: 'capture.pcap', bpf: 'capture.bpf', eve: 'eve.path', 'zeek-log': 'zeek.dir', realtime: 'capture.realtime', loop: 'capture.loop', snaplen: 'capture.snaplen', store: 'store.path', port: 'web.port' },
    options: {
      mode: { type: 'string' },
      iface: { type: 'string', short: 'i' },
      pcap: { type: 'string', short: 'r' },
      bpf: { type: 'string', short: 'f' },
      eve: { type: 'string', short: 'e' },
      'zeek-log': { type: 'string' },
      realtime: { type: 'boolean' },
      loop: { type: 'boolean' },
      snaplen: { type: 'string', short: 's' },
      store: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'exit-at-end': { type: 'boolean' },
    },
    run: async (cfg, values) => (await import('./commands/capture.js')).commandRun(cfg, logFor(cfg), { exitAtEnd: values['exit-at-end'] === true }),
  },
  replay: {
    summary: 'run the pipeline over a capture file in packet time and print a summary',
    usage: `argus-edge replay FILE [--eve OUT.json] [--store DB] [--bpf EXPR] [--zeek-log DIR] [--realtime] [--json]
                    [--config FILE]

  Reads FILE (pcap or pcapng, any byte order and resolution) as fast as possible (or at the pace of its
  timestamps with --realtime), and prints packets, bytes, flows by conn_state and end reason, decoder events
  and packets/s. --eve - writes EVE-JSON to stdout (the summary then goes to stderr). --json prints the summary
  as JSON. --store DB also writes flows, alerts and anomaly events into that SQLite store. --zeek-log DIR
  writes Zeek's conn.log, dns.log and ssl.log into DIR (zeek.dir; zeek.format tsv or json), a row per flow
  record. A progress bar is drawn on stderr when it is a terminal.`,
    configFlags: { bpf: 'capture.bpf', eve: 'eve.path', 'zeek-log': 'zeek.dir', realtime: 'capture.realtime', store: 'store.path' },
    options: {
      bpf: { type: 'string', short: 'f' },
      eve: { type: 'string', short: 'e' },
      'zeek-log': { type: 'string' },
      realtime: { type: 'boolean' },
      json: { type: 'boolean' },
      store: { type: 'string' },
    },
    run: async (cfg, values, positionals) => {
      if (positionals.length !== 1) throw new UsageError('replay needs exactly one capture FILE');
      return (await import('./commands/capture.js')).commandReplay(cfg, logFor(cfg), positionals[0]!, { json: values.json === true, store: values.store !== undefined });
    },
  },
  train: {
    summary: 'train an anomaly model on benign capture files',
    usage: `argus-edge train --pcap PATH [--pcap PATH …] [PATH …] --out DIR [--name NAME] [--max-flows-per-pcap N] [--config FILE]

  PATH is a capture file or a directory (every .pcap and .pcapng under it, recursively). With
  --max-flows-per-pcap N at most N flows of each file are kept (a seeded subsample, models.seed), so one big
  capture does not outweigh the others. Builds flows from the captures (packet time), fits the preprocessing, the autoencoder and the isolation
  forest, calibrates them on held-out flows and writes the model to DIR (meta.json, model.json, weights.bin,
  forest.json, preprocess.json). Hyperparameters come from the models.* keys. Progress goes to stderr, a
  summary to stdout. Point models.dir at DIR to use it.`,
    configFlags: {},
    options: {
      pcap: { type: 'string', multiple: true, short: 'r' },
      out: { type: 'string', short: 'o' },
      name: { type: 'string' },
      'max-flows-per-pcap': { type: 'string' },
    },
    run: async (cfg, values, positionals) => {
      if (typeof values.out !== 'string') throw new UsageError('train needs --out DIR');
      const maxRaw = values['max-flows-per-pcap'];
      const max = typeof maxRaw === 'string' ? Number(maxRaw) : undefined;
      if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new UsageError('--max-flows-per-pcap needs a whole number ≥ 1');
      const paths = [...((values.pcap as string[] | undefined) ?? []), ...positionals];
      return (await import('./commands/models.js')).commandTrain(cfg, logFor(cfg), paths, values.out, { name: values.name as string | undefined, maxFlowsPerPcap: max });
    },
  },
  retrain: {
    summary: "train a model of this network on the flows in the store and make it the active one",
    usage: `argus-edge retrain [--hours H] [--force] [--store DB] [--config FILE]

  Reads the flows the appliance stored during the last H hours of packet time (default
  models.learningPeriodHours), at most models.maxTrainFlows of them evenly sampled, trains a model on them
  with the models.* hyperparameters and writes it under models.localDir (default: 'models' beside the store).
  Left out of training, and counted in the output: flows that raised an anomaly alert, flows of a device
  during one of its incidents (a minute either side), and flows of devices at trust alert or critical.
  The model becomes the active one in the store's registry; a running appliance switches to it within 10 s.
  When the active model caught flows together with a detector (an anomaly alert inside an incident of the
  same device) and the new one would alert on fewer than half of them, the new model is not activated and
  retrain exits 1 saying so; --force activates it anyway.
  The dashboard's Models page and POST /api/v1/models/retrain do the same inside the running appliance.`,
    configFlags: { store: 'store.path' },
    options: { hours: { type: 'string' }, store: { type: 'string' }, force: { type: 'boolean' } },
    run: async (cfg, values) => {
      const hours = values.hours === undefined ? undefined : Number(values.hours);
      if (hours !== undefined && !(hours > 0)) throw new UsageError(`--hours must be a positive number of hours, not '${String(values.hours)}'`);
      return (await import('./commands/models.js')).commandRetrain(cfg, logFor(cfg), hours, values.force === true);
    },
  },
  eval: {
    summary: 'measure the whole pipeline on labelled captures: detection and delay per attack, false alerts per hour',
    usage: `argus-edge eval --pcap FILE [--pcap FILE …] --labels FILE [--model DIR] [--grace S] [--json] [--config FILE]

  Replays each capture through the pipeline the appliance runs (detectors, the anomaly models with --model,
  default models.dir, and the incident tracker; homeNets, detectors.*, incidents.* from the configuration),
  in packet time, without a store or learning: the same inputs always give the same report.
  Labels are TSV lines 'start_epoch_s end_epoch_s host label', one attack window each; host is the attacker's
  IP (or MAC), or, when the label starts with 'victim:', the attacked host. Reported per window: whether an
  alert or incident named the host (as its source; as a target for victim labels) between the start and
  --grace seconds (default 60) after the end, the delay from the start to the first one (packet time at which
  it was raised), the first kind, alert and incident counts. Overall: alert lines and incidents by kind; false
  alerts and incidents (naming no labelled host inside its window) and their rate per hour of capture; for
  the models, ROC AUC and TPR at FPR 1% and 0.1% per model and for the ensemble, where a flow is labelled when
  either endpoint is a window's host and it overlaps the window. --json prints the report as one JSON object
  (keys: labels[].detected, labels[].delayS, falseAlertsPerHour, incidents, metrics.ensemble.rocAuc, …).`,
    configFlags: {},
    options: {
      model: { type: 'string', short: 'm' },
      pcap: { type: 'string', multiple: true, short: 'r' },
      labels: { type: 'string', short: 'l' },
      grace: { type: 'string' },
      json: { type: 'boolean' },
    },
    run: async (cfg, values) => {
      const grace = values.grace === undefined ? undefined : Number(values.grace);
      if (grace !== undefined && !(grace >= 0)) throw new UsageError(`--grace must be a number of seconds, not '${String(values.grace)}'`);
      return (await import('./commands/models.js')).commandEval(cfg, logFor(cfg), {
        model: values.model as string | undefined,
        pcaps: (values.pcap as string[] | undefined) ?? [],
        labels: values.labels as string | undefined,
        json: values.json === true,
        graceS: grace,
      });
    },
  },
  scan: {
    summary: 'scan one device with nmap now and print its open ports and findings',
    usage: `argus-edge scan IP|MAC [--json] [--store DB] [--config FILE]

  Runs nmap (-oX, an argument list, never a shell) against IP, or against the most recent address the store
  knows for MAC, and prints the open ports, the risky services found and what to do about them. The address
  must lie inside scan.scope (homeNets when empty), whether or not scan.enabled is set; anything else is
  refused. scan.ports, scan.serviceVersions and scan.timeoutSeconds apply. When the store file exists the scan
  is recorded in it. Exits 1 when the scan was refused or failed.`,
    configFlags: { store: 'store.path' },
    options: { json: { type: 'boolean' }, store: { type: 'string' } },
    run: async (cfg, values, positionals) => {
      if (positionals.length !== 1) throw new UsageError('scan needs exactly one IP or MAC');
      return (await import('./commands/scan.js')).commandScan(cfg, positionals[0]!, { json: values.json === true });
    },
  },
  firewall: {
    summary: "list (--status) or remove (--remove) the appliance's firewall chain, rules and ipset sets",
    usage: `argus-edge firewall [--status | --remove] [--json] [--netns NAME] [--config FILE]

  --status (the default) lists what the appliance put into the kernel firewall: its chain (response.chain,
  default ARGUS-EDGE) in iptables and ip6tables, the jump from FORWARD, and its ipset sets with their entries
  and the seconds left on each. --remove deletes all of it (idempotent; uninstalling runs it); quarantines and
  blocks recorded in the store are re-applied at the next start in inline mode. --netns NAME runs the programs
  inside that network namespace. Needs root (CAP_NET_ADMIN).`,
    configFlags: {},
    options: { status: { type: 'boolean' }, remove: { type: 'boolean' }, json: { type: 'boolean' }, netns: { type: 'string' } },
    run: async (cfg, values) => {
      if (values.status === true && values.remove === true) throw new UsageError('give --status or --remove, not both');
      return (await import('./commands/firewall.js')).commandFirewall(cfg, { remove: values.remove === true, json: values.json === true, netns: values.netns as string | undefined });
    },
  },
  passwd: {
    summary: "set a dashboard user's password (creates the user when the name is new)",
    usage: `argus-edge passwd [--user NAME] [--role admin|viewer] [--store DB] [--config FILE]

  Sets the password of the dashboard user NAME (default admin) in the store (store.path), creating the user
  with --role (default admin) when the name is new. The password (at least 10 characters) is read twice from
  the terminal without echo, or once, as the first line of standard input, when that is not a terminal:
    printf '%s\\n' "$PASSWORD" | argus-edge passwd --user admin
  A changed password ends the user's sessions. Works while the appliance runs.`,
    configFlags: { store: 'store.path' },
    options: { user: { type: 'string', short: 'u' }, role: { type: 'string' }, store: { type: 'string' } },
    run: async (cfg, values) => {
      const role = values.role as string | undefined;
      if (role !== undefined && role !== 'admin' && role !== 'viewer') throw new UsageError(`--role must be admin or viewer, not '${role}'`);
      return (await import('./commands/passwd.js')).commandPasswd(cfg, { user: (values.user as string | undefined) ?? 'admin', role });
    },
  },
  fleet: {
    summary: 'on a head: enrol a sensor (one-time token), list sensors, revoke one',
    usage: `argus-edge fleet enrol [--name NAME] [--json] | fleet list [--json] | fleet revoke ID [--config FILE]

  enrol prints a one-time enrolment token (valid 24 h) that carries the head's fleet API URL (fleet.publicUrl,
  or the first LAN address and fleet.port) and the SHA-256 fingerprint of its certificate; start a sensor once
  with fleet.role: sensor and fleet.enrolToken set to it. --name names the sensor at the head. list shows every
  sensor with its state (online, stale after fleet.staleSeconds without a heartbeat, offline) and last
  heartbeat; revoke ID ends that sensor's access (its requests are refused). Works while the appliance runs.`,
    configFlags: { store: 'store.path' },
    options: { name: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' } },
    run: async (cfg, values, positionals) => {
      const [action, id, extra] = positionals;
      if (action !== 'enrol' && action !== 'list' && action !== 'revoke') throw new UsageError("give enrol, list or revoke ID");
      if (action === 'revoke' && id === undefined) throw new UsageError('fleet revoke needs the sensor id');
      if ((action !== 'revoke' && id !== undefined) || extra !== undefined) throw new UsageError(`unexpected argument '${extra ?? id}'`);
      return (await import('./commands/fleet.js')).commandFleet(cfg, { action, id, name: values.name as string | undefined, json: values.json === true });
    },
  },
  token: {
    summary: 'create an API token for scripts (printed once)',
    usage: `argus-edge token create NAME [--role viewer|admin] [--user USER] [--days N] [--json] [--store DB] [--config FILE]

  Prints a new API token named NAME on standard output; it is shown only this once (the store keeps its
  SHA-256). --role viewer (the default) makes a read token (GET requests only), --role admin one that may also
  change things (acknowledge, quarantine, approve, assign scans, …). The token belongs to the dashboard user
  USER (default: the admin named admin, else the first admin) and never exceeds that user's role. It expires
  after N days (default 90, at most 3650). Send it as 'Authorization: Bearer <token>'; revoke it in Settings.
  The creation is written to the audit log (token.create, actor cli). Works while the appliance runs.`,
    configFlags: { store: 'store.path' },
    options: { role: { type: 'string' }, user: { type: 'string', short: 'u' }, days: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' } },
    run: async (cfg, values, positionals) => {
      const [action, name, extra] = positionals;
      if (action !== 'create') throw new UsageError('give create NAME');
      if (name === undefined) throw new UsageError('token create needs the token NAME');
      if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
      const role = (values.role as string | undefined) ?? 'viewer';
      if (role !== 'admin' && role !== 'viewer') throw new UsageError(`--role must be viewer or admin, not '${role}'`);
      return (await import('./commands/token.js')).commandTokenCreate(cfg, { name, role, user: values.user as string | undefined, days: values.days as string | undefined, json: values.json === true });
    },
  },
  status: {
    summary: "check the store's integrity and size without changing anything",
    usage: `argus-edge status [--json] [--config FILE]

  Opens the SQLite store (store.path) read-only, runs PRAGMA integrity_check and prints its schema version,
  size and row counts. Exits 1 when the store is damaged.`,
    configFlags: { store: 'store.path' },
    options: { json: { type: 'boolean' }, store: { type: 'string' } },
    run: async (cfg, values) => (await import('./commands/status.js')).commandStatus(cfg, { json: values.json === true }),
  },
};

class UsageError extends Error {}

function logFor(cfg: Config) {
  return createLogger(cfg.log.level);
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `argus-edge ${VERSION} — network security appliance: flows, anomaly scores, device trust, quarantine

Usage: argus-edge <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Options for every command:
  -c, --config FILE   configuration file (default: ARGUS_EDGE_CONFIG, else the built-in defaults;
                      config.yaml documents every key); ARGUS_EDGE_<KEY_PATH> variables override it
  -h, --help          help for a command
      --version       version, Node.js version, architecture, native parts

Run 'argus-edge <command> --help' for a command's options.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    const { versionText } = await import('./version.js');
    process.stdout.write(versionText() + '\n');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`argus-edge: unknown command '${name}'\n\n${help()}`);
    return 1;
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: { ...common, ...cmd.options }, allowPositionals: true, strict: true }));
  } catch (err) {
    process.stderr.write(`argus-edge ${name}: ${(err as Error).message}\n\nUsage: ${cmd.usage}\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(`Usage: ${cmd.usage}\n`);
    return 0;
  }
  const flags: Record<string, string> = {};
  for (const [flag, key] of Object.entries(cmd.configFlags)) {
    const v = values[flag];
    if (v !== undefined) flags[key] = String(v);
  }
  try {
    const file = (values.config as string | undefined) ?? process.env.ARGUS_EDGE_CONFIG;
    const cfg = loadConfig({ file: file || undefined, env: process.env, flags });
    const overridden = new Map<string, string>(configKeys().flatMap(({ path }) => (process.env[envName(path)] !== undefined ? [[path, envName(path)] as [string, string]] : [])));
    for (const key of Object.keys(flags)) overridden.set(key, 'a command-line flag');
    setConfigOrigin(cfg, { file: file ? resolve(file) : null, overridden });
    return await cmd.run(cfg, values, positionals);
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`argus-edge: ${err.message}\n`);
    else if (err instanceof UsageError) process.stderr.write(`argus-edge ${name}: ${err.message}\n\nUsage: ${cmd.usage}\n`);
    else process.stderr.write(`argus-edge ${name}: ${(err as Error)?.message ?? err}\n`);
    if (process.env.ARGUS_EDGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`argus-edge: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
