import t from 'tap';
import { guessDeviceType, type DeviceFacts } from './guess.js';

const base: DeviceFacts = { chosen: null, hostname: null, vendor: null, dhcpVendorClass: null, gateway: false, openPorts: [] };

t.test('the admin choice wins, then the gateway, ports, hostname, vendor, DHCP class', async (t) => {
  t.match(guessDeviceType({ ...base, chosen: 'tv', hostname: 'iphone-anna' }), { type: 'tv', source: 'set' });
  t.match(guessDeviceType({ ...base, chosen: 'bogus', hostname: 'iphone-anna' }), { type: 'phone', source: 'guess' }, 'an unknown stored type is ignored');
  t.match(guessDeviceType({ ...base, gateway: true, vendor: 'Espressif Inc.' }), { type: 'router', because: /gateway/ });
  t.match(guessDeviceType({ ...base, openPorts: [80, 554], hostname: 'garden' }), { type: 'camera', because: /RTSP/ });
  t.match(guessDeviceType({ ...base, hostname: 'Living-Room-TV' }), { type: 'tv' });
  t.match(guessDeviceType({ ...base, hostname: 'HP3A1B2C' }), { type: 'printer' });
  t.match(guessDeviceType({ ...base, vendor: 'Espressif Inc.' }), { type: 'plug', because: 'made by Espressif Inc.' });
  t.match(guessDeviceType({ ...base, dhcpVendorClass: 'android-dhcp-13' }), { type: 'phone', because: /vendor class/ });
  t.match(guessDeviceType({ ...base, dhcpVendorClass: 'MSFT 5.0' }), { type: 'laptop' });
  t.match(guessDeviceType({ ...base, vendor: 'Apple, Inc.' }), { type: 'phone' });
  t.match(guessDeviceType(base), { type: 'unknown' });
});
