/**
 * Connection uids in Zeek's form: "C" and 96 bits in base 62 (UID::Base62: the 32-bit word, then the 64-bit
 * word, each least significant digit first, digits 0-9a-zA-Z), 13–18 characters like `CHhAvVGS1DHFjwGM9`.
 *
 * Zeek draws the bits at random per run; ours are a hash of what identifies the flow's record — its
 * Community ID, VLANs, first packet time and active-timeout segment — so the same capture gives the same uids
 * in every replay, a restarted appliance does not reuse them, and conn.log, dns.log and ssl.log rows of one
 * flow share one.
 */
import { createHash } from 'node:crypto';
import type { FlowRecord } from '../flow/flow-record.js';

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function base62(v: bigint): string {
  let s = '';
  do {
    s += DIGITS[Number(v % 62n)];
    v /= 62n;
  } while (v > 0n);
  return s;
}

/** The uid of a flow record. */
export function zeekUid(r: Pick<FlowRecord, 'communityId' | 'vlan' | 'startUs' | 'segment'>): string {
  const h = createHash('sha256').update(`${r.communityId}|${r.vlan.join('.')}|${r.startUs}|${r.segment}`).digest();
  return `C${base62(BigInt(h.readUInt32BE(0)))}${base62(h.readBigUInt64BE(4))}`;
}
