import { test, expect } from '../../fixtures';
import { catalog, category } from '../catalog';
import { FORCED_FAILURE } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { disconnectMidRun } from './recovery';

const { title, details } = category('core-06');

test.describe(title, details, () => {
  test(
    '6.1 test_basic_functionality',
    catalog({ checks: 'A REST triage run on /api/agents/execute succeeds as an AgentResult of triage.', catches: 'baseline' }),
    async ({ api }) => {
      const response = await api.post('/api/agents/execute', {
        data: { type: 'triage', message: uniqueRequest('Route this outage report to the right team') },
      });
      await expect(response).toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
    },
  );

  test(
    '6.2 test_failure_detection',
    catalog({
      checks:
        'REST runs of triage, data and optimization with force_failure each answer 500 with status error and their agent; ' +
        'a WebSocket data run with context.force_failure sends agent_started then agent_error AGENT_FAILED, nothing more, ' +
        'and its record comes to show it failed.',
      catches: 'masked failure',
    }),
    async ({ api, sockets, user, settings }) => {
      for (const type of ['triage', 'data', 'optimization'] as const) {
        const response = await api.post('/api/agents/execute', {
          data: { type, message: uniqueRequest(`Fail the ${type} agent on purpose`), ...FORCED_FAILURE },
        });
        await expect(response, `REST ${type} run with force_failure`).toMatchContract('POST /api/agents/execute', 500, {
          status: 'error',
          agent: type,
        });
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
      await expect(lastFrame(frames)).toMatchContract({
        type: 'agent_error',
        error_code: 'AGENT_FAILED',
        agent_name: 'data',
        user_id: user.id,
      });
      await expect(socket, 'nothing follows agent_error').toStayQuiet({ match: (f) => f.run_id === run.runId });
      await expect
        .poll(async () => (await user.api.get(`/api/agents/runs/${run.runId}`)).json(), {
          message: 'the run is recorded as failed',
          timeout: settings.settleMs,
        })
        .toMatchObject({ run_id: run.runId, agent_type: 'data', status: 'failed' });
    },
  );

  test(
    '6.3 test_retry_strategies',
    catalog({
      checks:
        'On one socket, a non-JSON frame, an empty user_message and an unknown agent type get JSON_PARSE_ERROR, ' +
        'INVALID_MESSAGE and UNKNOWN_AGENT; a data run on the same socket then completes along the golden path.',
      catches: 'socket poisoned',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      await expect(await socket.sendExpectingError('{"type": "user_message", "content": '), 'a non-JSON frame').toMatchContract({
        type: 'error_message',
        error_code: 'JSON_PARSE_ERROR',
      });
      await expect(await socket.sendExpectingError({ type: 'user_message', content: '' }), 'an empty user_message').toMatchContract({
        type: 'error_message',
        error_code: 'INVALID_MESSAGE',
      });
      await expect(
        await socket.sendExpectingError({
          type: 'start_agent',
          agent_type: 'bogus',
          user_request: uniqueRequest('Run an agent that does not exist'),
        }),
        'an unknown agent type',
      ).toMatchContract({ type: 'error_message', error_code: 'UNKNOWN_AGENT' });
      const frames = await (await socket.startAgent('data', uniqueRequest('Aggregate request volume after the errors'))).finished();
      expect(frames, 'the same socket still runs agents after three rejected frames').toFollowGoldenPath();
    },
  );

  test(
    '6.4 test_circuit_breaker',
    catalog({
      checks:
        "U1's REST data run with force_failure answers 500 with status error, while U2's data run at the same time " +
        'succeeds as an AgentResult of data.',
      catches: 'cross-user trip',
    }),
    async ({ users }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const [failing, healthy] = await Promise.all([
        u1.api.post('/api/agents/execute', {
          data: { type: 'data', message: uniqueRequest('Query spend, failing on purpose'), ...FORCED_FAILURE },
        }),
        u2.api.post('/api/agents/execute', { data: { type: 'data', message: uniqueRequest('Query spend for the last week') } }),
      ]);
      await expect(failing, "U1's forced failure").toMatchContract('POST /api/agents/execute', 500, { status: 'error', agent: 'data' });
      await expect(healthy, "U2's run at the same time is not tripped by U1's failure").toMatchContract('POST /api/agents/execute', 200, {
        agent: 'data',
      });
    },
  );

  test(
    '6.5 test_graceful_degradation',
    catalog({
      checks:
        'A frame one byte over /ws/config max_message_size closes the socket with 1009 within QUIET_MS; a new socket of ' +
        'the user then opens and answers ping, and /api/threads still answers 200.',
      catches: 'session poisoned',
    }),
    async ({ sockets, user, api, request, settings }) => {
      const config = await request.get('/ws/config');
      await expect(config).toMatchContract('GET /ws/config', 200);
      const maxSize = (await config.json()).websocket_config.max_message_size as number;
      expect(maxSize, 'max_message_size').toBeGreaterThan(0);
      const socket = await sockets.open(user);
      const head = JSON.stringify({ type: 'oversize_probe', pad: '' });
      const frame = JSON.stringify({ type: 'oversize_probe', pad: 'x'.repeat(maxSize + 1 - Buffer.byteLength(head)) });
      await socket.sendRaw(frame, 'oversize_probe');
      const closed = await socket.closedWithin(settings.quietMs);
      expect(closed?.code, 'an oversized frame closes the socket with 1009 (within QUIET_MS)').toBe(1009);
      const again = await sockets.open(user);
      await expect(again).toAnswerPing();
      await expect(await api.get('/api/threads'), 'the session still works over REST').toMatchContract('GET /api/threads', 200);
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
