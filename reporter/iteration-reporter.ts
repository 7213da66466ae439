/**
 * Iteration summary reporter. After each run (or `merge-reports` of shards) it writes, in `outputDir`, per target:
 * iteration-<N>-<date>-<target>.json (results first), iteration-<N>-<date>-<target>.md (rendered from templates/)
 * and history.json; prints a short summary and appends the Markdown to $GITHUB_STEP_SUMMARY when set.
 *
 * A straight pipeline: configuration.ts (settings) -> collect.ts (Playwright -> RunData) -> write.ts, which places
 * the iteration in its target's history (history.ts, rerun.ts) and runs model.ts (facts, then one builder per section
 * in sections/) -> render.ts (Handlebars) -> files. `buildViewModel` and `renderMarkdown` are exported for renders
 * without Playwright (goldens, benchmark).
 */
import * as path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestError } from '@playwright/test/reporter';
import { collectRun } from './collect';
import { readConfiguration } from './configuration';
import { DEFAULT_TEMPLATE, resolveTemplate, type TemplateName } from './render';
import { injectedDuration, injectedNow, loopFromEnv, OUTPUT_DIR_VAR } from './switches';
import { terminalSummary, writeIteration, type WriteOutcome } from './write';

export { buildViewModel } from './model';
export type { ViewModel, ModelInput } from './model';
export { renderMarkdown, TEMPLATE_NAMES } from './render';
export type { TemplateName } from './render';
export { loadRules } from './diagnosis';
export { writeIteration } from './write';
export { LOOP_ENV } from './switches';
export type { RunData, TestRecord, HistoryEntry } from './types';

export interface IterationReporterOptions {
  /** Default: the SUMMARY_TEMPLATE setting. */
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

export default class IterationReporter implements Reporter {
  private config?: FullConfig;
  private suite?: Suite;
  private readonly errors: TestError[] = [];
  /** The last written iteration (for tests and tools that embed the reporter). */
  outcome?: WriteOutcome;

  constructor(private readonly options: IterationReporterOptions = {}) {
    // Fail at startup, not after the run, on a bad template option or injected clock.
    resolveTemplate(options.template, DEFAULT_TEMPLATE);
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
    const outputDir = path.resolve(base, this.options.outputDir ?? process.env[OUTPUT_DIR_VAR] ?? 'reports');
    try {
      const configuration = readConfiguration(process.env);
      const run = collectRun({
        config: this.config,
        suite: this.suite,
        result,
        errors: this.errors,
        configuration,
        now: injectedNow(this.options.now),
        durationMs: injectedDuration(this.options.durationMs),
      });
      const template = resolveTemplate(this.options.template, configuration.template);
      this.outcome = writeIteration(run, { outputDir, template, loop: loopFromEnv(process.env) });
      if (!this.options.quiet) (this.stdoutIsData() ? process.stderr : process.stdout).write(`\n${terminalSummary(this.outcome)}`);
    } catch (e) {
      // Playwright swallows reporter errors; say what happened so a missing summary is never silent.
      process.stderr.write(`[iteration-reporter] could not write the iteration summary: ${(e as Error)?.stack ?? e}\n`);
    }
  }
}
