/**
 * Collect, the first step of the pipeline: Playwright's suite tree and results -> plain {@link RunData}. This is the
 * only module that touches Playwright objects. Counts come from `suite.allTests()` and `test.outcome()`, so a
 * retried test is one test, and the skipped / interrupted / did-not-run split follows Playwright's own terminal
 * summary. Annotations (category, checks, catches) and attachments (diagnosis, metrics, quality, contract drift)
 * are read here, once.
 */
import * as path from 'node:path';
import type { FullConfig, FullResult, Suite, TestCase, TestError, TestResult } from '@playwright/test/reporter';
import { environmentSecrets, redact } from '../fixtures/redact';
import { ANNOTATION } from '../tests/catalog';
import { parseContractDrift, parseDiagnosis, parseMetrics, parseQuality, type AttachmentLike } from './attachments';
import type { Configuration } from './configuration';
import { stripAnsi } from './format';
import type { AttemptRecord, ErrorRecord, MetricSample, RunData, RunStatus, TestRecord, TestStatus } from './types';

export const ERROR_LINES = 8;
const ERROR_LINE_CHARS = 240;
const FULL_MESSAGE_CHARS = 8000;

export interface CollectInput {
  config: FullConfig;
  suite: Suite;
  result: Pick<FullResult, 'status' | 'startTime' | 'duration'>;
  errors: TestError[];
  configuration: Omit<Configuration, 'template'>;
  now?: Date;
  durationMs?: number;
  secrets?: string[];
}

/** The directory paths are shown relative to: the config file's (repo root for both configs), else cwd. */
export function baseDir(config: Pick<FullConfig, 'configFile' | 'rootDir'>): string {
  return config.configFile ? path.dirname(config.configFile) : process.cwd();
}

function relative(base: string, file: string): string {
  const rel = path.relative(base, file);
  return (rel.startsWith('..') || path.isAbsolute(rel) ? file : rel).split(path.sep).join('/');
}

/** First lines of an error: secrets redacted, ANSI-free, stack frames dropped, long lines cut. */
export function errorLines(raw: string, secrets: string[], maxLines = ERROR_LINES): string {
  // Redact before cutting: a cut can split a secret so that neither half matches.
  const lines = redact(stripAnsi(raw), secrets)
    .split(/\r?\n/)
    .filter((l) => !/^\s+at\s/.test(l))
    .map((l) => l.replace(/\s+$/, ''));
  while (lines.length && !lines[0].trim()) lines.shift();
  const kept: string[] = [];
  for (const line of lines) {
    if (kept.length >= maxLines) break;
    if (!line.trim() && (!kept.length || !kept[kept.length - 1].trim())) continue;
    kept.push(line.length > ERROR_LINE_CHARS ? `${line.slice(0, ERROR_LINE_CHARS - 1)}…` : line);
  }
  while (kept.length && !kept[kept.length - 1].trim()) kept.pop();
  const more = lines.filter((l) => l.trim()).length > kept.filter((l) => l.trim()).length;
  return kept.join('\n') + (more ? '\n…' : '');
}

function errorText(e: TestError): string {
  return e.message ?? e.value ?? e.stack ?? 'Unknown error';
}

function toErrorRecord(errors: TestError[], base: string, secrets: string[]): ErrorRecord | undefined {
  if (!errors.length) return undefined;
  const first = errors[0];
  const full = redact(errors.map((e) => stripAnsi(errorText(e))).join('\n\n'), secrets);
  const record: ErrorRecord = {
    message: errorLines(errorText(first), secrets),
    fullMessage: full.length > FULL_MESSAGE_CHARS ? full.slice(0, FULL_MESSAGE_CHARS) : full,
  };
  if (first.location) record.location = `${relative(base, first.location.file)}:${first.location.line}`;
  return record;
}

