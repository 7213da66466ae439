/**
 * The embedded reference server against the contract documents: every operation of contract/openapi.yaml through
 * every status it declares, and a WebSocket session that produces every frame type of contract/asyncapi.yaml.
 * Each response goes through responseProblems and each frame through frameProblems (what the client sends, through
 * clientFrameProblems), so the server and the documents cannot drift apart.
 */
import { expect, test } from '@playwright/test';
import {
  ANY_ROUTE,
  clientFrameProblems,
  clientFrameTypes,
  frameProblems,
  frameTypes,
  operations,
  responseProblems,
  statuses,
} from '../../contract/index';
import { AgentRun } from '../../fixtures/client/agent-run';
import type { AgentSocket } from '../../fixtures/client/agent-socket';
import { uniqueRequest } from '../../fixtures/client/unique';
import {
  BYPASS_KEY,
  call,
  connect,
  mint,
  newUser,
  pause,
  request,
  startAgent,
  startTestServer,
  uniqueEmail,
  upgrade,
  type CallOptions,
  type Frame,
  type HttpReply,
  type ServerUser,
  serverForThisFile,
} from '../server/helpers';

const AGENT_TYPES = ['triage', 'data', 'optimization', 'supervisor'];

const srv = serverForThisFile();

/** Calls the server, checks the reply against `operation`, and records which status was seen. */
class RestConformance {
  readonly seen = new Set<string>();
  readonly problems: string[] = [];

  constructor(private readonly base: string) {}

  async call(
    operation: string,
    expected: number,
    method: string,
    path: string,
    opts: CallOptions = {},
    base = this.base,
  ): Promise<HttpReply> {
    const reply = await call(base, method, path, opts);
    // The detail only: a whole body may hold tokens.
    expect(reply.status, `${method} ${path} (${operation}) detail: ${JSON.stringify(reply.body?.detail)}`).toBe(expected);
    const body = reply.body !== undefined ? reply.body : reply.text;
    this.problems.push(...responseProblems(operation, reply.status, body).map((p) => `${method} ${path} as ${operation}: ${p}`));
    this.seen.add(`${operation} ${reply.status}`);
    return reply;
  }

  /** Declared (operation, status) pairs no call produced. */
  unseen(): string[] {
    return [...operations(), ANY_ROUTE].flatMap((op) => statuses(op).map((s) => `${op} ${s}`)).filter((key) => !this.seen.has(key));
  }
}

