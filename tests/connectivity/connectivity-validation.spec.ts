import { test, expect, type TestUser } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';

/** The fixtures a test body receives; the checks below take the ones they need. */
type Fixtures = Parameters<Parameters<typeof test>[2]>[0];
type Settings = Fixtures['settings'];
type Sockets = Fixtures['sockets'];

/** One check's measurements (ms) and what it learnt about the target, for the report. */
interface CheckResult {
  timings: Record<string, number>;
  facts?: Record<string, string>;
}

/** 001: /health and /auth/health answer 200 with their contract bodies, each within HTTP_CONNECT_MS. */
async function assertHttpConnectivity(request: Fixtures['request'], settings: Settings): Promise<CheckResult> {
  const health = await timed(() => request.get(`${settings.baseUrl}/health`, { timeout: settings.httpConnectMs }));
  await expect(health.value, `${settings.baseUrl}/health`).toMatchContract('GET /health', 200, { environment: settings.environment });
  const body = await health.value.json();
  expect(health.ms, '/health answered within HTTP_CONNECT_MS (ms)').toBeLessThanOrEqual(settings.httpConnectMs);
  const auth = await timed(() => request.get(`${settings.authUrl}/auth/health`, { timeout: settings.httpConnectMs }));
  await expect(auth.value, `${settings.authUrl}/auth/health`).toMatchContract('GET /auth/health', 200);
  expect(auth.ms, '/auth/health answered within HTTP_CONNECT_MS (ms)').toBeLessThanOrEqual(settings.httpConnectMs);
  return {
    timings: { '/health': health.ms, '/auth/health': auth.ms },
    facts: { version: String(body.version), environment: String(body.environment) },
  };
}

/**
 * 002: a socket of the user opens; ping is answered within WS_PING_MS by a pong that echoes the ping's timestamp or
 * carries the server's time (contract §4 allows either); an unknown frame type is acknowledged.
 */
async function assertWebSocketConnectivity(sockets: Sockets, user: TestUser, settings: Settings): Promise<CheckResult> {
  const { value: socket, ms: handshake } = await timed(() => sockets.open(user));
  const { pong, stamp, rttMs, answer } = await socket.ping();
  await expect(pong, 'the answer to ping').toMatchContract({ type: 'pong' });
  const answered = JSON.stringify((pong.data as { timestamp?: unknown }).timestamp);
  expect(answer, `pong data.timestamp ${answered} echoes ${JSON.stringify(stamp)} or is the server's time`).toBeDefined();
  expect(rttMs, 'ping → pong within WS_PING_MS (ms)').toBeLessThanOrEqual(settings.wsPingMs);
  const from = socket.frames.length;
  await socket.send({ type: 'connectivity_test' });
  const ack = await socket.waitFor('ack', { from });
  await expect(ack, 'an unknown frame type is acknowledged').toMatchContract({
    type: 'ack',
    received_type: 'connectivity_test',
    status: 'acknowledged',
  });
  await socket.close(1000);
  return { timings: { handshake, 'ping → pong': rttMs } };
}

/** 003: an upgrade without a token is refused with HTTP 403 (no socket, no frame-level error); a triage run completes. */
async function assertAgentRequestPipeline(sockets: Sockets, user: TestUser): Promise<CheckResult> {
  const anonymous = await sockets.upgrade({});
  expect(anonymous.status, `upgrade without a token is refused with HTTP 403 (${String(anonymous.error)})`).toBe(403);
  expect(anonymous.socket, 'no WebSocket is opened without a token').toBeUndefined();
  const socket = await sockets.open(user);
  const start = performance.now();
  const run = await socket.startAgent('triage', uniqueRequest('Route this connectivity check to the right agent'));
  const started = await run.started();
  const firstEvent = performance.now() - start;
  await expect(started, 'the triage run starts').toMatchContract({ type: 'agent_started', agent_name: 'triage', user_id: user.id });
  const frames = await run.finished();
  const complete = performance.now() - start;
  await expect(lastFrame(frames), 'the triage run completes').toMatchContract({ type: 'agent_completed', status: 'completed' });
  await socket.close(1000);
  return { timings: { 'first agent event': firstEvent, 'run complete': complete } };
}

