import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, expect, type AgentSocket, type Frame, type Message } from '../../fixtures';
import { catalog, category } from '../catalog';
import { TOOL_MAP } from '../../fixtures/client/contract';
import { describeFrame } from '../../fixtures/client/agent-socket';
import { lastFrame, brokenCharacters } from '../../fixtures/client/frames';
import { messageViews } from '../../fixtures/client/messages';
import { uniqueRequest } from '../../fixtures/client/unique';
import { disconnectMidRun } from './recovery';

/** Catalog row 5.5: the slow reader's backlog, in messages of the largest size the contract keeps byte-exact. */
const BACKLOG_MESSAGES = 20;
const BACKLOG_MESSAGE_BYTES = 32 * 1024;
const BACKLOG_HISTORY_REQUESTS = 20;

const chunksOf = (frames: Frame[]) => frames.filter((f) => f.type === 'stream_chunk');

/** Each message's id, role, size and SHA-256 (sorted by id): byte-exact, without 32 KiB contents in a failure's diff. */
const digests = (messages: readonly Message[]) =>
  messageViews(messages).map(([id, role, content]) => [
    id,
    role,
    Buffer.byteLength(content),
    createHash('sha256').update(content).digest('hex'),
  ]);

/** The next `count` answers to get_thread_history of `threadId` (thread_history, or error_message) from index `from` on. */
async function historyAnswers(socket: AgentSocket, threadId: string, from: number, count: number): Promise<Frame[]> {
  const isAnswer = (f: Frame) => (f.type === 'thread_history' && f.data?.thread_id === threadId) || f.type === 'error_message';
  const answers: Frame[] = [];
  for (let next = from; answers.length < count;) {
    const answer = await socket.waitFor(isAnswer, { from: next, what: `answer ${answers.length + 1} of ${count} to get_thread_history` });
    answers.push(answer);
    next = socket.frames.indexOf(answer) + 1;
  }
  return answers;
}

const { title, details } = category('core-05');