test('every operation of openapi.yaml, through every status it declares', async () => {
  const rest = new RestConformance(srv.url);
  const [a, b] = [await newUser(srv.url), await newUser(srv.url)];
  const [tokenA, tokenB] = [{ token: a.access }, { token: b.access }];
  const noAuth: CallOptions = {};
  const badToken = { token: 'not.a.token' };

  await test.step('§2 auth service', async () => {
    await rest.call('GET /auth/health', 200, 'GET', '/auth/health');
    const e2e = 'POST /auth/e2e/test-auth';
    await rest.call(e2e, 200, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: {} });
    await rest.call(e2e, 401, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': 'wrong' }, json: {} });
    const unconfigured = await startTestServer({ bypassKey: undefined });
    const production = await startTestServer({ environment: 'production' });
    await rest.call(e2e, 503, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: {} }, unconfigured.url);
    await rest.call(e2e, 403, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: {} }, production.url);
    await Promise.all([unconfigured.close(), production.close()]);

    const email = uniqueEmail('reg');
    const registered = await rest.call('POST /auth/register', 200, 'POST', '/auth/register', {
      json: { email, password: 'correct horse', name: 'Reg' },
    });
    await rest.call('POST /auth/register', 409, 'POST', '/auth/register', { json: { email, password: 'correct horse' } });
    await rest.call('POST /auth/register', 422, 'POST', '/auth/register', { json: { email: uniqueEmail('short'), password: 'short' } });
    const login = await rest.call('POST /auth/login', 200, 'POST', '/auth/login', { json: { email, password: 'correct horse' } });
    await rest.call('POST /auth/login', 401, 'POST', '/auth/login', { json: { email, password: 'wrong horse' } });
    await rest.call('POST /auth/login', 422, 'POST', '/auth/login', { json: { email } });
    const refreshToken = registered.body.refresh_token;
    await rest.call('POST /auth/refresh', 200, 'POST', '/auth/refresh', { json: { refresh_token: refreshToken } });
    await rest.call('POST /auth/refresh', 401, 'POST', '/auth/refresh', { json: { refresh_token: refreshToken } });
    await rest.call('POST /auth/refresh', 422, 'POST', '/auth/refresh', { json: {} });
    await rest.call('GET /auth/me', 200, 'GET', '/auth/me', { token: login.body.access_token });
    await rest.call('GET /auth/me', 401, 'GET', '/auth/me', badToken);
    await rest.call('POST /auth/logout', 200, 'POST', '/auth/logout', { token: login.body.access_token });
    await rest.call('POST /auth/logout', 401, 'POST', '/auth/logout', noAuth);

    const expired = await mint({ sub: a.id, exp: Math.floor(Date.now() / 1000) - 3600 });
    const verdicts = [
      [a.access, 'valid'],
      [undefined, 'missing_token'],
      ['garbage', 'invalid_token'],
      [expired, 'expired_token'],
      [login.body.access_token, 'revoked_token'],
      [a.refresh, 'wrong_token_type'],
    ];
    for (const [token, verdict] of verdicts) {
      const r = await rest.call('POST /auth/validate', 200, 'POST', '/auth/validate', { json: { token } });
      expect(r.body.error ?? 'valid').toBe(verdict);
    }
  });

  await test.step('§3 health, discovery, MCP, WebSocket info', async () => {
    for (const op of ['GET /health', 'GET /api/health', 'GET /health/ready', 'GET /api/discovery/services']) {
      await rest.call(op, 200, 'GET', op.split(' ')[1]);
    }
    for (const op of ['GET /api/mcp/servers', 'GET /api/mcp/config', 'GET /ws/health', 'GET /ws/config']) {
      await rest.call(op, 200, 'GET', op.split(' ')[1]);
    }
    const starting = await startTestServer({ startupDelayMs: 60_000 });
    for (const op of ['GET /health', 'GET /api/health', 'GET /health/ready'])
      await rest.call(op, 503, 'GET', op.split(' ')[1], {}, starting.url);
    await starting.close();
  });

  await test.step('§3 agents and runs', async () => {
    for (const op of ['GET /api/agents', 'GET /api/agents/runs']) {
      const path = op.split(' ')[1];
      await rest.call(op, 200, 'GET', path, tokenA);
      await rest.call(op, 401, 'GET', path, badToken);
      await rest.call(op, 403, 'GET', path, noAuth);
    }
    const execute = 'POST /api/agents/execute';
    for (const type of AGENT_TYPES) {
      await rest.call(execute, 200, 'POST', '/api/agents/execute', { ...tokenA, json: { type, message: 'cost savings and anomalies' } });
    }
    await rest.call(execute, 500, 'POST', '/api/agents/execute', {
      ...tokenA,
      json: { type: 'triage', message: 'fail', context: { force_failure: true } },
    });
    await rest.call(execute, 422, 'POST', '/api/agents/execute', { ...tokenA, json: { type: 'planner', message: 'x' } });
    await rest.call(execute, 401, 'POST', '/api/agents/execute', { ...badToken, json: { type: 'data', message: 'x' } });
    await rest.call(execute, 403, 'POST', '/api/agents/execute', { json: { type: 'data', message: 'x' } });

    const byType = 'POST /api/agents/{type}';
    const done = await rest.call(byType, 200, 'POST', '/api/agents/optimization', { ...tokenA, json: { message: 'capacity' } });
    await rest.call(byType, 500, 'POST', '/api/agents/data', { ...tokenA, json: { message: 'x', context: { force_failure: true } } });
    await rest.call(byType, 404, 'POST', '/api/agents/planner', { ...tokenA, json: { message: 'x' } });
    await rest.call(byType, 422, 'POST', '/api/agents/data', { ...tokenA, json: { message: '' } });
    await rest.call(byType, 401, 'POST', '/api/agents/data', { ...badToken, json: { message: 'x' } });
    await rest.call(byType, 403, 'POST', '/api/agents/data', { json: { message: 'x' } });

    const getRun = 'GET /api/agents/runs/{run_id}';
    const runs = (await call(srv.url, 'GET', '/api/agents/runs', tokenA)).body.runs as { run_id: string }[];
    expect(runs.map((r) => r.run_id)).toContain(done.body.run_id);
    for (const { run_id } of runs) await rest.call(getRun, 200, 'GET', `/api/agents/runs/${run_id}`, tokenA);
    await rest.call(getRun, 404, 'GET', '/api/agents/runs/run_unknown', tokenA);
    await rest.call(getRun, 403, 'GET', `/api/agents/runs/${done.body.run_id}`, tokenB);
    await rest.call(getRun, 403, 'GET', `/api/agents/runs/${done.body.run_id}`, noAuth);
    await rest.call(getRun, 401, 'GET', `/api/agents/runs/${done.body.run_id}`, badToken);
  });

  await test.step('§3 threads and messages', async () => {
    const thread = await rest.call('POST /api/threads', 200, 'POST', '/api/threads', {
      ...tokenA,
      json: { title: 'Costs', metadata: { k: 1 } },
    });
    await rest.call('POST /api/threads', 200, 'POST', '/api/threads', tokenA);
    await rest.call('POST /api/threads', 401, 'POST', '/api/threads', { ...badToken, json: {} });
    await rest.call('POST /api/threads', 403, 'POST', '/api/threads', { json: {} });
    await rest.call('GET /api/threads', 200, 'GET', '/api/threads?limit=5&offset=0', tokenA);
    await rest.call('GET /api/threads', 422, 'GET', '/api/threads?limit=101', tokenA);
    await rest.call('GET /api/threads', 401, 'GET', '/api/threads', badToken);
    await rest.call('GET /api/threads', 403, 'GET', '/api/threads', noAuth);

    const one = `/api/threads/${thread.body.id}`;
    const archived = (await call(srv.url, 'POST', '/api/threads', { ...tokenA, json: {} })).body.id;
    const cases: [string, string, string, CallOptions][] = [
      ['GET /api/threads/{id}', 'GET', one, tokenA],
      ['PUT /api/threads/{id}', 'PUT', one, { ...tokenA, json: { title: 'Renamed', metadata: { topic: 'cost' } } }],
      ['GET /api/threads/{id}/messages', 'GET', `${one}/messages?limit=10`, tokenA],
      ['POST /api/threads/{id}/messages', 'POST', `${one}/messages`, { ...tokenA, json: { message: 'héllo 👋' } }],
      ['DELETE /api/threads/{id}', 'DELETE', `/api/threads/${archived}`, tokenA],
    ];
    // Errors first: an archived thread is 404 for everyone.
    for (const [op, method, path, ok] of cases) {
      const json = ok.json;
      await rest.call(op, 404, method, path.replace(/thr_\w+/, 'thr_unknown'), { ...tokenA, json });
      await rest.call(op, 403, method, path, { ...tokenB, json });
      await rest.call(op, 403, method, path, { json });
      await rest.call(op, 401, method, path, { ...badToken, json });
      await rest.call(op, 200, method, path, ok);
    }
    await rest.call('GET /api/threads/{id}', 404, 'GET', `/api/threads/${archived}`, tokenA);
    await rest.call('POST /api/threads/{id}/messages', 422, 'POST', `${one}/messages`, { ...tokenA, json: { message: '' } });
  });

  await test.step('§3 WebSocket tickets, unknown routes, wrong methods', async () => {
    const ticket = 'POST /api/websocket/ticket';
    await rest.call(ticket, 200, 'POST', '/api/websocket/ticket', { ...tokenA, json: { ttl_seconds: 60 } });
    await rest.call(ticket, 422, 'POST', '/api/websocket/ticket', { ...tokenA, json: { ttl_seconds: 5 } });
    await rest.call(ticket, 401, 'POST', '/api/websocket/ticket', { ...badToken, json: {} });
    await rest.call(ticket, 403, 'POST', '/api/websocket/ticket', { json: {} });
    await rest.call(ANY_ROUTE, 404, 'GET', '/api/no-such-route', tokenA);
    await rest.call(ANY_ROUTE, 404, 'GET', '/auth/no-such-route');
    await rest.call(ANY_ROUTE, 405, 'DELETE', '/health');
    await rest.call(ANY_ROUTE, 405, 'GET', '/auth/login');
  });

  expect(rest.problems).toEqual([]);
  expect(rest.unseen()).toEqual([]);
});

