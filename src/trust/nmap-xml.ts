/**
 * A parser for nmap's XML output (`nmap -oX -`), just big enough for it: elements, attributes, the five
 * predefined entities and numeric character references, comments, the XML declaration, the DOCTYPE and
 * processing instructions (nmap writes an `<?xml-stylesheet?>`). It never throws: malformed input yields the
 * hosts parsed so far and an error message, so a killed nmap (truncated XML) still reports what it found.
 *
 * The fields kept follow nmap's DTD (docs/nmap.dtd): nmaprun{args, start, version}, host{status, address,
 * hostnames, ports{port{protocol, portid, state, service}}}, runstats{finished{exit, errormsg, elapsed}}.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

/** Port states nmap reports: open, closed, filtered, unfiltered, open|filtered, closed|filtered. */
export interface NmapPort {
  protocol: string;
  port: number;
  state: string;
  /** why nmap decided the state: 'syn-ack', 'reset', 'no-response', … */
  reason: string;
  /** nmap's service name ('telnet', 'microsoft-ds', …); '' when none */
  service: string;
  product: string;
  version: string;
  /** 'ssl' when the service runs inside TLS */
  tunnel: string;
}

export interface NmapHost {
  /** 'up', 'down', 'unknown' */
  state: string;
  /** the IPv4 or IPv6 address */
  ip: string;
  mac: string | null;
  hostnames: string[];
  ports: NmapPort[];
}

export interface NmapRun {
  args: string;
  version: string;
  /** seconds since the epoch, 0 when absent */
  start: number;
  hosts: NmapHost[];
  /** runstats/finished@exit: 'success' or 'error'; '' when the run did not finish (truncated output) */
  exit: string;
  /** runstats/finished@errormsg or a parse error; '' when none */
  error: string;
  elapsedSeconds: number;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[ref] ?? all;
  });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/**
 * Parses `text` into a tree under a synthetic root element named ''. Returns the root and the first error
 * (position and reason), or null when the document was well formed. Text content is dropped: nmap's output
 * carries everything in attributes.
 */
export function parseXml(text: string): { root: XmlElement; error: string | null } {
  const root: XmlElement = { name: '', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  let i = 0;
  const fail = (why: string) => ({ root, error: `XML at offset ${i}: ${why}` });
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return fail('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return fail('unterminated processing instruction');
      i = end + 2;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end < 0) return fail('unterminated CDATA');
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      // DOCTYPE without an internal subset (nmap writes `<!DOCTYPE nmaprun>`)
      const end = text.indexOf('>', i + 2);
      if (end < 0) return fail('unterminated declaration');
      i = end + 1;
    } else if (text[i + 1] === '/') {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      if (m === null) return fail('bad end tag');
      const top = stack[stack.length - 1]!;
      if (stack.length === 1 || top.name !== m[0]) return fail(`end tag </${m[0]}> does not match <${top.name}>`);
      const end = text.indexOf('>', NAME.lastIndex);
      if (end < 0) return fail('unterminated end tag');
      stack.pop();
      i = end + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (m === null) return fail('bad start tag');
      const el: XmlElement = { name: m[0], attrs: {}, children: [] };
      let j = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = j;
        const a = ATTR.exec(text);
        if (a === null) break;
        el.attrs[a[1]!] = decodeEntities(a[3] ?? a[4] ?? '');
        j = ATTR.lastIndex;
      }
      while (j < text.length && /\s/.test(text[j]!)) j++;
      stack[stack.length - 1]!.children.push(el);
      if (text.startsWith('/>', j)) {
        i = j + 2;
      } else if (text[j] === '>') {
        stack.push(el);
        i = j + 1;
      } else {
        i = j;
        return fail(j >= text.length ? `unterminated tag <${el.name}>` : `bad attribute in <${el.name}>`);
      }
    }
  }
  if (stack.length > 1) return { root, error: `XML: document ends inside <${stack[stack.length - 1]!.name}>` };
  return { root, error: null };
}

const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
const children = (el: XmlElement | undefined, name: string): XmlElement[] => (el === undefined ? [] : el.children.filter((c) => c.name === name));

function hostFrom(h: XmlElement): NmapHost {
  const host: NmapHost = { state: child(h, 'status')?.attrs.state ?? 'unknown', ip: '', mac: null, hostnames: [], ports: [] };
  for (const a of children(h, 'address')) {
    const type = a.attrs.addrtype ?? '';
    if (type === 'mac') host.mac = (a.attrs.addr ?? '').toLowerCase();
    else if ((type === 'ipv4' || type === 'ipv6') && host.ip === '') host.ip = a.attrs.addr ?? '';
  }
  for (const n of children(child(h, 'hostnames'), 'hostname')) if (n.attrs.name) host.hostnames.push(n.attrs.name);
  for (const p of children(child(h, 'ports'), 'port')) {
    const port = Number(p.attrs.portid);
    if (!Number.isInteger(port) || port < 0 || port > 65535) continue;
    const st = child(p, 'state');
    const svc = child(p, 'service');
    host.ports.push({
      protocol: p.attrs.protocol ?? '',
      port,
      state: st?.attrs.state ?? 'unknown',
      reason: st?.attrs.reason ?? '',
      service: svc?.attrs.name ?? '',
      product: svc?.attrs.product ?? '',
      version: svc?.attrs.version ?? '',
      tunnel: svc?.attrs.tunnel ?? '',
    });
  }
  return host;
}

/** Parses nmap's `-oX` output. Never throws; `error` says what was wrong (also nmap's own error message). */
export function parseNmapXml(text: string): NmapRun {
  const { root, error } = parseXml(text);
  const run: NmapRun = { args: '', version: '', start: 0, hosts: [], exit: '', error: error ?? '', elapsedSeconds: 0 };
  const nr = child(root, 'nmaprun');
  if (nr === undefined) {
    if (run.error === '') run.error = 'not nmap XML output (no <nmaprun> element)';
    return run;
  }
  run.args = nr.attrs.args ?? '';
  run.version = nr.attrs.version ?? '';
  run.start = Number(nr.attrs.start ?? 0) || 0;
  for (const h of children(nr, 'host')) run.hosts.push(hostFrom(h));
  const fin = child(child(nr, 'runstats') ?? { name: '', attrs: {}, children: [] }, 'finished');
  if (fin !== undefined) {
    run.exit = fin.attrs.exit ?? '';
    run.elapsedSeconds = Number(fin.attrs.elapsed ?? 0) || 0;
    if (fin.attrs.errormsg && run.error === '') run.error = fin.attrs.errormsg;
  }
  return run;
}
