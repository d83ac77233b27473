/**
 * The contract of an EVE forwarder: it takes EVE lines (one JSON object each, no newline) from the EVE writer
 * and delivers them to a receiver elsewhere — a syslog collector, an HTTP endpoint.
 *
 * `offer` is called on the capture path, once per line: it only queues (a bounded queue that drops its oldest
 * line when full, and counts it) and returns. Everything else — connecting, formatting, writing, retrying —
 * happens later on the event loop, and never waits for the receiver: a receiver that is down, slow, or holds
 * its connection open without reading costs the queue's memory and the dropped lines, never capture time.
 */
export interface Forwarder {
  /** 'syslog' or 'http' */
  readonly kind: ForwarderKind;
  /** where to, for logs and the status page (credentials removed) */
  readonly target: string;
  /** Queue one EVE line (without its newline). Never throws, never blocks. */
  offer(line: string): void;
  stats(): ForwarderStats;
  /**
   * Sends what is queued for at most `timeoutMs`, then closes the connection; lines still queued then (a batch
   * still unanswered included) are counted as dropped. Resolves when closed.
   */
  close(timeoutMs: number): Promise<void>;
}

export type ForwarderKind = 'syslog' | 'http';

export interface ForwarderStats {
  kind: ForwarderKind;
  target: string;
  /** lines the receiver took (syslog: written to the socket or sent as a datagram; HTTP: in a 2xx batch) */
  sent: number;
  /** lines lost: queue full (the oldest goes), too large for a datagram, refused by the receiver, or left at shutdown */
  dropped: number;
  /** failed attempts: connections refused or broken, datagrams refused, requests that failed or timed out */
  errors: number;
  /** lines waiting now */
  queued: number;
  /** the last error's text, null once a delivery succeeded after it */
  lastError: string | null;
  /** wall-clock ms of the last successful delivery, null before the first */
  lastSentMs: number | null;
}

/** Retry delays after failures: 0.5 s doubling to at most 60 s (wall clock: this is about the receiver, not the traffic). */
export function backoffMs(failures: number): number {
  return Math.min(60_000, 500 * 2 ** Math.max(0, failures - 1));
}
