import { randomUUID } from 'node:crypto';
import { test, expect, type AgentResult, type AgentType, type Frame, type Thread } from '../../fixtures';
import { catalog, category } from '../catalog';
import { EVENT_FIELDS, ISO_UTC, SUPERVISOR_DELEGATION, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame, agentSpans, delegationOrder } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

/** Run events of contract §4 (everything a run sends). */
const RUN_EVENT_TYPES = new Set(Object.keys(EVENT_FIELDS));
/** The sub-agent that owns each tool (contract §4 "Agent content"). */
const TOOL_OWNER: Record<string, string> = Object.fromEntries(
  SUPERVISOR_DELEGATION.flatMap((agent) => TOOL_MAP[agent].map((tool) => [tool, agent])),
);

interface RunRecord {
  run_id: string;
  agent_type: string;
  status: string;
  thread_id: string;
  started_at: string;
  completed_at?: string;
}

const { title, details } = category('P3');

test.describe(title, details, () => {
  test(
    'test_041_multi_agent_workflow_real',
    catalog({
      checks: 'say(cost + capacity request) → one run_id; sub-agents first appear triage → data → optimization',
      catches: 'delegation order',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Cut our inference cost and plan GPU capacity for next quarter'));
      const frames = await run.finished();
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
      const runIds = new Set(socket.frames.filter((f) => RUN_EVENT_TYPES.has(f.type)).map((f) => f.run_id));
      expect([...runIds], 'every run event on the socket belongs to the one run').toEqual([run.runId]);
      expect(
        frames.filter((f) => f.type === 'agent_started'),
        'one agent_started',
      ).toHaveLength(1);
      expect(
        frames.filter((f) => f.type === 'agent_completed'),
        'one agent_completed',
      ).toHaveLength(1);
      expect(delegationOrder(frames), 'sub-agents in the order they first appear').toEqual([...SUPERVISOR_DELEGATION]);
    },
  );

  test(
    'test_042_agent_handoff_real',
    catalog({
      checks: 'say(text) → last triage frame before first data frame, data before optimization; tools under owner per map',
      catches: 'interleaving',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Review model usage and suggest savings'))).finished();
      const spans = agentSpans(frames);
      for (const agent of SUPERVISOR_DELEGATION) expect(spans.get(agent), `the ${agent} agent takes part`).toBeDefined();
      const [triage, data, optimization] = SUPERVISOR_DELEGATION.map((agent) => spans.get(agent)!);
      expect(triage.last, 'the last triage frame comes before the first data frame').toBeLessThan(data.first);
      expect(data.last, 'the last data frame comes before the first optimization frame').toBeLessThan(optimization.first);
      const toolFrames = frames.filter((f) => f.type === 'tool_executing' || f.type === 'tool_completed');
      expect(toolFrames.length, 'the run calls tools').toBeGreaterThan(0);
      for (const frame of toolFrames) {
        expect(frame.agent_name, `${frame.type} ${String(frame.tool_name)} is sent by the agent that owns the tool`).toBe(
          TOOL_OWNER[String(frame.tool_name)],
        );
      }
    },
  );

  test(
    'test_043_parallel_agent_execution_real',
    catalog({
      checks:
        '3 concurrent executes: triage, data, optimization → ok(type) each, distinct run_ids, tools_used ⊇ map; all in /api/agents/runs',
      catches: 'runs collide',
    }),
    async ({ api }) => {
      const types: AgentType[] = ['triage', 'data', 'optimization'];
      const responses = await Promise.all(
        types.map((type) =>
          api.post('/api/agents/execute', { data: { type, message: uniqueRequest(`Parallel ${type} check of weekly spend`) } }),
        ),
      );
      const results: AgentResult[] = [];
      for (const [i, type] of types.entries()) {
        await expect(responses[i]).toBeAgentResult(type);
        const result = (await responses[i].json()) as AgentResult;
        expect(result.tools_used, `${type} tools_used`).toEqual(expect.arrayContaining([...TOOL_MAP[type]]));
        results.push(result);
      }
      expect(new Set(results.map((r) => r.run_id)).size, 'distinct run_ids').toBe(types.length);
      const listed = await api.get('/api/agents/runs');
      expect(listed.status()).toBe(200);
      const runs = ((await listed.json()).runs as RunRecord[]).map((r) => [r.run_id, r.agent_type, r.status]);
      for (const result of results)
        expect(runs, `run ${result.run_id} is listed`).toContainEqual([result.run_id, result.agent, 'completed']);
    },
  );

  test(
    'test_044_sequential_agent_chain_real',
    catalog({
      checks: 'execute triage → data → optimization, thread_id T → each returns T; runs list newest first',
      catches: 'chain order',
    }),
    async ({ api, user }) => {
      const thread = await user.createThread();
      const runIds: string[] = [];
      for (const type of SUPERVISOR_DELEGATION) {
        const response = await api.post('/api/agents/execute', {
          data: { type, message: uniqueRequest(`Step ${type} of the chain`), thread_id: thread.id },
        });
        await expect(response).toBeAgentResult(type);
        const result = (await response.json()) as AgentResult;
        expect(result.thread_id, `${type} ran in T`).toBe(thread.id);
        runIds.push(result.run_id);
      }
      const listed = await api.get('/api/agents/runs');
      expect(listed.status()).toBe(200);
      const runs = (await listed.json()).runs as RunRecord[];
      expect(
        runs.map((r) => r.run_id),
        'runs newest first',
      ).toEqual([...runIds].reverse());
      expect(runs.map((r) => r.thread_id)).toEqual(runIds.map(() => thread.id));
      const started = runs.map((r) => Date.parse(r.started_at));
      expect(started, 'started_at never increases down the list').toEqual([...started].sort((a, b) => b - a));
    },
  );

  test(
    'test_045_agent_dependencies_real',
    catalog({
      checks: 'say(text) → each completed follows its executing (id + name); ids unique; none open at end; 5 tools',
      catches: 'tool pairing',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Check which tools explain our latency'))).finished();
      expect(frames).toPairTools(TOOL_MAP.supervisor);
      const done = frames.findIndex((f) => f.type === 'agent_completed');
      expect(done, 'the run completes').toBeGreaterThan(0);
      const lastTool = frames.map((f) => f.type).lastIndexOf('tool_completed');
      expect(lastTool, 'every tool completed before agent_completed (none open at the end)').toBeLessThan(done);
    },
  );

  test(
    'test_046_agent_communication',
    catalog({
      checks: 'say(text, T) → every frame: same run_id, thread_id T, user_id U.id; fields = data mirror',
      catches: 'context lost',
    }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Explain last week spend by team'), { threadId: thread.id });
      await run.finished();
      const events = socket.frames.filter((f) => RUN_EVENT_TYPES.has(f.type));
      expect(events.length, 'run events received').toBeGreaterThan(0);
      for (const frame of events) {
        expect({ type: frame.type, run_id: frame.run_id, thread_id: frame.thread_id, user_id: frame.user_id }).toEqual({
          type: frame.type,
          run_id: run.runId,
          thread_id: thread.id,
          user_id: user.id,
        });
      }
      expect(events).toCarryEventFields();
    },
  );

  test(
    'test_047_workflow_branching',
    catalog({
      checks: 'say(cost); say(anomaly) → result.estimated_monthly_savings number > 0; result.anomalies non-empty',
      catches: 'subject routing',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const cost = lastFrame(await (await socket.say(uniqueRequest('How much could we save on cost by switching models'))).finished());
      const anomaly = lastFrame(await (await socket.say(uniqueRequest('Find anomalies in our latency this week'))).finished());
      expect(cost).toMatchObject({ type: 'agent_completed', status: 'completed' });
      expect(anomaly).toMatchObject({ type: 'agent_completed', status: 'completed' });
      expect(cost.result, 'cost request: result.estimated_monthly_savings is a number').toMatchObject({
        estimated_monthly_savings: expect.any(Number),
      });
      expect(
        (cost.result as { estimated_monthly_savings: number }).estimated_monthly_savings,
        'estimated_monthly_savings > 0',
      ).toBeGreaterThan(0);
      expect(anomaly.result, 'anomaly request: result.anomalies is an array').toMatchObject({ anomalies: expect.any(Array) });
      expect(
        (anomaly.result as { anomalies: unknown[] }).anomalies.length,
        'anomaly request: result.anomalies is non-empty',
      ).toBeGreaterThan(0);
    },
  );

  test(
    'test_048_workflow_loops',
    catalog({ checks: 'say(text) → step_number 1..n contiguous across sub-agents; reasoning non-empty', catches: 'step counter' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Walk through our model usage step by step'))).finished();
      const thinking = frames.filter((f) => f.type === 'agent_thinking');
      for (const agent of SUPERVISOR_DELEGATION) {
        expect(thinking.filter((f) => f.agent_name === agent).length, `the ${agent} agent thinks at least once`).toBeGreaterThan(0);
      }
      expect(
        thinking.map((f) => f.step_number),
        'step_number runs 1..n across sub-agents',
      ).toEqual(thinking.map((_, i) => i + 1));
      for (const frame of thinking)
        expect(frame.reasoning, `step ${String(frame.step_number)} reasoning is non-empty`).toEqual(shapes.nonEmpty());
    },
  );

  test(
    'test_049_agent_timeout',
    catalog({ checks: 'run(data) → completes; 0 ≤ execution_time_ms ≤ observed wall time', catches: 'hung run, units' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const start = performance.now();
      const frames = await (await socket.startAgent('data', uniqueRequest('Aggregate request volume by hour'))).finished();
      const wallMs = performance.now() - start;
      const done = lastFrame(frames);
      expect(done).toMatchObject({ type: 'agent_completed', status: 'completed', execution_time_ms: expect.any(Number) });
      expect(done.execution_time_ms as number).toBeGreaterThanOrEqual(0);
      expect(
        done.execution_time_ms as number,
        `execution_time_ms is within the observed wall time (${Math.round(wallMs)} ms)`,
      ).toBeLessThanOrEqual(wallMs);
    },
  );

  test(
    'test_050_agent_retry',
    catalog({ checks: 'execute {type:"data", force_failure:true}; again without → FAIL500(data); ok(data)', catches: 'failure sticks' }),
    async ({ api }) => {
      const failed = await api.post('/api/agents/execute', {
        data: { type: 'data', message: uniqueRequest('Query usage, forced to fail'), force_failure: true },
      });
      await expect(failed).toBeAgentFailure('data');
      const retried = await api.post('/api/agents/execute', { data: { type: 'data', message: uniqueRequest('Query usage again') } });
      await expect(retried).toBeAgentResult('data');
      const listed = await api.get('/api/agents/runs');
      expect(listed.status()).toBe(200);
      const runs = (await listed.json()).runs as RunRecord[];
      expect(
        runs.map((r) => [r.agent_type, r.status]),
        'the failure is recorded, the retry succeeded (newest first)',
      ).toEqual([
        ['data', 'completed'],
        ['data', 'failed'],
      ]);
    },
  );

  test(
    'test_051_implicit_thread',
    catalog({
      checks: "say(text), no thread_id → frames carry a thread_id; it is U's; messages = text, final_response",
      catches: 'orphan run',
      was: 'agent_fallback',
    }),
    async ({ sockets, user, api }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('Summarise this month usage');
      const frames = await (await socket.say(text)).finished();
      const threadIds = [...new Set(frames.map((f) => f.thread_id))];
      expect(threadIds, 'every frame carries the same thread_id').toHaveLength(1);
      expect(threadIds[0], 'the run has a thread_id').toEqual(shapes.nonEmpty());
      const fetched = await api.get(`/api/threads/${threadIds[0]}`);
      expect(fetched.status(), "the run's thread is readable by U").toBe(200);
      expect(await fetched.json()).toMatchObject(shapes.thread(user.id));
      const listed = (await (await api.get('/api/threads?limit=100')).json()) as Thread[];
      expect(
        listed.map((t) => t.id),
        "the thread is in U's list",
      ).toContain(threadIds[0]);
      const { messages } = await user.messages(String(threadIds[0]));
      expect(messages.map((m) => [m.role, m.content])).toEqual([
        ['user', text],
        ['assistant', lastFrame(frames).final_response],
      ]);
    },
  );

  test(
    'test_052_resource_allocation',
    catalog({ checks: 'U1 opens 10 sockets; ws(U2) → 10 open; U2 opens; 11 pongs', catches: 'global cap' }),
    async ({ users, sockets }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const own = await Promise.all(Array.from({ length: 10 }, () => sockets.open(u1)));
      expect(new Set(own.map((s) => s.connectionId)).size, 'U1 holds 10 distinct connections').toBe(10);
      const other = await sockets.open(u2);
      for (const socket of [...own, other]) await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_053_control_frames_during_run',
    catalog({
      checks:
        'say(text); at once ping{timestamp}, heartbeat, {"type":"noop_x"} → each answered (pong, heartbeat_ack healthy, ack noop_x) before agent_completed; run completes in order',
      catches: 'frames break runs',
      was: 'priority_scheduling',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Compare latency across our models'));
      await run.started();
      const from = socket.frames.length;
      const stamp = `p3-${randomUUID()}`;
      await socket.send({ type: 'ping', timestamp: stamp });
      await socket.send({ type: 'heartbeat' });
      await socket.send({ type: 'noop_x' });
      const pong = await socket.waitFor('pong', { from });
      const ack = await socket.waitFor('heartbeat_ack', { from });
      const noop = await socket.waitFor('ack', { from });
      expect(pong.data?.timestamp, 'pong echoes the timestamp').toBe(stamp);
      expect(ack.data?.status).toBe('healthy');
      expect(noop).toMatchObject({ received_type: 'noop_x', status: 'acknowledged' });
      const frames = await run.finished();
      expect(frames).toFollowGoldenPath();
    },
  );

  test(
    'test_054_concurrent_thread_runs',
    catalog({
      checks: '3 say at once, one socket, T1–T3 → all complete; each thread ends with its own final_response',
      catches: 'cross-thread answers',
      was: 'load_balancing',
    }),
    async ({ sockets, user }) => {
      const threads = await Promise.all([1, 2, 3].map(() => user.createThread()));
      const socket = await sockets.open(user);
      const texts = threads.map((_, i) => uniqueRequest(`Thread ${i + 1}: report spend for project ${i + 1}`));
      const runs = await Promise.all(threads.map((t, i) => socket.say(texts[i], { threadId: t.id })));
      const results = await Promise.all(runs.map((r) => r.finished()));
      for (const [i, frames] of results.entries()) {
        expect(frames, `run ${i + 1}`).toFollowGoldenPath();
        expect(new Set(frames.map((f) => f.thread_id)), `run ${i + 1} stays in T${i + 1}`).toEqual(new Set([threads[i].id]));
        const { messages } = await user.messages(threads[i].id);
        expect(
          messages.map((m) => [m.role, m.content]),
          `T${i + 1} holds its own request and answer`,
        ).toEqual([
          ['user', texts[i]],
          ['assistant', lastFrame(frames).final_response],
        ]);
      }
    },
  );

  test(
    'test_055_agent_monitoring',
    catalog({
      checks: 'run(data); /api/agents/runs → agent_type data, same thread_id, ISO started_at ≤ completed_at; newest first',
      catches: 'runs unrecorded',
    }),
    async ({ sockets, user, api }) => {
      const socket = await sockets.open(user);
      const observed: Frame[][] = [];
      for (const n of [1, 2])
        observed.push(await (await socket.startAgent('data', uniqueRequest(`Monitoring run ${n}: query usage`))).finished());
      const listed = await api.get('/api/agents/runs');
      expect(listed.status()).toBe(200);
      const runs = (await listed.json()).runs as RunRecord[];
      expect(
        runs.map((r) => r.run_id),
        'runs newest first',
      ).toEqual(observed.map((f) => f[0].run_id).reverse());
      for (const record of runs) {
        const frames = observed.find((f) => f[0].run_id === record.run_id)!;
        expect(record).toMatchObject({
          agent_type: 'data',
          status: 'completed',
          thread_id: frames[0].thread_id,
          started_at: expect.stringMatching(ISO_UTC),
          completed_at: expect.stringMatching(ISO_UTC),
        });
        expect(Date.parse(record.started_at), 'started_at ≤ completed_at').toBeLessThanOrEqual(Date.parse(String(record.completed_at)));
      }
    },
  );
});
