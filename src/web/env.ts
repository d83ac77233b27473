/** The Hono environment every route of the web server shares. */
import type { TokenScope } from '../store/web-auth.js';
import type { WebDeps } from './deps.js';

export interface WebUser {
  id: number;
  username: string;
  role: 'admin' | 'viewer';
}

export interface WebEnv {
  Variables: {
    deps: WebDeps;
    /** the signed-in user, or null (only on the routes that allow anonymous access) */
    user: WebUser | null;
    /** the CSRF token to embed in forms (hidden input `_csrf`) and htmx requests (header `X-CSRF-Token`) */
    csrf: string;
    /** how the request was authenticated: a session cookie, an API bearer token, or none */
    auth: 'session' | 'token' | 'none';
    /** the scope of the API token the request came with (null for a session or no credentials) */
    scope: TokenScope | null;
  };
}
