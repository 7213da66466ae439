import { test, expect, type AgentResult } from '../../fixtures';
import { catalog, category } from '../catalog';
import { AGENT_TYPES, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame, toolNames } from '../../fixtures/client/frames';
import { roleContents } from '../../fixtures/client/messages';
import { uniqueRequest } from '../../fixtures/client/unique';

const { title, details } = category('core-03');

test.describe(title, details, () => {
  test(
    '3.1 test_real_agent_discovery',
    catalog({
      checks:
        'With a token, /api/agents lists triage, data, optimization and supervisor, each with a name, a description and ' +
        'its tools; without a token it is 403 "Not authenticated".',
      catches: 'catalog, auth',
    }),
    async ({ api, request }) => {
      const response = await api.get('/api/agents');
      await expect(response).toMatchContract('GET /api/agents', 200);
      const agents = (await response.json()).agents as { type: string; tools: unknown }[];
      for (const type of AGENT_TYPES) {
        expect(toolNames(agents.find((a) => a.type === type)?.tools), `agent ${type} lists its tools`).toEqual(
          expect.arrayContaining([...TOOL_MAP[type]]),
        );
      }
      await expect(await request.get('/api/agents'), '/api/agents without a token').toMatchContract('GET /api/agents', 403, {
        detail: 'Not authenticated',
      });
    },
  );

  test(
    '3.2 test_real_agent_configuration',
    catalog({
      checks: 'A REST run of each agent type on /api/agents/{type} succeeds as an AgentResult of that type, using at least its own tools.',
      catches: 'tool wiring',
    }),
    async ({ api }) => {
      const responses = await Promise.all(
        AGENT_TYPES.map((type) =>
          api.post(`/api/agents/${type}`, { data: { message: uniqueRequest(`Check our ${type} setup for cost savings`) } }),
        ),
      );
      for (const [i, type] of AGENT_TYPES.entries()) {
        await expect(responses[i], `${type} run`).toMatchContract('POST /api/agents/{type}', 200, { agent: type });
        const result = (await responses[i].json()) as AgentResult;
        expect(toolNames(result.tools_used), `${type} uses its tools`).toEqual(expect.arrayContaining([...TOOL_MAP[type]]));
      }
    },
  );

  test(
    '3.3 test_real_agent_pipeline_execution',
    catalog({
      checks:
        'A data run in a thread follows the golden path with data_query and metrics_aggregator paired, completes with an ' +
        'object result and a final_response of at least FINAL_RESPONSE_MIN_CHARS, and the thread comes to hold the request ' +
        'and that answer.',
      catches: 'pipeline gaps',
    }),
    async ({ sockets, user, settings }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const text = uniqueRequest('Analyse request latency and volume per model over the last month');
      const frames = await (await socket.startAgent('data', text, { threadId: thread.id })).finished();
      expect(frames).toFollowGoldenPath();
      expect(frames, 'the data agent runs data_query and metrics_aggregator').toPairTools(TOOL_MAP.data);
      const done = lastFrame(frames);
      await expect(done, 'a completed run with an object result').toMatchContract({ type: 'agent_completed', status: 'completed' });
      expect(String(done.final_response).length, 'final_response length').toBeGreaterThanOrEqual(settings.finalResponseMinChars);
      await expect
        .poll(async () => roleContents((await user.messages(thread.id)).messages), {
          message: 'the thread holds the request and the answer',
          timeout: settings.settleMs,
        })
        .toEqual([
          ['user', text],
          ['assistant', done.final_response],
        ]);
    },
  );

  test(
    '3.4 test_real_agent_lifecycle_monitoring',
    catalog({
      checks:
        'After a data run in a thread completes, its record on /api/agents/runs/{run_id} comes to show a completed data ' +
        'run of that thread whose events list is the sequence of event types the socket received.',
      catches: 'log diverges',
    }),
    async ({ sockets, user, api, settings }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const frames = await (
        await socket.startAgent('data', uniqueRequest('Report throughput per model for the last week'), { threadId: thread.id })
      ).finished();
      await expect(lastFrame(frames)).toMatchContract({ type: 'agent_completed', status: 'completed' });
      const runId = String(frames[0].run_id);
      await expect
        .poll(async () => (await api.get(`/api/agents/runs/${runId}`)).json(), {
          message: 'the run log lists the observed events in order',
          timeout: settings.settleMs,
        })
        .toMatchObject({ run_id: runId, agent_type: 'data', status: 'completed', thread_id: thread.id, events: frames.map((f) => f.type) });
      await expect(await api.get(`/api/agents/runs/${runId}`)).toMatchContract('GET /api/agents/runs/{run_id}', 200, { run_id: runId });
    },
  );

  test(
    '3.5 test_real_pipeline_error_handling',
    catalog({
      checks:
        "start_agent with an unknown type gets UNKNOWN_AGENT and on another user's thread THREAD_ACCESS_DENIED; neither " +
        'starts a run (the socket stays quiet, that thread stays empty); execute with an unknown type is 422; no run is recorded.',
      catches: 'bad input runs',
    }),
    async ({ users, user, sockets, api }) => {
      const other = await users.create();
      const foreign = await other.createThread();
      const socket = await sockets.open(user);
      const unknown = await socket.sendExpectingError({
        type: 'start_agent',
        agent_type: 'bogus',
        user_request: uniqueRequest('Classify this request'),
      });
      await expect(unknown, 'start_agent with an unknown type').toMatchContract({ type: 'error_message', error_code: 'UNKNOWN_AGENT' });
      const denied = await socket.sendExpectingError({
        type: 'start_agent',
        agent_type: 'data',
        user_request: uniqueRequest('Read that thread'),
        thread_id: foreign.id,
      });
      await expect(denied, "start_agent on another user's thread").toMatchContract({
        type: 'error_message',
        error_code: 'THREAD_ACCESS_DENIED',
      });
      await expect(socket, 'neither request starts a run').toStayQuiet();
      expect((await other.messages(foreign.id)).total, "the other user's thread is untouched").toBe(0);
      await expect(
        await api.post('/api/agents/execute', { data: { type: 'bogus', message: uniqueRequest('Classify this request') } }),
        'execute with an unknown type',
      ).toMatchContract('POST /api/agents/execute', 422);
      const runs = await api.get('/api/agents/runs');
      await expect(runs).toMatchContract('GET /api/agents/runs', 200);
      expect((await runs.json()).runs, 'no run was recorded').toHaveLength(0);
    },
  );

  test(
    '3.6 test_real_pipeline_metrics',
    catalog({
      checks:
        'An optimization run completes with an execution_time_ms of at least 0, and every tool call it makes completes ' +
        'with a duration of at least 0.',
      catches: 'metrics missing',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('optimization', uniqueRequest('Find cost savings across our model fleet'))).finished();
      await expect(frames, 'every event, with its metrics, as the contract gives it').toMatchContract();
      const done = lastFrame(frames);
      await expect(done).toMatchContract({ type: 'agent_completed', status: 'completed' });
      expect(done.execution_time_ms, 'execution_time_ms').toBeGreaterThanOrEqual(0);
      expect(frames, 'each tool call completes with a duration of at least 0').toPairTools(TOOL_MAP.optimization);
    },
  );
});
