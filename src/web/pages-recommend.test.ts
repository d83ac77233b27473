import t from 'tap';
import type { AlertRow } from '../store/alerts.js';
import type { DeviceRow } from '../store/devices.js';
import { recommendationsFor } from './pages-recommend.js';
import { recommendationList } from './views/device.js';

const device = { mac: '02:aa:00:00:00:01', trustLevel: 'alert' } as DeviceRow;
const alert = (kind: string, signature: string, suggestedResponse: AlertRow['suggestedResponse']): AlertRow =>
  ({ id: kind, kind, signature, suggestedResponse, acknowledged: false }) as unknown as AlertRow;

t.test("an open alert's advice is its sentence; its kind is a small code after it, not words in brackets", async (t) => {
  const recs = recommendationsFor(device, [alert('dns.tunnel', 'Data hidden in DNS names to t.example', 'block'), alert('c2.beacon', 'Regular check-ins with 203.0.113.9', 'quarantine')], null);
  t.same(recs, [
    { response: 'quarantine', text: 'Regular check-ins with 203.0.113.9', kind: 'c2.beacon' },
    { response: 'block', text: 'Data hidden in DNS names to t.example', kind: 'dns.tunnel' },
  ]);
  const page = recommendationList(recs).value;
  t.notMatch(page, /\(dns\.tunnel\)/, 'no kind in brackets');
  t.match(page, /t\.example <code class="small">dns\.tunnel<\/code>/);
  t.match(recommendationList([]).value, /Nothing to do/);
});