/** The newest value `parse` finds in the attachments of `results`, searching the newest result first. */
function newest<T>(results: readonly TestResult[], parse: (a: AttachmentLike) => T | undefined): T | undefined {
  for (let i = results.length - 1; i >= 0; i--) {
    for (const attachment of results[i].attachments) {
      const found = parse(attachment);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The description of the test's last annotation of `type`. */
function annotation(test: TestCase, type: string): string | undefined {
  const found = test.annotations.filter((a) => a.type === type && a.description?.trim());
  return found.length ? found[found.length - 1].description!.trim() : undefined;
}

/** Every attempt's metrics samples, and how many samples were malformed. */
function metricsOf(results: readonly TestResult[], secrets: string[]): { samples: MetricSample[]; rejected: number } {
  const out = { samples: [] as MetricSample[], rejected: 0 };
  for (const result of results) {
    for (const attachment of result.attachments) {
      const parsed = parseMetrics(attachment, secrets);
      if (!parsed) continue;
      out.samples.push(...parsed.samples);
      out.rejected += parsed.rejected;
    }
  }
  return out;
}

function projectOf(test: TestCase): string {
  let suite: Suite | undefined = test.parent;
  while (suite && suite.type !== 'project') suite = suite.parent;
  return suite?.title ?? '';
}

/** Titles below the file suite: describe blocks, then the test title. */
function titlesBelowFile(test: TestCase): string[] {
  const titles = [test.title];
  let suite: Suite | undefined = test.parent;
  while (suite && suite.type === 'describe') {
    titles.unshift(suite.title);
    suite = suite.parent;
  }
  return titles;
}

export function testKey(project: string, file: string, titles: string[], repeatEachIndex = 0): string {
  return [project, file, ...titles].join(' › ') + (repeatEachIndex ? ` [repeat ${repeatEachIndex}]` : '');
}

/** Playwright's split of the `skipped` outcome (see BaseReporter.generateSummary). */
function statusOf(test: TestCase, outcome: TestRecord['outcome']): TestStatus {
  switch (outcome) {
    case 'expected':
      return 'passed';
    case 'unexpected':
      return 'failed';
    case 'flaky':
      return 'flaky';
    case 'skipped':
      if (test.results.some((r) => r.status === 'interrupted')) return 'interrupted';
      if (!test.results.length || test.expectedStatus !== 'skipped') return 'did-not-run';
      return 'skipped';
  }
}

function skipReasonOf(test: TestCase): string {
  const reasons = test.annotations
    .filter((a) => a.type === 'skip' || a.type === 'fixme')
    .map((a) => (a.description?.trim() ? a.description.trim() : a.type === 'fixme' ? 'fixme (no reason given)' : 'no reason given'));
  return [...new Set(reasons)].join('; ') || 'no reason given';
}

function dependencyClosure(config: FullConfig): Map<string, Set<string>> {
  const direct = new Map<string, string[]>();
  for (const p of config.projects) direct.set(p.name, [...(direct.get(p.name) ?? []), ...(p.dependencies ?? [])]);
  const closure = new Map<string, Set<string>>();
  for (const name of direct.keys()) {
    const seen = new Set<string>();
    const stack = [...(direct.get(name) ?? [])];
    while (stack.length) {
      const dep = stack.pop()!;
      if (seen.has(dep)) continue;
      seen.add(dep);
      stack.push(...(direct.get(dep) ?? []));
    }
    closure.set(name, seen);
  }
  return closure;
}

const SEVERITY: TestStatus[] = ['failed', 'flaky', 'interrupted', 'passed', 'skipped', 'did-not-run'];

/**
 * A test seen twice (a setup project runs in every shard that needs it) is counted once, represented by its worst
 * record, so a merged report says what the unsharded run would have said.
 */
function mergeDuplicate(into: TestRecord, other: TestRecord): TestRecord {
  return SEVERITY.indexOf(other.status) < SEVERITY.indexOf(into.status) ? other : into;
}

export function collectRun(input: CollectInput): RunData {
  const { config, suite, result } = input;
  const secrets = input.secrets ?? environmentSecrets();
  const base = baseDir(config);
  const status: RunStatus = result.status;
  const byKey = new Map<string, { record: TestRecord; test: TestCase }>();
  const duplicates = new Set<string>();

  for (const test of suite.allTests()) {
    const project = projectOf(test);
    const file = relative(base, test.location.file);
    const titlePath = titlesBelowFile(test);
    const key = testKey(project, file, titlePath, test.repeatEachIndex);
    const outcome = test.outcome();
    const recordStatus = statusOf(test, outcome);
    const attempts: AttemptRecord[] = test.results.map((r) => {
      const a: AttemptRecord = { retry: r.retry, status: r.status, durationMs: Math.round(r.duration) };
      if (r.errors.length) a.error = errorLines(errorText(r.errors[0]), secrets, 3);
      return a;
    });
    const failing = [...test.results].reverse().find((r) => r.status !== 'passed' && r.status !== 'skipped' && r.errors.length);
    const record: TestRecord = {
      key,
      project,
      file,
      line: test.location.line,
      column: test.location.column,
      titlePath,
      title: test.title,
      tags: [...test.tags],
      outcome,
      status: recordStatus,
      expectedStatus: test.expectedStatus,
      timedOut: (recordStatus === 'failed' || recordStatus === 'flaky') && failing?.status === 'timedOut',
      attempts,
      durationMs: Math.round(test.results.reduce((s, r) => s + r.duration, 0)),
    };
    const category = annotation(test, ANNOTATION.category);
    if (category) record.category = category;
    const checks = annotation(test, ANNOTATION.checks);
    if (checks) record.checks = redact(checks, secrets);
    const catches = annotation(test, ANNOTATION.catches);
    if (catches) record.catches = redact(catches, secrets);
    if (failing) {
      const error = toErrorRecord(failing.errors, base, secrets);
      if (error) record.error = error;
    }
    if (recordStatus === 'failed' || recordStatus === 'flaky' || recordStatus === 'interrupted') {
      const diagnosis = newest(test.results, (a) => parseDiagnosis(a, secrets));
      if (diagnosis) record.diagnosis = diagnosis;
      // The scores of the attempt that failed explain the failure, not those of a later passing retry.
      const quality = newest(failing ? [failing] : test.results, (a) => parseQuality(a, secrets));
      if (quality) record.quality = quality;
    }
    const metrics = metricsOf(test.results, secrets);
    if (metrics.samples.length) record.metrics = metrics.samples;
    if (metrics.rejected) record.metricsRejected = metrics.rejected;
    const drift = newest(test.results, (a) => parseContractDrift(a, secrets));
    if (drift) record.contractDrift = drift;
    if (recordStatus === 'skipped') record.skipReason = redact(skipReasonOf(test), secrets);
    const existing = byKey.get(key);
    if (existing) {
      duplicates.add(key);
      const kept = mergeDuplicate(existing.record, record);
      if (kept !== existing.record) byKey.set(key, { record, test });
      continue;
    }
    byKey.set(key, { record, test });
  }

  // Why tests did not run: needs every test's status first (a failed dependency project, maxFailures).
  const records = [...byKey.values()].map((e) => e.record);
  const failedProjects = new Set(records.filter((t) => t.status === 'failed' || t.status === 'interrupted').map((t) => t.project));
  const closure = dependencyClosure(config);
  const failedCount = records.filter((t) => t.status === 'failed').length;
  for (const { record, test } of byKey.values()) {
    if (record.status !== 'did-not-run') continue;
    const failedDeps = [...(closure.get(record.project) ?? [])].filter((d) => failedProjects.has(d));
    if (failedDeps.length) record.notRunReason = `dependency project ${failedDeps.map((d) => `"${d}"`).join(', ')} failed`;
    else if (status === 'interrupted')
      record.notRunReason = test.results.length ? 'was running when the run was interrupted' : 'run interrupted before the test started';
    else if (status === 'timedout')
      record.notRunReason = test.results.length
        ? 'was running when the global timeout stopped the run'
        : 'global timeout reached before the test started';
    else if (config.maxFailures > 0 && failedCount >= config.maxFailures)
      record.notRunReason = `run stopped after maxFailures (${config.maxFailures})`;
    else if (test.results.length && test.expectedStatus !== 'skipped')
      record.notRunReason = 'skipped after an earlier failure in its serial group';
    else record.notRunReason = 'not run';
  }

  const start = input.now ?? result.startTime;
  const { configuration } = input;
  return {
    schemaVersion: 2,
    status,
    startTime: start.toISOString(),
    durationMs: Math.round(input.durationMs ?? result.duration),
    target: configuration.target,
    weights: configuration.weights,
    settings: configuration.settings,
    configProblems: configuration.problems,
    tests: records,
    errors: input.errors.map((e) => errorLines(errorText(e), secrets)),
    setupProjects: [...new Set(config.projects.flatMap((p) => p.dependencies ?? []))].sort(),
    duplicates: [...duplicates],
  };
}
