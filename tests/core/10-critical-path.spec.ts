import { randomUUID } from 'node:crypto';
import type { APIResponse } from '@playwright/test';
import { test, expect, type Thread } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { roleContents } from '../../fixtures/client/messages';
import type { Ticket } from '../../fixtures/client/test-user';
import { percentile, timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';

/** Catalog row 10.4: /health requests measured. */
const HEALTH_SAMPLES = 20;

const { title, details } = category('core-10');

test.describe(title, details, () => {
  test(
    '10.1 test_basic_functionality',
    catalog({ checks: '/health and /auth/health both answer 200 with their healthy bodies.', catches: 'down' }),
    async ({ request, settings }) => {
      await expect(await request.get('/health'), '/health').toMatchContract('GET /health', 200, { environment: settings.environment });
      await expect(await request.get(`${settings.authUrl}/auth/health`), '/auth/health').toMatchContract('GET /auth/health', 200);
    },
  );

  test(
    '10.2 test_critical_api_endpoints',
    catalog({
      checks:
        '/health, /api/health, discovery (backend and auth URLs), /api/mcp/config and /api/mcp/servers each answer 200 ' +
        'with the body the contract gives them.',
      catches: 'route down',
    }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health'] as const) {
        await expect(await request.get(path), path).toMatchContract(`GET ${path}`, 200, { environment: settings.environment });
      }
      await expect(await request.get('/api/discovery/services'), 'discovery').toMatchContract('GET /api/discovery/services', 200, {
        services: {
          backend: { url: expect.stringMatching(/^https?:\/\//), ws_url: expect.stringMatching(/^wss?:\/\//) },
          auth: { url: expect.stringMatching(/^https?:\/\//) },
        },
      });
      await expect(await request.get('/api/mcp/config'), 'mcp/config').toMatchContract('GET /api/mcp/config', 200);
      await expect(await request.get('/api/mcp/servers'), 'mcp/servers').toMatchContract('GET /api/mcp/servers', 200);
    },
  );

  test(
    '10.3 test_end_to_end_message_flow',
    catalog({
      checks:
        'A new user gets a ticket and opens a socket with it, creates a thread and asks about cost savings in it: the run ' +
        'follows the golden path in that thread with estimated_monthly_savings above 0, and the thread comes to hold the ' +
        'request and the answer; after logout the token is refused with 401 "Invalid or expired token".',
      catches: 'golden path',
    }),
    async ({ sockets, user, api, request, settings }) => {
      const issued = await api.post('/api/websocket/ticket', { data: {} });
      await expect(issued, 'ticket').toMatchContract('POST /api/websocket/ticket', 200);
      const ticket = (await issued.json()) as Ticket;
      const socket = await sockets.open(user, { transport: 'ticket', ticket });
      const created = await api.post('/api/threads', { data: { title: 'critical path' } });
      await expect(created, 'thread').toMatchContract('POST /api/threads', 200);
      const thread = (await created.json()) as Thread;
      const text = uniqueRequest('How much cost can we save on inference this month');
      const frames = await (await socket.say(text, { threadId: thread.id })).finished();
      expect(frames).toFollowGoldenPath();
      await expect(frames, 'every event of the run is in the thread').toMatchContract({ thread_id: thread.id });
      const done = lastFrame(frames);
      const savings = (done.result as { estimated_monthly_savings?: unknown }).estimated_monthly_savings;
      expect(savings, 'result.estimated_monthly_savings is a number').toEqual(expect.any(Number));
      expect(savings, 'result.estimated_monthly_savings').toBeGreaterThan(0);
      await expect
        .poll(async () => roleContents((await user.messages(thread.id)).messages), {
          message: 'the thread has the request and the answer',
          timeout: settings.settleMs,
        })
        .toEqual([
          ['user', text],
          ['assistant', done.final_response],
        ]);
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      await expect(logout, 'logout').toMatchContract('POST /auth/logout', 200);
      await expect(await api.get('/api/threads'), 'the logged-out token is refused').toMatchContract('GET /api/threads', 401, {
        detail: 'Invalid or expired token',
      });
    },
  );

  test(
    '10.4 test_critical_performance_targets',
    catalog({
      checks:
        'Twenty /health requests all answer healthy with a p95 within HEALTH_P95_MS; a socket opens within WS_HANDSHAKE_MS; ' +
        'a data run starts within FIRST_EVENT_MS and completes within RUN_COMPLETE_MS; the measurements are attached.',
      catches: 'SLA (original used literals)',
    }),
    async ({ request, settings, sockets, user }, testInfo) => {
      const health: number[] = [];
      const responses: APIResponse[] = [];
      for (let i = 0; i < HEALTH_SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/health'));
        health.push(ms);
        responses.push(response);
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
      for (const [i, response] of responses.entries()) await expect(response, `/health #${i + 1}`).toMatchContract('GET /health', 200);
      expect(measurements.healthP95Ms, '/health p95 (ms) within HEALTH_P95_MS').toBeLessThanOrEqual(settings.healthP95Ms);
      expect(handshakeMs, 'handshake (ms) within WS_HANDSHAKE_MS').toBeLessThanOrEqual(settings.wsHandshakeMs);
      await expect(lastFrame(frames), 'the run completes').toMatchContract({ type: 'agent_completed', status: 'completed' });
      expect(firstEventMs, 'first event (ms) within FIRST_EVENT_MS').toBeLessThanOrEqual(settings.firstEventMs);
      expect(runMs, 'run (ms) within RUN_COMPLETE_MS').toBeLessThanOrEqual(settings.runCompleteMs);
    },
  );

  test(
    '10.5 test_critical_error_handling',
    catalog({
      checks:
        'No token is 403 "Not authenticated", a malformed token 401 "Invalid or expired token", an unknown route 404, a ' +
        'wrong method 405, an empty message 422; a non-JSON frame gets JSON_PARSE_ERROR and the socket still answers ping.',
      catches: 'error contract',
    }),
    async ({ request, api, user, sockets }) => {
      await expect(await request.get('/api/agents'), 'no token').toMatchContract('GET /api/agents', 403, { detail: 'Not authenticated' });
      await expect(await request.get('/api/agents', { headers: { Authorization: 'Bearer not-a-jwt' } }), 'bad token').toMatchContract(
        'GET /api/agents',
        401,
        { detail: 'Invalid or expired token' },
      );
      await expect(await api.get(`/api/no-such-route-${randomUUID()}`), 'unknown route').toMatchContract('*', 404);
      await expect(await api.delete('/api/discovery/services'), 'wrong method').toMatchContract('*', 405);
      await expect(await api.post('/api/agents/execute', { data: { type: 'triage', message: '' } }), 'empty message').toMatchContract(
        'POST /api/agents/execute',
        422,
      );
      const socket = await sockets.open(user);
      await expect(await socket.sendExpectingError('this is not json')).toMatchContract({
        type: 'error_message',
        error_code: 'JSON_PARSE_ERROR',
      });
      await expect(socket, 'the socket survives a non-JSON frame').toAnswerPing();
    },
  );

  test(
    '10.6 test_business_critical_features',
    catalog({
      checks:
        'A user_message asking about anomalies completes with a non-empty result.anomalies and a final_response of at ' +
        'least FINAL_RESPONSE_MIN_CHARS that names the anomaly topic.',
      catches: 'no usable output',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Detect anomalies in our latency and spend this week'))).finished();
      const done = lastFrame(frames);
      await expect(done).toMatchContract({ type: 'agent_completed', status: 'completed' });
      expect((done.result as { anomalies?: unknown }).anomalies, 'result.anomalies is a non-empty array').toEqual(
        expect.arrayContaining([expect.anything()]),
      );
      const answer = String(done.final_response);
      expect(answer.length, 'final_response length within FINAL_RESPONSE_MIN_CHARS').toBeGreaterThanOrEqual(settings.finalResponseMinChars);
      expect(answer.toLowerCase(), 'final_response names the anomaly topic').toContain('anomal');
    },
  );
});
