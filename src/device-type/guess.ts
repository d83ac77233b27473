/**
 * What kind of device a MAC is, in words a person recognises (phone, laptop, camera, plug, TV, printer,
 * router, …), guessed from what the appliance knows about it: the admin's own choice first, then whether it
 * is the network's gateway, the services its last scan found, its DHCP vendor class and hostname, and the
 * vendor of its MAC. Pure: plain values in, a type and the reason out; the rules are data, first match wins.
 */

/** Device types, with the label the dashboard shows (its icon: src/web/views/type-icons.ts). */
export const DEVICE_TYPES = {
  phone: { label: 'phone' },
  tablet: { label: 'tablet' },
  laptop: { label: 'laptop or PC' },
  computer: { label: 'small computer' },
  camera: { label: 'camera' },
  plug: { label: 'smart plug or light' },
  tv: { label: 'TV or streamer' },
  speaker: { label: 'speaker or assistant' },
  printer: { label: 'printer' },
  router: { label: 'router' },
  nas: { label: 'network storage' },
  console: { label: 'game console' },
  unknown: { label: 'unknown' },
} as const;

export type DeviceType = keyof typeof DEVICE_TYPES;
export const DEVICE_TYPE_KEYS = Object.keys(DEVICE_TYPES) as DeviceType[];

export interface DeviceFacts {
  /** the type an admin set (null: not set) */
  chosen: string | null;
  hostname: string | null;
  vendor: string | null;
  dhcpVendorClass: string | null;
  /** the network's default gateway (the MAC that traffic to remote addresses goes to) */
  gateway: boolean;
  /** open TCP ports from the last scan */
  openPorts: readonly number[];
}

export interface TypeGuess {
  type: DeviceType;
  /** 'set' when an admin chose it, 'guess' otherwise */
  source: 'set' | 'guess';
  /** why, in a few words: "DHCP vendor class android-dhcp-13" */
  because: string;
}

type Rule = readonly [RegExp, DeviceType];

/** DHCP option 60 (vendor class identifier) prefixes. */
const VENDOR_CLASS: readonly Rule[] = [
  [/^android-dhcp/i, 'phone'],
  [/^MSFT/i, 'laptop'],
  [/^dhcpcd/i, 'computer'],
  [/^udhcp/i, 'camera'], // BusyBox: cameras, plugs and routers; the hostname or vendor usually says which first
];

/** Hostname patterns (what the device calls itself in DHCP). */
const HOSTNAME: readonly Rule[] = [
  [/iphone|android|pixel|galaxy|phone|oneplus|xiaomi|redmi/i, 'phone'],
  [/ipad|tablet|kindle|\btab\b/i, 'tablet'],
  [/cam|doorbell|ring-|nest-?cam|hikvision|dahua|reolink/i, 'camera'],
  [/printer|^hp[0-9a-f]{6}|epson|brother|canon|laserjet|officejet/i, 'printer'],
  [/plug|bulb|light|lamp|tasmota|shelly|sonoff|tuya|wemo|\besp[-_]?[0-9a-f]*/i, 'plug'],
  [/\btv\b|-tv|tv-|roku|chromecast|fire-?tv|bravia|shield|appletv|apple-tv|webos/i, 'tv'],
  [/echo|alexa|sonos|homepod|speaker|google-?home|nest-?(mini|hub|audio)/i, 'speaker'],
  [/router|gateway|fritz|openwrt|dd-wrt|unifi|mikrotik/i, 'router'],
  [/nas|synology|diskstation|qnap|truenas/i, 'nas'],
  [/xbox|playstation|ps[45]|nintendo|switch/i, 'console'],
  [/macbook|laptop|thinkpad|desktop|-pc\b|^pc-|^win|imac|surface/i, 'laptop'],
  [/raspberrypi|^pi\b|^rpi/i, 'computer'],
];

/** MAC vendor (OUI organisation) patterns, only for makers that sell mostly one kind of device. */
const VENDOR: readonly Rule[] = [
  [/espressif|tuya|shelly|sonoff|itead|signify|philips lighting|lifx/i, 'plug'],
  [/hikvision|dahua|axis communications|reolink|amcrest|wyze/i, 'camera'],
  [/sonos|amazon technologies/i, 'speaker'],
  [/roku|vizio|tcl/i, 'tv'],
  [/brother|seiko epson|canon|lexmark|xerox/i, 'printer'],
  [/synology|qnap/i, 'nas'],
  [/raspberry pi/i, 'computer'],
  [/ubiquiti|mikrotik|avm gmbh|netgear|tp-link|arris|technicolor|sagemcom/i, 'router'],
  [/nintendo|sony interactive/i, 'console'],
];

/** Open ports that say what a device is. */
const PORTS: readonly (readonly [number, DeviceType, string])[] = [
  [554, 'camera', 'RTSP (554) open'],
  [9100, 'printer', 'raw printing (9100) open'],
  [631, 'printer', 'IPP (631) open'],
  [8009, 'tv', 'Cast (8009) open'],
  [1400, 'speaker', 'Sonos (1400) open'],
  [5000, 'nas', 'NAS admin (5000) open'],
];

function match(rules: readonly Rule[], s: string | null): DeviceType | null {
  if (s === null || s === '') return null;
  for (const [re, type] of rules) if (re.test(s)) return type;
  return null;
}

const isType = (s: string | null): s is DeviceType => s !== null && Object.hasOwn(DEVICE_TYPES, s);

/** The device's type and why. */
export function guessDeviceType(f: DeviceFacts): TypeGuess {
  if (isType(f.chosen)) return { type: f.chosen, source: 'set', because: 'set by an admin' };
  if (f.gateway) return { type: 'router', source: 'guess', because: 'traffic to the internet goes through it, so it is the gateway' };
  for (const [port, type, why] of PORTS) if (f.openPorts.includes(port)) return { type, source: 'guess', because: why };
  const byName = match(HOSTNAME, f.hostname);
  if (byName !== null) return { type: byName, source: 'guess', because: `hostname ${f.hostname}` };
  const byVendor = match(VENDOR, f.vendor);
  if (byVendor !== null) return { type: byVendor, source: 'guess', because: `made by ${f.vendor}` };
  const byClass = match(VENDOR_CLASS, f.dhcpVendorClass);
  if (byClass !== null) return { type: byClass, source: 'guess', because: `DHCP vendor class ${f.dhcpVendorClass}` };
  if (f.vendor !== null && /apple/i.test(f.vendor)) return { type: 'phone', source: 'guess', because: 'made by Apple (most Apple devices on a home network are phones)' };
  return { type: 'unknown', source: 'guess', because: 'nothing it announced says what it is' };
}
