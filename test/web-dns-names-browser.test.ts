/**
 * Long DNS names in a real browser (headless Debian Chromium through playwright-core) at 1280×800 and 390×844: a
 * device that looked up a 200-character name (three 63-character labels, the shape a DNS tunnel uses) and talked
 * TLS to a server of that name, and the tunnel incident about it. Wherever the name is shown (top DNS names and
 * destinations on the Overview, the device page's destinations and flows, Alerts, the incident) it stays inside
 * the viewport and its table, cut to two lines with an ellipsis, with the full name in its title.
 */
import t from 'tap';
import type { Alert } from '../src/detectors/alert.js';
import { flowRecord } from './support/flow-records.js';
import { NEEDS_CHROMIUM, adminPage } from './support/demo-dashboard.js';
import { buildWebDeps } from './support/web-deps.js';

const PASSWORD = 'demo-password-123';
const MAC = '02:00:00:00:00:02';
const T0 = 1_767_000_000_000_000;
const label = (c: string) => c.repeat(63);
const DOMAIN = `${label('d')}.example`;
const LONG = `${label('a')}.${label('b')}.${DOMAIN}`;
const SIZES = [[1280, 800], [390, 844]] as const;

t.test('long DNS names stay inside the page, with the full name on hover', { skip: NEEDS_CHROMIUM, timeout: 120_000 }, async (t) => {
  const nowUs = T0 + 600_000_000;
  const web = buildWebDeps({ nowUs: () => nowUs });
  t.teardown(() => web.close());
  const s = web.store;
  s.devices.upsert({ mac: MAC, tsUs: T0, hostname: 'laptop', vendor: 'Acme' });
  s.devices.addAddress(MAC, '10.99.0.2', T0, 'dhcp');
  for (let i = 0; i < 5; i++) {
    s.addFlow(flowRecord({
      flowId: 100 + i, startUs: T0 + i * 1_000_000, endUs: T0 + i * 1_000_000 + 50_000, proto: 17, protoName: 'UDP', srcIp: '10.99.0.2', srcMac: MAC,
      dstIp: '10.99.0.1', dstMac: '02:00:00:00:00:01', dstPort: 53, service: 'dns', connState: 'SF', tlsSni: null,
      dns: { qname: LONG, qtype: 1, rcode: 0, answers: ['203.0.113.9'] },
    }));
  }
  s.addFlow(flowRecord({ flowId: 200, startUs: T0 + 9_000_000, endUs: T0 + 10_000_000, srcIp: '10.99.0.2', srcMac: MAC, dstIp: '203.0.113.9', dstMac: '02:00:00:00:00:01', tlsSni: LONG }));
  const alert: Alert = {
    id: `dns.tunnel:10.99.0.2:${T0}`, tsUs: T0 + 11_000_000, kind: 'dns.tunnel', signature: `DNS tunnel to ${DOMAIN} from 10.99.0.2 (120 unique names)`,
    severity: 3, confidence: 0.9, srcIp: '10.99.0.2', srcMac: MAC, targets: ['10.99.0.1'], destPort: 53, proto: 'udp',
    evidence: [{ text: `120 distinct names under ${DOMAIN} queried within 60 s (threshold 50)` }, { text: `e.g. ${LONG}` }], suggestedResponse: 'quarantine',
  };
  web.bus.emit('alert', alert);
  s.flush();
  const incident = s.incidents.query({ kind: 'dns.tunnel', device: MAC })[0];
  t.ok(incident !== undefined, 'the tunnel alert is an incident');
  const { server, page, problems } = await adminPage(t, s, web.deps, PASSWORD);

  // where the name is shown; Alerts lists the incident in words (its resolver, not the name)
  const pages: [string, string, string[], boolean][] = [
    ['overview', '/', ['#top-names', '#top-destinations'], true],
    ['device', `/devices/${MAC}`, ['main'], true],
    ['alerts', '/alerts', ['main'], false],
    ['incident', `/incidents/${incident!.id}`, ['main'], true],
  ];
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    for (const [name, path, within, shown] of pages) {
      const where = `${name} at ${w} px`;
      await page.goto(server.url + path);
      // charts are drawn from a fetch after load
      await page.waitForTimeout(400);
      const sideways = (await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth')) as number;
      t.ok(sideways <= 0, `${where}: no sideways scrolling (${sideways} px too wide)`);
      const wide = (await page.evaluate('[...document.querySelectorAll(".table-wrap")].filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map((e) => e.scrollWidth - e.clientWidth)')) as number[];
      t.same(wide, [], `${where}: every table fits its box`);
      // every element that shows the long name (or its 63-character domain) ends inside the viewport
      const found = (await page.evaluate(`(() => {
        const out = [];
        for (const sel of ${JSON.stringify(within)}) for (const e of document.querySelectorAll(sel + ' *')) {
          if (e.children.length > 0 || !/${label('d')}/.test(e.textContent)) continue;
          const r = e.getBoundingClientRect();
          out.push({ tag: e.tagName + '.' + e.className, right: Math.round(r.right), height: Math.round(r.height), title: e.closest('[title]')?.getAttribute('title') ?? null, full: e.textContent.includes(${JSON.stringify(LONG)}) });
        }
        return out;
      })()`)) as { tag: string; right: number; height: number; title: string | null; full: boolean }[];
      if (shown) t.ok(found.length > 0, `${where}: the long name is shown (${found.length} places)`);
      for (const f of found) {
        t.ok(f.right <= w, `${where}: ${f.tag} ends at ${f.right} px, inside the ${w} px viewport`);
        // the full 200-character name is cut to two lines, the rest is in its title
        if (f.full) {
          t.ok(f.height <= 60, `${where}: ${f.tag} showing the full name is ${f.height} px tall (two lines at most)`);
          t.match(f.title ?? '', LONG, `${where}: ${f.tag} has the whole name in its title`);
        }
      }
    }
  }
  t.same(problems, [], 'no console errors, CSP violations or failed requests');
});
