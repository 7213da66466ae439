import { test, expect } from '../fixtures';
import { lastFrame } from '../fixtures/client/frames';
import { uniqueRequest } from '../fixtures/client/unique';

/**
 * BENCH_RUNS tests, each what an agent test of the suites does at its simplest: a fresh user, `sockets.open`, one
 * supervisor run, its frames. Timed from outside by bench/overhead.ts (first test start to last test end).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? '50');

for (let i = 0; i < RUNS; i++) {
  test(`supervisor run ${String(i).padStart(3, '0')}`, async ({ sockets, user }) => {
    const socket = await sockets.open(user);
    const run = await socket.say(uniqueRequest(`bench run ${i}: cost and capacity review`));
    const frames = await run.finished();
    expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
  });
}
