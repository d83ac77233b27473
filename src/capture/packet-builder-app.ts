/**
 * Application payloads for the packet builder: DNS messages (with name compression), DHCP messages, a TLS
 * ClientHello with SNI and an HTTP request. Each returns the L4 payload as a new Buffer; wrap it with
 * `udpFrame`/`tcpFrame` from packet-builder.ts (which re-exports everything here).
 */
import { parseIp, parseMac } from '../decode/addr.js';

/** DNS RR types the builder writes data for. Other numeric types take `data` as a raw Buffer. */
export const DnsType = { A: 1, NS: 2, CNAME: 5, PTR: 12, TXT: 16, AAAA: 28, ANY: 255 } as const;

export interface DnsAnswerSpec {
  name: string;
  /** 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'PTR' | 'NS' or a numeric type */
  type: keyof typeof DnsType | number;
  ttl?: number;
  /** address text for A/AAAA, a name for CNAME/PTR/NS, text for TXT, raw bytes for anything else */
  data: string | Buffer;
}

export interface DnsMessageSpec {
  id?: number;
  response?: boolean;
  opcode?: number;
  rcode?: number;
  /** recursion desired (set by default on queries) */
  rd?: boolean;
  qname?: string;
  qtype?: keyof typeof DnsType | number;
  answers?: DnsAnswerSpec[];
  /** compress repeated names with pointers (default true) */
  compress?: boolean;
}

function typeNum(t: keyof typeof DnsType | number): number {
  return typeof t === 'number' ? t : DnsType[t];
}

/** Writes names, remembering every suffix's offset so later names can point at it (RFC 1035 4.1.4). */
class NameWriter {
  private readonly seen = new Map<string, number>();
  constructor(private readonly compress: boolean) {}

  write(parts: Buffer[], offset: number, name: string): number {
    const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
    const start = offset;
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = this.seen.get(suffix);
      if (this.compress && at !== undefined) {
        parts.push(Buffer.from([0xc0 | (at >> 8), at & 0xff]));
        return offset + 2 - start;
      }
      if (offset < 0x3fff) this.seen.set(suffix, offset);
      const l = Buffer.from(labels[i]);
      parts.push(Buffer.from([l.length]), l);
      offset += 1 + l.length;
    }
    parts.push(Buffer.from([0]));
    return offset + 1 - start;
  }
}

/** A DNS message: one question (when `qname` is given) and the answers, all in the answer section. */
export function dnsMessage(o: DnsMessageSpec): Buffer {
  const answers = o.answers ?? [];
  const hdr = Buffer.alloc(12);
  hdr.writeUInt16BE(o.id ?? 0x1234, 0);
  const rd = o.rd ?? !o.response;
  hdr[2] = (o.response ? 0x80 : 0) | (((o.opcode ?? 0) & 0xf) << 3) | (rd ? 1 : 0);
  hdr[3] = (o.response ? 0x80 : 0) | ((o.rcode ?? 0) & 0xf); // RA on responses
  hdr.writeUInt16BE(o.qname !== undefined ? 1 : 0, 4);
  hdr.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [hdr];
  let off = 12;
  const names = new NameWriter(o.compress ?? true);
  if (o.qname !== undefined) {
    off += names.write(parts, off, o.qname);
    const q = Buffer.alloc(4);
    q.writeUInt16BE(typeNum(o.qtype ?? 'A'), 0);
    q.writeUInt16BE(1, 2);
    parts.push(q);
    off += 4;
  }
  for (const a of answers) {
    off += names.write(parts, off, a.name);
    const type = typeNum(a.type);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE((a.ttl ?? 300) >>> 0, 4);
    parts.push(fixed);
    off += 10;
    let rdata: Buffer[];
    if (Buffer.isBuffer(a.data)) rdata = [a.data];
    else if (type === DnsType.A || type === DnsType.AAAA) {
      const p = parseIp(a.data);
      if (p === null) throw new Error(`packet-builder: bad address '${a.data}' in a DNS answer`);
      const b = Buffer.alloc(type === DnsType.A ? 4 : 16);
      if (type === DnsType.A) b.writeUInt32BE(p.words[3]);
      else for (let i = 0; i < 4; i++) b.writeUInt32BE(p.words[i], i * 4);
      rdata = [b];
    } else if (type === DnsType.CNAME || type === DnsType.PTR || type === DnsType.NS) {
      rdata = [];
      names.write(rdata, off, a.data);
    } else if (type === DnsType.TXT) {
      const t = Buffer.from(a.data);
      rdata = [Buffer.from([Math.min(t.length, 255)]), t.subarray(0, 255)];
    } else rdata = [Buffer.from(a.data)];
    const len = rdata.reduce((n, b) => n + b.length, 0);
    fixed.writeUInt16BE(len, 8);
    parts.push(...rdata);
    off += len;
  }
  return Buffer.concat(parts);
}

/** A standard query with RD set. */
export function dnsQuery(o: { id?: number; name: string; type?: keyof typeof DnsType | number }): Buffer {
  return dnsMessage({ id: o.id, qname: o.name, qtype: o.type ?? 'A' });
}

/** A response echoing the question, answers compressed against it. */
export function dnsResponse(o: { id?: number; name: string; type?: keyof typeof DnsType | number; rcode?: number; answers: DnsAnswerSpec[]; compress?: boolean }): Buffer {
  return dnsMessage({ id: o.id, response: true, rd: true, qname: o.name, qtype: o.type ?? 'A', rcode: o.rcode, answers: o.answers, compress: o.compress });
}

