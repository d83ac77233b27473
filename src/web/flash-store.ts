/**
 * One-time messages carried across a form post's redirect (post/redirect/get): a refusal's reason, or a new API
 * token to show once, or a refused form's fields. Kept in memory per signed-in session (keyed by the session's CSRF token, which only that
 * session knows), taken by the next page that session loads. Bounded: at most `cap` entries, the oldest
 * evicted first (counted), and an entry older than `ttlMs` is never shown.
 */
export type FlashEntry =
  | { kind: 'error' | 'ok'; text: string }
  | { kind: 'token'; name: string; token: string }
  /** a refused assign-scan form: the reason and what was typed, shown again in the form */
  | { kind: 'fleet-assign'; text: string; form: { sensor: string; targets: string; ports: string } };

export class FlashStore {
  private readonly entries = new Map<string, { entry: FlashEntry; atMs: number }>();
  /** entries dropped to stay under the cap before they were shown */
  evicted = 0;

  constructor(
    private readonly cap = 1000,
    private readonly ttlMs = 120_000,
    private readonly nowMs: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  put(key: string, entry: FlashEntry): void {
    this.entries.delete(key);
    this.entries.set(key, { entry, atMs: this.nowMs() });
    while (this.entries.size > this.cap) {
      this.entries.delete(this.entries.keys().next().value!);
      this.evicted++;
    }
  }

  /** The session's pending message, removed; undefined when none (or it is too old). */
  take(key: string): FlashEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    return this.nowMs() - e.atMs <= this.ttlMs ? e.entry : undefined;
  }
}
