/**
 * GET /static/*: the dashboard's own stylesheet and script and the browser libraries it uses, read through
 * src/assets.ts (so the single executable serves them from its embedded assets) once, on first request, and
 * kept in memory with their ETag. Anything not in the table is 404: no path from the URL reaches the file system.
 */
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { readAsset } from '../assets.js';
import type { WebEnv } from './env.js';

/** URL name → asset name and content type. htmx 4 keeps SSE in an extension (dist/ext/hx-sse.js). */
export const STATIC_FILES: Record<string, { asset: string; type: string }> = {
  'style.css': { asset: 'src/web/static/style.css', type: 'text/css; charset=utf-8' },
  'app.js': { asset: 'src/web/static/app.js', type: 'text/javascript; charset=utf-8' },
  'htmx.min.js': { asset: 'node_modules/htmx.org/dist/htmx.min.js', type: 'text/javascript; charset=utf-8' },
  'htmx-sse.js': { asset: 'node_modules/htmx.org/dist/ext/hx-sse.min.js', type: 'text/javascript; charset=utf-8' },
  'uplot.min.js': { asset: 'node_modules/uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  'uplot.min.css': { asset: 'node_modules/uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

interface Loaded {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
  type: string;
}

export function registerStatic(app: Hono<WebEnv>): void {
  const cache = new Map<string, Loaded>();
  const load = (name: string): Loaded | undefined => {
    const spec = STATIC_FILES[name];
    if (spec === undefined) return undefined;
    let f = cache.get(name);
    if (f === undefined) {
      const buf = readAsset(spec.asset);
      // a copy in a plain ArrayBuffer: Buffer's may be a shared pool slice, which Response bodies do not take
      const body = new Uint8Array(new ArrayBuffer(buf.length));
      body.set(buf);
      f = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, type: spec.type };
      cache.set(name, f);
    }
    return f;
  };
  app.get('/static/:name', (c) => {
    const f = load(c.req.param('name'));
    if (f === undefined) return c.text('not found', 404);
    // revalidated after an hour: an upgrade changes the ETag, and the files are small
    const headers = { 'Content-Type': f.type, ETag: f.etag, 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304, headers);
    return c.body(f.body, 200, headers);
  });
}
