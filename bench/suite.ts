/**
 * Job `suite`: the full suite against the embedded server at AGENT_STEP_DELAY_MS=0: wall time, tests/s, peak RSS of
 * the runner, its workers and the embedded server (sampled from /proc every 100 ms). Also how a run of the suites is
 * summed up, which the scaling job shares.
 */
import type { IterationFile } from '../reporter/write';
import { PROJECTS } from '../tests/catalog';
import { fmt, log, playwright, sec, tail, type Options, type PlaywrightRun } from './measure';
import type { RssPeaks } from './process-tree';

/** The project playwright.config.ts runs before all of {@link PROJECTS}. */
export const SETUP_PROJECT = 'setup';

export interface SuiteRun {
  wallMs: number;
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  testsPerS: number;
  rss: RssPeaks;
  sumTestMs: number;
  longest: { title: string; project: string; ms: number }[];
  /** Every test's duration, in Playwright's dispatch order (project order of the config, then file and line). */
  durations: { project: string; ms: number }[];
  load: [number, number];
  code: number | null;
  problem?: string;
}

function longestTests(iteration: IterationFile | undefined, n: number) {
  return [...(iteration?.run.tests ?? [])]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, n)
    .map((t) => ({ title: t.title, project: t.project, ms: t.durationMs }));
}

/** The config's project order. */
const PROJECT_ORDER: readonly string[] = [SETUP_PROJECT, ...PROJECTS];

function dispatchOrder(iteration: IterationFile | undefined): { project: string; ms: number }[] {
  return [...(iteration?.run.tests ?? [])]
    .sort((a, b) => PROJECT_ORDER.indexOf(a.project) - PROJECT_ORDER.indexOf(b.project) || a.file.localeCompare(b.file) || a.line - b.line)
    .map((t) => ({ project: t.project, ms: t.durationMs }));
}

/** Makespan of handing `durations` out in this order, each to the worker that is free first (what Playwright does). */
export function listSchedule(durations: number[], workers: number): number {
  const free = new Array<number>(workers).fill(0);
  for (const d of durations) {
    const first = free.indexOf(Math.min(...free));
    free[first] += d;
  }
  return Math.max(...free);
}

export function summarise(r: PlaywrightRun, expectAllPass: boolean): Omit<SuiteRun, 'rss'> & { rss?: RssPeaks } {
  const c = r.iteration?.counts;
  const tests = c?.total ?? 0;
  let problem: string | undefined;
  if (!r.iteration) problem = `no iteration summary (exit ${r.code}): ${tail(r.stderr || r.stdout, 5)}`;
  else if (expectAllPass && (r.code !== 0 || (c && c.failed + c.didNotRun + c.interrupted > 0)))
    problem = `exit ${r.code}; ${c?.failed ?? '?'} failed, ${c?.didNotRun ?? '?'} did not run: ${r.iteration.run.tests
      .filter((t) => t.status === 'failed')
      .slice(0, 5)
      .map((t) => `${t.title} (${(t.error?.message ?? '').split('\n')[0].slice(0, 120)})`)
      .join('; ')}`;
  return {
    wallMs: r.wallMs,
    tests,
    passed: c?.passed ?? 0,
    failed: c?.failed ?? 0,
    skipped: c?.skipped ?? 0,
    testsPerS: tests / (r.wallMs / 1000),
    rss: r.rss,
    sumTestMs: (r.iteration?.run.tests ?? []).reduce((a, t) => a + t.durationMs, 0),
    longest: longestTests(r.iteration, 5),
    durations: dispatchOrder(r.iteration),
    load: [r.loadBefore, r.loadAfter],
    code: r.code,
    problem,
  };
}

export async function benchSuite(o: Options): Promise<SuiteRun[]> {
  const runs: SuiteRun[] = [];
  for (let i = 0; i < o.runs; i++) {
    log(`suite: run ${i + 1}/${o.runs} (all projects, AGENT_STEP_DELAY_MS=0)`);
    const r = await playwright([], { AGENT_STEP_DELAY_MS: '0' }, { sample: true, timeoutMs: 20 * 60_000 });
    const s = summarise(r, true) as SuiteRun;
    runs.push(s);
    const problem = s.problem ? ` — ${s.problem}` : '';
    log(`suite: ${sec(s.wallMs)}, ${s.tests} tests, ${fmt(s.testsPerS, 2)} tests/s, runner ${fmt(s.rss.runner, 0)} MiB${problem}`);
  }
  return runs;
}
