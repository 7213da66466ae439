/**
 * Write, the last step of the pipeline: one iteration's files, for the collected run. Order matters: the iteration
 * is placed in its target's history (a loop re-run folds into its iteration), the JSON results are written before
 * anything is rendered, so a template error (or a crash while rendering) never loses them; then the model and the
 * Markdown (or a plain fallback that says the template failed), the history entry, the loop state and
 * $GITHUB_STEP_SUMMARY.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentSecrets, redact } from '../fixtures/redact';
import { computeCounts } from './counts';
import { loadRules, RULES_FILE, TEMPLATES_DIR } from './diagnosis';
import { isoDate, percent, plural } from './format';
import { historyEntry, iterationsOf, nextIteration, readHistory, upsertEntry, writeHistory } from './history';
import { buildViewModel, type ViewModel } from './model';
import { renderMarkdown, type TemplateName } from './render';
import { loopAttempt, mergeRerun } from './rerun';
import type { LoopContext } from './switches';
import { targetSlug } from './target';
import type { Counts, RunData } from './types';

export interface WriteOptions {
  outputDir: string;
  template: TemplateName;
  templatesDir?: string;
  rulesFile?: string;
  loop?: LoopContext;
  env?: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}

export interface WriteOutcome {
  iteration: number;
  run: RunData;
  counts: Counts;
  jsonPath: string;
  markdownPath: string;
  markdown: string;
  model?: ViewModel;
  /** Set when the model or the template failed; the JSON is complete and the Markdown is the fallback. */
  renderError?: string;
}

/** What scripts/iterate.ts reads after each attempt. */
export interface LoopState {
  loopId: string;
  attempt: number;
  iteration: number;
  status: RunData['status'];
  counts: Counts;
  jsonPath: string;
  markdownPath: string;
}

export interface IterationFile {
  schemaVersion: 2;
  iteration: number;
  template: TemplateName;
  counts: Counts;
  run: RunData;
  model?: ViewModel;
  renderError?: string;
}

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function writeJson(file: string, data: IterationFile): void {
  writeFileAtomic(file, `${JSON.stringify(data, null, 2)}\n`);
}

function fallbackMarkdown(iteration: number, counts: Counts, run: RunData, error: string, jsonName: string): string {
  return [
    `# Staging E2E Test Iteration ${iteration} - Summary (template error)`,
    '',
    `The summary could not be rendered: ${error.split('\n')[0]}`,
    `The complete results are in \`${jsonName}\`.`,
    '',
    `- **Run status**: ${run.status}`,
    `- **Total**: ${counts.total}; **run** ${counts.ran}; **passed** ${counts.passed}; **failed** ${counts.failed}; ` +
      `**flaky** ${counts.flaky}; **skipped** ${counts.skipped}; **interrupted** ${counts.interrupted}; ` +
      `**did not run** ${counts.didNotRun}`,
    '',
    '---',
    `*${counts.passing} of ${counts.ran} tests passing (${percent(counts.passing, counts.ran)} success rate)*`,
    '',
  ].join('\n');
}

/** Picks the iteration number (per target) and, for a loop re-run, the combined run it continues. */
function placeRun(run: RunData, opts: WriteOptions, warn: (m: string) => void) {
  const history = readHistory(opts.outputDir, run.target, warn);
  const loop = opts.loop;
  if (loop && loop.attempt > 1) {
    const entry = Object.values(history.targets)
      .flatMap((t) => t.iterations)
      .reverse()
      .find((e) => e.loopId === loop.id);
    if (entry) {
      try {
        const previous = JSON.parse(fs.readFileSync(path.join(opts.outputDir, entry.json), 'utf8')) as IterationFile;
        const combined = mergeRerun(previous.run, run, loop.attempt);
        return { history, iteration: entry.iteration, run: combined, names: { json: entry.json, markdown: entry.markdown } };
      } catch (e) {
        warn(`could not continue iteration ${entry.iteration} (${(e as Error).message}); recording this re-run as a new iteration`);
      }
    } else {
      warn(`no iteration of loop ${loop.id} in the history; recording this re-run as a new iteration`);
    }
  }
  if (loop) run = { ...run, loop: { id: loop.id, maxReruns: loop.maxReruns, attempts: [loopAttempt(run, loop.attempt)] } };
  const stem = (n: number) => `iteration-${n}-${isoDate(new Date(run.startTime))}-${targetSlug(run.target)}`;
  let iteration = nextIteration(history, run.target);
  // Never overwrite another run's files (two runs finishing at once, or a history that was deleted).
  while (fs.existsSync(path.join(opts.outputDir, `${stem(iteration)}.json`))) iteration++;
  return { history, iteration, run, names: { json: `${stem(iteration)}.json`, markdown: `${stem(iteration)}.md` } };
}

