/** Contract §3 (backend REST) against the reference server, including bad input that must not hurt it. */
import { expect, test } from '@playwright/test';
import { ALLOWED_ORIGIN, call, connect, newUser, pause, request, startTestServer, upgrade, serverForThisFile, SERVER_ISO } from './helpers';

const srv = serverForThisFile();

const SEMVER = /^\d+\.\d+\.\d+$/;

test.describe('health, discovery, MCP, WebSocket info', () => {
  test('/health and /api/health bodies', async () => {
    for (const path of ['/health', '/api/health']) {
      const r = await call(srv.url, 'GET', path);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'healthy', service: 'netra-backend', environment: 'staging' });
      expect(r.body.version).toMatch(SEMVER);
      expect(r.body.timestamp).toMatch(SERVER_ISO);
      expect(r.body.uptime_seconds).toBeGreaterThanOrEqual(0);
    }
    expect((await call(srv.url, 'GET', '/health/ready')).body).toEqual({
      status: 'ready',
      checks: { database: 'ok', auth: 'ok', agents: 'ok' },
    });
  });

  test('during STARTUP_DELAY_MS health answers 503 and readiness names the failing check', async () => {
    const starting = await startTestServer({ startupDelayMs: 600, environment: 'qa' });
    try {
      expect(await call(starting.url, 'GET', '/health')).toMatchObject({
        status: 503,
        body: { status: 'unhealthy', startup_in_progress: true },
      });
      expect(await call(starting.url, 'GET', '/health/ready')).toMatchObject({
        status: 503,
        body: { status: 'not_ready', checks: { database: 'ok', auth: 'ok', agents: 'starting' } },
      });
      await expect.poll(async () => (await call(starting.url, 'GET', '/api/health')).status, { timeout: 5000 }).toBe(200);
      expect((await call(starting.url, 'GET', '/health')).body.environment).toBe('qa');
    } finally {
      await starting.close();
    }
  });

  test('discovery advertises this server and its URLs work', async () => {
    const r = await call(srv.url, 'GET', '/api/discovery/services');
    expect(r.body).toMatchObject({ services: { backend: { url: srv.url, ws_url: srv.wsUrl }, auth: { url: srv.url } }, available: true });
    expect(r.body.timestamp).toMatch(SERVER_ISO);
    expect((await call(r.body.services.auth.url, 'GET', '/auth/health')).status).toBe(200);
    const user = await newUser(srv.url);
    const client = await connect(r.body.services.backend.ws_url, { token: user.access });
    await client.close();
  });

  test('MCP servers and config', async () => {
    const servers = await call(srv.url, 'GET', '/api/mcp/servers');
    expect(servers.body.data.length).toBeGreaterThanOrEqual(1);
    for (const s of servers.body.data) {
      expect(s).toMatchObject({
        name: expect.any(String),
        status: 'connected',
        version: expect.stringMatching(SEMVER),
        description: expect.any(String),
      });
      expect(s.capabilities).toEqual({ tools: expect.any(Array), resources: expect.any(Array), prompts: expect.any(Array) });
    }
    const config = await call(srv.url, 'GET', '/api/mcp/config');
    expect(Object.keys(config.body).length).toBeGreaterThan(0);
  });

  test('/ws/config reflects the options; /ws/health counts open sockets', async () => {
    const custom = await startTestServer({ heartbeatIntervalS: 7, maxMessageSize: 4096 });
    try {
      expect((await call(custom.url, 'GET', '/ws/config')).body).toEqual({
        websocket_config: { heartbeat_interval: 7, connection_timeout: 60, max_message_size: 4096, max_connections_per_user: 10 },
      });
      const user = await newUser(custom.url);
      const sockets = await Promise.all([1, 2, 3].map(() => connect(custom.wsUrl, { token: user.access })));
      const health = await call(custom.url, 'GET', '/ws/health');
      expect(health.body).toMatchObject({ status: 'healthy', active_connections: 3 });
      await Promise.all(sockets.map((s) => s.close()));
      await expect.poll(async () => (await call(custom.url, 'GET', '/ws/health')).body.active_connections).toBe(0);
    } finally {
      await custom.close();
    }
  });
});

