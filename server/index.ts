/**
 * The embedded reference server: the whole staging contract (docs/contract.md) on Node's http and ws, with fault
 * switches that break one clause each (docs/faults.md) and latitude switches that take another conforming choice
 * where the contract leaves room (docs/latitudes.md). `startServer` is what the harness and its selftests use;
 * `npm run server` (main.ts) wraps it with settings from the environment.
 *
 * Layout: routing.ts (HTTP front door) dispatches to auth-routes.ts and rest-routes.ts; ws-gateway.ts serves /ws;
 * runs.ts plays agent runs whose content comes from agents.ts; store.ts holds all state, tokens.ts issues and checks
 * JWTs; faults.ts and latitudes.ts are the switch tables.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authRoutes } from './auth-routes';
import { FAULTS, FAULT_KIND, FaultSet } from './faults';
import { LATITUDES, LATITUDE_KIND, LatitudeSet } from './latitudes';
import { assertKnown } from './switches';
import { restRoutes } from './rest-routes';
import { Router, handleHttp, type App } from './routing';
import { RunEngine } from './runs';
import { Store, isoMillis, isoSeconds } from './store';
import { TokenService } from './tokens';
import { Gateway } from './ws-gateway';

export { FAULTS, LATITUDES };

export interface ServerOptions {
  host?: string;
  /** 0 = a free port. */
  port?: number;
  jwtSecret?: string;
  bypassKey?: string;
  environment?: string;
  corsOrigins?: string[];
  heartbeatIntervalS?: number;
  maxMessageSize?: number;
  agentStepDelayMs?: number;
  startupDelayMs?: number;
  faults?: string[];
  /** Latitude switches (docs/latitudes.md); none when unset. */
  latitudes?: string[];
}

export interface RunningServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/ws */
  wsUrl: string;
  port: number;
  /** Terminates sockets and timers, then stops listening. */
  close(): Promise<void>;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  environment: 'staging',
  corsOrigins: ['http://localhost:3000'],
  heartbeatIntervalS: 3,
  maxMessageSize: 65_536,
  agentStepDelayMs: 5,
  startupDelayMs: 0,
} as const;

