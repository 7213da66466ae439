import { test, expect, type Frame, type Message } from '../../fixtures';
import { catalog, category } from '../catalog';
import { GOLDEN_PATH, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-08');

test.describe(title, details, () => {
  test(
    '8.1 test_basic_functionality',
    catalog({ checks: 'ws(U) → opens; ISO timestamp', catches: 'no welcome' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      expect(socket.welcome).toMatchObject({
        type: 'connection_established',
        timestamp: shapes.iso(),
        data: { user_id: user.id, connection_id: shapes.nonEmpty(), heartbeat_interval: expect.any(Number) },
      });
    },
  );

  test(
    '8.2 test_event_types',
    catalog({ checks: 'run(data) → only GP types + stream_chunk; each GP type ≥ 1', catches: 'renamed events' }),
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
    catalog({ checks: 'run(data); run(triage) → started, thinking+, (executing, completed)+, chunk+, completed', catches: 'phase order' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      for (const type of ['data', 'triage'] as const) {
        const frames = await (await socket.startAgent(type, uniqueRequest(`Sequence check for the ${type} agent`))).finished();
        expect(frames, `${type} run`).toFollowGoldenPath();
        const types = frames.map((f) => f.type);
        expect(types.lastIndexOf('agent_thinking'), `${type}: every agent_thinking comes before the first tool call`).toBeLessThan(
          types.indexOf('tool_executing'),
        );
        expect(
          frames.filter((f) => f.type === 'tool_executing'),
          `${type}: one tool call per tool`,
        ).toHaveLength(TOOL_MAP[type].length);
      }
    },
  );

  test(
    '8.4 test_event_metadata',
    catalog({ checks: 'run(optimization) → every §4 per-type field, top-level and in data', catches: 'missing fields' }),
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
      expect(frames).toCarryEventFields();
      for (const frame of frames) {
        expect(frame, `${frame.type} run fields`).toMatchObject({
          run_id: frames[0].run_id,
          thread_id: thread.id,
          user_id: user.id,
          agent_name: 'optimization',
        });
      }
    },
  );

  test(
    '8.5 test_event_filtering',
    catalog({ checks: 'U1, U2 run at once; U3 idle → each sees only own runs; U3 quiet', catches: 'event leak' }),
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
      const runFrames = (frames: Frame[]) => frames.filter(isRunFrame);
      for (const [socket, user, run] of [
        [s1, u1, run1],
        [s2, u2, run2],
      ] as const) {
        const seen = runFrames(socket.frames);
        expect(new Set(seen.map((f) => f.run_id)), `${socket.label} sees only its own run`).toEqual(new Set([run[0].run_id]));
        expect(new Set(seen.map((f) => f.user_id)), `${socket.label} sees only its own user_id`).toEqual(new Set([user.id]));
      }
      expect(
        runFrames(s3.frames).map((f) => f.type),
        'the idle user received no run frame',
      ).toEqual([]);
    },
  );

  test(
    '8.6 test_event_persistence',
    catalog({ checks: 'run(data, T) → REST and history end user (text), assistant (final)', catches: 'not persisted' }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      const text = uniqueRequest('Report token usage for the data team');
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', text, { threadId: thread.id })).finished();
      const final = lastFrame(frames).final_response;
      expect(final, 'the run completes with a final_response').toEqual(shapes.nonEmpty());
      const ending = (messages: Message[]) => messages.slice(-2).map((m) => [m.role, m.content]);
      expect(ending((await user.messages(thread.id)).messages), 'REST messages end with the request and the answer').toEqual([
        ['user', text],
        ['assistant', final],
      ]);
      const history = await socket.threadHistory(thread.id);
      expect(history.type).toBe('thread_history');
      expect(ending(history.data?.messages as Message[]), 'history ends with the request and the answer').toEqual([
        ['user', text],
        ['assistant', final],
      ]);
    },
  );
});