test.describe('agents and runs', () => {
  test('/api/agents lists the four types with exactly their tools; it needs a token', async () => {
    const user = await newUser(srv.url);
    const r = await call(srv.url, 'GET', '/api/agents', { token: user.access });
    const tools = Object.fromEntries(r.body.agents.map((a: { type: string; tools: string[] }) => [a.type, a.tools]));
    expect(tools).toEqual({
      triage: ['intent_classifier'],
      data: ['data_query', 'metrics_aggregator'],
      optimization: ['cost_analyzer', 'recommendation_engine'],
      supervisor: ['intent_classifier', 'data_query', 'metrics_aggregator', 'cost_analyzer', 'recommendation_engine'],
    });
    for (const a of r.body.agents) expect(a).toMatchObject({ name: expect.any(String), description: expect.any(String) });
    expect(await call(srv.url, 'GET', '/api/agents')).toMatchObject({ status: 403, body: { detail: 'Not authenticated' } });
  });

  test('execute: AgentResult per type, following the content rules', async () => {
    const user = await newUser(srv.url);
    const t0 = performance.now();
    const triage = await call(srv.url, 'POST', '/api/agents/execute', {
      token: user.access,
      json: { type: 'triage', message: 'where does our cost go?' },
    });
    const wall = (performance.now() - t0) / 1000;
    expect(triage.status).toBe(200);
    expect(triage.body).toMatchObject({
      status: 'success',
      agent: 'triage',
      tools_used: ['intent_classifier'],
      circuit_breaker_state: 'closed',
      result: { intent: 'cost_optimization', confidence: expect.any(Number) },
    });
    expect(triage.body.run_id).toMatch(/^run_/);
    expect(triage.body.thread_id).toMatch(/^thr_/);
    expect(triage.body.execution_time).toBeGreaterThanOrEqual(0);
    expect(triage.body.execution_time).toBeLessThanOrEqual(wall);
    expect(triage.body.response.length).toBeGreaterThanOrEqual(100);

    const data = await call(srv.url, 'POST', '/api/agents/data', { token: user.access, json: { message: 'capacity and anomaly review' } });
    expect(data.body).toMatchObject({ agent: 'data', tools_used: ['data_query', 'metrics_aggregator'] });
    expect(data.body.result.capacity_forecast).toMatchObject({
      horizon_days: expect.any(Number),
      projected_utilization: expect.any(Number),
    });
    expect(data.body.result.anomalies.length).toBeGreaterThan(0);
    expect(data.body.response).toContain('capacity');
    expect(data.body.response.toLowerCase()).toContain('anomal');

    const sup = await call(srv.url, 'POST', '/api/agents/supervisor', { token: user.access, json: { message: 'Savings plan please' } });
    expect(sup.body.tools_used).toEqual([
      'intent_classifier',
      'data_query',
      'metrics_aggregator',
      'cost_analyzer',
      'recommendation_engine',
    ]);
    expect(sup.body.result.estimated_monthly_savings).toBeGreaterThan(0);
    expect(sup.body.response.toLowerCase()).toContain('saving');
  });

  test('execute validation: 422 unknown type or empty message, 404 unknown path type, thread 404/403', async () => {
    const [user, other] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    const post = (path: string, json: unknown, token = user.access) => call(srv.url, 'POST', path, { token, json });
    for (const body of [
      { type: 'bogus', message: 'x' },
      { type: 'triage', message: '' },
      { type: 'triage', message: '   ' },
      { message: 'x' },
      { type: 'triage' },
      { type: 'data', message: 'x', context: { simulate_delay_ms: 20_000 } },
    ]) {
      const r = await post('/api/agents/execute', body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.detail).toBeDefined();
    }
    expect((await call(srv.url, 'POST', '/api/agents/execute', { token: user.access })).status).toBe(422);
    expect(await post('/api/agents/bogus', { message: 'x' })).toMatchObject({ status: 404, body: { detail: expect.any(String) } });
    expect((await post('/api/agents/bogus', { message: 'x' }, '')).status).toBe(403);
    const foreign = await call(srv.url, 'POST', '/api/threads', { token: other.access, json: {} });
    expect(await post('/api/agents/execute', { type: 'data', message: 'x', thread_id: foreign.body.id })).toMatchObject({
      status: 403,
      body: { detail: 'Access denied' },
    });
    expect(await post('/api/agents/execute', { type: 'data', message: 'x', thread_id: 'thr_nope' })).toMatchObject({
      status: 404,
      body: { detail: 'Thread not found' },
    });
  });

  test('force_failure: 500 recorded as a failed run; the next call succeeds', async () => {
    const user = await newUser(srv.url);
    const failed = await call(srv.url, 'POST', '/api/agents/execute', {
      token: user.access,
      json: { type: 'data', message: 'x', force_failure: true },
    });
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ status: 'error', agent: 'data', error: expect.stringMatching(/.+/) });
    const viaContext = await call(srv.url, 'POST', '/api/agents/optimization', {
      token: user.access,
      json: { message: 'x', context: { force_failure: true } },
    });
    expect(viaContext.body).toMatchObject({ status: 'error', agent: 'optimization' });
    expect((await call(srv.url, 'POST', '/api/agents/execute', { token: user.access, json: { type: 'data', message: 'x' } })).status).toBe(
      200,
    );
    const run = await call(srv.url, 'GET', `/api/agents/runs/${failed.body.run_id}`, { token: user.access });
    expect(run.body).toMatchObject({ status: 'failed', agent_type: 'data', events: ['agent_started', 'agent_error'] });
    expect(run.body.completed_at).toMatch(SERVER_ISO);
  });

  test('REST runs: recorded newest first with their events and thread; owner-only; no WebSocket events', async () => {
    const [user, other] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    const thread = await call(srv.url, 'POST', '/api/threads', { token: user.access, json: {} });
    const socket = await connect(srv.wsUrl, { token: user.access });
    const a = await call(srv.url, 'POST', '/api/agents/execute', {
      token: user.access,
      json: { type: 'triage', message: 'first', thread_id: thread.body.id },
    });
    const b = await call(srv.url, 'POST', '/api/agents/execute', {
      token: user.access,
      json: { type: 'data', message: 'second', thread_id: thread.body.id },
    });
    expect([a.body.thread_id, b.body.thread_id]).toEqual([thread.body.id, thread.body.id]);
    const runs = await call(srv.url, 'GET', '/api/agents/runs', { token: user.access });
    expect(runs.body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([b.body.run_id, a.body.run_id]);
    expect(runs.body.runs[0]).toMatchObject({ agent_type: 'data', status: 'completed', thread_id: thread.body.id });
    const one = await call(srv.url, 'GET', `/api/agents/runs/${a.body.run_id}`, { token: user.access });
    expect(one.body.events).toEqual([
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'stream_chunk',
      'stream_chunk',
      'agent_completed',
    ]);
    expect(Date.parse(one.body.started_at)).toBeLessThanOrEqual(Date.parse(one.body.completed_at));
    const messages = await call(srv.url, 'GET', `/api/threads/${thread.body.id}/messages`, { token: user.access });
    expect(messages.body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'first'],
      ['assistant', a.body.response],
      ['user', 'second'],
      ['assistant', b.body.response],
    ]);
    expect(await call(srv.url, 'GET', `/api/agents/runs/${a.body.run_id}`, { token: other.access })).toMatchObject({
      status: 403,
      body: { detail: 'Access denied' },
    });
    expect((await call(srv.url, 'GET', '/api/agents/runs/run_nope', { token: user.access })).status).toBe(404);
    expect((await call(srv.url, 'GET', '/api/agents/runs', { token: other.access })).body.runs).toEqual([]);
    await request(socket, { type: 'ping' }, 'pong');
    expect(socket.frames.filter((f) => f.run_id !== undefined)).toEqual([]);
    expect(socket.malformed).toEqual([]);
    await socket.close();
  });
});