const MIN_SECRET_LENGTH = 32;

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Rejects option values the server cannot honour; messages name the option, never a secret's value. */
function validate(o: ServerOptions): void {
  check(
    o.port === undefined || (Number.isInteger(o.port) && o.port >= 0 && o.port <= 65_535),
    `port must be an integer from 0 to 65535 (got ${o.port})`,
  );
  check(
    o.jwtSecret === undefined || o.jwtSecret.length >= MIN_SECRET_LENGTH,
    `jwtSecret must be at least ${MIN_SECRET_LENGTH} characters long`,
  );
  check(o.bypassKey === undefined || o.bypassKey.length > 0, 'bypassKey must not be empty');
  check(o.environment === undefined || o.environment.trim() !== '', 'environment must not be empty');
  check(
    o.heartbeatIntervalS === undefined || (Number.isFinite(o.heartbeatIntervalS) && o.heartbeatIntervalS > 0),
    `heartbeatIntervalS must be a positive number (got ${o.heartbeatIntervalS})`,
  );
  check(
    o.maxMessageSize === undefined || (Number.isInteger(o.maxMessageSize) && o.maxMessageSize >= 1024),
    `maxMessageSize must be an integer >= 1024 (got ${o.maxMessageSize})`,
  );
  check(
    o.agentStepDelayMs === undefined || (Number.isInteger(o.agentStepDelayMs) && o.agentStepDelayMs >= 0),
    `agentStepDelayMs must be an integer >= 0 (got ${o.agentStepDelayMs})`,
  );
  check(
    o.startupDelayMs === undefined || (Number.isInteger(o.startupDelayMs) && o.startupDelayMs >= 0),
    `startupDelayMs must be an integer >= 0 (got ${o.startupDelayMs})`,
  );
  for (const origin of o.corsOrigins ?? [])
    check(isOrigin(origin), `CORS origin "${origin}" is not an http(s) origin such as http://localhost:3000`);
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  validate(options);
  const faults = new FaultSet(options.faults ?? []);
  const latitudes = new LatitudeSet(options.latitudes ?? []);
  const host = options.host ?? DEFAULTS.host;
  const store = new Store(latitudes.has('iso-offset-seconds') ? isoSeconds : isoMillis);
  // No secret given: a random one per start, never printed (the harness then gets tokens from the auth routes).
  const tokens = new TokenService(
    options.jwtSecret ?? randomBytes(32).toString('hex'),
    options.environment ?? DEFAULTS.environment,
    store,
    faults,
    latitudes,
  );
  const engine = new RunEngine(store, faults, latitudes, options.agentStepDelayMs ?? DEFAULTS.agentStepDelayMs);
  const startedAtMs = Date.now();

  const app: App = {
    url: '',
    wsUrl: '',
    environment: options.environment ?? DEFAULTS.environment,
    bypassKey: options.bypassKey,
    corsOrigins: options.corsOrigins ?? DEFAULTS.corsOrigins,
    heartbeatIntervalS: options.heartbeatIntervalS ?? DEFAULTS.heartbeatIntervalS,
    maxMessageSize: options.maxMessageSize ?? DEFAULTS.maxMessageSize,
    startedAtMs,
    readyAtMs: startedAtMs + (options.startupDelayMs ?? DEFAULTS.startupDelayMs),
    faults,
    latitudes,
    store,
    tokens,
    engine,
    activeConnections: () => 0,
    closeSockets: () => undefined,
  };
  const ws = new Gateway(app);
  app.activeConnections = () => ws.activeConnections();
  app.closeSockets = (jti) => ws.closeAuthenticatedBy(jti);
  engine.attach(ws);

  const router = new Router([...authRoutes, ...restRoutes]);
  const server: Server = createServer((req, res) => void handleHttp(app, router, req, res));
  server.on('upgrade', (req, socket, head) => void ws.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  app.url = `http://${urlHost}:${port}`;
  app.wsUrl = `ws://${urlHost}:${port}/ws`;

  let closing: Promise<void> | undefined;
  return {
    url: app.url,
    wsUrl: app.wsUrl,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        engine.close();
        ws.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

const int = (name: string, raw: string): number => {
  check(/^\d+$/.test(raw.trim()), `${name} must be a whole number (got "${raw}")`);
  return Number(raw);
};

/** A comma-separated list, trimmed, without empty entries. */
const list = (raw: string) =>
  raw
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);

/**
 * Server options from environment variables (docs/server.md). Unset or empty variables take the defaults.
 * Throws an Error naming the variable on a bad value, an unknown fault or an unknown latitude.
 */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv): ServerOptions {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const options: ServerOptions = { host: DEFAULTS.host };
  const port = get('PORT');
  if (port !== undefined) {
    options.port = int('PORT', port);
    check(options.port <= 65_535, `PORT must be from 0 to 65535 (got "${port}")`);
  }

  const secret = get('JWT_SECRET_KEY');
  if (secret !== undefined) {
    check(
      secret.length >= MIN_SECRET_LENGTH,
      `JWT_SECRET_KEY must be at least ${MIN_SECRET_LENGTH} characters long (it has ${secret.length})`,
    );
    options.jwtSecret = secret;
  }
  options.bypassKey = get('E2E_OAUTH_SIMULATION_KEY');
  options.environment = get('STAGING_ENVIRONMENT');

  const origins = get('CORS_ORIGINS');
  if (origins !== undefined) {
    options.corsOrigins = origins
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    for (const o of options.corsOrigins)
      check(isOrigin(o), `CORS_ORIGINS entry "${o}" is not an http(s) origin such as http://localhost:3000`);
  }

  const heartbeat = get('HEARTBEAT_INTERVAL');
  if (heartbeat !== undefined) {
    const n = Number(heartbeat);
    check(Number.isFinite(n) && n > 0, `HEARTBEAT_INTERVAL must be a positive number of seconds (got "${heartbeat}")`);
    options.heartbeatIntervalS = n;
  }
  const size = get('MAX_MESSAGE_SIZE');
  if (size !== undefined) {
    options.maxMessageSize = int('MAX_MESSAGE_SIZE', size);
    check(options.maxMessageSize >= 1024, `MAX_MESSAGE_SIZE must be at least 1024 bytes (got ${size})`);
  }
  const step = get('AGENT_STEP_DELAY_MS');
  if (step !== undefined) options.agentStepDelayMs = int('AGENT_STEP_DELAY_MS', step);
  const startup = get('STARTUP_DELAY_MS');
  if (startup !== undefined) options.startupDelayMs = int('STARTUP_DELAY_MS', startup);

  const faults = get('STAGING_FAULTS');
  options.faults = faults === undefined ? [] : list(faults);
  assertKnown(FAULT_KIND, options.faults);

  // Set only when some are on, so an environment without latitudes gives the same options as before they existed.
  const latitudes = get('STAGING_LATITUDES');
  if (latitudes !== undefined) {
    options.latitudes = latitudes === 'all' ? LATITUDES.map((l) => l.name) : list(latitudes);
    assertKnown(LATITUDE_KIND, options.latitudes, ['all']);
  }
  return options;
}
