import { test, expect } from '../../fixtures';
import { catalog, category } from '../catalog';
import { AGENT_TYPES } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-07');

test.describe(title, details, () => {
  test(
    '7.1 test_basic_functionality',
    catalog({ checks: '/health → 200 healthy, uptime_seconds ≥ 0', catches: 'down' }),
    async ({ request, settings }) => {
      const response = await request.get('/health');
      expect(response.status()).toBe(200);
      const body = await response.json();
      expect(body).toMatchObject(shapes.backendHealth(settings.environment));
      expect(body.uptime_seconds, 'uptime_seconds').toBeGreaterThanOrEqual(0);
    },
  );

  test(
    '7.2 test_startup_sequence',
    catalog({ checks: '/health → /health/ready → ws(U) → say → healthy; ready; opens; completes', catches: 'ready, not serving' }),
    async ({ request, settings, sockets, user }) => {
      const health = await request.get('/health');
      expect(health.status(), '/health').toBe(200);
      expect(await health.json()).toMatchObject(shapes.backendHealth(settings.environment));
      const ready = await request.get('/health/ready');
      expect(ready.status(), '/health/ready').toBe(200);
      expect(await ready.json()).toMatchObject(shapes.ready());
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Give me a first summary of our usage'))).finished();
      expect(lastFrame(frames), 'the first run after readiness completes').toMatchObject({ type: 'agent_completed', status: 'completed' });
    },
  );

  test(
    '7.3 test_dependency_validation',
    catalog({
      checks: '/health/ready; /auth/health; POST /api/threads; /api/agents → 3 checks ok and auth-service 200, write 200, 4 agents',
      catches: 'readiness lies',
    }),
    async ({ request, settings, api, user }) => {
      const ready = await request.get('/health/ready');
      expect(ready.status(), '/health/ready').toBe(200);
      expect(await ready.json()).toMatchObject(shapes.ready());
      const auth = await request.get(`${settings.authUrl}/auth/health`);
      expect(auth.status(), 'auth: the auth service answers').toBe(200);
      expect(await auth.json()).toMatchObject(shapes.authHealth());
      const created = await api.post('/api/threads', { data: { title: 'dependency check' } });
      expect(created.status(), 'database: a write succeeds').toBe(200);
      const thread = await created.json();
      expect(thread).toMatchObject({ ...shapes.thread(user.id), title: 'dependency check' });
      const read = await api.get(`/api/threads/${thread.id}`);
      expect(read.status(), 'database: the write reads back').toBe(200);
      const agents = await api.get('/api/agents');
      expect(agents.status(), 'agents: the catalog answers').toBe(200);
      expect(((await agents.json()).agents as { type: string }[]).map((a) => a.type).sort()).toEqual([...AGENT_TYPES].sort());
    },
  );

  test(
    '7.4 test_cold_start_performance',
    catalog({ checks: 'new context, first socket, first run → /health ≤ COLD_START_MS; opens; completes', catches: 'slow first use' }),
    async ({ playwright, settings, sockets, user }) => {
      const cold = await playwright.request.newContext({ baseURL: settings.baseUrl });
      const { value: response, ms } = await timed(() => cold.get('/health'));
      const status = response.status();
      const body = await response.json();
      await cold.dispose();
      expect(status, 'first /health from a new context').toBe(200);
      expect(body).toMatchObject(shapes.backendHealth(settings.environment));
      expect(ms, 'first /health from a new context (ms) within COLD_START_MS').toBeLessThanOrEqual(settings.coldStartMs);
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', uniqueRequest('First run: list our busiest models'))).finished();
      expect(lastFrame(frames), 'the first run completes').toMatchObject({ type: 'agent_completed', status: 'completed' });
    },
  );

  test(
    '7.5 test_readiness_check_names',
    catalog({
      checks: '/health/ready → 200 ready; checks include database, auth, agents, each ok',
      catches: 'shape drift',
      was: 'test_startup_failure_handling',
    }),
    async ({ request }) => {
      const ready = await request.get('/health/ready');
      expect(ready.status()).toBe(200);
      const body = await ready.json();
      expect(body.status).toBe('ready');
      expect(body.checks, 'exactly the checks database, auth, agents, all ok').toEqual({ database: 'ok', auth: 'ok', agents: 'ok' });
    },
  );

  test(
    '7.6 test_health_check_endpoints',
    catalog({ checks: '/health, /api/health, /auth/health, /ws/health → each 200 with its §2/§3 body', catches: 'schema drift' }),
    async ({ request, settings }) => {
      const checks = [
        { url: '/health', shape: shapes.backendHealth(settings.environment) },
        { url: '/api/health', shape: shapes.backendHealth(settings.environment) },
        { url: `${settings.authUrl}/auth/health`, shape: shapes.authHealth() },
        { url: '/ws/health', shape: shapes.wsHealth() },
      ];
      for (const { url, shape } of checks) {
        const response = await request.get(url);
        expect(response.status(), url).toBe(200);
        expect(await response.json(), url).toMatchObject(shape);
      }
    },
  );
});
