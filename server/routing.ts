/**
 * The HTTP front door: headers every response carries, CORS, route matching (404/405), Bearer auth for
 * protected routes, and turning thrown HttpErrors into FastAPI-style replies. Route tables live in
 * auth-routes.ts and rest-routes.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSet } from './faults';
import { HttpError, corsAllows, corsHeaders, detail, preflightHeaders, requestIdFor, sendJson } from './http-util';
import type { RunEngine } from './runs';
import type { Store } from './store';
import type { Claims, TokenService } from './tokens';

/** Everything a route needs, built once per server by index.ts. */
export interface App {
  url: string;
  wsUrl: string;
  environment: string;
  bypassKey: string | undefined;
  corsOrigins: readonly string[];
  heartbeatIntervalS: number;
  maxMessageSize: number;
  startedAtMs: number;
  readyAtMs: number;
  faults: FaultSet;
  store: Store;
  tokens: TokenService;
  engine: RunEngine;
  activeConnections(): number;
}

export interface Call {
  app: App;
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Reply {
  status: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: (call: Call) => Promise<Reply> | Reply;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });

const NOT_AUTHENTICATED = 'Not authenticated';
export const INVALID_TOKEN = 'Invalid or expired token';

/** The Bearer credential, or undefined when the header is absent, not Bearer, or empty (all "not authenticated"). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

const TEST_SWITCH_HEADER = 'x-test-mode';

/**
 * Backend auth (§3): no credentials 403 "Not authenticated"; anything but a valid access token 401.
 * The test-header-bypass fault reproduces the classic "test mode header skips auth" regression.
 */
export async function requireUser(app: App, req: IncomingMessage): Promise<Claims> {
  const token = bearerToken(req);
  const verdict = token === undefined ? undefined : await app.tokens.verify(token, 'access');
  if (verdict?.ok) return verdict.claims;
  if (app.faults.has('test-header-bypass') && req.headers[TEST_SWITCH_HEADER] !== undefined) {
    return { sub: 'demo-user', email: 'demo@staging.test', permissions: [], iat: 0, exp: 0, jti: 'demo' };
  }
  if (token === undefined) throw detail(403, NOT_AUTHENTICATED);
  throw detail(401, INVALID_TOKEN);
}

interface CompiledRoute extends Route {
  segments: string[];
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    this.routes = routes.map((r) => ({ ...r, segments: r.path.split('/').filter(Boolean) }));
  }

  /** Routes are tried in table order, so literal paths are listed before parameterised ones. */
  match(method: string, pathname: string): { route: CompiledRoute; params: Record<string, string> } | { allow: string[] } | undefined {
    const parts = pathname.split('/').filter(Boolean);
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { allow } : undefined;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
    } else if (p !== parts[i]) {
      return undefined;
    }
  }
  return params;
}

/** Handles one HTTP request end to end; never throws. */
export async function handleHttp(app: App, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('x-request-id', requestIdFor(req, !app.faults.has('request-id-not-echoed')));
  res.setHeader('x-content-type-options', 'nosniff');
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  const corsOk = corsAllows(origin, app.corsOrigins, app.faults.has('cors-reflect-any-origin'));
  if (corsOk && origin) for (const [k, v] of Object.entries(corsHeaders(origin))) res.setHeader(k, v);

  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (status >= 400 && app.faults.has('nosniff-success-only')) res.removeHeader('x-content-type-options');
    sendJson(res, status, body, headers);
  };

  try {
    if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      if (!corsOk) return reply(400, { detail: 'Disallowed CORS origin' });
      res.writeHead(204, preflightHeaders(req));
      res.end();
      return;
    }
    // Split by hand: new URL() would read a path like //x as a host name.
    const [pathname, search = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const found = router.match(method, pathname);
    if (!found) return reply(404, { detail: 'Not Found' });
    if ('allow' in found) return reply(405, { detail: 'Method Not Allowed' }, { allow: found.allow.join(', ') });
    const result = await found.route.handler({ app, req, params: found.params, query: new URLSearchParams(search) });
    reply(result.status, result.body);
  } catch (err) {
    if (err instanceof HttpError) return reply(err.status, err.body, err.headers);
    reply(500, { detail: 'Internal Server Error' });
  }
}
