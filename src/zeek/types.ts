/**
 * The contract of the Zeek log output: a log is a path ("conn", "dns", "ssl") and its columns, each with
 * Zeek's type name; a row is one value per column. The writer knows nothing of flows (row builders in
 * conn.ts and app-logs.ts turn flow records into rows), so the formats follow Zeek's ASCII writer alone.
 *
 * Reference: Zeek 8.2 (scripts/base/protocols/{conn,dns,ssl}/main.zeek, src/logging/writers/ascii,
 * src/threading/formatters/{Ascii,JSON}.cc), with its defaults: LogAscii::use_json F, enable_utf_8 T,
 * json_timestamps JSON::TS_EPOCH, json_include_unset_fields F.
 */

/** Zeek's type names as they stand in a log's #types line. */
export type ZeekType =
  | 'time'
  | 'interval'
  | 'string'
  | 'addr'
  | 'port'
  | 'enum'
  | 'count'
  | 'bool'
  | 'set[string]'
  | 'vector[string]'
  | 'vector[interval]';

export interface ZeekField {
  /** the column name, flattened as Zeek does for records (`id.orig_h`) */
  name: string;
  type: ZeekType;
}

/**
 * One value. `null` is unset (`-` in TSV, the key left out of JSON), as Zeek writes an &optional field it never
 * assigned. Times and intervals are integer microseconds (Zeek prints them with 6 decimals); an empty string,
 * set or vector is empty (`(empty)`), which is not the same as unset.
 */
export type ZeekValue = string | number | boolean | readonly string[] | readonly number[] | null;

export interface ZeekLogSpec {
  /** the #path and the file name (`conn` → conn.log) */
  path: string;
  fields: readonly ZeekField[];
}

/** tsv: Zeek's default ASCII format with its header lines; json: one JSON object per line (LogAscii::use_json). */
export type ZeekFormat = 'tsv' | 'json';

/** What the output counts, for the summary and health. */
export interface ZeekLogStats {
  /** rows written, by path */
  rows: Record<string, number>;
  /** rows lost because the disk refused them */
  droppedRows: number;
}
