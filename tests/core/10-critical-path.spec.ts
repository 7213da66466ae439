import { randomUUID } from 'node:crypto';
import { test, expect, type Message } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { percentile, timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-10');

test.describe(title, details, () => {
  test(
    '10.1 test_basic_functionality',
    catalog({ checks: '/health; /auth/health → both 200 healthy', catches: 'down' }),
    async ({ request, settings }) => {
      const backend = await request.get('/health');
      expect(backend.status(), '/health').toBe(200);
      expect(await backend.json()).toMatchObject(shapes.backendHealth(settings.environment));
      const auth = await request.get(`${settings.authUrl}/auth/health`);
      expect(auth.status(), '/auth/health').toBe(200);
      expect(await auth.json()).toMatchObject(shapes.authHealth());
    },
  );

  test(
    '10.2 test_critical_api_endpoints',
    catalog({ checks: '/health, /api/health, discovery, mcp/config, mcp/servers → each 200 with its §3 body', catches: 'route down' }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health']) {
        const response = await request.get(path);
        expect(response.status(), path).toBe(200);
        expect(await response.json(), path).toMatchObject(shapes.backendHealth(settings.environment));
      }
      const discovery = await request.get('/api/discovery/services');
      expect(discovery.status(), 'discovery').toBe(200);
      expect(await discovery.json()).toMatchObject(shapes.discovery());
      const config = await request.get('/api/mcp/config');
      expect(config.status(), 'mcp/config').toBe(200);
      const configBody = await config.json();
      expect(Object.keys(configBody).length, 'mcp/config is a non-empty object').toBeGreaterThan(0);
      expect(Array.isArray(configBody), 'mcp/config is an object').toBe(false);
      const servers = await request.get('/api/mcp/servers');
      expect(servers.status(), 'mcp/servers').toBe(200);
      const { data } = await servers.json();
      expect(data.length, 'at least one MCP server').toBeGreaterThanOrEqual(1);
      for (const server of data) expect(server).toMatchObject(shapes.mcpServer());
    },
  );

  test(
    '10.3 test_end_to_end_message_flow',
    catalog({
      checks: 'new U, ticket, ws(U,ticket), T, say(cost, T), messages, logout → GP; savings > 0; T has user + assistant; then 401IE',
      catches: 'golden path',
    }),
    async ({ sockets, user, api, request, settings }) => {
      const ticketResponse = await api.post('/api/websocket/ticket', { data: {} });
      expect(ticketResponse.status(), 'ticket').toBe(200);
      const ticket = await ticketResponse.json();
      expect(ticket).toMatchObject({
        ticket_id: shapes.nonEmpty(),
        expires_at: shapes.iso(),
        websocket_url: expect.stringMatching(/^wss?:\/\//),
      });
      const socket = await sockets.open(user, { transport: 'ticket', ticket: ticket.ticket_id });
      const created = await api.post('/api/threads', { data: { title: 'critical path' } });
      expect(created.status(), 'thread').toBe(200);
      const thread = await created.json();
      const text = uniqueRequest('How much cost can we save on inference this month');
      const frames = await (await socket.say(text, { threadId: thread.id })).finished();
      expect(frames).toFollowGoldenPath();
      const done = lastFrame(frames);
      expect(done.thread_id).toBe(thread.id);
      const savings = (done.result as { estimated_monthly_savings?: unknown }).estimated_monthly_savings;
      expect(savings, 'result.estimated_monthly_savings is a number').toEqual(expect.any(Number));
      expect(savings, 'result.estimated_monthly_savings').toBeGreaterThan(0);
      const messages = await api.get(`/api/threads/${thread.id}/messages`);
      expect(messages.status()).toBe(200);
      expect(
        ((await messages.json()).messages as Message[]).map((m) => [m.role, m.content]),
        'the thread has the request and the answer',
      ).toEqual([
        ['user', text],
        ['assistant', done.final_response],
      ]);
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      expect(logout.status(), 'logout').toBe(200);
      expect(await logout.json()).toEqual({ status: 'success' });
      await expect(await api.get('/api/threads'), 'the logged-out token is refused').toBeContractError(401, 'Invalid or expired token');
    },
  );

  test(
    '10.4 test_critical_performance_targets',
    catalog({
      checks: '20 × /health; handshake; a run → p95 ≤ HEALTH_P95_MS; opens; completes; measurements attached',
      catches: 'SLA (original used literals)',
    }),
    async ({ request, settings, sockets, user }, testInfo) => {
      const health: number[] = [];
      const statuses: string[] = [];
      for (let i = 0; i < 20; i++) {
        const { value: response, ms } = await timed(() => request.get('/health'));
        health.push(ms);
        statuses.push(`${response.status()} ${(await response.json()).status}`);
      }
      const { value: socket, ms: handshakeMs } = await timed(() => sockets.open(user));
      const start = performance.now();
      const run = await socket.startAgent('data', uniqueRequest('Measure our p95 latency per model'));
      await run.started();
      const firstEventMs = performance.now() - start;
      const frames = await run.finished();
      const runMs = performance.now() - start;
      const measurements = { healthMs: health, healthP95Ms: percentile(health, 95), handshakeMs, firstEventMs, runMs };
      await testInfo.attach('measurements.json', { body: JSON.stringify(measurements, null, 2), contentType: 'application/json' });
      expect(statuses, 'every /health is 200 healthy').toEqual(health.map(() => '200 healthy'));
      expect(measurements.healthP95Ms, '/health p95 (ms) within HEALTH_P95_MS').toBeLessThanOrEqual(settings.healthP95Ms);
      expect(handshakeMs, 'handshake (ms) within WS_HANDSHAKE_MS').toBeLessThanOrEqual(settings.wsHandshakeMs);
      expect(lastFrame(frames), 'the run completes').toMatchObject({ type: 'agent_completed', status: 'completed' });
      expect(firstEventMs, 'first event (ms) within FIRST_EVENT_MS').toBeLessThanOrEqual(settings.firstEventMs);
      expect(runMs, 'run (ms) within RUN_COMPLETE_MS').toBeLessThanOrEqual(settings.runCompleteMs);
    },
  );

  test(
    '10.5 test_critical_error_handling',
    catalog({
      checks:
        'no token; bad token; unknown route; wrong method; empty message; non-JSON frame → 403NA; 401IE; 404; 405; 422; ERR(JSON_PARSE_ERROR) + pong',
      catches: 'error contract',
    }),
    async ({ request, api, user, sockets }) => {
      await expect(await request.get('/api/agents'), 'no token').toBeContractError(403, 'Not authenticated');
      await expect(await request.get('/api/agents', { headers: { Authorization: 'Bearer not-a-jwt' } }), 'bad token').toBeContractError(
        401,
        'Invalid or expired token',
      );
      await expect(await api.get(`/api/no-such-route-${randomUUID()}`), 'unknown route').toBeContractError(404);
      expect((await api.delete('/api/discovery/services')).status(), 'wrong method').toBe(405);
      await expect(await api.post('/api/agents/execute', { data: { type: 'triage', message: '' } }), 'empty message').toBeContractError(
        422,
      );
      const socket = await sockets.open(user);
      expect(await socket.sendExpectingError('this is not json')).toBeErrorFrame('JSON_PARSE_ERROR');
      await expect(socket, 'the socket survives a non-JSON frame').toAnswerPing();
    },
  );

  test(
    '10.6 test_business_critical_features',
    catalog({
      checks: 'say(anomaly request) → result.anomalies non-empty; final_response ≥ FINAL_RESPONSE_MIN_CHARS, has a keyword',
      catches: 'no usable output',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Detect anomalies in our latency and spend this week'))).finished();
      const done = lastFrame(frames);
      expect(done).toMatchObject({ type: 'agent_completed', status: 'completed' });
      expect((done.result as { anomalies?: unknown }).anomalies, 'result.anomalies is a non-empty array').toEqual(
        expect.arrayContaining([expect.anything()]),
      );
      const answer = String(done.final_response);
      expect(answer.length, 'final_response length within FINAL_RESPONSE_MIN_CHARS').toBeGreaterThanOrEqual(settings.finalResponseMinChars);
      expect(answer.toLowerCase(), 'final_response names the anomaly topic').toContain('anomal');
    },
  );
});
