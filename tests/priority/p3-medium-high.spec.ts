import type { APIRequestContext } from '@playwright/test';
import { test, expect, type AgentResult, type AgentType, type Frame } from '../../fixtures';
import { runEventTypes } from '../../contract';
import { FORCED_FAILURE, isTerminal, SUPERVISOR_DELEGATION, TOOL_MAP } from '../../fixtures/client/contract';
import { agentSpans, delegationOrder, lastFrame, toolNames } from '../../fixtures/client/frames';
import { roleContents } from '../../fixtures/client/messages';
import { instant } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import { catalog, category } from '../catalog';

/** Run events of contract §4 (everything a run sends). */
const RUN_EVENT_TYPES = new Set(runEventTypes());
/** The sub-agent that owns each tool (contract §4 "Agent content"). */
const TOOL_OWNER: Record<string, string> = Object.fromEntries(
  SUPERVISOR_DELEGATION.flatMap((agent) => TOOL_MAP[agent].map((tool) => [tool, agent])),
);

/** An item of GET /api/agents/runs; the times are in a form the contract leaves to the target. */
interface RunRecord {
  run_id: string;
  agent_type: string;
  status: string;
  thread_id: string;
  started_at: unknown;
  completed_at?: unknown;
}

/** The caller's runs, newest first (read inside polls: a run's final status may take SETTLE_MS to show). */
async function listRuns(api: APIRequestContext): Promise<RunRecord[]> {
  return (await (await api.get('/api/agents/runs')).json()).runs as RunRecord[];
}

const { title, details } = category('P3');