test.describe('threads and messages', () => {
  test('CRUD: create, get, update, archive', async () => {
    const user = await newUser(srv.url);
    const created = await call(srv.url, 'POST', '/api/threads', {
      token: user.access,
      json: { title: 'Plan', metadata: { k: 'v', user_id: 'spoofed' } },
    });
    expect(created.body).toMatchObject({ title: 'Plan', message_count: 0, metadata: { k: 'v', user_id: user.id } });
    expect(created.body.id).toMatch(/^thr_/);
    expect(created.body.created_at).toMatch(SERVER_ISO);
    const id = created.body.id;
    expect((await call(srv.url, 'GET', `/api/threads/${id}`, { token: user.access })).body).toEqual(created.body);
    await pause(5);
    const updated = await call(srv.url, 'PUT', `/api/threads/${id}`, {
      token: user.access,
      json: { title: 'Plan 2', metadata: { nested: { a: [1, 2] } } },
    });
    expect(updated.body).toMatchObject({ id, title: 'Plan 2', metadata: { nested: { a: [1, 2] }, user_id: user.id } });
    expect(updated.body.metadata.k).toBeUndefined();
    expect(Date.parse(updated.body.updated_at)).toBeGreaterThan(Date.parse(created.body.updated_at));
    expect((await call(srv.url, 'GET', `/api/threads/${id}`, { token: user.access })).body).toEqual(updated.body);
    expect((await call(srv.url, 'POST', '/api/threads', { token: user.access })).body.title).toBe('New conversation');
    expect(await call(srv.url, 'DELETE', `/api/threads/${id}`, { token: user.access })).toMatchObject({
      status: 200,
      body: { status: 'archived' },
    });
    const gone: [string, string, unknown][] = [
      ['GET', `/api/threads/${id}`, undefined],
      ['PUT', `/api/threads/${id}`, { title: 'again' }],
      ['DELETE', `/api/threads/${id}`, undefined],
      ['GET', `/api/threads/${id}/messages`, undefined],
      ['POST', `/api/threads/${id}/messages`, { message: 'hi' }],
    ];
    for (const [method, path, json] of gone) {
      expect(await call(srv.url, method, path, { token: user.access, json }), `${method} ${path}`).toMatchObject({
        status: 404,
        body: { detail: 'Thread not found' },
      });
    }
    const list = await call(srv.url, 'GET', '/api/threads', { token: user.access });
    expect(list.body.map((t: { id: string }) => t.id)).not.toContain(id);
  });

  test('listing: own threads only, newest first even within one millisecond, paged, bounds 422', async () => {
    const [user, other] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    await call(srv.url, 'POST', '/api/threads', { token: other.access, json: {} });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await call(srv.url, 'POST', '/api/threads', { token: user.access, json: { title: `T${i}` } })).body.id);
    const newest = [...ids].reverse();
    const page = async (q: string) =>
      (await call(srv.url, 'GET', `/api/threads${q}`, { token: user.access })).body.map((t: { id: string }) => t.id);
    expect(await page('')).toEqual(newest);
    expect([...(await page('?limit=2&offset=0')), ...(await page('?limit=2&offset=2')), ...(await page('?limit=2&offset=4'))]).toEqual(
      newest,
    );
    for (const q of ['?limit=0', '?limit=101', '?offset=-1', '?limit=abc']) {
      const r = await call(srv.url, 'GET', `/api/threads${q}`, { token: user.access });
      expect(r.status, q).toBe(422);
      expect(r.body.detail).toBeDefined();
    }
  });

  test('messages: stored byte-exact, listed oldest first, counted, paged (default 50)', async () => {
    const user = await newUser(srv.url);
    const thread = (await call(srv.url, 'POST', '/api/threads', { token: user.access, json: {} })).body;
    const unicode = '漢字 مرحبا 👩‍👩‍👧‍👦 é ZWJ\u200d "quotes" \\ \n'.repeat(800).slice(0, 32 * 1024);
    const posted = await call(srv.url, 'POST', `/api/threads/${thread.id}/messages`, {
      token: user.access,
      json: { message: unicode, metadata: { k: 1 } },
    });
    expect(posted.body).toMatchObject({ thread_id: thread.id, role: 'user', content: unicode, metadata: { k: 1 } });
    expect(posted.body.created_at).toMatch(SERVER_ISO);
    for (let i = 2; i <= 51; i++)
      await call(srv.url, 'POST', `/api/threads/${thread.id}/messages`, { token: user.access, json: { message: `m${i}` } });
    const list = await call(srv.url, 'GET', `/api/threads/${thread.id}/messages`, { token: user.access });
    expect(list.body).toMatchObject({ thread_id: thread.id, total: 51, limit: 50, offset: 0 });
    expect(list.body.messages).toHaveLength(50);
    expect(list.body.messages[0].content).toBe(unicode);
    expect(list.body.messages[1].content).toBe('m2');
    const tail = await call(srv.url, 'GET', `/api/threads/${thread.id}/messages?limit=2&offset=49`, { token: user.access });
    expect(tail.body.messages.map((m: { content: string }) => m.content)).toEqual(['m50', 'm51']);
    const after = (await call(srv.url, 'GET', `/api/threads/${thread.id}`, { token: user.access })).body;
    expect(after.message_count).toBe(51);
    expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(list.body.messages[49].created_at));
    for (const json of [{ message: '' }, {}, { message: 42 }]) {
      expect((await call(srv.url, 'POST', `/api/threads/${thread.id}/messages`, { token: user.access, json })).status).toBe(422);
    }
  });

  test("another user's thread: 403 Access denied on every route; unknown ids and traversal 404", async () => {
    const [owner, other] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    const thread = (await call(srv.url, 'POST', '/api/threads', { token: owner.access, json: { title: 'mine' } })).body;
    const routes: [string, string, unknown][] = [
      ['GET', `/api/threads/${thread.id}`, undefined],
      ['PUT', `/api/threads/${thread.id}`, { title: 'stolen' }],
      ['DELETE', `/api/threads/${thread.id}`, undefined],
      ['GET', `/api/threads/${thread.id}/messages`, undefined],
      ['POST', `/api/threads/${thread.id}/messages`, { message: 'hi' }],
    ];
    for (const [method, path, json] of routes) {
      expect(await call(srv.url, method, path, { token: other.access, json }), `${method} ${path}`).toMatchObject({
        status: 403,
        body: { detail: 'Access denied' },
      });
    }
    expect((await call(srv.url, 'GET', `/api/threads/${thread.id}`, { token: owner.access })).body).toEqual(thread);
    expect((await call(srv.url, 'GET', '/api/threads', { token: other.access })).body).toEqual([]);
    expect(await call(srv.url, 'GET', '/api/threads/thr_unknown', { token: owner.access })).toMatchObject({
      status: 404,
      body: { detail: 'Thread not found' },
    });
    expect((await call(srv.url, 'GET', '/api/threads/..%2F..%2Fetc%2Fpasswd', { token: owner.access })).status).toBe(404);
  });
});

