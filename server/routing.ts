/**
 * The HTTP front door: headers every response carries, CORS, route matching (404/405), Bearer auth for
 * protected routes, and turning thrown HttpErrors into FastAPI-style replies. The latitudes that change how every
 * reply is worded or sent (extra fields, error bodies, jitter) are applied here. Route tables live in
 * auth-routes.ts and rest-routes.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSet } from './faults';
import {
  HttpError,
  corsAllows,
  corsHeaders,
  detail,
  preflightHeaders,
  requestIdFor,
  sendJson,
  statusOnly,
  type FieldProblem,
} from './http-util';
import { withExtraFields, type LatitudeSet } from './latitudes';
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
  latitudes: LatitudeSet;
  store: Store;
  tokens: TokenService;
  engine: RunEngine;
  activeConnections(): number;
  /** Closes the open WebSocket connections that authenticated with the token whose jti this is. */
  closeSockets(jti: string): void;
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
  const headerGiven = req.headers.authorization !== undefined && app.latitudes.has('non-bearer-401');
  if (token === undefined && !headerGiven) throw detail(403, NOT_AUTHENTICATED);
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

/** What handleHttp sends: a JSON body, a plain text, or no body. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
}

/** Upper bound of the random wait the jitter latitude adds to every REST and auth response. */
const JITTER_MS = 40;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An HttpError as this server words it; the latitudes choose other bodies for status-only errors and 422s. */
function errorAnswer(app: App, err: HttpError): Answer {
  const { status, headers } = err;
  if (err.statusOnly && app.latitudes.has('plain-status-errors')) {
    const message = String(err.body.detail);
    return status === 405 ? { status, headers, text: message } : { status, headers, json: { error: { code: status, message } } };
  }
  if (status === 422 && app.latitudes.has('validation-detail-string') && Array.isArray(err.body.detail)) {
    const problems = err.body.detail as FieldProblem[];
    return { status, headers, json: { detail: problems.map((p) => `${p.loc.join('.')}: ${p.msg}`).join('; ') } };
  }
  return { status, headers, json: err.body };
}

async function answer(app: App, router: Router, req: IncomingMessage, origin: string | undefined, corsOk: boolean): Promise<Answer> {
  try {
    if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      if (app.latitudes.has('cors-preflight-200'))
        return { status: 200, headers: { ...(corsOk ? preflightHeaders(req) : {}), 'content-length': '0' } };
      if (!corsOk) return { status: 400, json: { detail: 'Disallowed CORS origin' } };
      return { status: 204, headers: preflightHeaders(req) };
    }
    // Split by hand: new URL() would read a path like //x as a host name.
    const [pathname, search = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const found = router.match(method, pathname);
    if (!found) return { status: 404, json: { detail: 'Not Found' } };
    if ('allow' in found) return errorAnswer(app, statusOnly(405, 'Method Not Allowed', { allow: found.allow.join(', ') }));
    const result = await found.route.handler({ app, req, params: found.params, query: new URLSearchParams(search) });
    return { status: result.status, json: result.body };
  } catch (err) {
    if (err instanceof HttpError) return errorAnswer(app, err);
    return { status: 500, json: { detail: 'Internal Server Error' } };
  }
}

/** Handles one HTTP request end to end; never throws. */
export async function handleHttp(app: App, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('x-request-id', requestIdFor(req, !app.faults.has('request-id-not-echoed')));
  res.setHeader('x-content-type-options', 'nosniff');
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  const corsOk = corsAllows(origin, app.corsOrigins, app.faults.has('cors-reflect-any-origin'));
  if (corsOk && origin) for (const [k, v] of Object.entries(corsHeaders(origin))) res.setHeader(k, v);

  const out = await answer(app, router, req, origin, corsOk);
  if (app.latitudes.has('jitter')) await sleep(app.latitudes.random() * JITTER_MS);
  if (out.status >= 400 && app.faults.has('nosniff-success-only')) res.removeHeader('x-content-type-options');
  if (out.json !== undefined) {
    const body = app.latitudes.has('extra-fields') ? withExtraFields(out.json, app.latitudes.random) : out.json;
    sendJson(res, out.status, body, out.headers);
  } else if (out.text !== undefined) {
    res.writeHead(out.status, {
      ...out.headers,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(out.text),
    });
    res.end(out.text);
  } else {
    res.writeHead(out.status, out.headers);
    res.end();
  }
}
