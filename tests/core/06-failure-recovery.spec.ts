import { test, expect } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';
import { disconnectMidRun } from './recovery';

const { title, details } = category('core-06');

test.describe(title, details, () => {
  test('6.1 test_basic_functionality', catalog({ checks: 'execute triage → ok(triage)', catches: 'baseline' }), async ({ api }) => {
    const response = await api.post('/api/agents/execute', {
      data: { type: 'triage', message: uniqueRequest('Route this outage report to the right team') },
    });
    await expect(response).toBeAgentResult('triage');
  });

  test(
    '6.2 test_failure_detection',
    catalog({
      checks:
        'REST force_failure: triage, data, optimization; WS run(data) with context.force_failure → FAIL500(type) each; agent_started then agent_error AGENT_FAILED, quiet; runs/{id} status failed',
      catches: 'masked failure',
    }),
    async ({ api, sockets, user }) => {
      for (const type of ['triage', 'data', 'optimization'] as const) {
        const response = await api.post('/api/agents/execute', {
          data: { type, message: uniqueRequest(`Fail the ${type} agent on purpose`), force_failure: true },
        });
        await expect(response, `REST ${type} run with force_failure`).toBeAgentFailure(type);
      }
      const socket = await sockets.open(user);
      const run = await socket.startAgent('data', uniqueRequest('Query usage data, failing on purpose'), {
        context: { force_failure: true },
      });
      const frames = await run.finished();
      expect(
        frames.map((f) => f.type),
        'a forced failure sends agent_started, then agent_error',
      ).toEqual(['agent_started', 'agent_error']);
      expect(lastFrame(frames)).toMatchObject({
        error_code: 'AGENT_FAILED',
        error_message: shapes.nonEmpty(),
        agent_name: 'data',
        user_id: user.id,
      });
      await expect(socket).toStayQuiet({ match: (f) => f.run_id === run.runId });
      const record = await user.api.get(`/api/agents/runs/${run.runId}`);
      expect(record.status()).toBe(200);
      expect(await record.json(), 'the run is recorded as failed').toMatchObject({
        run_id: run.runId,
        agent_type: 'data',
        status: 'failed',
      });
    },
  );

  test(
    '6.3 test_retry_strategies',
    catalog({
      checks:
        'non-JSON, empty message, unknown agent; run(data), same socket → ERR: JSON_PARSE_ERROR, INVALID_MESSAGE, UNKNOWN_AGENT; run completes, GP order',
      catches: 'socket poisoned',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      expect(await socket.sendExpectingError('{"type": "user_message", "content": ')).toBeErrorFrame('JSON_PARSE_ERROR');
      expect(await socket.sendExpectingError({ type: 'user_message', content: '' })).toBeErrorFrame('INVALID_MESSAGE');
      expect(
        await socket.sendExpectingError({
          type: 'start_agent',
          agent_type: 'bogus',
          user_request: uniqueRequest('Run an agent that does not exist'),
        }),
      ).toBeErrorFrame('UNKNOWN_AGENT');
      const frames = await (await socket.startAgent('data', uniqueRequest('Aggregate request volume after the errors'))).finished();
      expect(frames, 'the same socket still runs agents after three rejected frames').toFollowGoldenPath();
    },
  );

  test(
    '6.4 test_circuit_breaker',
    catalog({ checks: 'U1 force_failure data while U2 executes data → FAIL500(data); ok(data)', catches: 'cross-user trip' }),
    async ({ users }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const [failing, healthy] = await Promise.all([
        u1.api.post('/api/agents/execute', {
          data: { type: 'data', message: uniqueRequest('Query spend, failing on purpose'), force_failure: true },
        }),
        u2.api.post('/api/agents/execute', { data: { type: 'data', message: uniqueRequest('Query spend for the last week') } }),
      ]);
      await expect(failing, "U1's forced failure").toBeAgentFailure('data');
      await expect(healthy, "U2's run at the same time is not tripped by U1's failure").toBeAgentResult('data');
    },
  );

  test(
    '6.5 test_graceful_degradation',
    catalog({ checks: 'frame > max_message_size; reconnect → close 1009; ws(U) opens; /api/threads 200', catches: 'session poisoned' }),
    async ({ sockets, user, api, request, settings }) => {
      const config = await request.get('/ws/config');
      expect(config.status()).toBe(200);
      const maxSize = (await config.json()).websocket_config.max_message_size as number;
      expect(maxSize, 'max_message_size').toBeGreaterThan(0);
      const socket = await sockets.open(user);
      const head = JSON.stringify({ type: 'oversize_probe', pad: '' });
      const frame = JSON.stringify({ type: 'oversize_probe', pad: 'x'.repeat(maxSize + 1 - Buffer.byteLength(head)) });
      await socket.sendRaw(frame, 'oversize_probe');
      const stillOpen = new Promise<{ code: string }>((resolve) =>
        setTimeout(() => resolve({ code: 'still open' }), settings.quietMs).unref(),
      );
      const closed = await Promise.race([socket.closed, stillOpen]);
      expect(closed.code, 'an oversized frame closes the socket with 1009 (within QUIET_MS)').toBe(1009);
      const again = await sockets.open(user);
      await expect(again).toAnswerPing();
      const threads = await api.get('/api/threads');
      expect(threads.status(), 'the session still works over REST').toBe(200);
      expect(Array.isArray(await threads.json())).toBe(true);
    },
  );

  test(
    '6.6 test_recovery_metrics',
    catalog({
      checks:
        'As 5.6: frames delivered live before the disconnect are not flagged recovered; the run log ' +
        '(/api/agents/runs/{run_id}) lists every event of the run, live and recovered, in the order they were received.',
      catches: 'recovery unlogged',
    }),
    async ({ sockets, user, settings }) => {
      const text = uniqueRequest('Review our model spend while I reconnect');
      const { runId, before, after } = await disconnectMidRun(sockets, user, text, { delayMs: settings.runDelayMs });
      expect(
        before.map((f) => f.type),
        'the first socket saw agent_started',
      ).toContain('agent_started');
      expect(
        before.filter((f) => f.recovered).map((f) => f.type),
        'frames delivered live are not flagged recovered',
      ).toEqual([]);
      expect(after.length, 'frames arrive on the new socket').toBeGreaterThan(0);
      const received = [...before, ...after];
      expect(received, 'the run so far, nothing lost or repeated').toFollowGoldenPath('stopped');
      await expect
        .poll(async () => (await user.api.get(`/api/agents/runs/${runId}`)).json(), {
          message: 'the run log lists every event, live and recovered, in order',
          timeout: settings.settleMs,
        })
        .toMatchObject({ run_id: runId, agent_type: 'supervisor', status: lastFrame(after).status, events: received.map((f) => f.type) });
    },
  );
});
