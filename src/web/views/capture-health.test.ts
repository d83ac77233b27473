import t from 'tap';
import { captureHealth } from './overview.js';

const base = { mode: 'passive' as const, iface: 'eth0', packets: 1_000_000, bytes: 64e6, flows: 3000, activeFlows: 120, drops: { kernel: 1500, interface: 2 }, lastPacketUs: 1_700_000_000_000_000 };

t.test('the capture card shows libpcap drops, the store queue drops and folded flood flows', async (t) => {
  const text = String(captureHealth({ ...base, queueDrops: 42, floodFolded: 999_601 }, base.lastPacketUs, 'e.1'));
  t.match(text, '1,500 kernel, 2 interface');
  t.match(text, '42 records the store could not keep');
  t.match(text, '999,601 half-open flows folded into flood incidents');
  const quiet = String(captureHealth({ ...base, drops: { kernel: 0, interface: 0 }, queueDrops: 0, floodFolded: 0 }, base.lastPacketUs, 'e.1'));
  t.notMatch(quiet, 'Flood', 'no flood line without a flood');
  t.notMatch(quiet, 'class="bad"', 'nothing dropped, nothing marked');
});
