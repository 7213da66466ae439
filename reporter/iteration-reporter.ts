/**
 * Iteration summary reporter. After each run (or `merge-reports` of shards) it writes, in `outputDir`:
 * iteration-<N>-<date>.json (results first), iteration-<N>-<date>.md (rendered from templates/), and history.json;
 * prints a short summary and appends the Markdown to $GITHUB_STEP_SUMMARY when set.
 *
 * Pipeline: collect.ts (Playwright -> RunData) -> model.ts (pure view model) -> history.ts (iterations, changes,
 * re-runs) -> render.ts (Handlebars) -> write.ts (files). `buildViewModel` and `renderMarkdown` are exported for
 * renders without Playwright (goldens, benchmark).
 */
import * as path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestError } from '@playwright/test/reporter';
import { collectRun } from './collect';
import { injectedDuration, injectedNow, targetFromEnv, weightsFromEnv } from './environment';
import { resolveTemplate, type TemplateName } from './render';
import { terminalSummary, writeIteration, type LoopContext, type WriteOutcome } from './write';

export { buildViewModel } from './model';
export type { ViewModel, ModelInput } from './model';
export { renderMarkdown, TEMPLATE_NAMES } from './render';
export type { TemplateName } from './render';
export { loadRules } from './diagnosis';
export { writeIteration } from './write';
export type { RunData, TestRecord, HistoryEntry } from './types';

/** Env vars set by scripts/iterate.ts for each attempt of a loop. */
export const LOOP_ENV = {
  id: 'ITERATION_REPORTER_LOOP_ID',
  attempt: 'ITERATION_REPORTER_ATTEMPT',
  maxReruns: 'ITERATION_REPORTER_MAX_RERUNS',
  stateFile: 'ITERATION_REPORTER_LOOP_STATE',
} as const;

export interface IterationReporterOptions {
  /** Default: SUMMARY_TEMPLATE, else complete-summary. */
  template?: TemplateName;
  /** Default: `reports`, relative to the config file's directory. */
  outputDir?: string;
  /** No terminal summary. */
  quiet?: boolean;
  /** Pins the run's start time (ISO 8601) for stable goldens; default: env ITERATION_REPORTER_NOW, else the real start. */
  now?: string;
  /** Pins the run's duration (ms) for stable goldens; default: env ITERATION_REPORTER_DURATION_MS, else the real one. */
  durationMs?: number;
  /** Passed by Playwright. */
  configDir?: string;
  /** Passed by Playwright: 'test' | 'list' | 'merge'. */
  _mode?: string;
}

function loopFromEnv(env: NodeJS.ProcessEnv): LoopContext | undefined {
  const id = env[LOOP_ENV.id];
  if (!id) return undefined;
  const attempt = Number(env[LOOP_ENV.attempt] ?? '1');
  const maxReruns = Number(env[LOOP_ENV.maxReruns] ?? '0');
  const loop: LoopContext = {
    id,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    maxReruns: Number.isInteger(maxReruns) ? maxReruns : 0,
  };
  if (env[LOOP_ENV.stateFile]) loop.stateFile = env[LOOP_ENV.stateFile];
  return loop;
}

export default class IterationReporter implements Reporter {
  private config?: FullConfig;
  private suite?: Suite;
  private readonly errors: TestError[] = [];
  private readonly template: TemplateName;
  /** The last written iteration (for tests and tools that embed the reporter). */
  outcome?: WriteOutcome;

  constructor(private readonly options: IterationReporterOptions = {}) {
    this.template = resolveTemplate(options.template);
    // Fail at startup, not after the run, on a bad injected clock.
    injectedNow(options.now);
    injectedDuration(options.durationMs);
  }

  printsToStdio(): boolean {
    // Only a summary at the end: let Playwright add its progress reporter when ours is alone.
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    this.suite = suite;
  }

  onError(error: TestError): void {
    this.errors.push(error);
  }

  /** True when a json/junit reporter writes its document to stdout, which a summary would corrupt. */
  private stdoutIsData(): boolean {
    const env = process.env;
    return (this.config?.reporter ?? []).some(([name, options]) => {
      const file = (options as { outputFile?: string } | undefined)?.outputFile;
      if (name === 'json') return !file && !env.PLAYWRIGHT_JSON_OUTPUT_FILE && !env.PLAYWRIGHT_JSON_OUTPUT_NAME;
      if (name === 'junit') return !file && !env.PLAYWRIGHT_JUNIT_OUTPUT_FILE && !env.PLAYWRIGHT_JUNIT_OUTPUT_NAME;
      return false;
    });
  }

  private listing(): boolean {
    return this.options._mode === 'list' || process.argv.includes('--list');
  }

  async onEnd(result: FullResult): Promise<void> {
    if (!this.config || !this.suite || this.listing()) return;
    const base = this.options.configDir ?? (this.config.configFile ? path.dirname(this.config.configFile) : process.cwd());
    const outputDir = path.resolve(base, this.options.outputDir ?? process.env.ITERATION_REPORTER_OUTPUT_DIR ?? 'reports');
    try {
      const run = collectRun({
        config: this.config,
        suite: this.suite,
        result,
        errors: this.errors,
        target: targetFromEnv(),
        weights: weightsFromEnv(),
        now: injectedNow(this.options.now),
        durationMs: injectedDuration(this.options.durationMs),
      });
      this.outcome = writeIteration(run, { outputDir, template: this.template, loop: loopFromEnv(process.env) });
      if (!this.options.quiet) (this.stdoutIsData() ? process.stderr : process.stdout).write(`\n${terminalSummary(this.outcome)}`);
    } catch (e) {
      // Playwright swallows reporter errors; say what happened so a missing summary is never silent.
      process.stderr.write(`[iteration-reporter] could not write the iteration summary: ${(e as Error)?.stack ?? e}\n`);
    }
  }
}
