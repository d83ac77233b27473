/**
 * Each notification channel's health in /metrics: queue depth and delivery totals, read from the notifier when
 * Prometheus scrapes (never counted on the pipeline's path).
 */
import { Counter, Gauge } from 'prom-client';
import { metrics } from '../store/metrics.js';
import type { Notifier } from './notifier.js';
import type { GaugeSource } from '../store/influx-points.js';

export function registerNotifyMetrics(n: Notifier, registry = metrics().registry): void {
  if (n.channelCount === 0) return;
  for (const name of ['argus_notify_queue_depth', 'argus_notify_sent_total', 'argus_notify_failures_total', 'argus_notify_dead_letters_total', 'argus_notify_dropped_total']) registry.removeSingleMetric(name);
  const last = new Map<string, number>();
  const counter = (name: string, help: string, pick: (h: ReturnType<Notifier['health']>[number]) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['channel', 'type'],
      registers: [registry],
      collect() {
        for (const h of n.health()) {
          const k = `${name}\u0000${h.name}`;
          const v = pick(h);
          const d = v - (last.get(k) ?? 0);
          if (d > 0) this.inc({ channel: h.name, type: h.type }, d);
          last.set(k, v);
        }
      },
    });
  };
  new Gauge({
    name: 'argus_notify_queue_depth',
    help: 'Notices waiting in each notification channel',
    labelNames: ['channel', 'type'],
    registers: [registry],
    collect() {
      for (const h of n.health()) this.set({ channel: h.name, type: h.type }, h.queued);
    },
  });
  counter('argus_notify_sent_total', 'Notices delivered, by channel', (h) => h.sent);
  counter('argus_notify_failures_total', 'Failed delivery attempts (each retry counts), by channel', (h) => h.failures);
  counter('argus_notify_dead_letters_total', 'Notices given up after every retry, by channel', (h) => h.deadLetters);
  counter('argus_notify_dropped_total', 'Notices refused because the channel queue was full', (h) => h.dropped);
}

/**
 * The notification health InfluxDB gets once per interval (measurement `notify`): notices waiting, and the
 * delivery totals so far, summed over the channels (a channel name is configuration, not a bounded tag).
 */
export function notifyGauge(n: Notifier): GaugeSource {
  return {
    measurement: 'notify',
    read() {
      const f = { queued: 0, sent: 0, failures: 0, dead_letters: 0, dropped: 0 };
      for (const h of n.health()) {
        f.queued += h.queued;
        f.sent += h.sent;
        f.failures += h.failures;
        f.dead_letters += h.deadLetters;
        f.dropped += h.dropped;
      }
      return f;
    },
  };
}
