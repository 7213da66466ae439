import { test, expect, type AgentSocket, type AgentType, type Frame } from '../../fixtures';
import { catalog, category } from '../catalog';
import { SUPERVISOR_DELEGATION, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import {
  scoreRun,
  meanScore,
  slaViolation,
  attachQuality,
  settleRun,
  SCENARIOS,
  BUSINESS_SCENARIOS,
  ALL_SCENARIOS,
  type Scenario,
} from './scenarios';

/** Starts `scenario` on `agent` and waits for the whole run (FIRST_EVENT_MS, then RUN_COMPLETE_MS). */
async function runScenario(socket: AgentSocket, agent: AgentType, scenario: Scenario) {
  const text = uniqueRequest(scenario.request);
  const run = await socket.startAgent(agent, text);
  const { value: frames, ms } = await timed(() => run.finished());
  return { text, run, frames, ms };
}

const COMPLETED = { type: 'agent_completed', status: 'completed' };
const summary = (f: Frame) => `${f.type} run ${String(f.run_id)} user ${String(f.user_id)}`;
/** The fields of the run's `agent_completed.result` (none when it has no result object). */
const resultOf = (frames: Frame[]): Record<string, unknown> => ({ ...(lastFrame(frames).result as Record<string, unknown>) });

const { title, details } = category('agent');

test.describe(title, details, () => {
  test(
    'test_001_unified_data_agent_real_execution',
    catalog({
      checks:
        'A data run on a data-analysis request completes, calls data_query and metrics_aggregator (each call paired with ' +
        'its completion) and scores at least QUALITY_SLA.',
      catches: 'hollow agent',
    }),
    async ({ sockets, user, settings }, testInfo) => {
      const scenario = SCENARIOS.dataAnalysis;
      const socket = await sockets.open(user);
      const { text, frames, ms } = await runScenario(socket, 'data', scenario);
      const scored = scoreRun(frames, scenario, text, settings.finalResponseMinChars, ms);
      await attachQuality(testInfo, [scored], settings.qualitySla);
      await expect(lastFrame(frames), 'the data run completes').toMatchContract(COMPLETED);
      expect(frames).toPairTools(TOOL_MAP.data);
      expect(scored.quality.score, slaViolation(scored.quality.score, settings.qualitySla)).toBeGreaterThanOrEqual(settings.qualitySla);
    },
  );

  test(
    'test_002_optimization_agent_real_execution',
    catalog({
      checks:
        'An optimization run on a cost request completes, calls cost_analyzer and recommendation_engine, returns a ' +
        'result.estimated_monthly_savings above 0 and scores at least QUALITY_SLA.',
      catches: 'no savings',
    }),
    async ({ sockets, user, settings }, testInfo) => {
      const scenario = SCENARIOS.costOptimisation;
      const socket = await sockets.open(user);
      const { text, frames, ms } = await runScenario(socket, 'optimization', scenario);
      const scored = scoreRun(frames, scenario, text, settings.finalResponseMinChars, ms);
      await attachQuality(testInfo, [scored], settings.qualitySla);
      await expect(lastFrame(frames), 'the optimization run completes').toMatchContract(COMPLETED);
      expect(frames).toPairTools(TOOL_MAP.optimization);
      const savings = resultOf(frames).estimated_monthly_savings;
      expect(savings, 'a cost request yields result.estimated_monthly_savings, a number').toEqual(expect.any(Number));
      expect(savings, 'estimated_monthly_savings > 0').toBeGreaterThan(0);
      expect(scored.quality.score, slaViolation(scored.quality.score, settings.qualitySla)).toBeGreaterThanOrEqual(settings.qualitySla);
    },
  );

  test(
    'test_003_multi_agent_coordination_real',
    catalog({
      checks:
        "A supervisor run on a cost and capacity request keeps one run_id and one agent_started (the supervisor's) on the " +
        "user's socket, delegates to triage, then data, then optimization, calls all five tools, completes and scores at " +
        'least QUALITY_SLA.',
      catches: 'delegation',
    }),
    async ({ sockets, user, settings }, testInfo) => {
      const scenario = SCENARIOS.costAndCapacity;
      const socket = await sockets.open(user);
      const { text, run, frames, ms } = await runScenario(socket, 'supervisor', scenario);
      const scored = scoreRun(frames, scenario, text, settings.finalResponseMinChars, ms);
      await attachQuality(testInfo, [scored], settings.qualitySla);
      // The user's only socket: every run event on it, sub-agents included, must belong to the one supervisor run.
      const runEvents = socket.frames.filter((f) => f.run_id !== undefined);
      expect(new Set(runEvents.map((f) => f.run_id)), 'one run_id for the whole delegation').toEqual(new Set([run.runId]));
      expect(
        runEvents.filter((f) => f.type === 'agent_started').map((f) => f.agent_name),
        'one agent_started, by the supervisor',
      ).toEqual(['supervisor']);
      await expect(lastFrame(frames), 'the supervisor run completes').toMatchContract({ ...COMPLETED, agent_name: 'supervisor' });
      const subAgents = [...new Set(frames.map((f) => String(f.agent_name)))].filter((name) => name !== 'supervisor');
      expect(subAgents, 'the supervisor delegates to triage, then data, then optimization').toEqual(SUPERVISOR_DELEGATION);
      expect(frames).toPairTools(TOOL_MAP.supervisor);
      expect(scored.quality.score, slaViolation(scored.quality.score, settings.qualitySla)).toBeGreaterThanOrEqual(settings.qualitySla);
    },
  );

  test(
    'test_004_concurrent_user_isolation',
    catalog({
      checks:
        'CONCURRENT_AGENT_USERS users each start a run at once: at least MIN_SUCCESS_RATIO of the runs complete, their ' +
        "run_ids differ, and each user's socket receives only that user's own run.",
      catches: 'isolation',
    }),
    async ({ users, sockets, settings }, testInfo) => {
      const count = settings.concurrentAgentUsers;
      const people = await Promise.all(Array.from({ length: count }, () => users.create()));
      const opened = await Promise.all(people.map((person) => sockets.open(person)));
      const scenarios = people.map((_, i) => ALL_SCENARIOS[i % ALL_SCENARIOS.length]);
      const texts = scenarios.map((scenario) => uniqueRequest(scenario.request));
      const runs = await Promise.all(opened.map((socket, i) => socket.say(texts[i])));
      const outcomes = await Promise.all(runs.map(settleRun));
      await attachQuality(
        testInfo,
        outcomes.map((outcome, i) => scoreRun(outcome.frames, scenarios[i], texts[i], settings.finalResponseMinChars)),
        settings.qualitySla,
      );

      const completed = outcomes.filter((outcome) => outcome.completed).length;
      const problems = outcomes.map((outcome) => outcome.problem).filter((problem) => problem !== undefined);
      expect(
        completed / count,
        `completed share of ${count} concurrent runs (${completed} completed; ${problems.join('; ')})`,
      ).toBeGreaterThanOrEqual(settings.minSuccessRatio);
      const runIds = outcomes.flatMap((outcome) => outcome.frames.slice(0, 1)).map((f) => f.run_id);
      expect(new Set(runIds).size, `distinct run_ids: ${runIds.join(', ')}`).toBe(runIds.length);
      for (const [i, socket] of opened.entries()) {
        const own = new Set(
          socket.frames.filter((f) => f.type === 'agent_started' && f.task_description === texts[i]).map((f) => f.run_id),
        );
        const runEvents = socket.frames.filter((f) => f.run_id !== undefined);
        expect(
          runEvents.filter((f) => f.user_id !== people[i].id).map(summary),
          `${socket.label} (${people[i].id}) receives no other user's events`,
        ).toEqual([]);
        expect(runEvents.filter((f) => !own.has(f.run_id)).map(summary), `${socket.label} receives only its own run`).toEqual([]);
      }
    },
  );

  test(
    'test_005_error_recovery_resilience',
    catalog({
      checks:
        'On one socket, start_agent for a nonexistent agent gets error_message UNKNOWN_AGENT and starts no run, a non-JSON ' +
        'frame gets JSON_PARSE_ERROR, and a data run then completes; so does a data run on each of RECONNECT_ROUNDS new sockets.',
      catches: 'poisoned socket',
    }),
    async ({ sockets, user, settings }, testInfo) => {
      const scenario = SCENARIOS.dataAnalysis;
      const isRunEvent = (f: { run_id?: string; type: string }) => f.run_id !== undefined || f.type === 'agent_started';
      let socket = await sockets.open(user);
      const unknown = await socket.sendExpectingError({
        type: 'start_agent',
        agent_type: 'nonexistent_agent',
        user_request: uniqueRequest('Route this to a missing agent'),
      });
      await expect(unknown).toMatchContract({ type: 'error_message', error_code: 'UNKNOWN_AGENT' });
      await expect(socket, 'no run starts for an unknown agent').toStayQuiet({ match: isRunEvent });
      await expect(await socket.sendExpectingError('{"type": "user_message", not json')).toMatchContract({
        type: 'error_message',
        error_code: 'JSON_PARSE_ERROR',
      });

      const scored = [];
      const first = await runScenario(socket, 'data', scenario);
      scored.push(scoreRun(first.frames, scenario, first.text, settings.finalResponseMinChars, first.ms));
      await expect(lastFrame(first.frames), 'a valid run on the same socket completes after the errors').toMatchContract(COMPLETED);
      for (let round = 1; round <= settings.reconnectRounds; round++) {
        await socket.close(1000);
        socket = await sockets.open(user);
        const again = await runScenario(socket, 'data', scenario);
        scored.push(scoreRun(again.frames, scenario, again.text, settings.finalResponseMinChars, again.ms));
        await expect(lastFrame(again.frames), `the run on reconnect ${round} completes`).toMatchContract(COMPLETED);
      }
      await attachQuality(testInfo, scored, settings.qualitySla);
    },
  );

  test(
    'test_006_performance_benchmarks',
    catalog({
      checks:
        'BENCHMARK_RUNS supervisor runs in sequence, each on a new socket, all complete; their mean time is within ' +
        'RUN_COMPLETE_MS and their mean score at least QUALITY_SLA (times and scores attached).',
      catches: 'slow, shallow',
    }),
    async ({ sockets, user, settings }, testInfo) => {
      const scored = [];
      for (let i = 0; i < settings.benchmarkRuns; i++) {
        const scenario = ALL_SCENARIOS[i % ALL_SCENARIOS.length];
        const socket = await sockets.open(user);
        const text = uniqueRequest(scenario.request);
        const { value: frames, ms } = await timed(async () => (await socket.say(text)).finished());
        scored.push(scoreRun(frames, scenario, text, settings.finalResponseMinChars, ms));
        await expect(lastFrame(frames), `benchmark run ${i + 1} completes`).toMatchContract(COMPLETED);
        await socket.close(1000);
      }
      await attachQuality(testInfo, scored, settings.qualitySla);
      const meanMs = scored.reduce((sum, run) => sum + (run.ms as number), 0) / scored.length;
      const mean = meanScore(scored);
      testInfo.annotations.push({
        type: 'benchmark',
        description: `${scored.length} runs, mean ${Math.round(meanMs)} ms, mean score ${mean.toFixed(2)}`,
      });
      expect(meanMs, 'mean run time (ms) within RUN_COMPLETE_MS').toBeLessThanOrEqual(settings.runCompleteMs);
      expect(mean, slaViolation(mean, settings.qualitySla)).toBeGreaterThanOrEqual(settings.qualitySla);
    },
  );

  test(
    'test_007_business_value_validation',
    catalog({
      checks:
        'Supervisor runs of the cost, anomaly and capacity scenarios complete with a result.estimated_monthly_savings above ' +
        '0, a non-empty result.anomalies and a result.capacity_forecast with horizon_days and projected_utilization; their ' +
        'mean score is at least QUALITY_SLA and at least HIGH_VALUE_RATIO of them score above HIGH_VALUE_SCORE.',
      catches: 'no value',
    }),
    async ({ sockets, user, settings }, testInfo) => {
      const socket = await sockets.open(user);
      const results = await Promise.all(BUSINESS_SCENARIOS.map((scenario) => runScenario(socket, 'supervisor', scenario)));
      const scored = results.map(({ frames, text, ms }, i) =>
        scoreRun(frames, BUSINESS_SCENARIOS[i], text, settings.finalResponseMinChars, ms),
      );
      await attachQuality(testInfo, scored, settings.qualitySla);
      for (const [i, { frames }] of results.entries())
        await expect(lastFrame(frames), `the ${BUSINESS_SCENARIOS[i].title} run completes`).toMatchContract(COMPLETED);

      const [cost, anomaly, capacity] = results.map(({ frames }) => resultOf(frames));
      expect(cost.estimated_monthly_savings, 'cost optimisation: result.estimated_monthly_savings is a number').toEqual(expect.any(Number));
      expect(cost.estimated_monthly_savings, 'cost optimisation: estimated_monthly_savings > 0').toBeGreaterThan(0);
      expect(anomaly.anomalies, 'anomaly detection: result.anomalies is an array').toEqual(expect.any(Array));
      expect((anomaly.anomalies as unknown[]).length, 'anomaly detection: result.anomalies is not empty').toBeGreaterThan(0);
      // The contract names these two fields of capacity_forecast without giving their form.
      expect(
        capacity.capacity_forecast,
        'capacity planning: result.capacity_forecast has horizon_days and projected_utilization',
      ).toMatchObject({
        horizon_days: expect.anything(),
        projected_utilization: expect.anything(),
      });

      const mean = meanScore(scored);
      const highValue = scored.filter((run) => run.quality.score > settings.highValueScore).length;
      // Soft, so a shallow target is reported on both counts.
      expect.soft(mean, slaViolation(mean, settings.qualitySla)).toBeGreaterThanOrEqual(settings.qualitySla);
      expect
        .soft(highValue / scored.length, `Insufficient high-value scenarios: ${highValue}/${scored.length}`)
        .toBeGreaterThanOrEqual(settings.highValueRatio);
    },
  );
});
