import { test, expect, type Frame, type Message } from '../../fixtures';
import { catalog, category } from '../catalog';
import { GOLDEN_PATH, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { messageViews, roleContents } from '../../fixtures/client/messages';
import { uniqueRequest } from '../../fixtures/client/unique';

const { title, details } = category('core-08');

test.describe(title, details, () => {
  test(
    '8.1 test_basic_functionality',
    catalog({
      checks: "A user's socket opens with a connection_established naming the user, a connection id and an ISO timestamp.",
      catches: 'no welcome',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      await expect(socket.welcome).toMatchContract({ type: 'connection_established', data: { user_id: user.id } });
    },
  );

  test(
    '8.2 test_event_types',
    catalog({
      checks: 'A data run sends only golden-path event types and stream_chunk, and at least one of each.',
      catches: 'renamed events',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', uniqueRequest('Break down requests per model'))).finished();
      const types = frames.map((f) => f.type);
      const allowed: readonly string[] = [...GOLDEN_PATH, 'stream_chunk'];
      expect(
        types.filter((t) => !allowed.includes(t)),
        'types outside the golden path and stream_chunk',
      ).toEqual([]);
      for (const type of allowed) expect(types, `the run has ${type}`).toContain(type);
    },
  );

  test(
    '8.3 test_event_sequencing',
    catalog({
      checks:
        'A data run and then a triage run each go: agent_started, its thinking, then its tool calls (each executing before ' +
        'its completed, exactly its own tools), then the chunks, then agent_completed.',
      catches: 'phase order',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      for (const type of ['data', 'triage'] as const) {
        const frames = await (await socket.startAgent(type, uniqueRequest(`Sequence check for the ${type} agent`))).finished();
        expect(frames, `${type} run`).toFollowGoldenPath();
        const types = frames.map((f) => f.type);
        expect(types.lastIndexOf('agent_thinking'), `${type}: every agent_thinking comes before the first tool call`).toBeLessThan(
          types.indexOf('tool_executing'),
        );
        expect(frames, `${type}: its own tools, each call paired`).toPairTools(TOOL_MAP[type]);
      }
    },
  );

  test(
    '8.4 test_event_metadata',
    catalog({
      checks:
        'An optimization run in a thread has every event type, and every event carries the run envelope (its run_id, the ' +
        'thread, the user, agent_name optimization) and its own fields at top level and mirrored under data.',
      catches: 'missing fields',
    }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const frames = await (
        await socket.startAgent('optimization', uniqueRequest('Which changes lower our cost most'), { threadId: thread.id })
      ).finished();
      for (const type of [...GOLDEN_PATH, 'stream_chunk'])
        expect(
          frames.map((f) => f.type),
          `the run has ${type}`,
        ).toContain(type);
      await expect(frames, 'the run fields and the data mirror on every event').toMatchContract({
        run_id: frames[0].run_id,
        thread_id: thread.id,
        user_id: user.id,
        agent_name: 'optimization',
      });
    },
  );

  test(
    '8.5 test_event_filtering',
    catalog({
      checks:
        'Two users run at once while a third stays idle: each of the two receives only its own run, both complete, and ' +
        'the idle user receives no run frame (its socket stays quiet and answers ping).',
      catches: 'event leak',
    }),
    async ({ users, sockets }) => {
      const [u1, u2, u3] = await Promise.all([users.create(), users.create(), users.create()]);
      const [s1, s2, s3] = await Promise.all([sockets.open(u1), sockets.open(u2), sockets.open(u3)]);
      const both = async () => {
        const runs = await Promise.all([
          s1.say(uniqueRequest('U1 private spend question')),
          s2.say(uniqueRequest('U2 private latency question')),
        ]);
        return Promise.all(runs.map((r) => r.finished()));
      };
      // U3 must stay quiet for the whole time the other two users' runs play.
      const isRunFrame = (f: Frame) => f.run_id !== undefined;
      const [[run1, run2]] = await Promise.all([both(), expect(s3).toStayQuiet({ match: isRunFrame })]);
      for (const [socket, user, run] of [
        [s1, u1, run1],
        [s2, u2, run2],
      ] as const) {
        await expect(lastFrame(run), `${socket.label}'s run completes`).toMatchContract({ type: 'agent_completed', status: 'completed' });
        const seen = socket.frames.filter(isRunFrame);
        expect(new Set(seen.map((f) => f.run_id)), `${socket.label} sees only its own run`).toEqual(new Set([run[0].run_id]));
        expect(new Set(seen.map((f) => f.user_id)), `${socket.label} sees only its own user_id`).toEqual(new Set([user.id]));
      }
      expect(
        s3.frames.filter(isRunFrame).map((f) => f.type),
        'the idle user received no run frame',
      ).toEqual([]);
    },
  );

  test(
    '8.6 test_event_persistence',
    catalog({
      checks:
        "After a data run in a thread completes, the thread's REST messages come to end with the request (user) and the " +
        'final_response (assistant), and thread_history holds the same messages in any order.',
      catches: 'not persisted',
    }),
    async ({ sockets, user, settings }) => {
      const thread = await user.createThread();
      const text = uniqueRequest('Report token usage for the data team');
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', text, { threadId: thread.id })).finished();
      const done = lastFrame(frames);
      await expect(done, 'the run completes with a final_response').toMatchContract({ type: 'agent_completed', status: 'completed' });
      await expect
        .poll(async () => roleContents((await user.messages(thread.id)).messages).slice(-2), {
          message: 'REST messages end with the request and the answer',
          timeout: settings.settleMs,
        })
        .toEqual([
          ['user', text],
          ['assistant', done.final_response],
        ]);
      const stored = messageViews((await user.messages(thread.id)).messages);
      await expect
        .poll(async () => messageViews(((await socket.threadHistory(thread.id)).data?.messages ?? []) as Message[]), {
          message: 'thread_history holds the same messages as REST, in any order',
          timeout: settings.settleMs,
        })
        .toEqual(stored);
      await expect(await socket.threadHistory(thread.id)).toMatchContract({ type: 'thread_history', data: { thread_id: thread.id } });
    },
  );
});
