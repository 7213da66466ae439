import { test, expect, type Message } from '../../fixtures';
import { catalog, category } from '../catalog';
import { SUPERVISOR_DELEGATION, TOOL_MAP } from '../../fixtures/client/contract';
import { contractView, lastFrame, toolNames } from '../../fixtures/client/frames';
import { messageViews, roleContents } from '../../fixtures/client/messages';
import { uniqueRequest } from '../../fixtures/client/unique';

const { title, details } = category('core-09');

test.describe(title, details, () => {
  test(
    '9.1 test_basic_functionality',
    catalog({ checks: 'A heartbeat frame on an open socket is answered by heartbeat_ack with data.status healthy.', catches: 'heartbeat' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const from = socket.frames.length;
      await socket.send({ type: 'heartbeat' });
      const ack = await socket.waitFor('heartbeat_ack', { from });
      await expect(ack).toMatchContract({ type: 'heartbeat_ack', data: { status: 'healthy' } });
    },
  );

  test(
    '9.2 test_coordination_patterns',
    catalog({
      checks:
        'A REST supervisor run of a cost request succeeds as an AgentResult of supervisor whose tools_used include all five ' +
        'sub-agent tools.',
      catches: 'no delegation',
    }),
    async ({ api }) => {
      const response = await api.post('/api/agents/execute', {
        data: { type: 'supervisor', message: uniqueRequest('Find cost savings across our model fleet') },
      });
      await expect(response).toMatchContract('POST /api/agents/execute', 200, { agent: 'supervisor' });
      const { tools_used: tools } = await response.json();
      expect(toolNames(tools), 'the supervisor used every sub-agent tool').toEqual(expect.arrayContaining([...TOOL_MAP.supervisor]));
    },
  );

  test(
    '9.3 test_task_distribution',
    catalog({
      checks:
        'triage, data and optimization runs started back to back on one socket are three distinct runs that all complete, ' +
        'each with frames of its own agent only and exactly its own tools.',
      catches: 'misrouting',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const types = ['triage', 'data', 'optimization'] as const;
      const runs = [];
      for (const type of types) runs.push(await socket.startAgent(type, uniqueRequest(`Distributed task for the ${type} agent`)));
      const results = await Promise.all(runs.map((r) => r.finished()));
      expect(new Set(results.map((frames) => frames[0].run_id)).size, 'three distinct runs').toBe(3);
      for (const [i, type] of types.entries()) {
        await expect(lastFrame(results[i]), `${type} completes`).toMatchContract({
          type: 'agent_completed',
          status: 'completed',
          agent_name: type,
        });
        expect(results[i], `${type} uses only its own tools`).toPairTools(TOOL_MAP[type]);
        expect(new Set(results[i].map((f) => f.agent_name)), `${type} frames all come from ${type}`).toEqual(new Set([type]));
      }
    },
  );

  test(
    '9.4 test_synchronization_primitives',
    catalog({
      checks:
        'Two sockets of one user both receive a run started on the first: the same events (types, run_id, order and the ' +
        'fields the contract defines), whatever per-connection fields a target adds.',
      catches: 'fan-out diverges',
    }),
    async ({ sockets, user }) => {
      const [first, second] = await Promise.all([sockets.open(user), sockets.open(user)]);
      const run = await first.say(uniqueRequest('Summarise our latency for both tabs'));
      const onFirst = await run.finished();
      const onSecond = await second.waitForRunEnd(run.runId);
      expect(onFirst).toFollowGoldenPath();
      expect(onSecond.map(contractView), 'the second socket got the same run events, in the same order').toEqual(onFirst.map(contractView));
    },
  );

  test(
    '9.5 test_view_consistency',
    catalog({
      checks:
        "After a data run in a thread completes, the thread's REST messages come to end with the request and the answer; " +
        "REST total, the thread's message_count and thread_history (in any order) all agree with the REST list.",
      catches: 'views disagree',
      was: 'test_consensus_mechanisms',
    }),
    async ({ sockets, user, api, settings }) => {
      const thread = await user.createThread();
      const text = uniqueRequest('Which models ran slowest yesterday');
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', text, { threadId: thread.id })).finished();
      await expect
        .poll(async () => roleContents((await user.messages(thread.id)).messages).slice(-2), {
          message: 'REST ends with the request and the answer',
          timeout: settings.settleMs,
        })
        .toEqual([
          ['user', text],
          ['assistant', lastFrame(frames).final_response],
        ]);
      const listed = await api.get(`/api/threads/${thread.id}/messages`);
      await expect(listed).toMatchContract('GET /api/threads/{id}/messages', 200, { thread_id: thread.id });
      const { messages, total } = (await listed.json()) as { messages: Message[]; total: number };
      expect(total, 'REST total counts the listed messages').toBe(messages.length);
      await expect
        .poll(async () => messageViews(((await socket.threadHistory(thread.id)).data?.messages ?? []) as Message[]), {
          message: 'thread_history holds the REST messages, in any order',
          timeout: settings.settleMs,
        })
        .toEqual(messageViews(messages));
      await expect(await socket.threadHistory(thread.id)).toMatchContract({ type: 'thread_history', data: { thread_id: thread.id } });
      await expect
        .poll(async () => ((await (await api.get(`/api/threads/${thread.id}`)).json()) as { message_count?: unknown }).message_count, {
          message: "the thread's message_count is the messages total",
          timeout: settings.settleMs,
        })
        .toBe(total);
      await expect(await api.get(`/api/threads/${thread.id}`)).toMatchContract('GET /api/threads/{id}', 200, { message_count: total });
    },
  );

  test(
    '9.6 test_coordination_metrics',
    catalog({
      checks:
        'In a user_message run, triage, data and optimization each think at least once and make paired calls of their ' +
        'own tools; execution_ids are unique across the run.',
      catches: 'sub-agent skipped',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Check our usage, spend and capacity'))).finished();
      await expect(lastFrame(frames)).toMatchContract({ type: 'agent_completed', status: 'completed' });
      for (const agent of SUPERVISOR_DELEGATION) {
        const own = frames.filter((f) => f.agent_name === agent);
        expect(own.filter((f) => f.type === 'agent_thinking').length, `${agent} thinks at least once`).toBeGreaterThanOrEqual(1);
        expect(own, `${agent} makes paired calls of its own tools`).toPairTools(TOOL_MAP[agent]);
      }
      const ids = frames.filter((f) => f.type === 'tool_executing').map((f) => f.execution_id);
      expect(new Set(ids).size, 'execution_ids are unique').toBe(ids.length);
    },
  );
});
