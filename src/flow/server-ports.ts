/**
 * Zeek's `likely_server_ports`: ports the flow engine takes for a server's when it decides who opened a
 * connection whose opening it did not see (Zeek's IPBasedAnalyzer::IsLikelyServerPort and the transport
 * analyzers' WantConnection).
 *
 * The default lists are the set Zeek builds at start-up from the server ports its base analyzers register
 * (scripts/base/protocols/{dce-rpc,dhcp,dnp3,dns,finger,ftp,http,imap,irc,krb,ldap,modbus,mqtt,mysql,ntp,
 * postgresql,quic,radius,rdp,redis,sip,smb,smtp,snmp,socks,ssh,ssl,syslog,xmpp}/main.zeek and the tunnel
 * ports of scripts/base/packet-protocols/{ayiya,geneve,gre,gtpv1,teredo,vxlan}); client ports such as DHCP's
 * 68/udp and DNS-over-QUIC's are not in it. They are the defaults of `flow.likelyServerPorts` (config.yaml).
 */

export const ZEEK_LIKELY_SERVER_PORTS = {
  tcp: [
    21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614, 631, 636, 989,
    990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667,
    6668, 6669, 8000, 8080, 8888, 20000,
  ],
  udp: [
    53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 1812, 2123, 2152, 3389, 3544, 4011, 4754, 4789, 5060, 5072, 5353,
    5355, 6081, 20000,
  ],
};

export interface LikelyServerPorts {
  tcp: number[];
  udp: number[];
}

const TCP_BIT = 1;
const UDP_BIT = 2;

/** One byte per port: bit 0 a likely TCP server port, bit 1 a likely UDP one. */
export function serverPortTable(p: LikelyServerPorts = ZEEK_LIKELY_SERVER_PORTS): Uint8Array {
  const t = new Uint8Array(65536);
  for (const x of p.tcp) t[x & 0xffff] |= TCP_BIT;
  for (const x of p.udp) t[x & 0xffff] |= UDP_BIT;
  return t;
}

/**
 * Whether the endpoint that sent a connection's first packet is its responder (Zeek flips the roles then,
 * marking the history with `^`). `flags` are the TCP flags of that packet (ignored for UDP); `dstBroadcast`
 * is true when the packet went to 255.255.255.255 (Zeek never flips towards a broadcast address).
 * - TCP: only a first packet that is not a bare SYN (a SYN-ACK, or midstream traffic) from a likely server
 *   port; when both ports are likely server ports, only a non-SYN packet from the lower port.
 * - UDP: from a likely server port to a port that is not one.
 * - Other protocols are never flipped.
 */
export function flipsAtStart(
  table: Uint8Array,
  proto: number,
  srcPort: number,
  dstPort: number,
  flags: number,
  dstBroadcast: boolean,
): boolean {
  if (dstBroadcast) return false;
  if (proto === 6) {
    const syn = (flags & 0x02) !== 0;
    const ack = (flags & 0x10) !== 0;
    if (syn && !ack) return false;
    if ((table[srcPort] & TCP_BIT) === 0) return false;
    if ((table[dstPort] & TCP_BIT) !== 0) return !syn && srcPort < dstPort;
    return true;
  }
  if (proto === 17) return (table[srcPort] & UDP_BIT) !== 0 && (table[dstPort] & UDP_BIT) === 0;
  return false;
}