/** Every frame any client of the session received or sent, for the checks at the end. */
class WsConformance {
  readonly sockets: AgentSocket[] = [];
  readonly sent: unknown[] = [];

  async connect(user: ServerUser): Promise<AgentSocket> {
    const socket = await connect(srv.wsUrl, { token: user.access });
    this.sockets.push(socket);
    return socket;
  }

  async send(socket: AgentSocket, frame: Frame): Promise<void> {
    this.sent.push(frame);
    await socket.send(frame);
  }

  /** Sends a frame the contract answers with an error; the client-frame schema must reject it too. */
  async sendInvalid(socket: AgentSocket, frame: Frame | string, code: string): Promise<void> {
    if (typeof frame !== 'string') expect(clientFrameProblems(frame), JSON.stringify(frame)).not.toEqual([]);
    const error = await socket.sendExpectingError(frame);
    expect(error.error_code).toBe(code);
  }

  /** Sends `frame`, which starts a run whose request is `text`, and returns the run's frames once it ended. */
  async run(socket: AgentSocket, frame: Frame, text: string): Promise<Frame[]> {
    this.sent.push(frame);
    const from = socket.frames.length;
    await socket.send(frame);
    const frames = await new AgentRun(socket, text, from, performance.now()).finished();
    expect(frames.at(-1)?.type).toBe(frame.context?.force_failure ? 'agent_error' : 'agent_completed');
    return frames;
  }

