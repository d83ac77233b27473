/**
 * FlowRecords of a capture file, for training and evaluation: the same reader, decoder and flow table as
 * the live pipeline, driven by packet time, with every flow still open at the end exported as 'shutdown'.
 */
import { readCaptureFile, type ReadSummary } from '../capture/pcap-file.js';
import { decodePacket } from '../decode/decode.js';
import { FragmentReassembler } from '../decode/reassembly.js';
import { DecodeStats } from '../decode/events.js';
import { Packet } from '../decode/packet.js';
import { DEFAULT_FLOW_CONFIG, FlowTable, type FlowConfig } from '../flow/flow-table.js';
import type { FlowRecord } from '../flow/flow-record.js';

export interface FlowsFromPcap {
  records: FlowRecord[];
  summary: ReadSummary;
  decode: DecodeStats;
}

/**
 * Read `path` (pcap or pcapng) into flow records. `onRecord`, when given, receives each record as it is
 * exported instead of collecting it (records is then empty) — for captures too large to hold.
 */
export async function flowsFromPcap(
  path: string,
  opts: { flowConfig?: FlowConfig; onRecord?: (rec: FlowRecord) => void; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): Promise<FlowsFromPcap> {
  const records: FlowRecord[] = [];
  const sink = opts.onRecord ?? ((r: FlowRecord) => void records.push(r));
  const table = new FlowTable(opts.flowConfig ?? DEFAULT_FLOW_CONFIG, sink);
  const decode = new DecodeStats();
  const pkt = new Packet();
  // fragments reassembled with the default bounds, as the pipeline does, so training sees the flows scoring sees
  const frags = new FragmentReassembler();
  const summary = await readCaptureFile(
    path,
    pkt,
    (p) => {
      // reset() clears the previous frame's decoded fields and keeps the capture fields the reader set
      p.reset();
      if (decodePacket(p, decode, frags)) table.add(p);
    },
    { onProgress: opts.onProgress },
  );
  table.flush('shutdown');
  return { records, summary, decode };
}
