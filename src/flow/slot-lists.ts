/**
 * Intrusive doubly-linked lists over flow slots, in typed arrays: every slot is in at most one of `count`
 * lists, and appending, removing and moving a slot to the tail are O(1) without allocation.
 *
 * The flow table keeps one list per timeout class, ordered by last activity (a packet moves its flow to the
 * tail, so the head is always the flow idle the longest), and one list ordered by segment start for the
 * active timeout. The sweeper pops heads while they are expired instead of scanning the table.
 */

/** `listOf` value of a slot that is in no list */
export const NO_LIST = 255;

export class SlotLists {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly owner: Uint8Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;

  constructor(capacity: number, count: number) {
    if (count >= NO_LIST) throw new Error('too many slot lists');
    this.prev = new Int32Array(capacity).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.owner = new Uint8Array(capacity).fill(NO_LIST);
    this.heads = new Int32Array(count).fill(-1);
    this.tails = new Int32Array(count).fill(-1);
  }

  /** first (oldest) slot of `list`, -1 when empty */
  head(list: number): number {
    return this.heads[list];
  }

  /** the list `slot` is in, or NO_LIST */
  listOf(slot: number): number {
    return this.owner[slot];
  }

  /** Put `slot` at the tail of `list`, taking it out of whatever list it was in. */
  moveToTail(list: number, slot: number): void {
    const cur = this.owner[slot];
    if (cur === list && this.tails[list] === slot) return;
    if (cur !== NO_LIST) this.remove(slot);
    const t = this.tails[list];
    this.owner[slot] = list;
    this.next[slot] = -1;
    this.prev[slot] = t;
    if (t >= 0) this.next[t] = slot;
    else this.heads[list] = slot;
    this.tails[list] = slot;
  }

  /** Take `slot` out of its list (no-op when it is in none). */
  remove(slot: number): void {
    const list = this.owner[slot];
    if (list === NO_LIST) return;
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.heads[list] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tails[list] = p;
    this.owner[slot] = NO_LIST;
    this.prev[slot] = -1;
    this.next[slot] = -1;
  }
}