  received(): Frame[] {
    return this.sockets.flatMap((s) => s.frames);
  }

  problems(): string[] {
    return [
      ...this.sockets.flatMap((s) => s.malformed.map((m) => `received a message that is not a frame: ${m.slice(0, 200)}`)),
      ...this.received().flatMap((f) => frameProblems(f).map((p) => `received ${f.type}: ${p}`)),
      ...this.sent.flatMap((f) => clientFrameProblems(f).map((p) => `sent ${JSON.stringify(f)}: ${p}`)),
    ];
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close()));
  }
}

test('a WebSocket session that produces every frame type of asyncapi.yaml', async () => {
  const ws = new WsConformance();
  const [owner, stranger] = [await newUser(srv.url), await newUser(srv.url)];
  const client = await ws.connect(owner);
  const other = await ws.connect(stranger);

  await test.step('a full run of each agent type, by start_agent and by user_message and its aliases', async () => {
    for (const type of AGENT_TYPES) {
      const text = uniqueRequest(`${type}: cost savings, anomalies and capacity`);
      const frames = await ws.run(client, startAgent(type, text), text);
      expect(frames[0].agent_name).toBe(type);
    }
    const text = uniqueRequest('chat about cost');
    await ws.run(client, { type: 'user_message', content: text }, text);
    const alias = uniqueRequest('alias message');
    await ws.run(client, { type: 'message', payload: { text: alias } }, alias);
    const chat = uniqueRequest('alias chat');
    await ws.run(client, { type: 'chat', message: chat }, chat);
  });

  await test.step('a stopped run, a forced failure, and the errors around runs', async () => {
    const text = uniqueRequest('stop me');
    await ws.send(client, startAgent('optimization', text, { context: { simulate_delay_ms: 200 } }));
    const started = await client.waitFor((f) => f.type === 'agent_started' && f.task_description === text);
    await ws.send(client, { type: 'stop_agent', run_id: started.run_id });
    const end = await client.waitFor((f) => f.run_id === started.run_id && f.type === 'agent_completed');
    expect(end.status).toBe('cancelled');
    const stopAgain = { type: 'stop_agent', payload: { run_id: started.run_id } };
    ws.sent.push(stopAgain);
    expect((await client.sendExpectingError(stopAgain)).error_code).toBe('RUN_NOT_ACTIVE');
    const foreign = { type: 'stop_agent', run_id: started.run_id };
    ws.sent.push(foreign);
    expect((await other.sendExpectingError(foreign)).error_code).toBe('RUN_NOT_FOUND');

    const failing = uniqueRequest('fail');
    await ws.run(client, startAgent('data', failing, { context: { force_failure: true } }), failing);
    await ws.sendInvalid(client, startAgent('planner', uniqueRequest('nobody')), 'UNKNOWN_AGENT');
    await ws.sendInvalid(client, { type: 'user_message', content: '' }, 'INVALID_MESSAGE');
    await ws.sendInvalid(client, 'not json', 'JSON_PARSE_ERROR');
  });

  await test.step('thread history, ping, heartbeat, ack', async () => {
    const own = (await call(srv.url, 'POST', '/api/threads', { token: owner.access, json: {} })).body.id;
    const theirs = (await call(srv.url, 'POST', '/api/threads', { token: stranger.access, json: {} })).body.id;
    const history = { type: 'get_thread_history', thread_id: own };
    ws.sent.push(history);
    expect((await request(client, history, 'thread_history')).data.thread_id).toBe(own);
    const denied = { type: 'get_thread_history', payload: { thread_id: theirs } };
    ws.sent.push(denied);
    expect((await client.sendExpectingError(denied)).error_code).toBe('THREAD_ACCESS_DENIED');
    const unknown = { type: 'get_thread_history', thread_id: 'thr_unknown' };
    ws.sent.push(unknown);
    expect((await client.sendExpectingError(unknown)).error_code).toBe('THREAD_NOT_FOUND');

    for (const ping of [{ type: 'ping' }, { type: 'ping', timestamp: 1763717400123 }, { type: 'ping', payload: { timestamp: 'now' } }]) {
      ws.sent.push(ping);
      expect((await request(client, ping, 'pong')).data).toHaveProperty('timestamp');
    }
    const beat = { type: 'heartbeat' };
    ws.sent.push(beat);
    expect((await request(client, beat, 'heartbeat_ack')).data.status).toBe('healthy');
    const custom = { type: 'custom_event', payload: { anything: true } };
    ws.sent.push(custom);
    expect((await request(client, custom, 'ack')).received_type).toBe('custom_event');
    const from = client.frames.length;
    expect((await client.waitFor('heartbeat', { timeout: 5000, from })).data?.connection_id).toEqual(expect.any(String));
  });

  await test.step('recovery after every connection closed mid-run', async () => {
    const user = await newUser(srv.url);
    const first = await ws.connect(user);
    const text = uniqueRequest('recover');
    await ws.send(first, startAgent('data', text, { context: { simulate_delay_ms: 60 } }));
    const started = await first.waitFor((f) => f.type === 'agent_started' && f.task_description === text);
    await first.close();
    await pause(150);
    const second = await ws.connect(user);
    const end = await second.waitFor((f) => f.run_id === started.run_id && f.type === 'agent_completed', { timeout: 8000 });
    expect(end.recovered).toBe(true);
  });

  await test.step('the connection limit', async () => {
    const user = await newUser(srv.url);
    for (let i = 0; i < 10; i++) await ws.connect(user);
    const eleventh = await upgrade(srv.wsUrl, { token: user.access });
    expect(eleventh.status).toBe(101);
    const refused = eleventh.socket!;
    ws.sockets.push(refused);
    expect((await refused.waitFor('error_message')).error_code).toBe('CONNECTION_LIMIT');
    expect((await refused.closed).code).toBe(1008);
  });

  await ws.close();
  expect(ws.problems()).toEqual([]);
  const receivedTypes = new Set(ws.received().map((f) => f.type));
  expect(frameTypes().filter((type) => !receivedTypes.has(type))).toEqual([]);
  const sentTypes = new Set(ws.sent.map((f) => (f as Frame).type));
  expect([...clientFrameTypes(), 'custom_event'].filter((type) => !sentTypes.has(type))).toEqual([]);
});
