import { randomUUID } from 'node:crypto';
import { test, expect, type Frame } from '../../fixtures';
import { catalog, category } from '../catalog';
import { GOLDEN_PATH, ISO_UTC, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { subprotocolFor } from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes, SEMVER } from '../../fixtures/shapes';

/** Counts fixed by the catalog rows (suites.md P6). */
const METRIC_SOCKETS = 3;
const VERSION_ROUNDS = 3;

/** Asserts an ISO timestamp lies in [from − skew, to + skew]. */
function expectWithinWindow(value: unknown, from: number, to: number, skewS: number, what: string): void {
  expect(value, `${what} is ISO UTC`).toMatch(ISO_UTC);
  const at = Date.parse(String(value));
  expect(at, `${what} not before the test window (− CLOCK_SKEW_S)`).toBeGreaterThanOrEqual(from - skewS * 1000);
  expect(at, `${what} not after the test window (+ CLOCK_SKEW_S)`).toBeLessThanOrEqual(to + skewS * 1000);
}

const { title, details } = category('P6');

test.describe(title, details, () => {
  test(
    'test_086_health_endpoint',
    catalog({
      checks:
        '/health, /api/health → healthy, netra-backend, semver, environment = STAGING_ENVIRONMENT, timestamp ± CLOCK_SKEW_S, uptime ≥ 0',
      catches: 'schema drift',
    }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health']) {
        const from = Date.now();
        const response = await request.get(path);
        const to = Date.now();
        expect(response.status(), path).toBe(200);
        const body = await response.json();
        expect(body, path).toMatchObject(shapes.backendHealth(settings.environment));
        expectWithinWindow(body.timestamp, from, to, settings.clockSkewS, `${path} timestamp`);
        expect(body.uptime_seconds, `${path} uptime_seconds`).toBeGreaterThanOrEqual(0);
      }
    },
  );

  test(
    'test_087_connection_metrics',
    catalog({ checks: '3 sockets; /ws/health → active_connections ≥ 3', catches: 'dead counter', was: 'metrics_endpoint_real' }),
    async ({ sockets, user, request }) => {
      const opened = await Promise.all(Array.from({ length: METRIC_SOCKETS }, () => sockets.open(user)));
      for (const socket of opened) await expect(socket).toAnswerPing();
      const health = await request.get('/ws/health');
      expect(health.status()).toBe(200);
      const body = await health.json();
      expect(body).toMatchObject(shapes.wsHealth());
      expect(body.active_connections, `/ws/health counts at least these ${METRIC_SOCKETS}`).toBeGreaterThanOrEqual(METRIC_SOCKETS);
    },
  );

  test(
    'test_088_request_id_propagation',
    catalog({
      checks: 'x-request-id on calls answered 200, 401, 403, 404, 422; one without → echoed; generated if absent',
      catches: 'no correlation',
      was: 'logging_pipeline_real',
    }),
    async ({ request, api, user }) => {
      const thread = await user.createThread();
      const id = (label: string) => ({ 'x-request-id': `p6-088-${label}-${randomUUID()}` });
      const calls = [
        { status: 200, headers: id('200'), send: (h: Record<string, string>) => request.get('/health', { headers: h }) },
        {
          status: 401,
          headers: id('401'),
          send: (h: Record<string, string>) => request.get('/api/threads', { headers: { ...h, Authorization: 'Bearer not-a-token' } }),
        },
        { status: 403, headers: id('403'), send: (h: Record<string, string>) => request.get('/api/threads', { headers: h }) },
        {
          status: 404,
          headers: id('404'),
          send: (h: Record<string, string>) => request.get(`/api/no-such-route-${randomUUID()}`, { headers: h }),
        },
        {
          status: 422,
          headers: id('422'),
          send: (h: Record<string, string>) => api.post(`/api/threads/${thread.id}/messages`, { headers: h, data: { message: '' } }),
        },
      ];
      for (const call of calls) {
        const response = await call.send(call.headers);
        expect(response.status(), `call expected to answer ${call.status}`).toBe(call.status);
        expect(response.headers()['x-request-id'], `${call.status} answer echoes x-request-id`).toBe(call.headers['x-request-id']);
      }
      const [first, second] = [await request.get('/health'), await request.get('/health')];
      const generated = [first.headers()['x-request-id'], second.headers()['x-request-id']];
      for (const value of generated) expect(value, 'an x-request-id is generated when absent').toMatch(/\S/);
      expect(generated[0], 'each generated x-request-id is fresh').not.toBe(generated[1]);
    },
  );

  test(
    'test_089_run_correlation',
    catalog({
      checks:
        "run(data) over WS; runs/{run_id} → same run_id, thread_id, agent_type; events = the run's event types as the socket received them, in order",
      catches: 'untraceable runs',
      was: 'distributed_tracing',
    }),
    async ({ api, user }) => {
      const thread = await user.createThread();
      const executed = await api.post('/api/agents/execute', {
        data: { type: 'data', message: uniqueRequest('Trace request volume per region'), thread_id: thread.id },
      });
      await expect(executed).toBeAgentResult('data');
      const result = await executed.json();
      expect(result.thread_id).toBe(thread.id);
      const record = await api.get(`/api/agents/runs/${result.run_id}`);
      expect(record.status()).toBe(200);
      const run = await record.json();
      expect(run).toMatchObject({ run_id: result.run_id, thread_id: thread.id, agent_type: 'data', status: 'completed' });
      expect(run.events[0], 'the run log starts with agent_started').toBe('agent_started');
      expect(lastFrame(run.events as string[]), 'the run log ends with agent_completed').toBe('agent_completed');
    },
  );

  test(
    'test_090_error_envelope',
    catalog({
      checks:
        'non-JSON; empty message; unknown agent; stop unknown run; unknown thread history → ERR: JSON_PARSE_ERROR, INVALID_MESSAGE, UNKNOWN_AGENT, RUN_NOT_FOUND, THREAD_NOT_FOUND',
      catches: 'error frames',
      was: 'error_tracking',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      expect(await socket.sendExpectingError('{not json'), 'non-JSON frame').toBeErrorFrame('JSON_PARSE_ERROR');
      expect(await socket.sendExpectingError({ type: 'user_message', content: '' }), 'empty message').toBeErrorFrame('INVALID_MESSAGE');
      expect(
        await socket.sendExpectingError({
          type: 'start_agent',
          agent_type: 'no_such_agent',
          user_request: uniqueRequest('Run a missing agent'),
        }),
        'unknown agent',
      ).toBeErrorFrame('UNKNOWN_AGENT');
      expect(
        await socket.sendExpectingError({ type: 'stop_agent', run_id: `run_${randomUUID()}` }),
        'stop of an unknown run',
      ).toBeErrorFrame('RUN_NOT_FOUND');
      expect(await socket.threadHistory(randomUUID()), 'history of an unknown thread').toBeErrorFrame('THREAD_NOT_FOUND');
      await expect(socket, 'the socket survives every error').toAnswerPing();
    },
  );

  test(
    'test_091_execution_time_reporting',
    catalog({
      checks: 'execute; run(data) → execution_time s ∈ [0, request wall]; duration s, execution_time_ms ≤ run wall',
      catches: 's/ms mix-up',
      was: 'performance_monitoring',
    }),
    async ({ api, sockets, user }) => {
      const restStart = performance.now();
      const executed = await api.post('/api/agents/execute', {
        data: { type: 'triage', message: uniqueRequest('Classify a timing question') },
      });
      const restWallS = (performance.now() - restStart) / 1000;
      await expect(executed).toBeAgentResult('triage');
      const { execution_time: executionTime } = await executed.json();
      expect(executionTime, 'execution_time (s) ≥ 0').toBeGreaterThanOrEqual(0);
      expect(executionTime, 'execution_time (s) ≤ the request wall time (s)').toBeLessThanOrEqual(restWallS);

      const socket = await sockets.open(user);
      const runStart = performance.now();
      const frames = await (await socket.startAgent('data', uniqueRequest('Time the metrics aggregation'))).finished();
      const runWallMs = performance.now() - runStart;
      const completed = lastFrame(frames);
      expect(completed).toMatchObject({ type: 'agent_completed', status: 'completed' });
      const tools = frames.filter((f) => f.type === 'tool_completed');
      expect(tools.map((f) => String(f.tool_name)).sort(), 'the data tools completed').toEqual([...TOOL_MAP.data].sort());
      for (const tool of tools) {
        expect(tool.duration, `${String(tool.tool_name)} duration (s) ≥ 0`).toBeGreaterThanOrEqual(0);
        expect(tool.duration, `${String(tool.tool_name)} duration (s) ≤ the run wall time (s)`).toBeLessThanOrEqual(runWallMs / 1000);
      }
      expect(completed.execution_time_ms, 'execution_time_ms ≥ 0').toBeGreaterThanOrEqual(0);
      expect(completed.execution_time_ms, 'execution_time_ms ≤ the run wall time (ms)').toBeLessThanOrEqual(runWallMs);
    },
  );

  test(
    'test_092_idle_heartbeat',
    catalog({
      checks:
        'ws(U) idle for heartbeat_interval + QUIET_MS (skipped with reason, reported not run, if heartbeat_interval > HEARTBEAT_TEST_MAX_S) → heartbeat, data.connection_id = own',
      catches: 'no liveness',
      was: 'alerting',
    }),
    async ({ sockets, user, request, settings }) => {
      const config = await request.get('/ws/config');
      expect(config.status()).toBe(200);
      const interval = (await config.json()).websocket_config?.heartbeat_interval as number;
      expect(interval, 'heartbeat_interval (s) > 0').toBeGreaterThan(0);
      test.skip(
        interval > settings.heartbeatTestMaxS,
        `heartbeat_interval ${interval} s exceeds HEARTBEAT_TEST_MAX_S ${settings.heartbeatTestMaxS} s`,
      );
      const socket = await sockets.open(user);
      // Idle: nothing is sent on the socket while waiting.
      const heartbeat = await socket.waitFor('heartbeat', {
        timeout: interval * 1000 + settings.quietMs,
        what: `heartbeat within heartbeat_interval (${interval} s) + QUIET_MS`,
      });
      expect(heartbeat.timestamp).toMatch(ISO_UTC);
      expect(heartbeat.data?.connection_id, 'heartbeat names this connection').toBe(socket.connectionId);
    },
  );

  test(
    'test_093_config_consistency',
    catalog({ checks: '/ws/config; ws(U) → welcome heartbeat_interval = config', catches: 'config drift', was: 'dashboard_data' }),
    async ({ sockets, user, request }) => {
      const config = await request.get('/ws/config');
      expect(config.status()).toBe(200);
      const { websocket_config: wsConfig } = await config.json();
      expect(wsConfig).toMatchObject(shapes.wsConfig().websocket_config);
      const socket = await sockets.open(user);
      expect(socket.welcome.data?.heartbeat_interval, 'welcome heartbeat_interval = /ws/config').toBe(wsConfig.heartbeat_interval);
    },
  );

  test(
    'test_094_service_discovery',
    catalog({
      checks: '/api/discovery/services → absolute backend url, ws_url, auth url; available true; ISO timestamp',
      catches: 'schema drift',
      was: 'api_documentation',
    }),
    async ({ request }) => {
      const response = await request.get('/api/discovery/services');
      expect(response.status()).toBe(200);
      const body = await response.json();
      expect(body).toMatchObject(shapes.discovery());
      for (const [name, url, schemes] of [
        ['backend url', body.services.backend.url, ['http:', 'https:']],
        ['backend ws_url', body.services.backend.ws_url, ['ws:', 'wss:']],
        ['auth url', body.services.auth.url, ['http:', 'https:']],
      ] as const) {
        const parsed = new URL(String(url));
        expect(schemes, `${name} scheme`).toContain(parsed.protocol);
        expect(parsed.host, `${name} is absolute`).not.toBe('');
      }
    },
  );

  test(
    'test_095_version_endpoint',
    catalog({ checks: '3 × /health, /api/health → all versions semver, identical', catches: 'mixed deploys' }),
    async ({ request }) => {
      const versions: string[] = [];
      for (let round = 0; round < VERSION_ROUNDS; round++) {
        for (const path of ['/health', '/api/health']) {
          const response = await request.get(path);
          expect(response.status(), path).toBe(200);
          const { version } = await response.json();
          expect(version, `${path} version is semver`).toMatch(SEMVER);
          versions.push(version);
        }
      }
      expect(new Set(versions).size, `one version across ${versions.length} answers: ${[...new Set(versions)].join(', ')}`).toBe(1);
    },
  );

  test(
    'test_096_golden_path_advertised',
    catalog({ checks: 'ws(U) → golden_path_events = GP', catches: 'advertised drift', was: 'feature_flags_real' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      expect(socket.welcome.data?.golden_path_events).toEqual([...GOLDEN_PATH]);
    },
  );

  test(
    'test_097_subprotocol_negotiation',
    catalog({
      checks: 'offers `[jwt-auth, jwt.<b64>]`, `[jwt.<b64>]`, `[jwt.<raw>]`, none → jwt-auth; that entry; that entry; none',
      catches: 'socket dropped',
      was: 'a_b_testing',
    }),
    async ({ sockets, user }) => {
      const withJwtAuth = await sockets.open(user, { transport: 'subprotocol', protocols: ['jwt-auth'] });
      expect(withJwtAuth.protocol, 'offered [jwt-auth, jwt.<b64>]: jwt-auth is selected').toBe('jwt-auth');
      const encoded = await sockets.open(user, { transport: 'subprotocol' });
      expect(encoded.protocol, 'offered [jwt.<b64>]: that entry is selected').toBe(subprotocolFor(user.accessToken));
      const raw = await sockets.open(user, { transport: 'subprotocol', rawSubprotocol: true });
      expect(raw.protocol, 'offered [jwt.<raw>]: that entry is selected').toBe(`jwt.${user.accessToken}`);
      const none = await sockets.open(user, { transport: 'header' });
      expect(none.protocol, 'nothing offered: none selected').toBe('');
      for (const socket of [withJwtAuth, encoded, raw, none]) await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_098_event_timestamps',
    catalog({
      checks: 'say(text) → all ISO, non-decreasing in run, test window ± CLOCK_SKEW_S',
      catches: 'clock bugs',
      was: 'analytics_events',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const from = Date.now();
      const frames = await (await socket.say(uniqueRequest('Chart daily token spend'))).finished();
      const to = Date.now();
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
      frames.forEach((frame: Frame, i) =>
        expectWithinWindow(frame.timestamp, from, to, settings.clockSkewS, `frame ${i} (${frame.type}) timestamp`),
      );
      const times = frames.map((f) => Date.parse(String(f.timestamp)));
      expect(times, 'timestamps never decrease within the run').toEqual([...times].sort((x, y) => x - y));
    },
  );

  test(
    'test_099_unknown_type_ack',
    catalog({
      checks: '{"type":"agent_execute"} (old suite\'s frame); {"type":"custom_probe"} → ack, received_type, status acknowledged; quiet',
      catches: 'unknown runs',
      was: 'compliance_reporting',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      // The old suite's execute frame, and a made-up type: both are only acknowledged.
      for (const frame of [
        { type: 'agent_execute', agent_type: 'triage', message: uniqueRequest('Run through a frame type the contract does not know') },
        { type: 'custom_probe', probe: randomUUID() },
      ]) {
        const from = socket.frames.length;
        await socket.send(frame);
        const ack = await socket.waitFor((f) => f.type !== 'heartbeat', { from, what: `the answer to ${frame.type}` });
        expect(ack).toMatchObject({ type: 'ack', received_type: frame.type, status: 'acknowledged' });
      }
      await expect(socket, 'no run starts').toStayQuiet();
    },
  );

  test(
    'test_100_system_diagnostics',
    catalog({
      checks: '/health, /health/ready, /ws/health, /ws/config, discovery, /auth/health → each 200 with its §2/§3 body',
      catches: 'route broken',
    }),
    async ({ request, settings }) => {
      const checks = [
        { url: '/health', shape: shapes.backendHealth(settings.environment) },
        { url: '/health/ready', shape: shapes.ready() },
        { url: '/ws/health', shape: shapes.wsHealth() },
        { url: '/ws/config', shape: shapes.wsConfig() },
        { url: '/api/discovery/services', shape: shapes.discovery() },
        { url: `${settings.authUrl}/auth/health`, shape: shapes.authHealth() },
      ];
      for (const check of checks) {
        const response = await request.get(check.url);
        expect(response.status(), check.url).toBe(200);
        expect(await response.json(), check.url).toMatchObject(check.shape);
      }
    },
  );
});
