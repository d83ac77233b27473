/**
 * On a head: tells the admin when a sensor goes stale (no heartbeat for fleet.staleSeconds: the head is blind
 * to its segment, maybe because someone pulled its plug) and when it reports again, through the notification
 * channels (topics sensor.stale and sensor.back).
 *
 * Rate limits, in the spirit of the notice framework's `suppress_for`:
 * - one message per change: a sensor that stays stale is announced once, and its return once;
 * - the sensors that change in one check share one message ("3 sensors are stale: a, b, c"), so a head whose
 *   own network broke sends one message, not one per sensor;
 * - per sensor at most one stale message per `suppressMs` (an hour): a flapping sensor's further stale spells
 *   inside the hour are counted, said in its next message, and their returns are not announced;
 * - after the head (re)starts, every sensor gets staleSeconds to check in before it can be called stale, so a
 *   head that was down itself does not announce the whole fleet.
 * Wall clock: heartbeats are wall-clock times.
 */
import type { FleetStore } from '../store/fleet.js';
import type { Notice } from '../notify/types.js';
import type { SensorState } from './types.js';

export interface StaleWatchOptions {
  staleSeconds: number;
  /** where the message's link points (the head's dashboard), without a trailing slash */
  dashboardUrl: string;
  /** at most one stale message per sensor this often, ms (default one hour) */
  suppressMs?: number;
  nowMs?: () => number;
}

interface Watched {
  state: SensorState;
  /** its current stale spell was announced (so its return is too) */
  announced: boolean;
  lastStaleNoticeMs: number | null;
  /** stale spells not announced since the last message */
  suppressed: number;
  name: string;
  silentSinceMs: number;
}

export class StaleWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly startMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: FleetStore,
    private readonly o: StaleWatchOptions,
  ) {
    this.now = o.nowMs ?? Date.now;
    this.startMs = this.now();
  }

  /** Looks at every sensor once; returns the messages to send (none, one for the stale, one for the returned). */
  check(): Notice[] {
    const now = this.now();
    const suppressMs = this.o.suppressMs ?? 3_600_000;
    const stale: Watched[] = [];
    const back: Watched[] = [];
    for (const s of this.store.sensors()) {
      const heard = Math.max(s.lastHeartbeatMs ?? s.registeredMs, this.startMs);
      const age = now - heard;
      const state: SensorState = s.revoked ? 'offline' : age <= this.o.staleSeconds * 1000 ? 'online' : age >= 86_400_000 ? 'offline' : 'stale';
      const w = this.watched.get(s.id) ?? { state: 'online', announced: false, lastStaleNoticeMs: null, suppressed: 0, name: s.name, silentSinceMs: heard };
      w.name = s.name;
      if (state === 'stale' && w.state === 'online') {
        w.silentSinceMs = heard;
        if (w.lastStaleNoticeMs !== null && now - w.lastStaleNoticeMs < suppressMs) w.suppressed++;
        else {
          w.announced = true;
          w.lastStaleNoticeMs = now;
          stale.push({ ...w });
          w.suppressed = 0;
        }
      } else if (state === 'online' && w.state !== 'online') {
        if (w.announced) back.push({ ...w });
        w.announced = false;
      }
      // a revoked sensor is the admin's own doing: nothing to announce, and its return cannot happen
      if (s.revoked) w.announced = false;
      w.state = state;
      this.watched.set(s.id, w);
    }
    const out: Notice[] = [];
    if (stale.length > 0) out.push(this.notice('stale', stale, now));
    if (back.length > 0) out.push(this.notice('back', back, now));
    return out;
  }

  private notice(what: 'stale' | 'back', list: Watched[], now: number): Notice {
    const mins = (ms: number) => `${Math.max(1, Math.round(ms / 60_000))} min`;
    const names = list.map((w) => w.name);
    const title =
      what === 'stale'
        ? list.length === 1
          ? `Sensor ${names[0]} is stale: no heartbeat for ${mins(now - list[0]!.silentSinceMs)}`
          : `${list.length} sensors are stale: ${names.join(', ')}`
        : list.length === 1
          ? `Sensor ${names[0]} reports again after ${mins(now - list[0]!.silentSinceMs)} of silence`
          : `${list.length} sensors report again: ${names.join(', ')}`;
    const lines = list.map((w) => `• ${w.name}: last heartbeat ${new Date(w.silentSinceMs).toISOString().replace('T', ' ').slice(0, 19)} UTC${w.suppressed > 0 ? ` (stale ${w.suppressed} more time${w.suppressed === 1 ? '' : 's'} since the last message)` : ''}`);
    const text =
      what === 'stale'
        ? [...lines, 'While it is stale the head sees nothing of its segment; its results wait in its outbox if it still runs. Check its power and network.'].join('\n')
        : [...lines, 'Its results from the silent time arrive from its outbox.'].join('\n');
    return {
      id: `sensor-${what}-${now}-${names.join(',')}`.slice(0, 200),
      topic: what === 'stale' ? 'sensor.stale' : 'sensor.back',
      // the same severity both ways, so every channel that hears of the silence also hears of its end
      severity: 'high',
      tsUs: now * 1000,
      title,
      text,
      kind: null,
      device: null,
      deviceName: null,
      links: [{ label: 'Open sensors', url: `${this.o.dashboardUrl}/fleet` }],
      data: { sensors: list.map((w) => ({ name: w.name, lastHeartbeat: new Date(w.silentSinceMs).toISOString(), staleTimesUnannounced: w.suppressed })) },
    };
  }
}