test.describe('tickets', () => {
  test('ttl default 300, bounds 30..3600, single-use URL, needs a token', async () => {
    const user = await newUser(srv.url);
    const t = await call(srv.url, 'POST', '/api/websocket/ticket', { token: user.access });
    expect(t.body.ticket_id).toMatch(/^tkt_[0-9a-f]{32}$/);
    expect(Math.abs(Date.parse(t.body.expires_at) - (Date.now() + 300_000))).toBeLessThan(5000);
    expect(t.body.websocket_url).toBe(`${srv.wsUrl}?ticket=${t.body.ticket_id}`);
    const t60 = await call(srv.url, 'POST', '/api/websocket/ticket', { token: user.access, json: { ttl_seconds: 60 } });
    expect(Math.abs(Date.parse(t60.body.expires_at) - (Date.now() + 60_000))).toBeLessThan(5000);
    for (const ttl of [29, 3601, 'x', 1.5])
      expect((await call(srv.url, 'POST', '/api/websocket/ticket', { token: user.access, json: { ttl_seconds: ttl } })).status).toBe(422);
    expect(await call(srv.url, 'POST', '/api/websocket/ticket')).toMatchObject({ status: 403, body: { detail: 'Not authenticated' } });
    const first = await upgrade(t60.body.websocket_url);
    expect(first.status).toBe(101);
    expect((await first.socket?.welcomed())?.data?.user_id).toBe(user.id);
    await first.socket?.close();
    expect((await upgrade(t60.body.websocket_url)).status).toBe(403);
  });
});

