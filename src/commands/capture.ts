/** `argus-edge replay` and `argus-edge run`: drive the pipeline from a capture file or a live interface. */
import { existsSync, statSync } from 'node:fs';
import { assetPath } from '../assets.js';
import { LiveCapture } from '../capture/live.js';
import { firstPacketUs, replayFile, type ReplaySummary } from '../capture/replay.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Appliance } from '../appliance.js';
import { Pipeline } from '../pipeline.js';
import { startWebServer, type WebServer } from '../web/server.js';
import { int, progressLine, summaryText } from './format.js';

/** The bundled demo capture, replayed when replay mode has no capture.pcap. */
export const DEMO_CAPTURE = 'demo/demo.pcap';

function checkCaptureFile(path: string): void {
  if (!existsSync(path)) throw new Error(`capture file '${path}' does not exist`);
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`'${path}' is not a file`);
  if (st.size === 0) throw new Error(`capture file '${path}' is empty (0 bytes): nothing to replay (was the capture stopped before it wrote anything?)`);
}

/**
 * The store's line of the summary when it could not save everything (a full or failing disk), with the exit
 * code that says so (3); nothing and 0 when every write landed.
 */
function storeOutcome(p: Pipeline): { lines: string[]; code: number } {
  const st = p.store?.stats();
  if (st === undefined || st.flushErrors === 0) return { lines: [], code: 0 };
  const dropped = Object.values(st.dropped).reduce((a, b) => a + b, 0);
  const lost = dropped + st.depth;
  const head = `store     ${int(st.flushErrors)} failed commits (${st.lastError ?? 'unknown error'})`;
  if (lost === 0) return { lines: [`${head}; writing resumed and nothing was lost`], code: 0 };
  return { lines: [`${head}; ${int(dropped)} items dropped while the queue was full, ${int(st.depth)} not saved at exit`], code: 3 };
}

