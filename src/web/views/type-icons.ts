/**
 * Device type icons as small inline SVGs (24×24 grid, stroked in the text colour): they draw the same on every
 * browser, with or without an emoji font. Attributes only, no style attribute (the CSP forbids inline styles).
 */
import { raw, type Html } from '../html.js';
import type { DeviceType } from '../../device-type/guess.js';

const PATHS: Record<DeviceType, string> = {
  phone: '<rect x="7" y="2" width="10" height="20" rx="2"/><path d="M11 18h2"/>',
  tablet: '<rect x="4" y="2" width="16" height="20" rx="2"/><path d="M11 18h2"/>',
  laptop: '<rect x="4" y="5" width="16" height="11" rx="1"/><path d="M2 19h20"/>',
  computer: '<rect x="3" y="4" width="18" height="12" rx="1"/><path d="M8 20h8M12 16v4"/>',
  camera: '<rect x="2" y="7" width="20" height="13" rx="2"/><circle cx="12" cy="13.5" r="4"/><path d="M8 7l2-3h4l2 3"/>',
  plug: '<path d="M9 2v5M15 2v5M6 7h12v4a6 6 0 0 1-12 0zM12 17v5"/>',
  tv: '<rect x="2" y="4" width="20" height="13" rx="1"/><path d="M8 21l4-4 4 4"/>',
  speaker: '<rect x="5" y="2" width="14" height="20" rx="2"/><circle cx="12" cy="14" r="4"/><circle cx="12" cy="6.5" r="1"/>',
  printer: '<path d="M6 9V2h12v7"/><rect x="2" y="9" width="20" height="9" rx="1"/><path d="M6 14h12v8H6z"/>',
  router: '<rect x="2" y="13" width="20" height="8" rx="1"/><path d="M6 17h.01M10 17h.01M7 13l-2-9M17 13l2-9"/>',
  nas: '<rect x="3" y="3" width="18" height="8" rx="1"/><rect x="3" y="13" width="18" height="8" rx="1"/><path d="M7 7h.01M7 17h.01"/>',
  console: '<rect x="2" y="7" width="20" height="11" rx="5"/><path d="M7 10v5M4.5 12.5h5M15 11h.01M18 14h.01"/>',
  unknown: '<circle cx="12" cy="12" r="10"/><path d="M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17.5h.01"/>',
};

/** The SVG icon of a device type (aria-hidden: the caller gives the accessible name). */
export function typeSvg(type: DeviceType): Html {
  return raw(
    `<svg class="type-svg" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${PATHS[type]}</svg>`,
  );
}
