import { setTimeout as sleep } from 'node:timers/promises';
import { test, expect, type Frame } from '../../fixtures';
import { catalog, category } from '../catalog';
import { ISO_UTC, TOOL_MAP } from '../../fixtures/client/contract';
import { describeFrame } from '../../fixtures/client/agent-socket';
import { lastFrame, frameShape, brokenCharacters } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { disconnectMidRun } from './recovery';

const chunksOf = (frames: Frame[]) => frames.filter((f) => f.type === 'stream_chunk');

const { title, details } = category('core-05');

test.describe(title, details, () => {
  test(
    '5.1 test_basic_functionality',
    catalog({ checks: 'run(triage) → ≥1 stream_chunk before agent_completed', catches: 'no streaming' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('triage', uniqueRequest('Route this question about monthly spend'))).finished();
      const types = frames.map((f) => f.type);
      expect(types, 'the answer is streamed').toContain('stream_chunk');
      expect(lastFrame(frames), 'the run ends with agent_completed').toMatchObject({ type: 'agent_completed', status: 'completed' });
      expect(types.indexOf('stream_chunk'), 'a chunk arrives before agent_completed').toBeLessThan(types.indexOf('agent_completed'));
    },
  );

  test(
    '5.2 test_streaming_protocols',
    catalog({ checks: 'a run each via header, subprotocol, ticket → each GP + chunks, same shape', catches: 'per-transport bugs' }),
    async ({ sockets, user }) => {
      const shapes: Record<string, Record<string, string[]>> = {};
      for (const transport of ['header', 'subprotocol', 'ticket'] as const) {
        const socket = await sockets.open(user, { transport });
        const frames = await (
          await socket.startAgent('data', uniqueRequest(`Show daily request volume (over the ${transport} transport)`))
        ).finished();
        expect(frames, `run over the ${transport} transport`).toFollowGoldenPath();
        expect(frames, `run over the ${transport} transport`).toStreamFinalResponse();
        shapes[transport] = frameShape(frames);
        await socket.close(1000);
      }
      expect(shapes.subprotocol, 'the subprotocol run has the same frame shape as the header run').toEqual(shapes.header);
      expect(shapes.ticket, 'the ticket run has the same frame shape as the header run').toEqual(shapes.header);
    },
  );

  test(
    '5.3 test_chunk_handling',
    catalog({
      checks: 'run, emoji/CJK-heavy request → contiguous chunk_index; joined = final_response; no U+FFFD',
      catches: 'UTF-8 split',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('📊 分析 usage 🚀 東京リージョンの利用状況 👩🏽‍💻 데이터 요약 🇯🇵🇰🇷 e\u0301 🔥 '.repeat(6).trim());
      const run = await socket.startAgent('data', text);
      expect((await run.started()).task_description, 'the request arrives intact').toBe(text);
      const frames = await run.finished();
      expect(frames, 'contiguous chunk_index, chunks join to final_response').toStreamFinalResponse();
      for (const chunk of chunksOf(frames))
        expect(brokenCharacters(String(chunk.content)), `chunk ${String(chunk.chunk_index)} has no broken character`).toEqual([]);
      expect(brokenCharacters(String(lastFrame(frames).final_response)), 'final_response has no broken character').toEqual([]);
    },
  );

  test(
    '5.4 test_streaming_performance_metrics',
    catalog({ checks: 'say(text) → completes; chunk timestamps non-decreasing, ≤ agent_completed', catches: 'stalls' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Summarise our token usage trend'))).finished();
      const done = lastFrame(frames);
      expect(done).toMatchObject({ type: 'agent_completed', status: 'completed', timestamp: expect.stringMatching(ISO_UTC) });
      const chunks = chunksOf(frames);
      expect(chunks.length, 'stream_chunks').toBeGreaterThanOrEqual(1);
      for (const chunk of chunks) expect(chunk.timestamp, `chunk ${String(chunk.chunk_index)} timestamp`).toMatch(ISO_UTC);
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
      checks: 'say(text); stop reading QUIET_MS; resume → whole run, GP order, no chunk_index gaps',
      catches: 'slow-reader drops',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Give me a full breakdown of usage per agent'));
      // A slow reader: stop reading the socket for QUIET_MS while the target streams the run.
      socket.ws.pause();
      await sleep(settings.quietMs);
      socket.ws.resume();
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
