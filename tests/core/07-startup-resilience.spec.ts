import { test, expect } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';

const { title, details } = category('core-07');

test.describe(title, details, () => {
  test(
    '7.1 test_basic_functionality',
    catalog({ checks: '/health answers 200 healthy with an uptime_seconds of at least 0.', catches: 'down' }),
    async ({ request, settings }) => {
      const response = await request.get('/health');
      await expect(response).toMatchContract('GET /health', 200, { environment: settings.environment });
      expect((await response.json()).uptime_seconds, 'uptime_seconds').toBeGreaterThanOrEqual(0);
    },
  );

  test(
    '7.2 test_startup_sequence',
    catalog({
      checks: '/health is healthy and /health/ready ready; then a socket of a new user opens and its first user_message run completes.',
      catches: 'ready, not serving',
    }),
    async ({ request, settings, sockets, user }) => {
      await expect(await request.get('/health'), '/health').toMatchContract('GET /health', 200, { environment: settings.environment });
      await expect(await request.get('/health/ready'), '/health/ready').toMatchContract('GET /health/ready', 200);
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Give me a first summary of our usage'))).finished();
      await expect(lastFrame(frames), 'the first run after readiness completes').toMatchContract({
        type: 'agent_completed',
        status: 'completed',
      });
    },
  );

  test(
    '7.3 test_dependency_validation',
    catalog({
      checks:
        'What readiness claims holds: /health/ready has database, auth and agents ok; /auth/health is healthy; a new ' +
        'thread is written and reads back; /api/agents lists the four agent types.',
      catches: 'readiness lies',
    }),
    async ({ request, settings, api, user }) => {
      await expect(await request.get('/health/ready'), '/health/ready').toMatchContract('GET /health/ready', 200);
      await expect(await request.get(`${settings.authUrl}/auth/health`), 'auth: the auth service answers').toMatchContract(
        'GET /auth/health',
        200,
      );
      const created = await api.post('/api/threads', { data: { title: 'dependency check' } });
      await expect(created, 'database: a write succeeds').toMatchContract('POST /api/threads', 200, {
        title: 'dependency check',
        metadata: { user_id: user.id },
      });
      const { id } = await created.json();
      await expect(await api.get(`/api/threads/${id}`), 'database: the write reads back').toMatchContract('GET /api/threads/{id}', 200, {
        id,
      });
      await expect(await api.get('/api/agents'), 'agents: the catalog lists the four types').toMatchContract('GET /api/agents', 200);
    },
  );

  test(
    '7.4 test_cold_start_performance',
    catalog({
      checks:
        'The first /health from a new request context is healthy within COLD_START_MS; then a socket opens and the ' +
        'first data run completes.',
      catches: 'slow first use',
    }),
    async ({ playwright, settings, sockets, user }) => {
      const cold = await playwright.request.newContext({ baseURL: settings.baseUrl });
      try {
        const { value: response, ms } = await timed(() => cold.get('/health'));
        await expect(response, 'first /health from a new context').toMatchContract('GET /health', 200, {
          environment: settings.environment,
        });
        expect(ms, 'first /health from a new context (ms) within COLD_START_MS').toBeLessThanOrEqual(settings.coldStartMs);
      } finally {
        await cold.dispose();
      }
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', uniqueRequest('First run: list our busiest models'))).finished();
      await expect(lastFrame(frames), 'the first run completes').toMatchContract({ type: 'agent_completed', status: 'completed' });
    },
  );

  test(
    '7.5 test_readiness_check_names',
    catalog({
      checks: '/health/ready answers 200 ready, and its checks include database, auth and agents, each ok.',
      catches: 'shape drift',
      was: 'test_startup_failure_handling',
    }),
    async ({ request }) => {
      await expect(await request.get('/health/ready')).toMatchContract('GET /health/ready', 200, {
        status: 'ready',
        checks: { database: 'ok', auth: 'ok', agents: 'ok' },
      });
    },
  );

  test(
    '7.6 test_health_check_endpoints',
    catalog({
      checks: '/health, /api/health, /auth/health and /ws/health each answer 200 with the body the contract gives them.',
      catches: 'health schema drift',
    }),
    async ({ request, settings }) => {
      const checks = [
        { url: '/health', op: 'GET /health', fields: { environment: settings.environment } },
        { url: '/api/health', op: 'GET /api/health', fields: { environment: settings.environment } },
        { url: `${settings.authUrl}/auth/health`, op: 'GET /auth/health' },
        { url: '/ws/health', op: 'GET /ws/health' },
      ];
      for (const { url, op, fields } of checks) await expect(await request.get(url), url).toMatchContract(op, 200, fields);
    },
  );
});