export function writeIteration(input: RunData, opts: WriteOptions): WriteOutcome {
  const env = opts.env ?? process.env;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`[iteration-reporter] ${m}\n`));
  fs.mkdirSync(opts.outputDir, { recursive: true });
  const placed = placeRun(input, opts, warn);
  const { iteration, run, names } = placed;
  const jsonPath = path.join(opts.outputDir, names.json);
  const markdownPath = path.join(opts.outputDir, names.markdown);
  const counts = computeCounts(run.tests);

  // 1. Results first.
  const file: IterationFile = { schemaVersion: 2, iteration, template: opts.template, counts, run };
  writeJson(jsonPath, file);

  // 2. Model and Markdown; any failure here falls back to a plain document.
  const previous = iterationsOf(placed.history, run.target).filter((e) => e.iteration < iteration);
  let markdown: string;
  let model: ViewModel | undefined;
  let renderError: string | undefined;
  try {
    const rules = loadRules(opts.rulesFile ?? RULES_FILE);
    model = buildViewModel({ run, iteration, history: previous, rules });
    markdown = renderMarkdown(model, opts.template, opts.templatesDir ?? TEMPLATES_DIR);
  } catch (e) {
    renderError = redact(String((e as Error)?.stack ?? e), environmentSecrets(env));
    warn(`summary template "${opts.template}" failed, wrote a fallback summary: ${renderError.split('\n')[0]}`);
    markdown = fallbackMarkdown(iteration, counts, run, renderError, names.json);
  }
  writeJson(jsonPath, { ...file, ...(model ? { model } : {}), ...(renderError ? { renderError } : {}) });
  writeFileAtomic(markdownPath, markdown);

  // 3. History, loop state, CI summary.
  const entry = historyEntry(run, iteration, counts, names);
  writeHistory(opts.outputDir, upsertEntry(placed.history, run.target, entry, run.settings.historyWindow));
  if (opts.loop?.stateFile) {
    const state: LoopState = {
      loopId: opts.loop.id,
      attempt: opts.loop.attempt,
      iteration,
      status: run.status,
      counts,
      jsonPath,
      markdownPath,
    };
    fs.writeFileSync(opts.loop.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
  const stepSummary = env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    try {
      fs.appendFileSync(stepSummary, `${markdown}\n`);
    } catch (e) {
      warn(`could not append to GITHUB_STEP_SUMMARY: ${(e as Error).message}`);
    }
  }
  const outcome: WriteOutcome = { iteration, run, counts, jsonPath, markdownPath, markdown };
  if (model) outcome.model = model;
  if (renderError) outcome.renderError = renderError;
  return outcome;
}

/** The short terminal summary. */
export function terminalSummary(outcome: WriteOutcome, cwd = process.cwd()): string {
  const { counts, model, run } = outcome;
  const rel = (p: string) => path.relative(cwd, p) || p;
  const lines: string[] = [];
  const head = model
    ? `${model.statusLabel} Iteration ${outcome.iteration}: ${model.footer}`
    : `Iteration ${outcome.iteration} (${run.status}): ${counts.passing} of ${counts.ran} tests passing ` +
      `(${percent(counts.passing, counts.ran)} success rate)`;
  lines.push(head);
  lines.push(
    `  ${counts.passed} passed, ${counts.failed} failed, ${counts.flaky} flaky, ${counts.skipped} skipped, ` +
      `${counts.interrupted} interrupted, ${counts.didNotRun} did not run (of ${plural(counts.total, 'test')})`,
  );
  if (model) {
    const shown = model.failures.slice(0, 10);
    for (const f of shown) lines.push(`  ✘ ${f.location.replace(/`/g, '')} ${f.title} — ${f.cause.title}`);
    if (model.failures.length > shown.length) lines.push(`  … and ${model.failures.length - shown.length} more failures`);
    if (model.changes.previousIteration !== null) lines.push(`  ${model.changes.summary}`);
    const performance = [...model.performance.over, ...model.performance.changes];
    for (const line of performance.slice(0, 5)) lines.push(`  Performance: ${line}`);
    if (performance.length > 5) lines.push(`  … and ${performance.length - 5} more under Performance in the summary`);
    if (model.loop && model.loop.attempts.length > 1) lines.push(`  Re-runs: ${model.loop.summary}`);
  }
  if (outcome.renderError) lines.push(`  Template error (fallback summary written): ${outcome.renderError.split('\n')[0]}`);
  lines.push(`  Summary: ${rel(outcome.markdownPath)} (results: ${rel(outcome.jsonPath)})`);
  return `${lines.join('\n')}\n`;
}
