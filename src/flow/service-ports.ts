/**
 * Service hints from well-known ports, as data (Zeek registers analyzers to ports the same way).
 *
 * The hint is what a port usually carries, not what was seen: payload evidence (a decoded DNS message, a TLS
 * SNI, an HTTP Host header) overrides it at export. Keys are `proto << 16 | port`; the responder's port is
 * tried first, then the originator's (a reply seen first still names the service).
 */
import type { FlowStore } from './flow-store.js';
import { Evidence } from './flow-store.js';

const TCP = 6;
const UDP = 17;

/** [protocol, port, service] */
const PORTS: ReadonlyArray<readonly [number, number, string]> = [
  [TCP, 20, 'ftp-data'],
  [TCP, 21, 'ftp'],
  [TCP, 22, 'ssh'],
  [TCP, 23, 'telnet'],
  [TCP, 25, 'smtp'],
  [TCP, 53, 'dns'],
  [UDP, 53, 'dns'],
  [UDP, 67, 'dhcp'],
  [UDP, 68, 'dhcp'],
  [UDP, 69, 'tftp'],
  [TCP, 80, 'http'],
  [TCP, 8080, 'http'],
  [TCP, 8000, 'http'],
  [TCP, 110, 'pop3'],
  [UDP, 123, 'ntp'],
  [UDP, 137, 'netbios-ns'],
  [UDP, 138, 'netbios-dgm'],
  [TCP, 139, 'netbios-ssn'],
  [TCP, 143, 'imap'],
  [UDP, 161, 'snmp'],
  [UDP, 162, 'snmp'],
  [TCP, 389, 'ldap'],
  [TCP, 443, 'tls'],
  [UDP, 443, 'quic'],
  [TCP, 445, 'smb'],
  [TCP, 465, 'smtp'],
  [UDP, 500, 'ipsec'],
  [UDP, 514, 'syslog'],
  [TCP, 554, 'rtsp'],
  [TCP, 587, 'smtp'],
  [TCP, 636, 'tls'],
  [TCP, 853, 'tls'],
  [TCP, 993, 'tls'],
  [TCP, 995, 'tls'],
  [UDP, 1194, 'openvpn'],
  [UDP, 1900, 'ssdp'],
  [TCP, 1883, 'mqtt'],
  [TCP, 8883, 'tls'],
  [TCP, 3306, 'mysql'],
  [TCP, 3389, 'rdp'],
  [UDP, 3478, 'stun'],
  [UDP, 4500, 'ipsec'],
  [TCP, 5060, 'sip'],
  [UDP, 5060, 'sip'],
  [UDP, 5353, 'mdns'],
  [UDP, 5355, 'llmnr'],
  [TCP, 5900, 'vnc'],
  [TCP, 6379, 'redis'],
  [TCP, 7547, 'cwmp'],
  [TCP, 8443, 'tls'],
  [UDP, 51820, 'wireguard'],
];

const BY_KEY: ReadonlyMap<number, string> = new Map(PORTS.map(([p, port, s]) => [(p << 16) | port, s]));

const EVIDENCE_NAME: (string | null)[] = [];
EVIDENCE_NAME[Evidence.NONE] = null;
EVIDENCE_NAME[Evidence.DNS] = 'dns';
EVIDENCE_NAME[Evidence.MDNS] = 'mdns';
EVIDENCE_NAME[Evidence.DHCP] = 'dhcp';
EVIDENCE_NAME[Evidence.TLS] = 'tls';
EVIDENCE_NAME[Evidence.HTTP] = 'http';
EVIDENCE_NAME[Evidence.SSH] = 'ssh';

/** Port-based hint for a protocol and the responder/originator ports; null when neither is well known. */
export function serviceFromPorts(proto: number, respPort: number, origPort: number): string | null {
  if (proto !== TCP && proto !== UDP) return null;
  return BY_KEY.get((proto << 16) | respPort) ?? BY_KEY.get((proto << 16) | origPort) ?? null;
}

/** The service of a stored flow: payload evidence first, then the port hint. */
export function serviceOf(store: FlowStore, slot: number, proto: number, origPort: number, respPort: number): string | null {
  const e = EVIDENCE_NAME[store.evidence[slot]];
  if (e !== null && e !== undefined) return e;
  return serviceFromPorts(proto, respPort, origPort);
}