/** Resolve on the first SIGINT/SIGTERM; aborts `ac`. The handlers are removed when `done` is called. */
function onStopSignal(ac: AbortController, log: Logger): () => void {
  const stop = (sig: NodeJS.Signals) => {
    if (!ac.signal.aborted) log.info(`${sig}: stopping, exporting open flows`);
    ac.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}

function alertsText(p: Pipeline, modelId: string | null): string {
  const counts = Object.entries(p.alertCounts()).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const scored = p.scorer ? `; ${int(p.scorer.scored)} flows scored by ${modelId}` : '; anomaly models off';
  return `alerts    ${counts.length > 0 ? counts.map(([k, v]) => `${k} ${int(v)}`).join(', ') : 'none'}${scored}`;
}

function damageText(r: ReplaySummary): string[] {
  return r.error ? [`damaged   capture ends badly at byte ${int(r.error.offset)}: ${r.error.message}; every packet before it was processed`] : [];
}

export async function commandReplay(cfg: Config, log: Logger, file: string, opts: { json: boolean; store: boolean }): Promise<number> {
  checkCaptureFile(file);
  // a replay is a measurement: it scores with the configured model and never trains one mid-file
  const pipeline = new Pipeline({ ...cfg, mode: 'replay', models: { ...cfg.models, learn: false } }, log, { store: opts.store });
  const modelId = await pipeline.loadModel();
  const out = cfg.eve.path === '-' ? process.stderr : process.stdout;
  const ac = new AbortController();
  const removeSignals = onStopSignal(ac, log);
  const bar = process.stderr.isTTY && !cfg.capture.realtime;
  const t0 = performance.now();
  let r: ReplaySummary;
  try {
    r = await replayFile(file, pipeline.pkt, pipeline.handlePacket, {
      bpf: cfg.capture.bpf || undefined,
      realtime: cfg.capture.realtime,
      signal: ac.signal,
      onIdle: () => pipeline.flushOutputs(),
      onProgress: bar ? (done, total) => process.stderr.write(`\r${progressLine(done, total)}`) : undefined,
    });
  } finally {
    removeSignals();
    if (bar) process.stderr.write('\r\x1b[K');
  }
  await pipeline.shutdown();
  const seconds = (performance.now() - t0) / 1000;
  const s = pipeline.summary();
  const stored = storeOutcome(pipeline);
  if (opts.json) {
    out.write(JSON.stringify({ file, format: r.format, ...s, alerts: pipeline.alertCounts(), model: modelId, filtered: r.filtered, seconds, error: r.error, store: pipeline.store?.health() ?? null }) + '\n');
  } else {
    const extra = [alertsText(pipeline, modelId), ...(r.filtered > 0 ? [`filtered  ${int(r.filtered)} packets dropped by the BPF filter`] : []), ...damageText(r), ...stored.lines];
    out.write(`${file} (${r.format})\n${summaryText(s, seconds, extra)}\n`);
  }
  return r.error ? 2 : stored.code;
}

export interface RunOptions {
  /** replay mode: stop when the capture file ends instead of serving the dashboard until SIGINT/SIGTERM */
  exitAtEnd?: boolean;
}

export async function commandRun(cfg: Config, log: Logger, opts: RunOptions = {}): Promise<number> {
  let live: LiveCapture | null = null;
  const drops = () => {
    const st = live?.stats();
    return { kernel: st?.dropped ?? 0, interface: st?.ifDropped ?? 0 };
  };
  const ac = new AbortController();
  const removeSignals = onStopSignal(ac, log);
  let appliance: Appliance;
  const replayPath = cfg.mode === 'replay' ? cfg.capture.pcap || assetPath(DEMO_CAPTURE) : null;
  try {
    if (replayPath !== null) checkCaptureFile(replayPath);
    // replay: packet time from the start, so the start-up entries are in the capture's clock too
    const clockStartUs = replayPath === null ? undefined : ((await firstPacketUs(replayPath)) ?? undefined);
    appliance = await Appliance.start(cfg, log, { drops, clockStartUs });
  } catch (err) {
    removeSignals();
    throw err;
  }
  const pipeline = appliance.pipeline;
  const modelId = pipeline.models.model?.id ?? null;
  if (modelId !== null) log.info(`scoring flows with model ${modelId}`);
  let web: WebServer;
  try {
    web = await startWebServer(appliance.webDeps(drops), { log: (m) => log.warn(m) });
  } catch (err) {
    removeSignals();
    await appliance.stop();
    throw err;
  }
  log.info(`dashboard on ${web.url} (metrics on ${web.url}/metrics, health on /healthz)`);
  if (web.needsSetup) {
    log.info(`no dashboard user yet: run 'argus-edge passwd' to set the admin password, or open ${web.url}/setup from this machine`);
    log.info(`setup code: ${web.setupCode} (the setup page asks for it; it changes at every start)`);
  } else {
    log.info('sign in with the admin password set by argus-edge passwd');
  }
  const t0 = performance.now();
  let lastPackets = 0;
  const status = setInterval(() => {
    const s = pipeline.summary();
    const d = drops();
    const queued = Object.values(pipeline.store?.stats().dropped ?? {}).reduce((a, b) => a + b, 0);
    const folded = pipeline.flows.stats.folded;
    log.info(
      `status: ${int(s.packets)} packets (+${int(s.packets - lastPackets)}), ${int(pipeline.flows.stats.active)} active flows, ${int(s.flows)} exported` +
        `${folded > 0 ? `, ${int(folded)} flood flows folded` : ''}; drops ${int(d.kernel)} kernel, ${int(d.interface)} interface, ${int(queued)} store queue`,
    );
    lastPackets = s.packets;
    // `argus-edge retrain` in another process activates its model in the registry; switch to it
    void pipeline.models.poll();
  }, 10_000);
  status.unref();
  try {
    if (cfg.mode === 'replay') {
      const file = replayPath!;
      log.info(`replaying ${file}${cfg.capture.realtime ? ' in real time' : ''}${cfg.capture.loop ? ', looping' : ''}; stop with Ctrl-C`);
      const r = await replayFile(file, pipeline.pkt, pipeline.handlePacket, {
        bpf: cfg.capture.bpf || undefined,
        realtime: cfg.capture.realtime,
        loop: cfg.capture.loop,
        signal: ac.signal,
        onIdle: () => pipeline.flushOutputs(),
        interactive: web.busy,
      });
      if (!ac.signal.aborted && opts.exitAtEnd !== true) {
        // the file is done: export its open flows so the dashboard shows all of it, then keep serving
        pipeline.flows.flush('shutdown');
        pipeline.flushOutputs();
        log.info(
          `replay finished:\n${summaryText(pipeline.summary(), (performance.now() - t0) / 1000, [alertsText(pipeline, modelId), ...damageText(r)])}\n` +
            `the dashboard stays up on ${web.url} to explore the results; stop with Ctrl-C (--exit-at-end stops here)`,
        );
        await new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
        await appliance.stop();
        return r.error ? 2 : 0;
      }
      await appliance.stop();
      const stored = storeOutcome(pipeline);
      log.info(`replay finished:\n${summaryText(pipeline.summary(), (performance.now() - t0) / 1000, [alertsText(pipeline, modelId), ...damageText(r), ...stored.lines])}`);
      return r.error ? 2 : stored.code;
    }
    if (cfg.iface === '') throw new Error(`mode '${cfg.mode}' captures live: set 'iface' in the configuration or pass --iface`);
    live = new LiveCapture(
      {
        iface: cfg.iface,
        bpf: cfg.capture.bpf,
        snaplen: cfg.capture.snaplen,
        promisc: cfg.capture.promisc,
        bufferSize: Math.round(cfg.capture.bufferSizeMB * 1024 * 1024),
      },
      pipeline.pkt,
      pipeline.handlePacket,
    );
    live.start();
    log.info(`capturing on ${cfg.iface} (${cfg.mode} mode)${cfg.capture.bpf ? ` with filter '${cfg.capture.bpf}'` : ''}; stop with Ctrl-C`);
    // Live packet time follows the wall clock between packets, so idle flows expire on a quiet link too.
    const tick = setInterval(() => pipeline.tick(Date.now() * 1000), 1000);
    await new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(tick);
    live.stop(); // delivers what the ring still holds first, so the counters below include it
    const st = live.stats();
    await appliance.stop();
    const drops = `capture   ${int(st.received)} received by the kernel filter, ${int(st.dropped)} dropped for lack of buffer, ${int(st.ifDropped)} dropped by the interface`;
    const stored = storeOutcome(pipeline);
    log.info(`capture stopped:\n${summaryText(pipeline.summary(), (performance.now() - t0) / 1000, [alertsText(pipeline, modelId), drops, ...stored.lines])}`);
    return stored.code;
  } finally {
    clearInterval(status);
    removeSignals();
    await web.close();
    await appliance.stop();
  }
}

