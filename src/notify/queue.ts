/**
 * ChannelQueue: one channel's bounded, in-order delivery queue. Notices wait here, never in the pipeline:
 * `push` returns at once, one delivery is in flight at a time, a failed one is retried with exponential
 * back-off (baseDelayMs · 2^(attempt−1), at most maxDelayMs) and given up after maxAttempts as a dead letter.
 * A full queue refuses the newest notice and counts it. Timers are unref'd: a queue never keeps the process up.
 */
import type { Channel, ChannelHealth, Notice } from './types.js';

export interface QueueOptions {
  maxQueue: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** a delivery problem, said once when a channel starts failing and once per dead letter */
  warn: (msg: string) => void;
}

/** notice ids remembered per channel to refuse duplicates */
const SEEN_IDS = 2048;

export class ChannelQueue {
  private readonly q: { notice: Notice; attempts: number }[] = [];
  private readonly seen = new Set<string>();
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private closed = false;
  private idle: (() => void)[] = [];
  private readonly h: ChannelHealth;

  constructor(
    readonly channel: Channel,
    private readonly opts: QueueOptions,
  ) {
    this.h = { name: channel.name, type: channel.type, queued: 0, sent: 0, failures: 0, deadLetters: 0, dropped: 0, lastError: null, lastSentMs: null };
  }

  /** Queue a notice; false when it was refused (queue full, closed, or this id was queued before). */
  push(notice: Notice): boolean {
    if (this.closed || this.seen.has(notice.id)) return false;
    if (this.q.length >= this.opts.maxQueue) {
      this.h.dropped++;
      return false;
    }
    this.seen.add(notice.id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value as string);
    this.q.push({ notice, attempts: 0 });
    this.pump();
    return true;
  }

  health(): ChannelHealth {
    return { ...this.h, queued: this.q.length };
  }

  /** Resolves when the queue is empty and nothing is in flight, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.q.length === 0 && !this.busy) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      t.unref();
      this.idle.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      // a notice waiting for its retry goes now: the appliance is stopping
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
        this.pump();
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.channel.close?.();
  }

  private pump(): void {
    if (this.busy || this.timer !== null || this.closed) return;
    const head = this.q[0];
    if (head === undefined) {
      for (const f of this.idle.splice(0)) f();
      return;
    }
    this.busy = true;
    head.attempts++;
    this.channel.send(head.notice).then(
      () => {
        this.busy = false;
        this.q.shift();
        this.h.sent++;
        this.h.lastSentMs = Date.now();
        if (this.failing) this.opts.warn(`notify ${this.h.name}: delivering again`);
        this.failing = false;
        this.pump();
      },
      (err: Error) => {
        this.busy = false;
        this.h.failures++;
        this.h.lastError = err.message;
        if (!this.failing) this.opts.warn(`notify ${this.h.name}: ${err.message} (retrying)`);
        this.failing = true;
        if (head.attempts >= this.opts.maxAttempts) {
          this.q.shift();
          this.h.deadLetters++;
          this.opts.warn(`notify ${this.h.name}: gave up on "${head.notice.title}" after ${head.attempts} attempts`);
          this.pump();
          return;
        }
        const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (head.attempts - 1));
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, delay);
        this.timer.unref();
      },
    );
  }
}
