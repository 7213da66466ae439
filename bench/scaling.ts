/**
 * Job `scaling`: the agent-execution and core projects at AGENT_STEP_DELAY_MS=200 with 1, 2, 4 and 8 workers:
 * speed-up against one worker, and where the wall time goes (the longest tests, and the order Playwright starts them in).
 */
import type { Project } from '../tests/catalog';
import { log, playwright, sec, type Options } from './measure';
import type { RssPeaks } from './process-tree';
import { listSchedule, SETUP_PROJECT, summarise, type SuiteRun } from './suite';

export const SCALING_DELAY_MS = 200;
/** The projects whose tests wait on agent runs, so that latency, not CPU, sets their pace. */
export const SCALING_PROJECTS: readonly Project[] = ['agent-execution', 'core'];

export interface ScalingRun extends Omit<SuiteRun, 'rss'> {
  workers: number;
  rss?: RssPeaks;
}

export async function benchScaling(o: Options): Promise<ScalingRun[]> {
  const out: ScalingRun[] = [];
  // Round-robin over worker counts, so a busy spell on the machine does not land on one count only.
  for (let i = 0; i < o.runs; i++) {
    for (const workers of o.workers) {
      log(`scaling: round ${i + 1}/${o.runs}, ${workers} worker(s), AGENT_STEP_DELAY_MS=${SCALING_DELAY_MS}`);
      const r = await playwright(
        [...SCALING_PROJECTS.map((p) => `--project=${p}`), `--workers=${workers}`],
        { AGENT_STEP_DELAY_MS: String(SCALING_DELAY_MS) },
        { sample: true, timeoutMs: 40 * 60_000 },
      );
      const s: ScalingRun = { ...summarise(r, true), workers };
      out.push(s);
      const problem = s.problem ? ` — ${s.problem}` : '';
      log(`scaling: ${workers} worker(s): ${sec(s.wallMs)} (${s.tests} tests, sum of test time ${sec(s.sumTestMs)})${problem}`);
    }
  }
  return out;
}

/** Measured wall at `workers`, split into fixed cost and the simulated test phase, and the same with longest-first. */
export function schedulingEstimate(oneWorkerRun: ScalingRun, workers: number, measured: number, oneWorkerWall: number) {
  const tests = oneWorkerRun.durations.filter((t) => t.project !== SETUP_PROJECT).map((t) => t.ms);
  const inOrder = listSchedule(tests, workers);
  const longestFirst = listSchedule(
    [...tests].sort((a, b) => b - a),
    workers,
  );
  const fixed = measured - inOrder;
  const estimate = fixed + longestFirst;
  return { measured, inOrder, longestFirst, fixed, estimate, speedup: oneWorkerWall / estimate };
}