export interface DhcpSpec {
  /** BOOTP op: 1 request (default), 2 reply */
  op?: number;
  /** option 53: 1 DISCOVER (default), 2 OFFER, 3 REQUEST, 5 ACK, 6 NAK, 7 RELEASE, 8 INFORM; null omits it */
  messageType?: number | null;
  xid?: number;
  clientMac: string | number;
  ciaddr?: string;
  yiaddr?: string;
  /** option 50 */
  requestedIp?: string;
  /** option 12 */
  hostname?: string;
  /** option 60 */
  vendorClass?: string;
  /** option 55 */
  paramRequestList?: number[];
  /** option 61 bytes; default: hardware type 1 + the client MAC when `clientId` is true */
  clientId?: Buffer | true;
  /** extra raw option bytes before the END option */
  extraOptions?: Buffer;
  /** leave out the magic cookie (malformed packets) */
  noMagic?: boolean;
}

function v4Bytes(s: string | undefined): Buffer {
  const b = Buffer.alloc(4);
  if (s !== undefined) {
    const p = parseIp(s);
    if (p === null || p.version !== 4) throw new Error(`packet-builder: bad IPv4 address '${s}'`);
    b.writeUInt32BE(p.words[3]);
  }
  return b;
}

function macBytes(m: string | number): Buffer {
  const n = typeof m === 'number' ? m : parseMac(m);
  if (n === null) throw new Error(`packet-builder: bad MAC '${m}'`);
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(n / 0x100000000) & 0xffff, 0);
  b.writeUInt32BE(n >>> 0, 2);
  return b;
}

/** A DHCP message (RFC 2131): 236-byte BOOTP header, magic cookie, options, END. */
export function dhcpMessage(o: DhcpSpec): Buffer {
  const h = Buffer.alloc(236);
  h[0] = o.op ?? 1;
  h[1] = 1; // htype Ethernet
  h[2] = 6;
  h.writeUInt32BE((o.xid ?? 0x3903f326) >>> 0, 4);
  if (o.op !== 2) h.writeUInt16BE(0x8000, 10); // broadcast flag, as clients without an address set it
  v4Bytes(o.ciaddr).copy(h, 12);
  v4Bytes(o.yiaddr).copy(h, 16);
  const chaddr = macBytes(o.clientMac);
  chaddr.copy(h, 28);
  const opts: Buffer[] = [];
  const opt = (code: number, data: Buffer): void => {
    opts.push(Buffer.from([code, data.length]), data);
  };
  const mt = o.messageType === undefined ? 1 : o.messageType;
  if (mt !== null) opt(53, Buffer.from([mt]));
  if (o.clientId !== undefined) opt(61, o.clientId === true ? Buffer.concat([Buffer.from([1]), chaddr]) : o.clientId);
  if (o.requestedIp !== undefined) opt(50, v4Bytes(o.requestedIp));
  if (o.hostname !== undefined) opt(12, Buffer.from(o.hostname));
  if (o.vendorClass !== undefined) opt(60, Buffer.from(o.vendorClass));
  if (o.paramRequestList !== undefined) opt(55, Buffer.from(o.paramRequestList));
  if (o.extraOptions) opts.push(o.extraOptions);
  opts.push(Buffer.from([255]));
  const magic = o.noMagic ? Buffer.alloc(4) : Buffer.from([0x63, 0x82, 0x53, 0x63]);
  return Buffer.concat([h, magic, ...opts]);
}

/**
 * A TLS record holding one ClientHello (TLS 1.2 legacy version, TLS 1.3 in supported_versions) with a
 * server_name extension when `sni` is given.
 */
export function tlsClientHello(o: { sni?: string; random?: Buffer; extraExtensions?: Buffer }): Buffer {
  const ext: Buffer[] = [];
  if (o.sni !== undefined) {
    const name = Buffer.from(o.sni);
    const e = Buffer.alloc(9);
    e.writeUInt16BE(0, 0); // server_name
    e.writeUInt16BE(name.length + 5, 2);
    e.writeUInt16BE(name.length + 3, 4); // server_name_list length
    e[6] = 0; // host_name
    e.writeUInt16BE(name.length, 7);
    ext.push(e, name);
  }
  ext.push(Buffer.from([0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d])); // supported_groups: x25519
  ext.push(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04])); // supported_versions: TLS 1.3
  if (o.extraExtensions) ext.push(o.extraExtensions);
  const exts = Buffer.concat(ext);
  const random = o.random ?? Buffer.alloc(32, 0x5a);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    random.subarray(0, 32),
    Buffer.from([0]), // empty session id
    Buffer.from([0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f]), // TLS_AES_128_GCM_SHA256, ECDHE-RSA-AES128-GCM
    Buffer.from([0x01, 0x00]), // null compression
    Buffer.from([exts.length >> 8, exts.length & 0xff]),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 0xff]), hs]);
}

/** An HTTP/1.1 request head (and optional body); `host` null leaves the Host header out. */
export function httpRequest(o: { method?: string; path?: string; host: string | null; headers?: Record<string, string>; body?: string }): Buffer {
  let s = `${o.method ?? 'GET'} ${o.path ?? '/'} HTTP/1.1\r\n`;
  if (o.host !== null) s += `Host: ${o.host}\r\n`;
  for (const [k, v] of Object.entries(o.headers ?? { 'User-Agent': 'curl/8.5.0', Accept: '*/*' })) s += `${k}: ${v}\r\n`;
  if (o.body !== undefined) s += `Content-Length: ${Buffer.byteLength(o.body)}\r\n`;
  s += '\r\n' + (o.body ?? '');
  return Buffer.from(s);
}
