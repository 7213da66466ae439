/**
 * Helpers for the reference server's own tests: start a server on a free port, call it over HTTP (Node fetch)
 * and WebSocket (ws), make users, mint tokens. No browser anywhere.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import WebSocket from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../server/index';

export const SECRET = randomBytes(32).toString('hex');
export const BYPASS_KEY = `bypass-${randomBytes(8).toString('hex')}`;
export const ALLOWED_ORIGIN = 'http://localhost:3000';

/** A server tuned for tests: no pause between run events, short heartbeat, known secret and bypass key. */
export function startTestServer(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, jwtSecret: SECRET, bypassKey: BYPASS_KEY, agentStepDelayMs: 0, heartbeatIntervalS: 0.25, ...options });
}

// ---------------------------------------------------------------- HTTP

export interface HttpReply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any route
  text: string;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<HttpReply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

// ---------------------------------------------------------------- users and tokens

export interface TestUser {
  id: string;
  email: string;
  access: string;
  refresh: string;
}

export const uniqueEmail = (tag = 'u') => `${tag}-${randomUUID().slice(0, 12)}@staging.test`;

/** A fresh user through /auth/e2e/test-auth. */
export async function newUser(base: string, body: Record<string, unknown> = {}): Promise<TestUser> {
  const email = (body.email as string | undefined) ?? uniqueEmail();
  const r = await call(base, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: { email, ...body } });
  if (r.status !== 200) throw new Error(`test-auth answered ${r.status}: ${r.text}`);
  return { id: r.body.user.id, email, access: r.body.access_token, refresh: r.body.refresh_token };
}

export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[1])));
}

/** Signs `claims` (defaults: a valid access token for `sub`) with HS256 and `secret`, or another alg. */
export async function mint(
  claims: Record<string, unknown>,
  opts: { secret?: string; alg?: string; omit?: string[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const all: Record<string, unknown> = {
    sub: 'minted-user',
    email: 'minted@staging.test',
    permissions: ['read'],
    iat: now,
    exp: now + 900,
    jti: randomUUID(),
    iss: 'netra-auth-service',
    aud: 'netra-platform',
    token_type: 'access',
    env: 'staging',
    ...claims,
  };
  for (const k of opts.omit ?? []) delete all[k];
  return new SignJWT(all)
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

/** The same claims with alg none and an empty signature. */
export function unsigned(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

export const subprotocol = (token: string) => `jwt.${base64url.encode(token)}`;

// ---------------------------------------------------------------- WebSocket

export type Frame = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- server frames

export interface SocketOptions {
  token?: string;
  protocols?: string[];
  query?: string;
  headers?: Record<string, string>;
}

/** Outcome of an upgrade: an open client, or the HTTP status it was refused with. */
export type Upgrade = { open: true; client: Client } | { open: false; status: number };

/** A WebSocket that records every frame so tests can wait for the one they need. */
export class Client {
  readonly frames: Frame[] = [];
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Headers of the 101 Switching Protocols answer. */
  upgradeHeaders: Record<string, string | string[] | undefined> = {};

  constructor(readonly ws: WebSocket) {
    ws.once('upgrade', (res) => (this.upgradeHeaders = res.headers));
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        frame = { type: '__unparseable__', raw: data.toString() };
      }
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first recorded frame (from index `from`) matching `pred`, waiting up to `timeoutMs` for it. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
    const seen = this.frames.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got types ${this.frames.map((f) => f.type).join(',')}`));
      }, timeoutMs);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  waitType(type: string, timeoutMs = 5000, from = 0): Promise<Frame> {
    return this.waitFor((f) => f.type === type, timeoutMs, from);
  }

  /** Sends a frame and resolves with the next frame of `type` that arrives after it. */
  async request(frame: unknown, type: string, timeoutMs = 5000): Promise<Frame> {
    const from = this.frames.length;
    this.send(frame);
    return this.waitType(type, timeoutMs, from);
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
    return this.closed;
  }
}

/** Upgrades to `wsUrl` and resolves once the socket is open (or the upgrade refused). */
export function upgrade(wsUrl: string, opts: SocketOptions = {}): Promise<Upgrade> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const ws = new WebSocket(wsUrl + (opts.query ?? ''), opts.protocols ?? [], { headers });
  const client = new Client(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ open: true, client }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ open: false, status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

/** An authenticated, welcomed socket (Bearer header unless other options are given). */
export async function connect(wsUrl: string, opts: SocketOptions): Promise<Client> {
  const result = await upgrade(wsUrl, opts);
  if (!result.open) throw new Error(`upgrade refused with HTTP ${result.status}`);
  await result.client.waitType('connection_established');
  return result.client;
}

export const uniqueText = (base: string) => `${base} #${randomUUID().slice(0, 8)}`;

export const TERMINAL = new Set(['agent_completed', 'agent_error']);

/**
 * Starts a run with `frame` (whose request text must be unique) and resolves with all of that run's frames,
 * up to and including agent_completed / agent_error.
 */
export async function playRun(client: Client, frame: Frame, text: string, timeoutMs = 10_000): Promise<Frame[]> {
  const from = client.frames.length;
  client.send(frame);
  const started = await client.waitFor((f) => f.type === 'agent_started' && f.task_description === text, timeoutMs, from);
  await client.waitFor((f) => f.run_id === started.run_id && TERMINAL.has(f.type), timeoutMs, from);
  return client.frames.filter((f) => f.run_id === started.run_id);
}

export const startAgent = (agentType: string, text: string, extra: Frame = {}) => ({
  type: 'start_agent',
  agent_type: agentType,
  user_request: text,
  ...extra,
});

/** A whole run of `agentType` for a fresh user on a fresh socket: all of its frames. */
export async function runOf(srv: RunningServer, agentType: string, request: string, extra: Frame = {}): Promise<Frame[]> {
  const user = await newUser(srv.url);
  const client = await connect(srv.wsUrl, { token: user.access });
  try {
    const text = uniqueText(request);
    return await playRun(client, startAgent(agentType, text, extra), text);
  } finally {
    await client.close();
  }
}

/** Resolves after `ms` (for the few checks that must prove something did NOT happen). */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first truthy result of `check` within `timeoutMs`, else the last one: for effects the contract gives no moment. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 2000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await check();
    if (seen || performance.now() > deadline) return seen;
    await pause(50);
  }
}
