/**
 * What the dashboard's browser tests share: the appliance as `argus-edge run --mode replay --loop` builds it
 * (bundled model, inventory, trust, dry-run policy) on a fresh store, its web server on 127.0.0.1, the demo capture
 * replayed through its pipeline without real-time pacing, and headless Debian Chromium (playwright-core) signed in
 * to it. The replay's packets go through the test's own `onPacket`, since each test holds or paces it its own way
 * (ReplayHold: wait at a point of packet time while the browser looks).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Test } from 'tap';
import { Appliance } from '../../src/appliance.js';
import { projectRoot } from '../../src/assets.js';
import { firstPacketUs, replayFile, type ReplaySummary } from '../../src/capture/replay.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Packet } from '../../src/decode/packet.js';
import { createLogger } from '../../src/log.js';
import type { Store } from '../../src/store/db.js';
import type { WebDeps } from '../../src/web/deps.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import { DEMO_CAPTURE } from './argus-run.js';
import { createUser } from './web-seed.js';

export const CHROMIUM = '/usr/bin/chromium';
/** tap's `skip` for a test that needs Chromium: false when it is installed, else why it cannot run. */
export const NEEDS_CHROMIUM: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;
/** where screenshots are left for a person to look at */
export const ARTIFACTS = join(projectRoot(), 'test-artifacts');
export const DEMO_PASSWORD = 'demo-password-123';

export interface DemoDashboard {
  app: Appliance;
  pipeline: Appliance['pipeline'];
  store: Store;
  server: WebServer;
  /** the temporary directory of the store (and eve.json) */
  dir: string;
  /** Replays the demo capture through the pipeline, looping, each packet through `onPacket`, until `signal` aborts. */
  replay(onPacket: (p: Packet) => void | Promise<void>, signal: AbortSignal): Promise<ReplaySummary>;
}

/**
 * Starts the appliance and its web server; both are stopped and the directory removed at the end of `t`. The
 * clock starts at the capture's first packet, as `run --mode replay` sets it (start-up audit entries in packet
 * time). `eve: false` writes no eve.json; `configure` sees the loaded config before the appliance starts,
 * `webDeps` the server's dependencies before it starts.
 */
export async function startDemoDashboard(
  t: Test,
  o: { name: string; eve?: boolean; configure?: (config: Config, dir: string) => void; webDeps?: (deps: WebDeps) => void },
): Promise<DemoDashboard> {
  const dir = mkdtempSync(join(tmpdir(), `argus-${o.name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.host': '127.0.0.1', 'web.port': '0', 'eve.path': o.eve === false ? '' : join(dir, 'eve.json'), 'capture.loop': 'true' } });
  o.configure?.(config, dir);
  const app = await Appliance.start(config, createLogger('warn'), { clockStartUs: (await firstPacketUs(DEMO_CAPTURE))! });
  const deps = app.webDeps();
  o.webDeps?.(deps);
  const server = await startWebServer(deps, { log: () => {} });
  t.teardown(async () => {
    await server.close();
    await app.stop();
  });
  const { pipeline, store } = app;
  return {
    app, pipeline, store, server, dir,
    replay: (onPacket, signal) => replayFile(DEMO_CAPTURE, pipeline.pkt, onPacket, { loop: true, signal, onIdle: () => pipeline.flushOutputs() }),
  };
}

/**
 * Holds a replay at `atUs` of packet time after its first packet: `reached` resolves when a packet gets there,
 * and that packet waits for `release()`. Once released, later packets pass.
 */
export class ReplayHold {
  readonly reached: Promise<void>;
  private readonly gate: Promise<void>;
  private firstUs = 0;
  private held = false;
  private onReached!: () => void;
  /** lets the held packet go on (also when none is held yet: then none will be) */
  release!: () => void;

  constructor(private readonly atUs: number) {
    this.reached = new Promise<void>((r) => (this.onReached = r));
    this.gate = new Promise<void>((r) => (this.release = r));
  }

  /** For every packet of the replay, in order: the release to wait for when `p` reaches the hold, else null. */
  check(p: Packet): Promise<void> | null {
    if (this.firstUs === 0) this.firstUs = p.tsUs;
    if (this.held || p.tsUs - this.firstUs < this.atUs) return null;
    this.held = true;
    this.onReached();
    return this.gate;
  }

  /** Packet time of `p` since the replay's first packet (µs). */
  sinceFirstUs(p: Packet): number {
    return p.tsUs - this.firstUs;
  }
}

/** Headless Chromium, closed at the end of `t`. */
export async function launchChromium(t: Test): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  return browser;
}

/**
 * A page of its own context at `width`×`height` that pushes onto `problems` what a page must not do: a script
 * error, a request answered 4xx/5xx and, unless `consoleErrors` is false, a console error (CSP violations among
 * them; Chromium's "Failed to load resource" repeats a failed request, which is already there).
 */
export async function openPage(browser: Browser, width: number, height: number, problems: string[], o: { consoleErrors?: boolean } = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
  if (o.consoleErrors !== false) page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
  page.on('pageerror', (e) => problems.push(e.message));
  return page;
}

/**
 * An admin (`password`) made in `store`, a web server on `deps` and a Chromium page at 1280×800 signed in as
 * that admin; `problems` collects what the page must not do (openPage). Everything stops at the end of `t`.
 */
export async function adminPage(t: Test, store: Store, deps: WebDeps, password: string): Promise<{ server: WebServer; page: Page; problems: string[] }> {
  await createUser(store, 'admin', password, 'admin');
  const server = await startWebServer(deps, { log: () => {} });
  t.teardown(() => server.close());
  const browser = await launchChromium(t);
  const problems: string[] = [];
  const page = await openPage(browser, 1280, 800, problems);
  await signIn(page, server, 'admin', password);
  return { server, page, problems };
}

/** Signs in through the login form; resolves once the Overview is shown. */
export async function signIn(page: Page, server: WebServer, username = 'admin', password = DEMO_PASSWORD): Promise<void> {
  await page.goto(server.url + '/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('main button[type=submit]')]);
}