const CHECKS = ['HTTP connectivity', 'WebSocket connectivity', 'Agent request pipeline'] as const;

/** The Markdown connectivity report: target, version, and each check's timings (a check not reached is "not run"). */
function renderReport(settings: Settings, results: Map<string, CheckResult>): string {
  const ms = (value: number) => `${Math.round(value)} ms`;
  const version = results.get('HTTP connectivity')?.facts?.version ?? 'unknown';
  const rows = CHECKS.map((name) => {
    const result = results.get(name);
    const timings = result
      ? Object.entries(result.timings)
          .map(([what, value]) => `${what} ${ms(value)}`)
          .join(', ')
      : '';
    return `| ${name} | ${result ? 'passed' : 'failed or not run'} | ${timings} |`;
  });
  return [
    '# Connectivity report',
    '',
    `- Generated: ${new Date().toISOString()}`,
    `- Backend: ${settings.baseUrl} (version ${version}, environment ${settings.environment})`,
    `- Auth service: ${settings.authUrl}`,
    `- WebSocket: ${settings.wsUrl}`,
    `- Thresholds: HTTP_CONNECT_MS ${settings.httpConnectMs}, WS_HANDSHAKE_MS ${settings.wsHandshakeMs}, ` +
      `WS_PING_MS ${settings.wsPingMs}, FIRST_EVENT_MS ${settings.firstEventMs}, RUN_COMPLETE_MS ${settings.runCompleteMs}`,
    '',
    '| check | result | timings |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const { title, details } = category('connectivity');

test.describe(title, details, () => {
  test(
    'test_001_http_connectivity',
    catalog({
      checks: "/health and /auth/health each answer 200 with the contract's healthy body within HTTP_CONNECT_MS.",
      catches: 'unreachable',
    }),
    async ({ request, settings }) => {
      await assertHttpConnectivity(request, settings);
    },
  );

  test(
    'test_002_websocket_connectivity',
    catalog({
      checks:
        'A socket of the user opens; a ping is answered within WS_PING_MS by a pong that echoes its timestamp or carries the ' +
        "server's time; a frame of type connectivity_test is acknowledged with received_type connectivity_test.",
      catches: 'socket path',
    }),
    async ({ sockets, user, settings }) => {
      await assertWebSocketConnectivity(sockets, user, settings);
    },
  );

  test(
    'test_003_agent_request_pipeline',
    catalog({
      checks:
        'An upgrade without a token is refused with HTTP 403 and opens no socket; a triage run of the user starts within ' +
        'FIRST_EVENT_MS and completes.',
      catches: 'agent path',
    }),
    async ({ sockets, user }) => {
      await assertAgentRequestPipeline(sockets, user);
    },
  );

  test(
    'test_004_generate_connectivity_report',
    catalog({
      checks:
        'Runs the checks of 001 to 003 itself and each passes; a Markdown report of the target (version, timings) is attached, ' +
        'never asserted on.',
      catches: '—',
    }),
    async ({ request, sockets, user, settings }, testInfo) => {
      const results = new Map<string, CheckResult>();
      try {
        results.set(CHECKS[0], await test.step(CHECKS[0], () => assertHttpConnectivity(request, settings)));
        results.set(CHECKS[1], await test.step(CHECKS[1], () => assertWebSocketConnectivity(sockets, user, settings)));
        results.set(CHECKS[2], await test.step(CHECKS[2], () => assertAgentRequestPipeline(sockets, user)));
      } finally {
        // Attached whatever happened, and never asserted on: the checks above carry the verdict.
        await testInfo.attach('connectivity-report.md', { body: renderReport(settings, results), contentType: 'text/markdown' });
      }
    },
  );
});