test.describe(title, details, () => {
  test(
    'test_041_multi_agent_workflow_real',
    catalog({
      checks:
        'A cost and capacity request over user_message completes as one run (one run_id, one agent_started, one ' +
        'agent_completed), whose sub-agents first appear in the order triage, data, optimization.',
      catches: 'delegation order',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Cut our inference cost and plan GPU capacity for next quarter'));
      const frames = await run.finished();
      await expect(lastFrame(frames)).toMatchContract({ type: 'agent_completed', status: 'completed' });
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
      checks:
        "A supervisor run hands off without interleaving: triage's last frame comes before data's first, data's last " +
        "before optimization's first, and every tool frame is sent by the sub-agent that owns the tool.",
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
        'Three REST runs at once (triage, data, optimization) each succeed as an AgentResult of their type with distinct ' +
        "run ids and at least their agent's tools in tools_used; the runs list shows each of them completed.",
      catches: 'runs collide',
    }),
    async ({ api, settings }) => {
      const types: AgentType[] = ['triage', 'data', 'optimization'];
      const responses = await Promise.all(
        types.map((type) =>
          api.post('/api/agents/execute', { data: { type, message: uniqueRequest(`Parallel ${type} check of weekly spend`) } }),
        ),
      );
      const results: AgentResult[] = [];
      for (const [i, type] of types.entries()) {
        await expect(responses[i], `the ${type} run`).toMatchContract('POST /api/agents/execute', 200, { agent: type });
        const result = (await responses[i].json()) as AgentResult;
        expect(toolNames(result.tools_used), `${type} tools_used`).toEqual(expect.arrayContaining([...TOOL_MAP[type]]));
        results.push(result);
      }
      expect(new Set(results.map((r) => r.run_id)).size, 'distinct run_ids').toBe(types.length);
      await expect(await api.get('/api/agents/runs')).toMatchContract('GET /api/agents/runs', 200);
      await expect
        .poll(async () => (await listRuns(api)).map((r) => [r.run_id, r.agent_type, r.status]), {
          message: 'each run is listed, completed',
          timeout: settings.settleMs,
        })
        .toEqual(expect.arrayContaining(results.map((r) => [r.run_id, r.agent, 'completed'])));
    },
  );

  test(
    'test_044_sequential_agent_chain_real',
    catalog({
      checks:
        'REST runs of triage, then data, then optimization in one thread each succeed in that thread; the runs list ' +
        'holds them newest first, all in that thread, with started_at never increasing down the list.',
      catches: 'chain order',
    }),
    async ({ api, user, settings }) => {
      const thread = await user.createThread();
      const runIds: string[] = [];
      for (const type of SUPERVISOR_DELEGATION) {
        const response = await api.post('/api/agents/execute', {
          data: { type, message: uniqueRequest(`Step ${type} of the chain`), thread_id: thread.id },
        });
        await expect(response, `the ${type} run`).toMatchContract('POST /api/agents/execute', 200, { agent: type, thread_id: thread.id });
        runIds.push(((await response.json()) as AgentResult).run_id);
      }
      await expect
        .poll(async () => (await listRuns(api)).map((r) => [r.run_id, r.thread_id]), {
          message: 'the runs newest first, each in the thread',
          timeout: settings.settleMs,
        })
        .toEqual([...runIds].reverse().map((id) => [id, thread.id]));
      const listed = await api.get('/api/agents/runs');
      await expect(listed).toMatchContract('GET /api/agents/runs', 200);
      const started = ((await listed.json()).runs as RunRecord[]).map((r) => instant(r.started_at));
      for (const at of started) expect(at, 'started_at is a time').not.toBeNaN();
      expect(started, 'started_at never increases down the list').toEqual([...started].sort((a, b) => b - a));
    },
  );

  test(
    'test_045_agent_dependencies_real',
    catalog({
      checks:
        'In a supervisor run every tool_completed follows its own tool_executing (same execution_id and tool name), ' +
        'execution ids are unique, all five tools are used, and no tool call is still open when agent_completed arrives.',
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
      checks:
        "Every event of a supervisor run in thread T carries the run's run_id, thread T and the user's id, and " +
        'matches the contract, its own fields mirrored under data.',
      catches: 'context lost',
    }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Explain last week spend by team'), { threadId: thread.id });
      await run.finished();
      const events = socket.frames.filter((f) => RUN_EVENT_TYPES.has(f.type));
      await expect(events, 'every run event on the socket').toMatchContract({ run_id: run.runId, thread_id: thread.id, user_id: user.id });
    },
  );

  test(
    'test_047_workflow_branching',
    catalog({
      checks:
        'A cost request completes with a positive number as result.estimated_monthly_savings; an anomaly request ' +
        'completes with a non-empty result.anomalies.',
      catches: 'subject routing',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const cost = lastFrame(await (await socket.say(uniqueRequest('How much could we save on cost by switching models'))).finished());
      const anomaly = lastFrame(await (await socket.say(uniqueRequest('Find anomalies in our latency this week'))).finished());
      await expect(cost, 'the cost request').toMatchContract({
        type: 'agent_completed',
        status: 'completed',
        result: { estimated_monthly_savings: expect.any(Number) },
      });
      await expect(anomaly, 'the anomaly request').toMatchContract({
        type: 'agent_completed',
        status: 'completed',
        result: { anomalies: expect.any(Array) },
      });
      expect(
        (cost.result as { estimated_monthly_savings: number }).estimated_monthly_savings,
        'estimated_monthly_savings > 0',
      ).toBeGreaterThan(0);
      expect(
        (anomaly.result as { anomalies: unknown[] }).anomalies.length,
        'anomaly request: result.anomalies is non-empty',
      ).toBeGreaterThan(0);
    },
  );

  test(
    'test_048_workflow_loops',
    catalog({
      checks:
        'In a supervisor run each sub-agent thinks at least once, step_number runs 1, 2, ... without gaps across the ' +
        'sub-agents, and every reasoning is non-empty.',
      catches: 'step counter',
    }),
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
      // The contract document gives reasoning a minimum length of 1.
      await expect(thinking, 'every agent_thinking').toMatchContract({ type: 'agent_thinking' });
    },
  );

  test(
    'test_049_agent_timeout',
    catalog({
      checks:
        'A data run slowed by RUN_DELAY_MS is stopped after agent_started and two more of its events; its ' +
        'agent_completed execution_time_ms is at least 2 x RUN_DELAY_MS (the least pause between those three events) ' +
        'and at most the wall time the test observed.',
      catches: 'hung run, units',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const start = performance.now();
      const run = await socket.startAgent('data', uniqueRequest('Aggregate request volume by hour'), {
        context: { simulate_delay_ms: settings.runDelayMs },
      });
      await run.started();
      await socket.waitFor((f) => f.run_id === run.runId && socket.runFrames(run.runId).length >= 3, {
        what: `two more events of ${run.runId} after agent_started`,
      });
      const frames = await run.stop();
      const wallMs = performance.now() - start;
      expect(frames, 'the run ends').toFollowGoldenPath('stopped');
      const done = lastFrame(frames);
      await expect(done).toMatchContract({ type: 'agent_completed' });
      expect(done.execution_time_ms, 'execution_time_ms covers the pauses before the third event (ms)').toBeGreaterThanOrEqual(
        2 * settings.runDelayMs,
      );
      expect(done.execution_time_ms, `execution_time_ms is within the observed wall time (${Math.round(wallMs)} ms)`).toBeLessThanOrEqual(
        wallMs,
      );
    },
  );

  test(
    'test_050_agent_retry',
    catalog({
      checks:
        'A REST data run with force_failure fails with 500 {"status":"error","agent":"data"}; the next normal data run ' +
        'succeeds; the runs list shows the success, then the failure (newest first).',
      catches: 'failure sticks',
    }),
    async ({ api, settings }) => {
      const failed = await api.post('/api/agents/execute', {
        data: { type: 'data', message: uniqueRequest('Query usage, forced to fail'), ...FORCED_FAILURE },
      });
      await expect(failed, 'the forced failure').toMatchContract('POST /api/agents/execute', 500, { status: 'error', agent: 'data' });
      const retried = await api.post('/api/agents/execute', { data: { type: 'data', message: uniqueRequest('Query usage again') } });
      await expect(retried, 'the retry').toMatchContract('POST /api/agents/execute', 200, { agent: 'data' });
      await expect(await api.get('/api/agents/runs')).toMatchContract('GET /api/agents/runs', 200);
      await expect
        .poll(async () => (await listRuns(api)).map((r) => [r.agent_type, r.status]), {
          message: 'the failure is recorded, the retry succeeded (newest first)',
          timeout: settings.settleMs,
        })
        .toEqual([
          ['data', 'completed'],
          ['data', 'failed'],
        ]);
    },
  );

  test(
    'test_051_implicit_thread',
    catalog({
      checks:
        "A user_message without thread_id runs in one thread that belongs to the user and is in the user's list; that " +
        'thread holds the request, then the answer from the assistant.',
      catches: 'orphan run',
      was: 'agent_fallback',
    }),
    async ({ sockets, user, api, settings }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('Summarise this month usage');
      const frames = await (await socket.say(text)).finished();
      const threadIds = [...new Set(frames.map((f) => f.thread_id))];
      expect(threadIds, 'every frame carries the same thread_id').toHaveLength(1);
      const threadId = String(threadIds[0]);
      await expect(await api.get(`/api/threads/${threadId}`), "the run's thread is the user's").toMatchContract(
        'GET /api/threads/{id}',
        200,
        {
          id: threadId,
          metadata: { user_id: user.id },
        },
      );
      const listed = await api.get('/api/threads?limit=100');
      await expect(listed).toMatchContract('GET /api/threads', 200);
      expect(
        ((await listed.json()) as { id: string }[]).map((t) => t.id),
        "the thread is in the user's list",
      ).toContain(threadId);
      await expect
        .poll(async () => roleContents((await user.messages(threadId)).messages), {
          message: 'the thread holds the request and the answer',
          timeout: settings.settleMs,
        })
        .toEqual([
          ['user', text],
          ['assistant', lastFrame(frames).final_response],
        ]);
    },
  );

  test(
    'test_052_resource_allocation',
    catalog({
      checks: "While one user holds 10 sockets, another user's socket still opens, and all 11 sockets answer ping.",
      catches: 'global cap',
    }),
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
        'During a slowed run, ping (with a timestamp), heartbeat and an unknown frame type sent on agent_started are ' +
        'each answered (pong, heartbeat_ack healthy, ack of that type) before the run ends; the test then stops the ' +
        'run, whose frames follow the golden path of a stopped run.',
      catches: 'frames break runs',
      was: 'priority_scheduling',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Compare latency across our models'), {
        context: { simulate_delay_ms: settings.runDelayMs },
      });
      await run.started();
      const from = socket.frames.length;
      const [ping] = await Promise.all([socket.ping(), socket.send({ type: 'heartbeat' }), socket.send({ type: 'noop_x' })]);
      const heartbeatAck = await socket.waitFor('heartbeat_ack', { from });
      const ack = await socket.waitFor((f) => f.type === 'ack' && f.received_type === 'noop_x', { from, what: 'ack of noop_x' });
      await expect(ping.pong).toMatchContract({ type: 'pong' });
      expect(ping.answer, 'the pong echoes the ping or carries the server time').toBeDefined();
      await expect(heartbeatAck).toMatchContract({ type: 'heartbeat_ack', data: { status: 'healthy' } });
      await expect(ack).toMatchContract({ type: 'ack', received_type: 'noop_x', status: 'acknowledged' });
      const answered = Math.max(...[ping.pong, heartbeatAck, ack].map((f) => socket.frames.indexOf(f)));
      expect(
        socket.frames.slice(from, answered + 1).filter((f) => f.run_id === run.runId && isTerminal(f)),
        'the run had not ended before the three answers',
      ).toEqual([]);
      expect(await run.stop(), 'the stopped run').toFollowGoldenPath('stopped');
    },
  );

  test(
    'test_054_concurrent_thread_runs',
    catalog({
      checks:
        'Three user_messages at once on one socket, in threads T1 to T3, all complete on the golden path in their own ' +
        'thread, and each thread holds its own request and answer.',
      catches: 'cross-thread answers',
      was: 'load_balancing',
    }),
    async ({ sockets, user, settings }) => {
      const threads = await Promise.all([1, 2, 3].map(() => user.createThread()));
      const socket = await sockets.open(user);
      const texts = threads.map((_, i) => uniqueRequest(`Thread ${i + 1}: report spend for project ${i + 1}`));
      const runs = await Promise.all(threads.map((t, i) => socket.say(texts[i], { threadId: t.id })));
      const results = await Promise.all(runs.map((r) => r.finished()));
      for (const [i, frames] of results.entries()) {
        expect(frames, `run ${i + 1}`).toFollowGoldenPath();
        expect(new Set(frames.map((f) => f.thread_id)), `run ${i + 1} stays in T${i + 1}`).toEqual(new Set([threads[i].id]));
        await expect
          .poll(async () => roleContents((await user.messages(threads[i].id)).messages), {
            message: `T${i + 1} holds its own request and answer`,
            timeout: settings.settleMs,
          })
          .toEqual([
            ['user', texts[i]],
            ['assistant', lastFrame(frames).final_response],
          ]);
      }
    },
  );

  test(
    'test_055_agent_monitoring',
    catalog({
      checks:
        'After two data runs over the socket, the runs list shows both newest first as data runs, completed, in the ' +
        "runs' threads, each with started_at no later than completed_at.",
      catches: 'runs unrecorded',
    }),
    async ({ sockets, user, api, settings }) => {
      const socket = await sockets.open(user);
      const observed: Frame[][] = [];
      for (const n of [1, 2])
        observed.push(await (await socket.startAgent('data', uniqueRequest(`Monitoring run ${n}: query usage`))).finished());
      await expect
        .poll(async () => (await listRuns(api)).map((r) => [r.run_id, r.agent_type, r.status, r.thread_id]), {
          message: 'both runs listed newest first, completed, in their threads',
          timeout: settings.settleMs,
        })
        .toEqual([...observed].reverse().map((frames) => [frames[0].run_id, 'data', 'completed', frames[0].thread_id]));
      const listed = await api.get('/api/agents/runs');
      await expect(listed).toMatchContract('GET /api/agents/runs', 200);
      for (const record of (await listed.json()).runs as RunRecord[]) {
        const [startedAt, completedAt] = [instant(record.started_at), instant(record.completed_at)];
        expect(startedAt, `${record.run_id} started_at is a time`).not.toBeNaN();
        expect(completedAt, `${record.run_id} completed_at is a time`).not.toBeNaN();
        expect(startedAt, `${record.run_id} started_at ≤ completed_at`).toBeLessThanOrEqual(completedAt);
      }
    },
  );
});
