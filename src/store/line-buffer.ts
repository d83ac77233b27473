/**
 * A fixed-capacity FIFO of line-protocol lines: when full, the oldest line is dropped and counted, so a
 * sink whose server is down holds the most recent data and a bounded amount of memory.
 */
export class LineBuffer {
  private readonly ring: (string | undefined)[];
  private head = 0;
  private len = 0;
  /** lines dropped to make room (oldest first) */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`line buffer capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<string | undefined>(capacity);
  }

  get size(): number {
    return this.len;
  }

  /** Appends a line; when full, the oldest line makes room. */
  push(line: string): void {
    if (this.len === this.capacity) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.len--;
      this.dropped++;
    }
    this.ring[(this.head + this.len) % this.capacity] = line;
    this.len++;
  }

  /** Removes and returns up to `n` lines from the front (oldest first). */
  take(n: number): string[] {
    const k = Math.min(n, this.len);
    const out = new Array<string>(k);
    for (let i = 0; i < k; i++) {
      out[i] = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.len -= k;
    return out;
  }

  /**
   * Puts lines taken by `take` back at the front (a failed send). Lines newer than them stay; when there is
   * not room for all, the oldest of the returned lines are dropped and counted.
   */
  putBack(lines: string[]): void {
    for (let i = lines.length - 1; i >= 0; i--) {
      if (this.len === this.capacity) {
        this.dropped += i + 1;
        return;
      }
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.ring[this.head] = lines[i]!;
      this.len++;
    }
  }
}
