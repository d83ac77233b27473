/**
 * What the web server needs from the rest of the appliance. `run` builds it from the pipeline; route tests build
 * it from a real store and a dry-run responder.
 */
import type { GeoLookup } from '../enrich/index.js';
import type { Bus } from '../bus.js';
import type { FleetView } from '../fleet/index.js';
import type { Config } from '../config.js';
import type { ActionResult, ActionService } from '../respond/types.js';
import type { Store } from '../store/db.js';

/** capture health shown on the overview page and in /api/v1/health */
export interface CaptureHealth {
  mode: Config['mode'];
  iface: string;
  packets: number;
  bytes: number;
  flows: number;
  activeFlows: number;
  drops: { kernel: number; interface: number };
  /** records the store's write queue dropped because it was full (commits failing) */
  queueDrops?: number;
  /** half-open flows of a detected SYN flood counted into its incident instead of stored one by one */
  floodFolded?: number;
  /** packet time of the newest packet, µs (0 before the first) */
  lastPacketUs: number;
}

/** an integration shown in Settings with its health */
export interface IntegrationHealth {
  name: string;
  enabled: boolean;
  ok: boolean;
  detail: string;
}

export interface ModelStatus {
  /** id of the model in use, null when models are off or none is loaded yet */
  activeId: string | null;
  /** 'off', 'learning' (collecting the baseline), 'training', 'scoring' */
  state: 'off' | 'learning' | 'training' | 'scoring';
  /** learning period progress in [0, 1] (1 when not learning) */
  learningProgress: number;
  flowsScored: number;
  /** meta.json of the active model (training date, flow count, losses, threshold) */
  meta: Record<string, unknown> | null;
  lastError: string | null;
  /** flows collected for the learning period so far (null when this appliance does not learn) */
  baselineFlows?: number | null;
  /** the alert threshold in force and where it comes from (absent when no model is loaded) */
  threshold?: {
    value: number;
    /** model: the model's own; learning: raised while learning; adapted: to this network's scores */
    source: 'model' | 'learning' | 'adapted';
    modelThreshold: number;
    adaptEnabled: boolean;
    /** peaks of this network's scores collected, and how many the threshold waits for */
    peaks: number;
    minPeaks: number;
    lo: number;
    hi: number;
    q: number | null;
    lastFitUs: number;
  } | null;
}

export interface ModelService {
  status(): ModelStatus;
  /** start a retrain on the flows collected so far (in a worker); refused with a reason when one runs */
  retrain(actor: string, opts?: { force?: boolean }): { ok: true } | { ok: false; error: string };
  /**
   * make the model registered before the active one the active one again, and score with it; refused with a
   * reason when there is none, its files are gone, or a training runs (absent: not offered)
   */
  rollback?(actor: string): Promise<{ ok: true; id: string } | { ok: false; error: string }>;
}

export interface WebDeps {
  config: Config;
  store: Store;
  bus: Bus;
  actions: ActionService;
  models: ModelService;
  capture(): CaptureHealth;
  integrations(): IntegrationHealth[];
  /** the time the UI calls "now", µs: packet time in replay, wall time live */
  nowUs(): number;
  /** start a vulnerability scan of the device now (absent: no scanner attached) */
  scan?(mac: string, actor: string): ActionResult;
  /** advice from the trust stage for one device, most severe first (absent or null: derive it from its alerts) */
  recommend?(mac: string): { severity: 1 | 2 | 3; text: string }[] | null;
  /** send a test message on every notification channel, or the one named (absent: none configured) */
  notifyTest?(actor: string, channel?: string): Promise<{ channel: string; ok: boolean; error?: string }[]>;
  /** the fleet views of a head (absent: not a head) */
  fleet?: FleetView;
  /** brings the Prometheus gauges up to date before /metrics answers (run: pipeline.updateMetrics()) */
  refreshMetrics?(): void;
  /** country and AS of remote addresses (absent or null: enrich.enabled is false) */
  geo?: GeoLookup | null;
}
