/**
 * EVE's `dns` object, as Suricata writes it. Version 3 (Suricata 8's default): `dns.version: 3`, `dns.type`
 * (`request` before a response was seen, `response` after), `dns.queries` and `dns.answers` as lists of
 * objects, rcode and rrtype as names (`NOERROR`, `AAAA`), empty lists left out. Version 2 (Suricata 6 and 7,
 * `eve.dnsVersion: 2`): the flat form, `dns.rrname` / `dns.rrtype` beside the answers, `dns.type` `query` or
 * `answer`. A flow line carries the flow's first query and the answers seen in it (bounded).
 */
import type { FlowRecord } from '../flow/flow-record.js';

export type EveDnsVersion = 2 | 3;

/** RR type names Suricata writes (rust/src/dns/log.rs); any other type is written as its number. */
const RRTYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS', 12: 'PTR',
  13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP',
  23: 'NSAPPTR', 24: 'SIG', 25: 'KEY', 26: 'PX', 27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT', 33: 'SRV', 34: 'ATMA',
  35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY',
  46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 55: 'HIP', 59: 'CDS',
  60: 'CDNSKEY', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 255: 'ANY',
  256: 'URI', 257: 'CAA',
};

/** Response codes of the 4-bit header field (RFC 1035, 2136); 11–15 are unassigned and written as numbers. */
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** Suricata's name of an RR type: `A`, `AAAA`, …, or the number as a string. */
export function rrtypeName(type: number): string {
  return RRTYPES[type] ?? String(type);
}

/** Suricata's name of a response code: `NOERROR`, `NXDOMAIN`, …, or the number as a string. */
export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? String(rcode);
}

type FlowDnsSummary = NonNullable<FlowRecord['dns']>;

function answerObjects(d: FlowDnsSummary): Record<string, unknown>[] {
  return (d.rrs ?? []).map((a) => ({ rrname: a.name, rrtype: rrtypeName(a.type), ttl: a.ttl, ...(a.data !== '' ? { rdata: a.data } : {}) }));
}

/** The EVE `dns` object of a flow's DNS summary, in Suricata's v3 (default) or v2 form. */
export function eveDns(d: FlowDnsSummary, version: EveDnsVersion = 3): Record<string, unknown> {
  const response = d.response ?? d.answers.length > 0;
  const answers = answerObjects(d);
  const id = d.id !== undefined ? { id: d.id } : {};
  if (version === 2) {
    return {
      version: 2,
      type: response ? 'answer' : 'query',
      ...id,
      rrname: d.qname,
      rrtype: rrtypeName(d.qtype),
      ...(response ? { rcode: rcodeName(d.rcode) } : {}),
      ...(answers.length > 0 ? { answers } : {}),
    };
  }
  return {
    version: 3,
    type: response ? 'response' : 'request',
    ...id,
    ...(response ? { rcode: rcodeName(d.rcode) } : {}),
    queries: [{ rrname: d.qname, rrtype: rrtypeName(d.qtype) }],
    ...(answers.length > 0 ? { answers } : {}),
  };
}
