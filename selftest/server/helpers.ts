/**
 * Helpers for the reference server's own tests: start a server on a free port, call it over HTTP (Node fetch), make
 * users, mint tokens, and open sockets with the harness's contract client (fixtures/client) outside any Playwright
 * fixture. No browser anywhere.
 */
import { test } from '@playwright/test';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { AgentSocket, NO_OBSERVER, type SocketTimeouts, type Upgrade } from '../../fixtures/client/agent-socket';
import { contractClaims, signToken } from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';
import { startServer, type RunningServer, type ServerOptions } from '../../server/index';

const SECRET = randomBytes(32).toString('hex');
export const BYPASS_KEY = `bypass-${randomBytes(8).toString('hex')}`;
export const ALLOWED_ORIGIN = 'http://localhost:3000';

/** A server tuned for tests: no pause between run events, short heartbeat, known secret and bypass key. */
export function startTestServer(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, jwtSecret: SECRET, bypassKey: BYPASS_KEY, agentStepDelayMs: 0, heartbeatIntervalS: 0.25, ...options });
}

/**
 * A test server for the tests of the calling spec file: started before its first test, closed after its last. The
 * returned object is filled in when the server has started, so tests read `srv.url` as usual.
 */
export function serverForThisFile(options: ServerOptions = {}): RunningServer {
  const srv = {} as RunningServer;

  test.beforeAll(async () => {
    Object.assign(srv, await startTestServer(options));
  });

  test.afterAll(async () => {
    await srv.close();
  });

  return srv;
}

/** How the reference server writes an `<ISO>` timestamp (its own choice: milliseconds and `Z`). */
export const SERVER_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** What `npm run server` (server/main.ts) printed before it exited, and its exit code. */
interface MainExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs server/main.ts with only PATH and `env` in its environment. Once it prints its ready line, `whileUp` runs with
 * the server's URL and SIGTERM follows; a server that fails to start exits by itself.
 */
export function runServerMain(
  env: Record<string, string>,
  whileUp: (url: string) => Promise<unknown> = async () => undefined,
): Promise<MainExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: path.join(__dirname, '../..'),
    env: { PATH: process.env.PATH, ...env },
  });
  let stdout = '';
  let stderr = '';
  let started = false;
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    const url = /ready at (\S+)/.exec(stdout)?.[1];
    if (url && !started) {
      started = true;
      void whileUp(url).finally(() => child.kill('SIGTERM'));
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
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

/** A user of the server under test with the token pair /auth/e2e/test-auth issued (not the fixtures' TestUser). */
export interface ServerUser {
  id: string;
  email: string;
  access: string;
  refresh: string;
}

export const uniqueEmail = (tag = 'u') => `${tag}-${randomUUID().slice(0, 12)}@staging.test`;

/** A fresh user through /auth/e2e/test-auth. */
export async function newUser(base: string, body: Record<string, unknown> = {}): Promise<ServerUser> {
  const email = (body.email as string | undefined) ?? uniqueEmail();
  const r = await call(base, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: { email, ...body } });
  if (r.status !== 200) throw new Error(`test-auth answered ${r.status}: ${r.text}`);
  return { id: r.body.user.id, email, access: r.body.access_token, refresh: r.body.refresh_token };
}

/**
 * A token the auth service would issue to a `minted-user` (contractClaims), with `claims` laid over it and the `omit`
 * claims removed, signed with the test server's secret (or `secret`) and HS256 (or `alg`).
 */
export async function mint(
  claims: Record<string, unknown>,
  opts: { secret?: string; alg?: 'HS256' | 'HS384' | 'HS512'; omit?: string[] } = {},
): Promise<string> {
  const issued = contractClaims({ id: 'minted-user', email: 'minted@staging.test', permissions: ['read'] }, 'access', 'staging');
  const all: Record<string, unknown> = { ...issued, ...claims };
  for (const k of opts.omit ?? []) delete all[k];
  return signToken(all, opts.secret ?? SECRET, opts.alg);
}

// ---------------------------------------------------------------- WebSocket

/** A frame as the self-tests read it: any field, at any depth, without checks. */
export type Frame = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- server frames

export interface SocketOptions {
  token?: string;
  protocols?: string[];
  query?: string;
  headers?: Record<string, string>;
}

/** The server under test answers at once: 5 s for a frame or a handshake, 10 s for a whole run. */
const TIMEOUTS: SocketTimeouts = {
  handshakeMs: 5000,
  firstEventMs: 5000,
  runCompleteMs: 10_000,
  quietMs: 1000,
  pingMs: 1000,
  closeMs: 5000,
  clockSkewMs: 30_000,
};

/** Frames the server sends may be as large as it likes; only client frames have a limit. */
const MAX_PAYLOAD = 16 * 1024 * 1024;

let sockets = 0;

/** Attempts the upgrade (Bearer header when `token` is given) and reports what happened: see {@link Upgrade}. */
export function upgrade(wsUrl: string, opts: SocketOptions = {}): Promise<Upgrade> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  return AgentSocket.connect({
    url: wsUrl + (opts.query ?? ''),
    label: `ws#${++sockets}`,
    protocols: opts.protocols,
    headers,
    maxPayload: MAX_PAYLOAD,
    observer: NO_OBSERVER,
    timeouts: TIMEOUTS,
    clock: () => performance.now(),
  });
}

/** An open socket that got its connection_established (Bearer header unless other options are given). */
export async function connect(wsUrl: string, opts: SocketOptions): Promise<AgentSocket> {
  const result = await upgrade(wsUrl, opts);
  if (!result.socket) throw new Error(`upgrade refused: ${result.error}`);
  await result.socket.welcomed();
  return result.socket;
}

/** Sends `frame` (an object as JSON, a string as it is) and resolves with the next frame of `type` after it. */
export async function request(socket: AgentSocket, frame: Frame | string, type: string, timeout?: number): Promise<Frame> {
  const from = socket.frames.length;
  if (typeof frame === 'string') await socket.sendRaw(frame);
  else await socket.send(frame);
  return socket.waitFor(type, { from, timeout });
}

/** The start_agent frame for `agentType` with `text` as the request, plus any other fields. */
export const startAgent = (agentType: string, text: string, extra: Frame = {}) => ({
  type: 'start_agent',
  agent_type: agentType,
  user_request: text,
  ...extra,
});

/** A whole run of `agentType` for a fresh user on a fresh socket: all of its frames. */
export async function runOf(srv: RunningServer, agentType: string, text: string): Promise<Frame[]> {
  const user = await newUser(srv.url);
  const socket = await connect(srv.wsUrl, { token: user.access });
  try {
    return await (await socket.startAgent(agentType, uniqueRequest(text))).finished();
  } finally {
    await socket.close();
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
