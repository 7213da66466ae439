import { test, expect, type AgentResult, type Frame } from '../../fixtures';
import { catalog, category } from '../catalog';
import { AGENT_TYPES, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-03');

test.describe(title, details, () => {
  test(
    '3.1 test_real_agent_discovery',
    catalog({ checks: '/api/agents, with and without A(U) → 4 types: name, description, tools[]; 403NA', catches: 'catalog, auth' }),
    async ({ api, request }) => {
      const response = await api.get('/api/agents');
      expect(response.status()).toBe(200);
      const agents = (await response.json()).agents as { type: string; tools: string[] }[];
      expect(agents.map((a) => a.type).sort(), 'the four agent types').toEqual([...AGENT_TYPES].sort());
      for (const type of AGENT_TYPES) {
        expect(
          agents.find((a) => a.type === type),
          `agent ${type}`,
        ).toMatchObject({
          name: shapes.nonEmpty(),
          description: shapes.nonEmpty(),
          tools: expect.arrayContaining([...TOOL_MAP[type]]),
        });
      }
      await expect(await request.get('/api/agents'), '/api/agents without a token').toBeContractError(403, 'Not authenticated');
    },
  );

  test(
    '3.2 test_real_agent_configuration',
    catalog({ checks: 'POST /api/agents/{type} × 4 types → ok(type); tools_used ⊇ map', catches: 'tool wiring' }),
    async ({ api }) => {
      const responses = await Promise.all(
        AGENT_TYPES.map((type) =>
          api.post(`/api/agents/${type}`, { data: { message: uniqueRequest(`Check our ${type} setup for cost savings`) } }),
        ),
      );
      for (const [i, type] of AGENT_TYPES.entries()) {
        await expect(responses[i]).toBeAgentResult(type);
        const result = (await responses[i].json()) as AgentResult;
        expect(result.tools_used, `${type} uses its tools`).toEqual(expect.arrayContaining([...TOOL_MAP[type]]));
      }
    },
  );

  test(
    '3.3 test_real_agent_pipeline_execution',
    catalog({
      checks: 'run(data, T) → GP order; data tools; result object; final_response ≥ FINAL_RESPONSE_MIN_CHARS; T gets text, final',
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
      expect(done.result, 'result is an object').toEqual(expect.any(Object));
      expect(Array.isArray(done.result), 'result is not an array').toBe(false);
      expect(String(done.final_response).length, 'final_response length').toBeGreaterThanOrEqual(settings.finalResponseMinChars);
      const { messages } = await user.messages(thread.id);
      expect(
        messages.map((m) => [m.role, m.content]),
        'the thread holds the request and the answer',
      ).toEqual([
        ['user', text],
        ['assistant', done.final_response],
      ]);
    },
  );

  test(
    '3.4 test_real_agent_lifecycle_monitoring',
    catalog({ checks: 'as 3.3; runs/{run_id} → events = observed type sequence', catches: 'log diverges' }),
    async ({ sockets, user, api }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const frames = await (
        await socket.startAgent('data', uniqueRequest('Report throughput per model for the last week'), { threadId: thread.id })
      ).finished();
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
      const runId = String(frames[0].run_id);
      const record = await api.get(`/api/agents/runs/${runId}`);
      expect(record.status()).toBe(200);
      const run = await record.json();
      expect(run).toMatchObject({ run_id: runId, agent_type: 'data', status: 'completed', thread_id: thread.id });
      expect(run.events, 'the run log lists the observed events in order').toEqual(frames.map((f: Frame) => f.type));
    },
  );

  test(
    '3.5 test_real_pipeline_error_handling',
    catalog({
      checks: "start_agent type bogus; U2's thread; execute type bogus → ERR(UNKNOWN_AGENT); ERR(THREAD_ACCESS_DENIED); quiet; 422",
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
      expect(unknown, 'start_agent with an unknown type').toBeErrorFrame('UNKNOWN_AGENT');
      const denied = await socket.sendExpectingError({
        type: 'start_agent',
        agent_type: 'data',
        user_request: uniqueRequest('Read that thread'),
        thread_id: foreign.id,
      });
      expect(denied, "start_agent on another user's thread").toBeErrorFrame('THREAD_ACCESS_DENIED');
      await expect(socket, 'neither request starts a run').toStayQuiet();
      expect((await other.messages(foreign.id)).total, "the other user's thread is untouched").toBe(0);
      await expect(
        await api.post('/api/agents/execute', { data: { type: 'bogus', message: uniqueRequest('Classify this request') } }),
        'execute with an unknown type',
      ).toBeContractError(422);
      expect((await (await api.get('/api/agents/runs')).json()).runs, 'no run was recorded').toEqual([]);
    },
  );

  test(
    '3.6 test_real_pipeline_metrics',
    catalog({ checks: 'run(optimization) → completes; execution_time_ms ≥ 0; durations ≥ 0', catches: 'metrics missing' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('optimization', uniqueRequest('Find cost savings across our model fleet'))).finished();
      const done = lastFrame(frames);
      expect(done).toMatchObject({ type: 'agent_completed', status: 'completed', execution_time_ms: expect.any(Number) });
      expect(done.execution_time_ms, 'execution_time_ms').toBeGreaterThanOrEqual(0);
      const durations = frames.filter((f) => f.type === 'tool_completed').map((f) => f.duration);
      expect(durations, 'a tool_completed per optimization tool').toHaveLength(TOOL_MAP.optimization.length);
      for (const duration of durations) {
        expect(duration, 'tool duration (s)').toEqual(expect.any(Number));
        expect(duration).toBeGreaterThanOrEqual(0);
      }
    },
  );
});
