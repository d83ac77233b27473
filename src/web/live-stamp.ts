/**
 * When a live figure was read, so the page keeps the newest reading and not the last to arrive.
 *
 * The Overview's capture card reaches the page by more than one path: the page itself, then the live stream
 * every statsMs, and again after every reconnect of that stream (the server closes it every 30 min, a hidden tab
 * drops it, a proxy or a slow network may hold an answer back). Each of these replaced the card whole, so an
 * answer that came late put an older count over a newer one and the packet counter went backwards
 * (10,085 → 10,068). Every reading now carries a stamp — `<epoch>.<seq>` in the card's `data-taken` — and app.js
 * drops a card whose stamp is older than the one shown.
 *
 * `seq` grows with every reading this process takes (page renders and stream frames share it, across all
 * clients), so the order of two readings is known whichever path brought them. `epoch` names the process: a
 * restarted appliance counts from 1 again, and its readings are the current ones whatever their number.
 */
import { randomBytes } from 'node:crypto';

/** this process, for the page: a restart shows as a new epoch */
const EPOCH = randomBytes(6).toString('hex');
let seq = 0;

/** A new stamp, later than every stamp taken before it in this process. */
export function liveStamp(): string {
  return `${EPOCH}.${++seq}`;
}
