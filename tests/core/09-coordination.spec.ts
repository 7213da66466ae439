import { test, expect, type Message, type Thread } from '../../fixtures';
import { catalog, category } from '../catalog';
import { SUPERVISOR_DELEGATION, TOOL_MAP } from '../../fixtures/client/contract';
import { pairTools, lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-09');

test.describe(title, details, () => {
  test(
    '9.1 test_basic_functionality',
    catalog({ checks: 'ws(U); heartbeat → heartbeat_ack, data.status healthy', catches: 'heartbeat' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const from = socket.frames.length;
      await socket.send({ type: 'heartbeat' });
      const ack = await socket.waitFor('heartbeat_ack', { from });
      expect(ack).toMatchObject({ type: 'heartbeat_ack', data: { status: 'healthy' }, timestamp: shapes.iso() });
    },
  );

  test(
    '9.2 test_coordination_patterns',
    catalog({ checks: 'execute supervisor, cost request → ok(supervisor); tools_used ⊇ all 5', catches: 'no delegation' }),
    async ({ api }) => {
      const response = await api.post('/api/agents/execute', {
        data: { type: 'supervisor', message: uniqueRequest('Find cost savings across our model fleet') },
      });
      await expect(response).toBeAgentResult('supervisor');
      const { tools_used: tools } = await response.json();
      expect(tools, 'the supervisor used every sub-agent tool').toEqual(expect.arrayContaining([...TOOL_MAP.supervisor]));
    },
  );

  test(
    '9.3 test_task_distribution',
    catalog({
      checks: "start_agent triage, data, optimization back-to-back → 3 complete; each only its type's tools",
      catches: 'misrouting',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const types = ['triage', 'data', 'optimization'] as const;
      const runs = [];
      for (const type of types) runs.push(await socket.startAgent(type, uniqueRequest(`Distributed task for the ${type} agent`)));
      const results = await Promise.all(runs.map((r) => r.finished()));
      expect(new Set(results.map((frames) => frames[0].run_id)).size, 'three distinct runs').toBe(3);
      types.forEach((type, i) => {
        expect(lastFrame(results[i]), `${type} completes`).toMatchObject({
          type: 'agent_completed',
          status: 'completed',
          agent_name: type,
        });
        expect(results[i], `${type} uses only its own tools`).toPairTools(TOOL_MAP[type]);
        expect(new Set(results[i].map((f) => f.agent_name)), `${type} frames all come from ${type}`).toEqual(new Set([type]));
      });
    },
  );

  test(
    '9.4 test_synchronization_primitives',
    catalog({
      checks: '2 sockets; say on #1 → the same run events (types, run_id, order, contract fields) on both',
      catches: 'fan-out diverges',
    }),
    async ({ sockets, user }) => {
      const [first, second] = await Promise.all([sockets.open(user), sockets.open(user)]);
      const run = await first.say(uniqueRequest('Summarise our latency for both tabs'));
      const onFirst = await run.finished();
      const onSecond = await second.waitForRunEnd(run.runId);
      expect(onFirst).toFollowGoldenPath();
      expect(onSecond, 'the second socket got the same run frames, in the same order').toEqual(onFirst);
    },
  );

  test(
    '9.5 test_view_consistency',
    catalog({
      checks: 'run(data, T) → REST list, history, message_count agree',
      catches: 'views disagree',
      was: 'test_consensus_mechanisms',
    }),
    async ({ sockets, user, api }) => {
      const thread = await user.createThread();
      const text = uniqueRequest('Which models ran slowest yesterday');
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', text, { threadId: thread.id })).finished();
      const listed = await user.messages(thread.id);
      expect(
        listed.messages.map((m) => [m.role, m.content]),
        'REST: the request and the answer',
      ).toEqual([
        ['user', text],
        ['assistant', lastFrame(frames).final_response],
      ]);
      expect(listed.total, 'REST total').toBe(listed.messages.length);
      const history = await socket.threadHistory(thread.id);
      expect(history.type).toBe('thread_history');
      expect(history.data?.messages as Message[], 'history = REST list').toEqual(listed.messages);
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status()).toBe(200);
      expect(((await fetched.json()) as Thread).message_count, 'message_count = messages total').toBe(listed.total);
    },
  );

  test(
    '9.6 test_coordination_metrics',
    catalog({ checks: 'say(text) → each sub-agent ≥1 thinking and ≥1 tool pair; unique execution_ids', catches: 'sub-agent skipped' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Check our usage, spend and capacity'))).finished();
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
      for (const agent of SUPERVISOR_DELEGATION) {
        const own = frames.filter((f) => f.agent_name === agent);
        expect(own.filter((f) => f.type === 'agent_thinking').length, `${agent} thinks at least once`).toBeGreaterThanOrEqual(1);
        const { pairs, problems } = pairTools(own);
        expect(problems, `${agent} tool frames pair`).toEqual([]);
        expect(pairs.length, `${agent} makes at least one tool call`).toBeGreaterThanOrEqual(1);
      }
      const ids = frames.filter((f) => f.type === 'tool_executing').map((f) => f.execution_id);
      expect(new Set(ids).size, 'execution_ids are unique').toBe(ids.length);
    },
  );
});
