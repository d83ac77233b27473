/**
 * Drop counters for a libpcap capture whose binding (`cap`) does not expose `pcap_stats()`.
 *
 * - Ring drops: libpcap on Linux reads them from its AF_PACKET socket (PACKET_STATISTICS); the kernel also adds
 *   every such drop to the socket's `sk_drops`, which sock_diag reports and `ss -0 -e -m` prints as `d<N>` in
 *   `skmem:(…)`. The socket is found by its inode: the packet sockets that appeared in /proc/self/fd across
 *   `open()`. `ss` runs in the background at most once a second, so the value lags by up to that much.
 * - Interface drops: /sys/class/net/<if>/statistics/rx_dropped relative to its value at start, which is what
 *   libpcap's ps_ifdrop is on Linux (it reads the same counter from /proc/net/dev).
 * Both read 0 when their source is unavailable (no `ss` binary, a pseudo-interface such as "any").
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const REFRESH_MS = 1000;

/** Inodes of the sockets in /proc/net/packet (AF_PACKET sockets of this network namespace). */
function packetSocketInodes(): Set<number> {
  const out = new Set<number>();
  try {
    const lines = readFileSync('/proc/net/packet', 'utf8').split('\n');
    // header: sk RefCnt Type Proto Iface R Rmem User Inode
    for (let i = 1; i < lines.length; i++) {
      const cols = lines[i].trim().split(/\s+/);
      if (cols.length >= 9) out.add(Number(cols[8]));
    }
  } catch {
    // no procfs: drops stay unknown
  }
  return out;
}

function readCounter(path: string): number | null {
  try {
    const v = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Parses `ss -0 -a -e -m -n` output: returns the sum of `d<N>` over the records whose `ino:` is in `inodes`.
 * A record starts on a line that does not begin with whitespace; its skmem line follows indented.
 */
export function parseSsDrops(text: string, inodes: ReadonlySet<number>): number | null {
  let total = 0;
  let found = false;
  let current = false;
  for (const line of text.split('\n')) {
    if (line.length > 0 && !/^\s/.test(line)) {
      const m = /\bino:(\d+)/.exec(line);
      current = m !== null && inodes.has(Number(m[1]));
    }
    if (!current) continue;
    const d = /skmem:\([^)]*\bd(\d+)\)?/.exec(line);
    if (d !== null) {
      total += Number(d[1]);
      found = true;
    }
  }
  return found ? total : null;
}

export class PacketSocketCounters {
  private readonly inodes: Set<number>;
  private readonly sysPath: string;
  private readonly ifDropBase: number | null;
  private lastIfDropped = 0;
  private lastDropped = 0;
  private lastRefreshMs = -Infinity;
  private inFlight = false;
  private closed = false;

  /** Inodes of every socket this process has open, taken just before the capture is opened. */
  static socketInodes(): Set<number> {
    const out = new Set<number>();
    try {
      for (const fd of readdirSync('/proc/self/fd')) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
          if (m !== null) out.add(Number(m[1]));
        } catch {
          // the fd closed while listing (readdir's own fd, for one)
        }
      }
    } catch {
      // no procfs
    }
    return out;
  }

  /** `before`: socketInodes() taken just before the capture was opened. */
  constructor(iface: string, before: ReadonlySet<number>) {
    const packet = packetSocketInodes();
    this.inodes = new Set([...PacketSocketCounters.socketInodes()].filter((i) => !before.has(i) && packet.has(i)));
    this.sysPath = `/sys/class/net/${iface}/statistics/rx_dropped`;
    this.ifDropBase = /^[\w.:@-]+$/.test(iface) ? readCounter(this.sysPath) : null;
    this.refresh();
  }

  /** Ring drops since open, as last read (0 until the first `ss` run returns). */
  dropped(): number {
    if (!this.closed && performance.now() - this.lastRefreshMs >= REFRESH_MS) this.refresh();
    return this.lastDropped;
  }

  /** Interface rx drops since open. */
  ifDropped(): number {
    if (this.closed || this.ifDropBase === null) return this.lastIfDropped;
    const now = readCounter(this.sysPath);
    if (now !== null) this.lastIfDropped = Math.max(0, now - this.ifDropBase);
    return this.lastIfDropped;
  }

  /** Freezes the counters at their last values (the socket is gone after close). */
  close(): void {
    this.ifDropped();
    this.closed = true;
  }

  private refresh(): void {
    if (this.inFlight || this.inodes.size === 0) return;
    this.inFlight = true;
    this.lastRefreshMs = performance.now();
    const child = execFile('ss', ['-0', '-a', '-e', '-m', '-n'], { timeout: 2000 }, (err, stdout) => {
      this.inFlight = false;
      if (err !== null || this.closed) return;
      const d = parseSsDrops(stdout, this.inodes);
      if (d !== null) this.lastDropped = d;
    });
    child.on('error', () => {
      this.inFlight = false;
    });
    // a pending counter read must not keep a finished capture's process alive
    child.unref();
  }
}
