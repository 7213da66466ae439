import { test, expect } from '../fixtures';
import { lastFrame } from '../fixtures/client/frames';
import { uniqueRequest } from '../fixtures/client/unique';

/**
 * The harness's per-run cost without Playwright's per-test cost: one test that makes BENCH_RUNS runs, each with a
 * fresh user and socket (closed after its run), as overhead.spec.ts does once per test. Timed with its teardown
 * (every user's threads archived and tokens logged out), so the work is the same as N tests'.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? '50');

test('supervisor runs in one test', async ({ sockets, users }) => {
  test.setTimeout(RUNS * 5_000 + 30_000);
  for (let i = 0; i < RUNS; i++) {
    const socket = await sockets.open(await users.create());
    const run = await socket.say(uniqueRequest(`bench run ${i}: cost and capacity review`));
    expect(lastFrame(await run.finished())).toMatchObject({ type: 'agent_completed', status: 'completed' });
    await socket.close();
  }
});