test.describe(title, details, () => {
  test(
    '5.1 test_basic_functionality',
    catalog({
      checks:
        'A triage run completes and streams its answer: at least one stream_chunk, all before agent_completed, joining to final_response.',
      catches: 'no streaming',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('triage', uniqueRequest('Route this question about monthly spend'))).finished();
      await expect(lastFrame(frames), 'the run ends with agent_completed').toMatchContract({
        type: 'agent_completed',
        status: 'completed',
      });
      expect(frames, 'the answer is streamed before agent_completed').toStreamFinalResponse();
    },
  );

  test(
    '5.2 test_streaming_protocols',
    catalog({
      checks:
        'A data run over a socket opened with each transport (Authorization header, jwt. subprotocol, ticket) has frames ' +
        'that match the contract, follows the golden path and streams chunks that join to final_response.',
      catches: 'per-transport bugs',
    }),
    async ({ sockets, user }) => {
      for (const transport of ['header', 'subprotocol', 'ticket'] as const) {
        const socket = await sockets.open(user, { transport });
        const frames = await (
          await socket.startAgent('data', uniqueRequest(`Show daily request volume (over the ${transport} transport)`))
        ).finished();
        await expect(frames, `run over the ${transport} transport`).toMatchContract({ user_id: user.id });
        expect(frames, `run over the ${transport} transport`).toFollowGoldenPath();
        expect(frames, `run over the ${transport} transport`).toStreamFinalResponse();
        await socket.close(1000);
      }
    },
  );

  test(
    '5.3 test_chunk_handling',
    catalog({
      checks:
        'A data run asked in emoji, CJK, Korean, flags and combining marks gets the request intact as task_description, ' +
        'chunks with contiguous chunk_index joining to final_response, and no broken character in any chunk or the answer.',
      catches: 'UTF-8 split',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('📊 分析 usage 🚀 東京リージョンの利用状況 👩🏽‍💻 데이터 요약 🇯🇵🇰🇷 e\u0301 🔥 '.repeat(6).trim());
      const run = await socket.startAgent('data', text);
      await expect(await run.started(), 'the request arrives intact').toMatchContract({ type: 'agent_started', task_description: text });
      const frames = await run.finished();
      expect(frames, 'contiguous chunk_index, chunks join to final_response').toStreamFinalResponse();
      for (const chunk of chunksOf(frames))
        expect(brokenCharacters(String(chunk.content)), `chunk ${String(chunk.chunk_index)} has no broken character`).toEqual([]);
      expect(brokenCharacters(String(lastFrame(frames).final_response)), 'final_response has no broken character').toEqual([]);
    },
  );

  test(
    '5.4 test_streaming_performance_metrics',
    catalog({
      checks:
        'A user_message run completes; its chunks carry ISO timestamps that never decrease, none before agent_started and ' +
        'none after agent_completed.',
      catches: 'stalls',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Summarise our token usage trend'))).finished();
      await expect(frames, 'every event carries an ISO timestamp').toMatchContract();
      const done = lastFrame(frames);
      await expect(done).toMatchContract({ type: 'agent_completed', status: 'completed' });
      const chunks = chunksOf(frames);
      expect(chunks.length, 'stream_chunks').toBeGreaterThanOrEqual(1);
      const times = chunks.map((c) => Date.parse(String(c.timestamp)));
      expect(times, 'chunk timestamps never decrease').toEqual([...times].sort((a, b) => a - b));
      expect(Math.max(...times), 'no chunk is stamped after agent_completed').toBeLessThanOrEqual(Date.parse(String(done.timestamp)));
      expect(Math.min(...times), 'no chunk is stamped before agent_started').toBeGreaterThanOrEqual(
        Date.parse(String(frames[0].timestamp)),
      );
    },
  );

  test(
    '5.5 test_backpressure_handling',
    catalog({
      checks:
        'A socket stops reading for QUIET_MS while a user_message run plays and twenty thread histories of twenty 32 KiB ' +
        'messages are asked for (over 10 MB); once it reads again, every history arrives whole and the run arrives whole: ' +
        'golden path, every tool paired, chunks joining to final_response.',
      catches: 'slow-reader drops',
    }),
    async ({ sockets, user, settings }) => {
      const thread = await user.createThread();
      const posted: Message[] = [];
      for (let i = 0; i < BACKLOG_MESSAGES; i++) {
        const head = `backlog message ${i + 1} ${randomUUID()} `;
        posted.push(await user.postMessage(thread.id, head.padEnd(BACKLOG_MESSAGE_BYTES, '0123456789abcdef')));
      }
      const socket = await sockets.open(user);
      const from = socket.frames.length;
      socket.ws.pause();
      const run = await socket.say(uniqueRequest('Give me a full breakdown of usage per agent'));
      // A run is a few KB, which the buffers between us and the target absorb: the target would never meet a slow
      // reader. The history answers (over 10 MB) fill those buffers, so the target must hold what it still has to send.
      for (let i = 0; i < BACKLOG_HISTORY_REQUESTS; i++) await socket.send({ type: 'get_thread_history', thread_id: thread.id });
      await sleep(settings.quietMs);
      socket.ws.resume();

      const answers = await historyAnswers(socket, thread.id, from, BACKLOG_HISTORY_REQUESTS);
      const whole = digests(posted);
      for (const [i, answer] of answers.entries()) {
        await expect(answer, `history answer ${i + 1}`).toMatchContract({ type: 'thread_history' });
        expect(digests(answer.data?.messages as Message[]), `history answer ${i + 1} holds every message, byte for byte`).toEqual(whole);
      }
      const frames = await run.finished();
      expect(frames, 'the whole run arrives in golden-path order').toFollowGoldenPath();
      expect(frames, 'every tool frame arrives').toPairTools(TOOL_MAP.supervisor);
      expect(frames, 'no chunk is lost').toStreamFinalResponse();
    },
  );

  test(
    '5.6 test_stream_recovery',
    catalog({
      checks:
        "A slowed run goes on while every socket of its user is closed; on the user's next socket the events of the " +
        'gap and the live ones after it all arrive flagged recovered: true, in order, and together with what came ' +
        'before the disconnect they are the run so far with nothing lost or repeated, up to agent_completed.',
      catches: 'disconnect loss',
    }),
    async ({ sockets, user, settings }) => {
      const text = uniqueRequest('Summarise our model usage for the quarter');
      const { before, after, beforeStop } = await disconnectMidRun(sockets, user, text, { delayMs: settings.runDelayMs });
      expect(after.length, 'the rest of the run arrives on the new connection').toBeGreaterThan(0);
      expect(
        after
          .slice(0, beforeStop)
          .filter((f) => f.recovered !== true)
          .map(describeFrame),
        'every frame delivered after the reconnect carries recovered: true',
      ).toEqual([]);
      await expect(lastFrame(after), 'the recovered stream ends with agent_completed').toMatchContract({ type: 'agent_completed' });
      expect([...before, ...after], 'before + after is the run so far, in order, nothing lost or repeated').toFollowGoldenPath('stopped');
    },
  );
});