test.describe('headers, CORS and errors', () => {
  test('nosniff and x-request-id on every status; the caller id is echoed, else a fresh one', async () => {
    const user = await newUser(srv.url);
    const cases: [string, string, { token?: string; json?: unknown }, number][] = [
      ['GET', '/api/threads', { token: user.access }, 200],
      ['GET', '/api/threads', { token: 'bad' }, 401],
      ['GET', '/api/threads', {}, 403],
      ['GET', '/nope', {}, 404],
      ['DELETE', '/api/discovery/services', {}, 405],
      ['POST', '/api/threads/x/messages', { token: user.access, json: { message: '' } }, 404],
      ['POST', '/api/agents/execute', { token: user.access, json: { type: 'x', message: 'y' } }, 422],
    ];
    for (const [method, path, opts, status] of cases) {
      const id = `rid-${status}-${Math.random().toString(36).slice(2)}`;
      const r = await call(srv.url, method, path, { ...opts, headers: { 'x-request-id': id } });
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-request-id')).toBe(id);
      expect(r.headers.get('content-type')).toBe('application/json');
    }
    const [a, b] = await Promise.all([call(srv.url, 'GET', '/health'), call(srv.url, 'GET', '/health')]);
    expect(a.headers.get('x-request-id')).toMatch(/.{8,}/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  test('CORS: only the allow-list is echoed, for preflights and simple requests', async () => {
    const preflight = (origin: string, path = '/api/threads') =>
      call(srv.url, 'OPTIONS', path, {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    for (const origin of [
      'https://malicious-site.example',
      'null',
      `${ALLOWED_ORIGIN}.evil.example`,
      ALLOWED_ORIGIN.replace('http:', 'https:'),
    ]) {
      const r = await preflight(origin);
      expect(r.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(r.status).toBe(400);
    }
    expect(
      (await call(srv.url, 'GET', '/health', { headers: { origin: ALLOWED_ORIGIN } })).headers.get('access-control-allow-origin'),
    ).toBe(ALLOWED_ORIGIN);
    expect(
      (await call(srv.url, 'GET', '/health', { headers: { origin: 'https://malicious-site.example' } })).headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull();
  });

  test('unknown route 404, wrong method 405, oversized body 413, malformed JSON 422; the server keeps serving', async () => {
    const user = await newUser(srv.url);
    expect(await call(srv.url, 'GET', '/api/nothing-here')).toMatchObject({ status: 404, body: { detail: expect.any(String) } });
    const wrong = await call(srv.url, 'DELETE', '/api/discovery/services');
    expect(wrong).toMatchObject({ status: 405, body: { detail: expect.any(String) } });
    expect(wrong.headers.get('allow')).toBe('GET');
    const huge = await call(srv.url, 'POST', '/api/threads', {
      token: user.access,
      body: `{"title":"${'x'.repeat(1_100_000)}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(huge).toMatchObject({ status: 413, body: { detail: expect.any(String) } });
    for (const body of ['{"title":', '[1,2]', '"str"', 'null']) {
      const r = await call(srv.url, 'POST', '/api/threads', { token: user.access, body, headers: { 'content-type': 'application/json' } });
      expect(r.status, body).toBe(422);
      expect(r.body.detail).toBeDefined();
    }
    expect(
      (await call(srv.url, 'POST', '/api/threads', { token: user.access, json: { title: 5, metadata: 'x' } })).body.detail,
    ).toHaveLength(2);
    expect((await call(srv.url, 'POST', '/auth/login', { body: '\u0000\u00ff garbage' })).status).toBe(422);
    expect((await call(srv.url, 'GET', '/health')).status).toBe(200);
  });
});
