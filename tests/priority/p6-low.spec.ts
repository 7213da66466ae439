import { randomUUID } from 'node:crypto';
import type { APIResponse } from '@playwright/test';
import { test, expect } from '../../fixtures';
import { GOLDEN_PATH, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { instant } from '../../fixtures/client/time';
import { subprotocolFor } from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';
import { catalog, category } from '../catalog';

/** Counts these tests are defined by (docs/catalog.md). */
const METRIC_SOCKETS = 3;
const VERSION_ROUNDS = 3;

/** Asserts a timestamp lies in [from − skew, to + skew] (ms since the epoch). */
function expectWithinWindow(value: unknown, from: number, to: number, skewS: number, what: string): void {
  const at = instant(value);
  expect(at, `${what} not before the test window (− CLOCK_SKEW_S)`).toBeGreaterThanOrEqual(from - skewS * 1000);
  expect(at, `${what} not after the test window (+ CLOCK_SKEW_S)`).toBeLessThanOrEqual(to + skewS * 1000);
}

const { title, details } = category('P6');

test.describe(title, details, () => {
  test(
    'test_086_health_endpoint',
    catalog({
      checks:
        '/health and /api/health answer healthy from netra-backend with a semver version, the configured environment, ' +
        'an ISO timestamp within the request ± CLOCK_SKEW_S and an uptime of at least 0.',
      catches: 'health schema drift',
    }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health'] as const) {
        const from = Date.now();
        const response = await request.get(path);
        const to = Date.now();
        await expect(response, path).toMatchContract(`GET ${path}`, 200, { environment: settings.environment });
        const body = await response.json();
        expectWithinWindow(body.timestamp, from, to, settings.clockSkewS, `${path} timestamp`);
        expect(body.uptime_seconds, `${path} uptime_seconds`).toBeGreaterThanOrEqual(0);
      }
    },
  );

  test(
    'test_087_connection_metrics',
    catalog({
      checks: "With three of a user's sockets open and answering ping, /ws/health counts at least three active connections.",
      catches: 'dead counter',
      was: 'metrics_endpoint_real',
    }),
    async ({ sockets, user, request }) => {
      const opened = await Promise.all(Array.from({ length: METRIC_SOCKETS }, () => sockets.open(user)));
      for (const socket of opened) await expect(socket).toAnswerPing();
      const health = await request.get('/ws/health');
      await expect(health).toMatchContract('GET /ws/health', 200);
      expect((await health.json()).active_connections, `/ws/health counts at least these ${METRIC_SOCKETS}`).toBeGreaterThanOrEqual(
        METRIC_SOCKETS,
      );
    },
  );

  test(
    'test_088_request_id_propagation',
    catalog({
      checks:
        'Requests answered 200, 401, 403, 404 and 422, each with its own x-request-id, get that id echoed; requests ' +
        'without one get a fresh, non-empty id each.',
      catches: 'no correlation',
      was: 'logging_pipeline_real',
    }),
    async ({ request, api, user }) => {
      const thread = await user.createThread();
      const calls: { operation: string; status: number; send: (headers: Record<string, string>) => Promise<APIResponse> }[] = [
        { operation: 'GET /health', status: 200, send: (h) => request.get('/health', { headers: h }) },
        {
          operation: 'GET /api/threads',
          status: 401,
          send: (h) => request.get('/api/threads', { headers: { ...h, Authorization: 'Bearer not-a-token' } }),
        },
        { operation: 'GET /api/threads', status: 403, send: (h) => request.get('/api/threads', { headers: h }) },
        { operation: '*', status: 404, send: (h) => request.get(`/api/no-such-route-${randomUUID()}`, { headers: h }) },
        {
          operation: 'POST /api/threads/{id}/messages',
          status: 422,
          send: (h) => api.post(`/api/threads/${thread.id}/messages`, { headers: h, data: { message: '' } }),
        },
      ];
      for (const call of calls) {
        const id = `p6-088-${call.status}-${randomUUID()}`;
        const response = await call.send({ 'x-request-id': id });
        await expect(response, `the call expected to answer ${call.status}`).toMatchContract(call.operation, call.status);
        expect(response.headers()['x-request-id'], `${call.status} answer echoes x-request-id`).toBe(id);
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
        'A data run over the socket in thread T is found at /api/agents/runs/{run_id} with the same run_id, thread T, ' +
        'agent_type data and status completed, its events being the types the socket received, in order (polled for ' +
        'SETTLE_MS).',
      catches: 'untraceable runs',
      was: 'distributed_tracing',
    }),
    async ({ api, sockets, user, settings }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const frames = await (
        await socket.startAgent('data', uniqueRequest('Trace request volume per region'), { threadId: thread.id })
      ).finished();
      const runId = String(frames[0].run_id);
      const expected = { run_id: runId, thread_id: thread.id, agent_type: 'data', status: 'completed', events: frames.map((f) => f.type) };
      await expect
        .poll(async () => (await api.get(`/api/agents/runs/${runId}`)).json(), {
          message: 'the run record matches what the socket received',
          timeout: settings.settleMs,
        })
        .toMatchObject(expected);
      await expect(await api.get(`/api/agents/runs/${runId}`)).toMatchContract('GET /api/agents/runs/{run_id}', 200, expected);
    },
  );

  test(
    'test_090_error_envelope',
    catalog({
      checks:
        'A non-JSON frame, an empty user_message, an unknown agent type, stop_agent of an unknown run and the history of ' +
        'an unknown thread each get an error_message (JSON_PARSE_ERROR, INVALID_MESSAGE, UNKNOWN_AGENT, RUN_NOT_FOUND, ' +
        'THREAD_NOT_FOUND), and the socket still answers ping.',
      catches: 'error frames',
      was: 'error_tracking',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      await expect(await socket.sendExpectingError('{not json'), 'non-JSON frame').toMatchContract({
        type: 'error_message',
        error_code: 'JSON_PARSE_ERROR',
      });
      await expect(await socket.sendExpectingError({ type: 'user_message', content: '' }), 'empty message').toMatchContract({
        type: 'error_message',
        error_code: 'INVALID_MESSAGE',
      });
      const unknownAgent = await socket.sendExpectingError({
        type: 'start_agent',
        agent_type: 'no_such_agent',
        user_request: uniqueRequest('Run a missing agent'),
      });
      await expect(unknownAgent, 'unknown agent').toMatchContract({ type: 'error_message', error_code: 'UNKNOWN_AGENT' });
      await expect(
        await socket.sendExpectingError({ type: 'stop_agent', run_id: `run_${randomUUID()}` }),
        'stop of an unknown run',
      ).toMatchContract({ type: 'error_message', error_code: 'RUN_NOT_FOUND' });
      await expect(await socket.threadHistory(randomUUID()), 'history of an unknown thread').toMatchContract({
        type: 'error_message',
        error_code: 'THREAD_NOT_FOUND',
      });
      await expect(socket, 'the socket survives every error').toAnswerPing();
    },
  );

  test(
    'test_091_execution_time_reporting',
    catalog({
      checks:
        "A REST triage run's execution_time (s) lies between 0 and the request's wall time; in a data run over the " +
        'socket every tool duration (s) and execution_time_ms lie between 0 and the run wall time.',
      catches: 's/ms mix-up',
      was: 'performance_monitoring',
    }),
    async ({ api, sockets, user }) => {
      const restStart = performance.now();
      const executed = await api.post('/api/agents/execute', {
        data: { type: 'triage', message: uniqueRequest('Classify a timing question') },
      });
      const restWallS = (performance.now() - restStart) / 1000;
      await expect(executed).toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
      const { execution_time: executionTime } = await executed.json();
      expect(executionTime, 'execution_time (s) ≥ 0').toBeGreaterThanOrEqual(0);
      expect(executionTime, 'execution_time (s) ≤ the request wall time (s)').toBeLessThanOrEqual(restWallS);

      const socket = await sockets.open(user);
      const runStart = performance.now();
      const frames = await (await socket.startAgent('data', uniqueRequest('Time the metrics aggregation'))).finished();
      const runWallMs = performance.now() - runStart;
      const completed = lastFrame(frames);
      await expect(completed).toMatchContract({ type: 'agent_completed', status: 'completed' });
      expect(frames, 'the data tools complete').toPairTools(TOOL_MAP.data);
      for (const tool of frames.filter((f) => f.type === 'tool_completed')) {
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
        'A socket left idle for heartbeat_interval + QUIET_MS receives a heartbeat naming its own connection_id ' +
        '(skipped, and reported not run, when /ws/config heartbeat_interval exceeds HEARTBEAT_TEST_MAX_S).',
      catches: 'no liveness',
      was: 'alerting',
    }),
    async ({ sockets, user, request, settings }) => {
      const config = await request.get('/ws/config');
      await expect(config).toMatchContract('GET /ws/config', 200);
      const interval = (await config.json()).websocket_config.heartbeat_interval as number;
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
      await expect(heartbeat, 'the heartbeat names this connection').toMatchContract({
        type: 'heartbeat',
        data: { connection_id: socket.connectionId },
      });
    },
  );

  test(
    'test_093_config_consistency',
    catalog({
      checks: "A socket's welcome announces the same heartbeat_interval as /ws/config.",
      catches: 'config drift',
      was: 'dashboard_data',
    }),
    async ({ sockets, user, request }) => {
      const config = await request.get('/ws/config');
      await expect(config).toMatchContract('GET /ws/config', 200);
      const { websocket_config: wsConfig } = await config.json();
      const socket = await sockets.open(user);
      await expect(socket.welcome, 'welcome heartbeat_interval = /ws/config').toMatchContract({
        type: 'connection_established',
        data: { heartbeat_interval: wsConfig.heartbeat_interval },
      });
    },
  );

  test(
    'test_094_service_discovery',
    catalog({
      checks:
        '/api/discovery/services gives absolute backend (http or https), WebSocket (ws or wss) and auth (http or https) ' +
        'URLs, available true, and a timestamp that is a time (ISO or epoch: the contract does not mark it ISO).',
      catches: 'discovery schema drift',
      was: 'api_documentation',
    }),
    async ({ request }) => {
      const response = await request.get('/api/discovery/services');
      await expect(response).toMatchContract('GET /api/discovery/services', 200);
      const body = await response.json();
      for (const [name, url, schemes] of [
        ['backend url', body.services.backend.url, ['http:', 'https:']],
        ['backend ws_url', body.services.backend.ws_url, ['ws:', 'wss:']],
        ['auth url', body.services.auth.url, ['http:', 'https:']],
      ] as const) {
        const parsed = new URL(String(url));
        expect(schemes, `${name} scheme`).toContain(parsed.protocol);
        expect(parsed.host, `${name} is absolute`).not.toBe('');
      }
      expect(instant(body.timestamp), 'the discovery timestamp is a time').not.toBeNaN();
    },
  );

  test(
    'test_095_version_endpoint',
    catalog({
      checks: 'Three rounds of /health and /api/health all answer healthy with a semver version, the same one every time.',
      catches: 'mixed deploys',
    }),
    async ({ request }) => {
      const versions: string[] = [];
      for (let round = 0; round < VERSION_ROUNDS; round++) {
        for (const path of ['/health', '/api/health'] as const) {
          const response = await request.get(path);
          // The contract document holds version to semver.
          await expect(response, path).toMatchContract(`GET ${path}`, 200);
          versions.push((await response.json()).version);
        }
      }
      expect(new Set(versions).size, `one version across ${versions.length} answers: ${[...new Set(versions)].join(', ')}`).toBe(1);
    },
  );

  test(
    'test_096_golden_path_advertised',
    catalog({
      checks:
        "A socket's welcome lists golden_path_events as agent_started, agent_thinking, tool_executing, tool_completed, " +
        'agent_completed, in that order.',
      catches: 'advertised drift',
      was: 'feature_flags_real',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      await expect(socket.welcome).toMatchContract({ type: 'connection_established', data: { golden_path_events: [...GOLDEN_PATH] } });
    },
  );

  test(
    'test_097_subprotocol_negotiation',
    catalog({
      checks:
        'Offered jwt-auth and a jwt.<base64url> entry, the server selects jwt-auth; offered only the jwt.<base64url> or ' +
        'the jwt.<raw token> entry, it selects that entry; offered none (header auth), it selects none; every socket ' +
        'answers ping.',
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
      checks:
        "Every frame of a completed supervisor run has an ISO UTC timestamp within the run's time window ± CLOCK_SKEW_S, " +
        'and the timestamps never decrease within the run.',
      catches: 'clock bugs',
      was: 'analytics_events',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const from = Date.now();
      const frames = await (await socket.say(uniqueRequest('Chart daily token spend'))).finished();
      const to = Date.now();
      await expect(lastFrame(frames)).toMatchContract({ type: 'agent_completed', status: 'completed' });
      // The contract documents hold every frame's timestamp to ISO-8601 UTC.
      await expect(frames, 'every frame of the run').toMatchContract();
      frames.forEach((frame, i) =>
        expectWithinWindow(frame.timestamp, from, to, settings.clockSkewS, `frame ${i} (${frame.type}) timestamp`),
      );
      const times = frames.map((f) => instant(f.timestamp));
      expect(times, 'timestamps never decrease within the run').toEqual([...times].sort((x, y) => x - y));
    },
  );

  test(
    'test_099_unknown_type_ack',
    catalog({
      checks:
        'The old suite\'s {"type":"agent_execute"} frame and a made-up {"type":"custom_probe"} are each answered by an ' +
        'ack naming that type, status acknowledged, and no run starts (the socket then stays quiet).',
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
        const answer = await socket.waitFor((f) => f.type !== 'heartbeat', { from, what: `the answer to ${frame.type}` });
        await expect(answer, `the answer to ${frame.type}`).toMatchContract({
          type: 'ack',
          received_type: frame.type,
          status: 'acknowledged',
        });
      }
      await expect(socket, 'no run starts').toStayQuiet();
    },
  );

  test(
    'test_100_system_diagnostics',
    catalog({
      checks:
        '/health, /health/ready, /ws/health, /ws/config, /api/discovery/services and /auth/health each answer 200 with ' +
        'the body the contract gives them (/health in the configured environment).',
      catches: 'route broken',
    }),
    async ({ request, settings }) => {
      const checks: { url: string; operation: string; fields?: Record<string, unknown> }[] = [
        { url: '/health', operation: 'GET /health', fields: { environment: settings.environment } },
        { url: '/health/ready', operation: 'GET /health/ready' },
        { url: '/ws/health', operation: 'GET /ws/health' },
        { url: '/ws/config', operation: 'GET /ws/config' },
        { url: '/api/discovery/services', operation: 'GET /api/discovery/services' },
        { url: `${settings.authUrl}/auth/health`, operation: 'GET /auth/health' },
      ];
      for (const check of checks) await expect(await request.get(check.url), check.url).toMatchContract(check.operation, 200, check.fields);
    },
  );
});
